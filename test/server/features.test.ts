// Behaviour of the real server over LSP stdio beyond the corpus: incremental edits, cross-file
// resolution and re-checking importers, quick fixes and fix-all (edits applied, then re-checked and
// compiled by a real Python), severity configuration, and files it must survive.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Diagnostic, Range } from 'vscode-languageserver-protocol';
import { buildServer, LspClient, offsetAt } from './lspClient';

const PY = process.env.LOOPSCOPE_PYTHON ?? 'python3';

function tmpWorkspace(files: Record<string, string | Buffer>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'loopscope-ls-'));
  for (const [rel, content] of Object.entries(files)) {
    const p = path.join(root, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, content);
  }
  return root;
}

function rangeOfText(text: string, snippet: string, occurrence = 0): Range {
  let at = -1;
  for (let i = 0; i <= occurrence; i++) at = text.indexOf(snippet, at + 1);
  assert.ok(at >= 0, `${snippet} not in text`);
  const pos = (off: number) => {
    const before = text.slice(0, off);
    return { line: before.split('\n').length - 1, character: off - (before.lastIndexOf('\n') + 1) };
  };
  return { start: pos(at), end: pos(at + snippet.length) };
}

const summary = (ds: Diagnostic[]) => ds.map((d) => `${d.range.start.line + 1}:${d.range.start.character + 1} ${String(d.code)}`).sort();

function compiles(source: string): void {
  execFileSync(PY, ['-c', 'import ast,sys; ast.parse(sys.stdin.read())'], { input: source });
}

