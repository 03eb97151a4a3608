// The language server's modules in-process: settings parsing, the document store, folding edits,
// input framing, the diagnostics scheduler on the real event loop, capability decisions, the
// command line, and the LspServer class itself over in-memory streams (a Neovim-like client gets
// no dynamic registration; fix-all only when asked for).
import * as assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { createMessageConnection, MessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import { createConnection, ProposedFeatures } from 'vscode-languageserver/node';
import type { CodeAction, PublishDiagnosticsParams } from 'vscode-languageserver-protocol';
import { clientFeatures, serverCapabilities } from '../../server/src/capabilities';
import { kindRequested } from '../../server/src/codeActions';
import { parseCommandLine } from '../../server/src/commandLine';
import { DiagnosticsScheduler } from '../../server/src/diagnostics';
import { DocumentStore, isPythonDocument } from '../../server/src/documents';
import { MessageFraming } from '../../server/src/inputFraming';
import { LspServer } from '../../server/src/lspServer';
import { DEFAULT_SEVERITIES, parseSettings } from '../../server/src/settings';
import { collapseChanges, diffAsChange } from '../../server/src/textEdits';

const turn = () => new Promise<void>((r) => setImmediate(r));

describe('server modules (in-process)', () => {
  describe('settings', () => {
    it('reads severities, accepts info, and names the setting and its origin for a bad value', () => {
      const { severities, problems } = parseSettings({ rules: { 'never-awaited': { severity: 'info' }, 'dangling-task': { severity: 'loud' }, 'coroutine-misused': { severity: 'off' } } }, 'workspace/configuration');
      assert.equal(severities['never-awaited'], 'information');
      assert.equal(severities['coroutine-misused'], 'off');
      assert.equal(severities['dangling-task'], DEFAULT_SEVERITIES['dangling-task']);
      assert.equal(problems.length, 1);
      assert.match(problems[0], /loopscope\.rules\.dangling-task\.severity = "loud" from workspace\/configuration/);
    });

    it('treats a missing or malformed section as the defaults', () => {
      for (const raw of [undefined, null, 3, 'x', { rules: 'x' }, { rules: { 'never-awaited': 'error' } }]) {
        assert.deepEqual(parseSettings(raw, 'initializationOptions').severities, DEFAULT_SEVERITIES);
      }
    });
  });

  describe('documents', () => {
    it('keeps only the latest full text and the edits after it', () => {
      const store = new DocumentStore();
      store.open('file:///a.py', 1, 'v1');
      for (let v = 2; v <= 100; v++) store.change('file:///a.py', v, [{ text: `v${v}` }]);
      const at = { line: 0, character: 0 };
      store.change('file:///a.py', 101, [{ range: { start: at, end: at }, text: '#' }]);
      assert.equal(store.version('file:///a.py'), 101);
      const pending = store.takePending('file:///a.py');
      assert.equal(pending?.fullText, 'v100');
      assert.equal(pending?.changes.length, 1);
      assert.equal(store.takePending('file:///a.py'), undefined);
    });

    it('drops changes to documents that are not open and maps paths back to the client URI', () => {
      const store = new DocumentStore();
      assert.equal(store.change('file:///b.py', 2, [{ text: 'x' }]), false);
      store.open('file:///tmp/My%20File.py', 1, '');
      assert.equal(store.pathOf('file:///tmp/My%20File.py'), '/tmp/My File.py');
      assert.equal(store.uriOf('/tmp/My File.py'), 'file:///tmp/My%20File.py');
      assert.equal(store.close('file:///tmp/My%20File.py'), '/tmp/My File.py');
      assert.equal(store.isOpen('file:///tmp/My%20File.py'), false);
      assert.ok(isPythonDocument('file:///x.pyi', 'plaintext'));
      assert.ok(!isPythonDocument('file:///x.txt', 'plaintext'));
    });
  });

  describe('folding edits', () => {
    const lineStarts = (t: string) => [0, ...[...t.matchAll(/\n/g)].map((m) => m.index + 1)];
    const offsetAt = (t: string, row: number, col: number) => {
      const st = lineStarts(t);
      if (row >= st.length) return t.length;
      const end = row + 1 < st.length ? st[row + 1] - 1 : t.length;
      return Math.min(st[row] + col, Math.max(end, st[row]));
    };

    it('gives the same text as applying 3,000 random edit runs one by one', () => {
      let seed = 7;
      const rnd = (n: number) => (seed = (seed * 1103515245 + 12345) % 2147483648) % n;
      for (let trial = 0; trial < 3000; trial++) {
        const base = Array.from({ length: 1 + rnd(8) }, () => 'ab\ncde'.slice(0, rnd(7))).join('\n');
        let naive = base;
        const changes = [];
        for (let k = 0; k < 1 + rnd(8); k++) {
          const start = { row: rnd(10), column: rnd(7) };
          const end = rnd(2) ? start : { row: start.row + rnd(2), column: rnd(7) };
          const text = ['', 'x', '\n', 'y\nz', '\n\n'][rnd(5)];
          const s = offsetAt(naive, start.row, start.column);
          const e = Math.max(s, offsetAt(naive, end.row, end.column));
          changes.push({ range: { start, end: e === s ? start : end }, text });
          naive = naive.slice(0, s) + text + naive.slice(e);
        }
        const one = collapseChanges(base, changes);
        assert.equal(base.slice(0, one.start) + one.text + base.slice(one.end), naive, JSON.stringify({ base, changes }));
      }
    });

    it('leaves the untouched text out of the replacement', () => {
      const base = 'a\n'.repeat(10000);
      const changes = Array.from({ length: 1000 }, (_, i) => ({ range: { start: { row: 5000, column: 1 + i }, end: { row: 5000, column: 1 + i } }, text: 'x' }));
      const one = collapseChanges(base, changes);
      assert.deepEqual(one, { start: 10001, end: 10001, text: 'x'.repeat(1000) });
    });
  });

  describe('full texts as edits', () => {
    it('turns a full text into the one replacement that produces it, keeping surrogate pairs whole', () => {
      const cases: [string, string][] = [['abc', 'abc'], ['abc', 'abxc'], ['', 'x'], ['x', ''], ['aaaa', 'aa'], ['a😀b', 'a😁b'], ['😀', '😁'], ['ab\ncd', 'ab\n\ncd']];
      for (const [base, next] of cases) {
        const c = diffAsChange(base, next);
        assert.equal(base.slice(0, c.start) + c.text + base.slice(c.end), next, JSON.stringify([base, next]));
        assert.ok(!/^[\udc00-\udfff]/.test(c.text) && !/[\ud800-\udbff]$/.test(c.text), JSON.stringify(c));
      }
      assert.deepEqual(diffAsChange('x = 1\n'.repeat(1000), 'x = 1\n'.repeat(500) + 'y\n' + 'x = 1\n'.repeat(500)), { start: 3000, end: 3000, text: 'y\n' });
    });
  });

  describe('input framing', () => {
    it('knows whether a chunk ends inside a message', () => {
      const framing = new MessageFraming();
      const body = JSON.stringify({ jsonrpc: '2.0', method: 'x' });
      const msg = Buffer.from(`Content-Length: ${body.length}\r\n\r\n${body}`);
      assert.equal(framing.push(msg.subarray(0, 10)), true);
      assert.equal(framing.push(msg.subarray(10, 30)), true);
      assert.equal(framing.push(msg.subarray(30)), false);
      assert.equal(framing.push(Buffer.concat([msg, msg])), false);
      assert.equal(framing.push(Buffer.concat([msg, msg.subarray(0, msg.length - 1)])), true);
      assert.equal(framing.push(msg.subarray(msg.length - 1)), false);
    });
  });

  describe('diagnostics scheduler', () => {
    it('analyses a burst once, after it ends, for the latest state', async () => {
      const runs: number[] = [];
      let state = 0;
      const scheduler = new DiagnosticsScheduler(() => runs.push(state));
      // One change per turn, as the JSON-RPC layer delivers queued messages.
      for (let i = 1; i <= 200; i++) {
        state = i;
        scheduler.touch(['a']);
        await turn();
      }
      for (let i = 0; i < 5 && runs.length === 0; i++) await turn();
      assert.deepEqual(runs, [200]);
      scheduler.dispose();
    });

    it('waits while input stops inside a message, and runs a request\'s document at once', async () => {
      const runs: string[] = [];
      const scheduler = new DiagnosticsScheduler((u) => runs.push(u));
      scheduler.touch(['a', 'b']);
      scheduler.noteInput(true);
      for (let i = 0; i < 10; i++) await turn();
      assert.deepEqual(runs, []);
      scheduler.runNow('b');
      assert.deepEqual(runs, ['b']);
      scheduler.noteInput(false);
      for (let i = 0; i < 10 && runs.length < 2; i++) await turn();
      assert.deepEqual(runs, ['b', 'a']);
      scheduler.forget('a');
      scheduler.dispose();
    });
  });

  describe('capabilities', () => {
    it('registers nothing dynamically for a client without dynamicRegistration (Neovim)', () => {
      const nvim = clientFeatures({ workspace: { configuration: true, didChangeConfiguration: { dynamicRegistration: false }, didChangeWatchedFiles: { dynamicRegistration: false }, workspaceFolders: true } });
      assert.deepEqual(nvim, { configuration: true, configurationRegistration: false, watchedFilesRegistration: false, workspaceFolders: true });
      const vscode = clientFeatures({ workspace: { configuration: true, didChangeConfiguration: { dynamicRegistration: true }, didChangeWatchedFiles: { dynamicRegistration: true } } });
      assert.equal(vscode.configurationRegistration && vscode.watchedFilesRegistration, true);
      assert.equal(serverCapabilities(clientFeatures({})).workspace, undefined);
    });

    it('matches code action kinds hierarchically', () => {
      assert.ok(kindRequested(['source'], 'source.fixAll.loopscope'));
      assert.ok(kindRequested(['source.fixAll'], 'source.fixAll.loopscope'));
      assert.ok(!kindRequested(['quickfix'], 'source.fixAll.loopscope'));
      assert.ok(!kindRequested(['source.fix'], 'source.fixAll.loopscope'));
    });
  });

  describe('command line', () => {
    it('gives usage for --help and for no transport, and checks transport values', () => {
      assert.deepEqual(parseCommandLine(['--help'], false), { kind: 'help' });
      assert.equal(parseCommandLine([], false).kind, 'usage-error');
      assert.deepEqual(parseCommandLine(['--stdio', '--clientProcessId=12'], false), { kind: 'lsp', transport: 'stdio' });
      assert.deepEqual(parseCommandLine(['--socket=5007'], false), { kind: 'lsp', transport: 'socket' });
      assert.deepEqual(parseCommandLine(['--socket', '5007'], false), { kind: 'lsp', transport: 'socket' });
      assert.match((parseCommandLine(['--socket=99999'], false) as { message: string }).message, /1 to 65535/);
      assert.match((parseCommandLine(['--node-ipc'], false) as { message: string }).message, /IPC channel/);
      assert.deepEqual(parseCommandLine(['--node-ipc'], true), { kind: 'lsp', transport: 'node-ipc' });
      assert.deepEqual(parseCommandLine(['--check', 'a', 'b', '--json'], false), { kind: 'check', folders: ['a', 'b'], json: true });
    });
  });

  describe('LspServer over in-memory streams', () => {
    let client: MessageConnection;
    const registrations: string[] = [];
    const published: PublishDiagnosticsParams[] = [];
    const waiters: (() => void)[] = [];

    before(async () => {
      const up = new PassThrough();
      const down = new PassThrough();
      const connection = createConnection(ProposedFeatures.all, new StreamMessageReader(up), new StreamMessageWriter(down));
      new LspServer(connection).listen();
      client = createMessageConnection(new StreamMessageReader(down), new StreamMessageWriter(up));
      client.onRequest('client/registerCapability', (p: { registrations: { method: string }[] }) => {
        registrations.push(...p.registrations.map((r) => r.method));
        return null;
      });
      client.onRequest('workspace/configuration', (p: { items: unknown[] }) => p.items.map(() => null));
      client.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnosticsParams) => {
        published.push(p);
        for (const w of waiters.splice(0)) w();
      });
      client.listen();
      // Neovim 0.9's workspace capabilities: configuration, but no dynamic registration anywhere.
      await client.sendRequest('initialize', {
        processId: null,
        rootUri: null,
        capabilities: { workspace: { configuration: true, didChangeConfiguration: { dynamicRegistration: false }, didChangeWatchedFiles: { dynamicRegistration: false }, workspaceFolders: true } },
      });
      await client.sendNotification('initialized', {});
    });
    after(async () => {
      await client.sendRequest('shutdown');
      client.dispose();
    });

    const diagnosticsFor = async (version: number) => {
      while (!published.some((p) => p.version === version)) await new Promise<void>((r) => waiters.push(r));
      return published.find((p) => p.version === version)!.diagnostics;
    };

    it('publishes diagnostics, registers nothing, and offers fix-all only when asked', async () => {
      const uri = 'file:///tmp/inprocess.py';
      const text = 'import time\n\nasync def f():\n    pass\n\nasync def main():\n    f()\n    time.sleep(1)\n';
      await client.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'python', version: 1, text } });
      const ds = await diagnosticsFor(1);
      assert.deepEqual(ds.map((d) => d.code).sort(), ['blocking-call-in-async', 'never-awaited']);
      const range = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
      const plain: CodeAction[] = await client.sendRequest('textDocument/codeAction', { textDocument: { uri }, range: ds[0].range, context: { diagnostics: ds } });
      assert.ok(plain.length > 0 && plain.every((a) => a.kind === 'quickfix'), plain.map((a) => a.kind).join(', '));
      const asked: CodeAction[] = await client.sendRequest('textDocument/codeAction', { textDocument: { uri }, range, context: { diagnostics: [], only: ['source.fixAll'] } });
      assert.deepEqual(asked.map((a) => a.kind), ['source.fixAll.loopscope']);
      assert.deepEqual(registrations, []);
    });
  });
});