describe('server behaviour (real server over LSP stdio)', function () {
  this.timeout(60000);

  describe('incremental edits', () => {
    let client: LspClient;
    const dir = tmpWorkspace({});
    const file = path.join(dir, 'edit.py');
    before(async () => {
      client = await LspClient.start({ folder: dir });
      await client.waitIndexed();
    });
    after(async () => {
      await client.stop();
    });

    it('flags a removed await and clears it when the await comes back', async () => {
      const text = 'import asyncio\n\nasync def f():\n    await asyncio.sleep(0)\n\nasync def main():\n    await f()\n';
      assert.deepEqual(await client.open(file, text), []);
      const awaitRange = rangeOfText(text, 'await f()');
      const removed = await client.edit(file, [{ range: { start: awaitRange.start, end: { line: awaitRange.start.line, character: awaitRange.start.character + 6 } }, newText: '' }]);
      assert.deepEqual(summary(removed), ['7:5 never-awaited']);
      assert.deepEqual(removed[0].range, rangeOfText(client.text(file), 'f()', 1));
      const restored = await client.edit(file, [{ range: { start: awaitRange.start, end: awaitRange.start }, newText: 'await ' }]);
      assert.deepEqual(restored, []);
    });

    it('applies several content changes of one didChange in order', async () => {
      const before = client.text(file);
      // Two changes: append a function, then (against the new text) drop the await inside main.
      const end = { line: before.split('\n').length - 1, character: 0 };
      const withG = before + '\nasync def g():\n    await f()\n';
      const gAwait = rangeOfText(withG, 'await f()', 1);
      const ds = await client.edit(file, [
        { range: { start: end, end }, newText: '\nasync def g():\n    await f()\n' },
        { range: { start: gAwait.start, end: { line: gAwait.start.line, character: gAwait.start.character + 6 } }, newText: '' },
      ]);
      assert.deepEqual(summary(ds), ['10:5 never-awaited']);
    });

    it('after a sequence of edits, matches a fresh parse of the same text', async () => {
      const edits: [string, string][] = [
        ['    await f()\n', '    await f()\n    if f():\n        pass\n'],
        ['async def g():', 'async def g(x: int):'],
        ['import asyncio\n', 'import asyncio\nimport time\n'],
        ['    if f():', '    time.sleep(1)\n    if f():'],
      ];
      let last: Diagnostic[] = [];
      for (const [from, to] of edits) {
        const r = rangeOfText(client.text(file), from);
        last = await client.edit(file, [{ range: r, newText: to }]);
      }
      const fresh = path.join(dir, 'fresh.py');
      const again = await client.open(fresh, client.text(file));
      assert.deepEqual(summary(last), summary(again));
      assert.ok(summary(last).includes('9:5 blocking-call-in-async'), summary(last).join(', '));
      assert.ok(summary(last).some((s) => s.endsWith('coroutine-in-condition')));
    });

    it('survives a half-typed statement and keeps diagnostics for the rest of the file', async () => {
      const r = rangeOfText(client.text(file), 'async def g(');
      const ds = await client.edit(file, [{ range: { start: r.start, end: r.start }, newText: 'x = (f(\n' }]);
      assert.ok(client.alive);
      assert.ok(summary(ds).some((s) => s.endsWith('blocking-call-in-async')), summary(ds).join(', '));
    });
  });

  describe('workspace: cross-file resolution and dependents', () => {
    let client: LspClient;
    const dir = tmpWorkspace({
      'pkg/__init__.py': 'from .core import fetch as fetch_all\n',
      'pkg/core.py': 'class Client:\n    async def get(self) -> int:\n        return 1\n\nasync def fetch() -> Client:\n    return Client()\n\nshared = Client()\n',
      'app.py': 'import pkg\nfrom pkg.core import shared\nfrom pkg.sub import user as u\n\nasync def go():\n    pkg.fetch_all()\n    shared.get()\n    u.use(shared)\n',
      'pkg/sub/__init__.py': '',
      'pkg/sub/user.py': [
        'import pkg.core',
        'import pkg.core as core_alias',
        'from pkg import fetch_all',
        'from pkg.core import Client',
        'from ..core import fetch',
        'from .. import core',
        '',
        'async def use(client: Client) -> None:',
        '    fetch()',
        '    fetch_all()',
        '    core_alias.fetch()',
        '    pkg.core.fetch()',
        '    core.fetch()',
        '    client.get()',
        '    c = await fetch()',
        '    c.get()',
        '',
      ].join('\n'),
    });
    const user = path.join(dir, 'pkg/sub/user.py');
    const core = path.join(dir, 'pkg/core.py');
    before(async () => {
      client = await LspClient.start({ folder: dir });
      const idx = await client.waitIndexed();
      assert.equal(idx.files, 5);
    });
    after(async () => {
      await client.stop();
    });

    it('resolves absolute, aliased, relative, package re-export and method calls across files', async () => {
      const ds = await client.open(user);
      assert.deepEqual(summary(ds), ['10:5 never-awaited', '11:5 never-awaited', '12:5 never-awaited', '13:5 never-awaited', '14:5 never-awaited', '16:5 never-awaited', '9:5 never-awaited']);
    });

    it('resolves package attributes, module-level instances and functions of a sibling package', async () => {
      const ds = await client.open(path.join(dir, 'app.py'));
      assert.deepEqual(summary(ds), ['6:5 never-awaited', '7:5 never-awaited', '8:5 never-awaited']);
    });

    it('re-checks an importer when the imported module changes', async () => {
      const text = fs.readFileSync(core, 'utf8');
      await client.open(core, text);
      const r = rangeOfText(text, 'async def fetch');
      const userUri = client.uriOf(user);
      // Opening core.py already re-checks user.py; wait for the publish that reflects the edit.
      const next = client.nextDiagnostics(userUri, (p) => p.diagnostics.length < 7);
      await client.sendChange(core, [{ range: { start: r.start, end: { line: r.start.line, character: r.start.character + 6 } }, newText: '' }]);
      const ds = (await next).diagnostics;
      // fetch() is now sync: only client.get() remains (c = await fetch() has no known type now).
      assert.deepEqual(summary(ds), ['14:5 never-awaited']);
    });

    it('re-checks again when the change is undone', async () => {
      const text = client.text(core);
      const r = rangeOfText(text, 'def fetch');
      const next = client.nextDiagnostics(client.uriOf(user), (p) => p.diagnostics.length === 7);
      await client.sendChange(core, [{ range: { start: r.start, end: r.start }, newText: 'async ' }]);
      assert.equal((await next).diagnostics.length, 7);
    });
  });

  describe('workspace: inferred and declared return types across modules, updated on edits', () => {
    let client: LspClient;
    const dir = tmpWorkspace({
      'lib/__init__.py': 'from .factory import make as make\nfrom .factory import Jobs\n',
      'lib/factory.py': [
        'from typing import Any, Coroutine',
        '',
        'async def fetch() -> int:',
        '    return 1',
        '',
        'def make():',
        '    return fetch()',
        '',
        'class Jobs:',
        '    def next(self) -> int:',
        '        return 0',
        '',
      ].join('\n'),
      'app.py': 'from lib import make, Jobs\n\nasync def go(jobs: Jobs):\n    make()\n    jobs.next()\n',
    });
    const factory = path.join(dir, 'lib/factory.py');
    const app = path.join(dir, 'app.py');
    before(async () => {
      client = await LspClient.start({ folder: dir });
      await client.waitIndexed();
    });
    after(async () => {
      await client.stop();
    });

    it('follows an unannotated factory re-exported by a package', async () => {
      assert.deepEqual(summary(await client.open(app)), ['4:5 never-awaited']);
    });

    it('re-checks the importer when the factory body stops returning a coroutine', async () => {
      const text = fs.readFileSync(factory, 'utf8');
      await client.open(factory, text);
      const r = rangeOfText(text, 'return fetch()');
      const next = client.nextDiagnostics(client.uriOf(app), (p) => p.diagnostics.length === 0);
      await client.sendChange(factory, [{ range: { start: { line: r.start.line, character: r.start.character + 7 }, end: r.end }, newText: '1' }]);
      assert.deepEqual((await next).diagnostics, []);
    });

    it('re-checks the importer when a method becomes declared as returning a Coroutine', async () => {
      const text = client.text(factory);
      const r = rangeOfText(text, '-> int:\n        return 0');
      const next = client.nextDiagnostics(client.uriOf(app), (p) => p.diagnostics.length === 1);
      await client.sendChange(factory, [{ range: { start: { line: r.start.line, character: r.start.character + 3 }, end: { line: r.start.line, character: r.start.character + 6 } }, newText: 'Coroutine[Any, Any, int]' }]);
      assert.deepEqual(summary((await next).diagnostics), ['5:5 never-awaited']);
    });
  });

  describe('workspace: files changed on disk', () => {
    let client: LspClient;
    const dir = tmpWorkspace({
      'lib.py': 'def fetch():\n    return 1\n',
      'app.py': 'from lib import fetch\n\nasync def main():\n    fetch()\n',
    });
    before(async () => {
      client = await LspClient.start({ folder: dir });
      await client.waitIndexed();
    });
    after(async () => {
      await client.stop();
    });

    it('re-checks open importers when a closed module changes on disk (didChangeWatchedFiles)', async () => {
      const app = path.join(dir, 'app.py');
      assert.deepEqual(await client.open(app), []);
      fs.writeFileSync(path.join(dir, 'lib.py'), 'async def fetch():\n    return 1\n');
      const next = client.nextDiagnostics(client.uriOf(app));
      await client.conn.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: client.uriOf(path.join(dir, 'lib.py')), type: 2 }] });
      assert.deepEqual(summary((await next).diagnostics), ['4:5 never-awaited']);
      fs.rmSync(path.join(dir, 'lib.py'));
      const gone = client.nextDiagnostics(client.uriOf(app));
      await client.conn.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: client.uriOf(path.join(dir, 'lib.py')), type: 3 }] });
      assert.deepEqual((await gone).diagnostics, []);
    });
  });

  describe('workspace folders added and removed', () => {
    it('indexes an added folder and forgets a removed one', async () => {
      const main = tmpWorkspace({ 'app.py': 'from shared_lib import job\n\nasync def main():\n    job()\n' });
      const extra = tmpWorkspace({ 'shared_lib.py': 'async def job():\n    pass\n' });
      const client = await LspClient.start({ folder: main });
      try {
        await client.waitIndexed();
        const app = path.join(main, 'app.py');
        assert.deepEqual(await client.open(app), []);
        const folder = { uri: client.uriOf(extra), name: 'extra' };
        const indexed = client.nextIndexed();
        const flagged = client.nextDiagnostics(client.uriOf(app), (p) => p.diagnostics.length === 1);
        await client.conn.sendNotification('workspace/didChangeWorkspaceFolders', { event: { added: [folder], removed: [] } });
        assert.equal((await indexed).files, 1);
        assert.deepEqual(summary((await flagged).diagnostics), ['4:5 never-awaited']);
        await client.conn.sendNotification('workspace/didChangeWorkspaceFolders', { event: { added: [], removed: [folder] } });
        // The removal is visible at the next check of app.py.
        const after = await client.edit(app, [{ range: { start: { line: 4, character: 0 }, end: { line: 4, character: 0 } }, newText: '\n' }]);
        assert.deepEqual(after, []);
      } finally {
        await client.stop();
      }
    });
  });

  describe('quick fixes', () => {
    let client: LspClient;
    const dir = tmpWorkspace({});
    before(async () => {
      client = await LspClient.start({ folder: dir });
      await client.waitIndexed();
    });
    after(async () => {
      await client.stop();
    });

    async function fixOnce(name: string, text: string, title: RegExp): Promise<string> {
      const file = path.join(dir, name);
      const ds = await client.open(file, text);
      assert.equal(ds.length, 1, summary(ds).join(', '));
      const actions = await client.codeActions(file, ds[0].range, ds);
      const action = actions.find((a) => title.test(a.title));
      assert.ok(action?.edit, `no action ${title} in ${actions.map((a) => a.title).join(', ')}`);
      const after = await client.applyWorkspaceEdit(file, action.edit);
      assert.deepEqual(after, [], `still flagged after the fix:\n${client.text(file)}`);
      compiles(client.text(file));
      return client.text(file);
    }

    it('adds await inside async def', async () => {
      const out = await fixOnce('await.py', 'import asyncio\n\nasync def f():\n    return 1\n\nasync def main():\n    x = f().real\n    print(x)\n', /Add `await`/);
      assert.match(out, /x = \(await f\(\)\)\.real/);
    });

    it('wraps a module-level call in asyncio.run and adds the import', async () => {
      const out = await fixOnce('run.py', '"""Doc."""\n\nasync def main():\n    return 1\n\nmain()\n', /asyncio\.run/);
      assert.equal(out, '"""Doc."""\nimport asyncio\n\nasync def main():\n    return 1\n\nasyncio.run(main())\n');
    });

    it('keeps a reference to a dangling task as the asyncio docs advise', async () => {
      const out = await fixOnce('task.py', 'import asyncio\n\nasync def job():\n    pass\n\nasync def main():\n    asyncio.create_task(job())\n    await asyncio.sleep(0)\n', /Keep a reference/);
      assert.match(out, /^_background_tasks = set\(\)$/m);
      assert.match(out, /^ {4}task = asyncio\.create_task\(job\(\)\)\n {4}_background_tasks\.add\(task\)\n {4}task\.add_done_callback\(_background_tasks\.discard\)$/m);
      assert.equal((out.match(/import asyncio/g) ?? []).length, 1);
    });

    it('keeps a reference for a task stored in an unused local', async () => {
      const out = await fixOnce('task2.py', 'import asyncio\n\nasync def job():\n    pass\n\nasync def main():\n    t = asyncio.create_task(job())\n', /Keep a reference/);
      assert.match(out, / {4}t = asyncio\.create_task\(job\(\)\)\n {4}_background_tasks\.add\(t\)\n {4}t\.add_done_callback\(_background_tasks\.discard\)/);
    });

    it('replaces time.sleep with await asyncio.sleep and imports asyncio', async () => {
      const out = await fixOnce('sleep.py', 'import time\n\nasync def main():\n    time.sleep(0.5)\n', /asyncio\.sleep/);
      assert.equal(out, 'import asyncio\nimport time\n\nasync def main():\n    await asyncio.sleep(0.5)\n');
    });

    it('turns a sync with / for over async-only objects into async with / async for', async () => {
      const out = await fixOnce('with.py', 'import asyncio\n\nasync def main():\n    with asyncio.Lock():\n        pass\n', /async with/);
      assert.match(out, /^ {4}async with asyncio\.Lock\(\):$/m);
      const out2 = await fixOnce('for.py', 'async def ticks():\n    yield 1\n\nasync def main():\n    for t in ticks():\n        print(t)\n', /async for/);
      assert.match(out2, /^ {4}async for t in ticks\(\):$/m);
    });

    it('passes the function and its arguments where a function is expected', async () => {
      const out = await fixOnce('nursery.py', 'import trio\n\nasync def work(n, m):\n    pass\n\nasync def main():\n    async with trio.open_nursery() as nursery:\n        nursery.start_soon(work(1, "x"))\n', /Pass `work`/);
      assert.match(out, /nursery\.start_soon\(work, 1, "x"\)/);
    });

    it('silences one line with a noqa comment', async () => {
      const out = await fixOnce('noqa.py', 'async def f():\n    pass\n\ndef main():\n    f()\n', /Ignore `never-awaited`/);
      assert.match(out, / {4}f\(\) {2}# noqa: never-awaited/);
    });

    for (const name of ['never_awaited.py', 'conditions.py', 'misused.py', 'tasks.py', 'blocking.py']) {
      it(`fix-all on corpus/${name} leaves valid Python and only findings without a fix`, async () => {
        const file = path.join(dir, `fixall_${name}`);
        const text = fs.readFileSync(path.join(__dirname, 'corpus', name), 'utf8');
        const before = await client.open(file, text);
        const [action] = await client.codeActions(file, { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, [], ['source.fixAll.loopscope']);
        assert.ok(action?.edit, 'no fix-all action');
        const after = await client.applyWorkspaceEdit(file, action.edit);
        compiles(client.text(file));
        assert.ok(after.length < before.length, `${before.length} -> ${after.length}`);
        for (const d of after) {
          const actions = await client.codeActions(file, d.range, [d]);
          const fixes = actions.filter((a) => a.kind === 'quickfix' && !a.title.startsWith('Ignore'));
          assert.deepEqual(fixes.map((a) => a.title), [], `${String(d.code)} at ${d.range.start.line + 1} still has a fix`);
        }
        const again = await client.codeActions(file, { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, [], ['source.fixAll.loopscope']);
        assert.deepEqual(again, []);
      });
    }

    it('fixes everything in a file with source.fixAll.loopscope', async () => {
      const file = path.join(dir, 'all.py');
      const text = [
        'import time',
        '',
        'async def f() -> int:',
        '    return 1',
        '',
        'async def job():',
        '    pass',
        '',
        'async def main():',
        '    f()',
        '    if f():',
        '        pass',
        '    time.sleep(1)',
        '    asyncio.create_task(job())',
        '    y = len(f())',
        '    print(y)',
        '',
        'main()',
        '',
      ].join('\n').replace('import time', 'import asyncio\nimport time');
      const ds = await client.open(file, text);
      assert.equal(ds.length, 6, summary(ds).join(', '));
      const actions = await client.codeActions(file, { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, [], ['source.fixAll']);
      assert.equal(actions.length, 1);
      assert.equal(actions[0].kind, 'source.fixAll.loopscope');
      const after = await client.applyWorkspaceEdit(file, actions[0].edit!);
      assert.deepEqual(after, [], client.text(file));
      compiles(client.text(file));
      const out = client.text(file);
      assert.match(out, / {4}await f\(\)\n {4}if await f\(\):/);
      assert.match(out, /^asyncio\.run\(main\(\)\)$/m);
    });
  });

  describe('configuration', () => {
    const dir = tmpWorkspace({});
    const text = 'import time\n\nasync def f():\n    pass\n\nasync def main():\n    f()\n    time.sleep(1)\n    print(f())\n';

    it('uses sensible default severities', async () => {
      const client = await LspClient.start({ folder: dir });
      try {
        const ds = await client.open(path.join(dir, 'a.py'), text);
        const sev = Object.fromEntries(ds.map((d) => [String(d.code), d.severity]));
        assert.deepEqual(sev, { 'never-awaited': 2, 'blocking-call-in-async': 2, 'coroutine-misused': 1 });
      } finally {
        await client.stop();
      }
    });

    it('reads loopscope.rules.<code>.severity and re-checks when it changes', async () => {
      const client = await LspClient.start({ folder: dir, settings: { rules: { 'never-awaited': { severity: 'error' }, 'blocking-call-in-async': { severity: 'off' } } } });
      try {
        await client.waitIndexed();
        const file = path.join(dir, 'b.py');
        const ds = await client.open(file, text);
        assert.deepEqual(ds.map((d) => [d.code, d.severity]), [['never-awaited', 1], ['coroutine-misused', 1]]);
        const next = client.nextDiagnostics(client.uriOf(file));
        await client.changeConfiguration({ rules: { 'never-awaited': { severity: 'hint' }, 'coroutine-misused': { severity: 'information' } } });
        const again = (await next).diagnostics;
        assert.deepEqual(again.map((d) => [d.code, d.severity]), [['never-awaited', 4], ['blocking-call-in-async', 2], ['coroutine-misused', 3]]);
      } finally {
        await client.stop();
      }
    });
  });

  describe('configuration without workspace/configuration', () => {
    const dir = tmpWorkspace({});
    it('takes initializationOptions, then settings pushed with didChangeConfiguration', async () => {
      const client = await LspClient.start({ folder: dir, configuration: false, initializationOptions: { rules: { 'never-awaited': { severity: 'information' } } } });
      try {
        await client.waitIndexed();
        const file = path.join(dir, 'c.py');
        const ds = await client.open(file, 'async def f():\n    pass\n\ndef g():\n    f()\n');
        assert.deepEqual(ds.map((d) => d.severity), [3]);
        const next = client.nextDiagnostics(client.uriOf(file));
        await client.changeConfiguration({ rules: { 'never-awaited': { severity: 'off' } } });
        assert.deepEqual((await next).diagnostics, []);
      } finally {
        await client.stop();
      }
    });
  });

  describe('clients other than VS Code', () => {
    it('registers nothing dynamically for a Neovim-like client, and still reads its settings', async () => {
      const dir = tmpWorkspace({});
      // Neovim 0.9's workspace capabilities: configuration, folders, no dynamic registration anywhere.
      const client = await LspClient.start({
        folder: dir,
        settings: { rules: { 'never-awaited': { severity: 'error' } } },
        capabilities: { workspace: { configuration: true, workspaceFolders: true, didChangeConfiguration: { dynamicRegistration: false }, didChangeWatchedFiles: { dynamicRegistration: false } } },
      });
      try {
        await client.waitIndexed();
        const ds = await client.open(path.join(dir, 'a.py'), 'async def f():\n    pass\n\ndef g():\n    f()\n');
        assert.deepEqual(ds.map((d) => [d.code, d.severity]), [['never-awaited', 1]]);
        assert.deepEqual(client.registrations, []);
      } finally {
        await client.stop();
      }
    });

    it('fixes the diagnostics a request names on the cursor line, as Neovim sends them (cursor anywhere, byte columns)', async () => {
      const dir = tmpWorkspace({});
      const client = await LspClient.start({ folder: dir });
      try {
        await client.waitIndexed();
        const file = path.join(dir, 'a.py');
        const ds = await client.open(file, 'async def f():\n    pass\n\nasync def g():\n    print("🎉 é"); f()\n');
        assert.deepEqual(ds.map((d) => [d.range.start.character, d.code]), [[19, 'never-awaited']]);
        const cursor = { start: { line: 4, character: 0 }, end: { line: 4, character: 0 } };
        // Neovim 0.7 converts its byte columns back without re-encoding: 22..25, not 19..22.
        const asNeovimSends = ds.map((d) => ({ ...d, range: { start: { line: 4, character: 22 }, end: { line: 4, character: 25 } } }));
        const titles = async (diagnostics: Diagnostic[]) => (await client.codeActions(file, cursor, diagnostics)).map((a) => a.title);
        assert.deepEqual(await titles(asNeovimSends), ['Add `await`', 'Ignore `never-awaited` on this line']);
        const fix = (await client.codeActions(file, cursor, asNeovimSends))[0];
        assert.deepEqual(fix.edit?.changes?.[client.uriOf(file)]?.[0].range, ds[0].range);
        // Only the cursor, or another tool's diagnostic with the same code and text, names nothing here.
        assert.deepEqual(await titles([]), []);
        assert.deepEqual(await titles(asNeovimSends.map((d) => ({ ...d, source: 'pyright' }))), []);
        assert.deepEqual(await titles(asNeovimSends.map((d) => ({ ...d, message: 'another finding' }))), []);
      } finally {
        await client.stop();
      }
    });

    it('registers configuration and file watching for a client that allows it', async () => {
      const dir = tmpWorkspace({});
      const client = await LspClient.start({
        folder: dir,
        capabilities: { workspace: { configuration: true, didChangeConfiguration: { dynamicRegistration: true }, didChangeWatchedFiles: { dynamicRegistration: true } } },
      });
      try {
        await client.waitIndexed();
        await client.open(path.join(dir, 'a.py'), 'x = 1\n');
        assert.deepEqual([...client.registrations].sort(), ['workspace/didChangeConfiguration', 'workspace/didChangeWatchedFiles']);
      } finally {
        await client.stop();
      }
    });

    it('offers fix-all only when the client asks for source actions', async () => {
      const dir = tmpWorkspace({});
      const client = await LspClient.start({ folder: dir });
      try {
        await client.waitIndexed();
        const file = path.join(dir, 'a.py');
        const ds = await client.open(file, 'import time\n\nasync def f():\n    pass\n\nasync def main():\n    f()\n    time.sleep(1)\n');
        const kinds = async (only?: string[]) => (await client.codeActions(file, ds[0].range, ds, only)).map((a) => a.kind);
        assert.ok(!(await kinds()).includes('source.fixAll.loopscope'));
        assert.deepEqual(await kinds(['quickfix']), (await kinds()).filter((k) => k === 'quickfix'));
        assert.deepEqual(await kinds(['source']), ['source.fixAll.loopscope']);
      } finally {
        await client.stop();
      }
    });

    it('names trio.sleep, not asyncio.sleep, in a trio program', async () => {
      const dir = tmpWorkspace({});
      const client = await LspClient.start({ folder: dir });
      try {
        await client.waitIndexed();
        const file = path.join(dir, 't.py');
        const ds = await client.open(file, 'import time\nimport trio\n\nasync def main():\n    time.sleep(1)\n\ntrio.run(main)\n');
        assert.equal(ds.length, 1);
        assert.match(ds[0].message, /use await trio\.sleep\(\.\.\.\)$/);
        const actions = await client.codeActions(file, ds[0].range, ds);
        const fix = actions.find((a) => /sleep/.test(a.title));
        assert.equal(fix?.title, 'Replace with `await trio.sleep(...)`');
        const after = await client.applyWorkspaceEdit(file, fix.edit!);
        assert.deepEqual(after, []);
        assert.equal(client.text(file), 'import time\nimport trio\n\nasync def main():\n    await trio.sleep(1)\n\ntrio.run(main)\n');
        const both = await client.open(path.join(dir, 'both.py'), 'import asyncio\nimport time\nimport trio\n\nasync def main():\n    time.sleep(1)\n');
        assert.doesNotMatch(both[0].message, /asyncio\.sleep|trio\.sleep/);
      } finally {
        await client.stop();
      }
    });

    it('prints usage for --help and for no transport instead of a stack trace', async () => {
      const server = await buildServer();
      const help = execFileSync(process.execPath, [server, '--help'], { encoding: 'utf8' });
      assert.match(help, /^Usage:$/m);
      assert.match(help, /--stdio/);
      let failed: { status: number; stderr: string } | undefined;
      try {
        execFileSync(process.execPath, [server], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      } catch (err) {
        failed = err as { status: number; stderr: string };
      }
      assert.equal(failed?.status, 2);
      assert.match(failed.stderr, /no transport given/);
      assert.doesNotMatch(failed.stderr, /at .*\.js:\d+/);
    });
  });

  describe('files it must survive', () => {
    const huge = 'x = 1\n'.repeat(200_000);
    const dir = tmpWorkspace({
      'ok.py': 'async def f():\n    pass\n\ndef g():\n    f()\n',
      'binary.py': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x00, 0x01, 0xff, 0x00]),
      'latin1.py': Buffer.from('s = "caf\xe9"\n', 'latin1'),
      'huge.py': huge,
      'empty.py': '',
    });
    let client: LspClient;
    before(async () => {
      client = await LspClient.start({ folder: dir });
    });
    after(async () => {
      await client.stop();
    });

    it('indexes the folder, skipping binary, non-UTF-8 and huge files', async () => {
      const r = await client.waitIndexed();
      assert.equal(r.files, 2);
      assert.equal(r.skipped, 3);
      for (const name of ['binary.py', 'latin1.py', 'huge.py']) assert.ok(client.logs.some((l) => l.includes(name)), name);
    });

    it('reports an unanalysable open document clearly instead of crashing', async () => {
      const bin = await client.open(path.join(dir, 'binary.py'), '\x89PNG\0\0\x01\0');
      assert.equal(bin.length, 1);
      assert.equal(bin[0].code, 'file-skipped');
      assert.match(bin[0].message, /NUL bytes/);
      const big = await client.open(path.join(dir, 'huge.py'), huge);
      assert.equal(big[0].code, 'file-skipped');
      assert.match(big[0].message, /exceeds/);
      assert.deepEqual(await client.open(path.join(dir, 'empty.py'), ''), []);
      assert.deepEqual(await client.open(path.join(dir, 'latin1.py'), 's = "caf\ufffd"\n'), []);
      assert.deepEqual(summary(await client.open(path.join(dir, 'ok.py'))), ['5:5 never-awaited']);
      assert.ok(client.alive);
    });

    it('analyses a skipped document once edits make it analysable', async () => {
      const file = path.join(dir, 'shrinks.py');
      const text = 'async def f():\n    pass\n\ndef g():\n    f()\n' + '#'.repeat(1_100_000) + '\n';
      const first = await client.open(file, text);
      assert.equal(first[0].code, 'file-skipped');
      const after = await client.edit(file, [{ range: { start: { line: 5, character: 0 }, end: { line: 5, character: 1_100_000 } }, newText: '' }]);
      assert.deepEqual(summary(after), ['5:5 never-awaited']);
    });

    it('reports pathologically nested code instead of overflowing the stack', async () => {
      const deep = await client.open(path.join(dir, 'deep.py'), 'x = ' + '('.repeat(5000) + '1' + ')'.repeat(5000) + '\n');
      assert.deepEqual(deep.map((d) => [d.code, d.message]), [['file-skipped', 'Loopscope did not analyse this file: the code is nested too deeply to analyse.']]);
      const long = await client.open(path.join(dir, 'long.py'), 'async def f():\n    pass\n\ndef g():\n    f()\n    x = ' + '1 + '.repeat(60000) + '1\n');
      assert.equal(long[0].code, 'file-skipped');
      // Editing it back to something reasonable brings the analysis back.
      const fixed = await client.edit(path.join(dir, 'long.py'), [{ range: { start: { line: 5, character: 0 }, end: { line: 6, character: 0 } }, newText: '' }]);
      assert.deepEqual(summary(fixed), ['5:5 never-awaited']);
      assert.ok(client.alive);
    });

    it('handles CRLF line endings', async () => {
      const file = path.join(dir, 'crlf.py');
      const text = 'async def f():\r\n    pass\r\n\r\nasync def main():\r\n    x = 1; f()\r\n';
      const ds = await client.open(file, text);
      assert.deepEqual(ds.map((d) => d.range), [{ start: { line: 4, character: 11 }, end: { line: 4, character: 14 } }]);
    });

    it('handles non-ASCII text with UTF-16 positions', async () => {
      const file = path.join(dir, 'unicode.py');
      const text = 'async def f():\n    pass\n\nasync def main():\n    s = "héllo 😀"; f()\n';
      const ds = await client.open(file, text);
      assert.equal(ds.length, 1);
      const start = offsetAt(text, ds[0].range.start);
      const end = offsetAt(text, ds[0].range.end);
      assert.equal(text.slice(start, end), 'f()');
    });
  });
});
