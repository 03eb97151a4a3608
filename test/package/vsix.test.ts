// Opens the packaged loopscope-<version>.vsix (a zip) and checks what a user installs:
// the four bundles, both tree-sitter wasm files and the whole Python runtime are inside,
// nothing else is (no node_modules, sources, tests), and the unpacked bundles really run.
import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import * as yauzl from 'yauzl';
import { examplePath } from '../examples/gallery';

const ROOT = path.resolve(__dirname, '..', '..');
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  version: string;
  publisher: string;
  engines: { vscode: string };
  activationEvents: string[];
  categories: string[];
  icon: string;
  repository: { url: string };
  main: string;
  bin: Record<string, string>;
  devDependencies: Record<string, string>;
  contributes?: { commands?: { command: string }[] };
};
const BUNDLES = ['extension.js', 'adapter.js', 'server.js', 'cli.js'];
const PYTHON = process.env.LOOPSCOPE_TEST_PYTHON ?? 'python3';

function newestMtime(dir: string): number {
  if (!existsSync(dir)) return Infinity;
  return Math.max(...readdirSync(dir).map((f) => statSync(path.join(dir, f)).mtimeMs));
}

/** The vsix under test: `npm run package`'s output when it is newer than the bundles, else a
 * fresh one packaged into a temporary folder (so the test never checks a stale artifact). */
function locateVsix(scratch: string): string {
  const built = path.join(ROOT, `loopscope-${pkg.version}.vsix`);
  if (!existsSync(path.join(ROOT, 'dist', 'extension.js'))) {
    const build = spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(build.status, 0, `npm run build failed:\n${build.stderr}`);
  }
  const inputs = Math.max(newestMtime(path.join(ROOT, 'dist')), statSync(path.join(ROOT, 'package.json')).mtimeMs);
  if (existsSync(built) && statSync(built).mtimeMs >= inputs) return built;
  const out = path.join(scratch, `loopscope-${pkg.version}.vsix`);
  const vsce = path.join(ROOT, 'node_modules', '.bin', 'vsce');
  const run = spawnSync(vsce, ['package', '--no-dependencies', '-o', out], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(run.status, 0, `vsce package failed:\n${run.stdout}\n${run.stderr}`);
  return out;
}

/** Extracts every entry of the zip into `dest`, returning the entry names. */
async function unzip(file: string, dest: string): Promise<string[]> {
  const zip = await yauzl.openPromise(file, { lazyEntries: true });
  const names: string[] = [];
  try {
    for await (const entry of zip.eachEntry()) {
      names.push(entry.fileName);
      if (entry.fileName.endsWith('/')) continue;
      const target = path.join(dest, entry.fileName);
      mkdirSync(path.dirname(target), { recursive: true });
      await pipeline(await zip.openReadStreamPromise(entry), createWriteStream(target));
    }
  } finally {
    zip.close();
  }
  return names;
}

function listPy(dir: string, prefix: string): string[] {
  const out: string[] = [];
  for (const f of readdirSync(dir, { withFileTypes: true })) {
    if (f.isDirectory() && f.name !== '__pycache__') out.push(...listPy(path.join(dir, f.name), `${prefix}${f.name}/`));
    else if (f.isFile() && f.name.endsWith('.py')) out.push(`${prefix}${f.name}`);
  }
  return out;
}

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

/** Sends Content-Length framed JSON messages to a stdio server and resolves with the first
 * framed message back whose `pick` matches (LSP and DAP share this framing). */
function firstReply(script: string, args: string[], messages: object[], pick: (m: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let buf = Buffer.alloc(0);
    let stderr = '';
    const seen: string[] = [];
    // The child must never outlive the test, or mocha would wait for it forever.
    const timer = setTimeout(() => {
      child.removeAllListeners('exit');
      done(new Error(`${path.basename(script)} sent no matching message within 20 s; got ${JSON.stringify(seen).slice(0, 2000)}\n${stderr}`));
    }, 20_000);
    const done = (err: Error | null, value?: Record<string, unknown>) => {
      clearTimeout(timer);
      child.kill();
      if (err) reject(err);
      else resolve(value!);
    };
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (e) => done(e));
    child.on('exit', (code) => done(new Error(`${path.basename(script)} exited with ${code} before replying:\n${stderr}`)));
    child.stdout.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        const sep = buf.indexOf('\r\n\r\n');
        if (sep < 0) return;
        const len = Number(/Content-Length: *(\d+)/i.exec(buf.subarray(0, sep).toString())?.[1]);
        if (buf.length < sep + 4 + len) return;
        const body = JSON.parse(buf.subarray(sep + 4, sep + 4 + len).toString()) as Record<string, unknown>;
        buf = buf.subarray(sep + 4 + len);
        seen.push(String(body.method ?? body.command ?? body.id));
        if (pick(body)) {
          child.removeAllListeners('exit');
          done(null, body);
          return;
        }
      }
    });
    for (const message of messages) {
      const json = JSON.stringify(message);
      child.stdin.write(`Content-Length: ${Buffer.byteLength(json)}\r\n\r\n${json}`);
    }
  });
}

describe('packaged .vsix', function () {
  this.timeout(120_000);
  let scratch = '';
  let unpacked = '';
  let names: string[] = [];

  before(async () => {
    scratch = mkdtempSync(path.join(tmpdir(), 'loopscope-vsix-'));
    unpacked = path.join(scratch, 'unpacked');
    names = await unzip(locateVsix(scratch), unpacked);
  });
  after(() => {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('contains the four bundles, with the CLI runnable as a command', () => {
    for (const b of BUNDLES) assert.ok(names.includes(`extension/dist/${b}`), `dist/${b} missing from the vsix`);
    assert.match(readFileSync(path.join(unpacked, 'extension/dist/cli.js'), 'utf8'), /^#!\/usr\/bin\/env node/);
  });

  it('contains both tree-sitter wasm files, byte for byte', () => {
    const wasm = [
      ['tree-sitter.wasm', 'node_modules/web-tree-sitter/tree-sitter.wasm'],
      ['tree-sitter-python.wasm', 'node_modules/tree-sitter-python/tree-sitter-python.wasm'],
    ];
    for (const [name, source] of wasm) {
      assert.ok(names.includes(`extension/dist/${name}`), `${name} missing from the vsix`);
      assert.equal(sha(path.join(unpacked, 'extension/dist', name)), sha(path.join(ROOT, source)), `${name} differs from ${source}`);
    }
  });

  it('contains every runtime module and nothing compiled', () => {
    const expected = listPy(path.join(ROOT, 'runtime/loopscope'), 'extension/runtime/loopscope/').sort();
    assert.ok(expected.includes('extension/runtime/loopscope/__init__.py'));
    const packed = names.filter((n) => n.startsWith('extension/runtime/')).sort();
    assert.deepEqual(packed, expected);
  });

  it('contains no dependencies, sources, tests, examples or source maps', () => {
    const forbidden = names.filter(
      (n) =>
        /(^|\/)node_modules\//.test(n) ||
        /\.(ts|map|pyc|mjs)$/.test(n) ||
        /^extension\/(test|examples|bench|scripts|extension|server|docs|\.ci|\.git)\//.test(n) ||
        /^extension\/runtime\/tests\//.test(n) ||
        /__pycache__/.test(n),
    );
    assert.deepEqual(forbidden, []);
    const top = [...new Set(names.filter((n) => n.startsWith('extension/')).map((n) => n.split('/')[1]))].sort();
    assert.deepEqual(top, ['LICENSE.txt', 'changelog.md', 'dist', 'images', 'package.json', 'readme.md', 'runtime']);
  });

  it('ships README, CHANGELOG, LICENSE and the 128x128 icon', () => {
    assert.match(readFileSync(path.join(unpacked, 'extension/readme.md'), 'utf8'), /Loopscope/);
    assert.match(readFileSync(path.join(unpacked, 'extension/changelog.md'), 'utf8'), new RegExp(pkg.version.replace(/\./g, '\\.')));
    assert.match(readFileSync(path.join(unpacked, 'extension/LICENSE.txt'), 'utf8'), /MIT License/);
    const png = readFileSync(path.join(unpacked, 'extension', pkg.icon));
    assert.equal(png.subarray(1, 4).toString(), 'PNG');
    assert.deepEqual([png.readUInt32BE(16), png.readUInt32BE(20)], [128, 128]);
  });

  it('has a real extension manifest', () => {
    const manifest = readFileSync(path.join(unpacked, 'extension.vsixmanifest'), 'utf8');
    assert.match(manifest, new RegExp(`<Identity [^>]*Version="${pkg.version}"[^>]*Publisher="${pkg.publisher}"`));
    const packed = JSON.parse(readFileSync(path.join(unpacked, 'extension/package.json'), 'utf8')) as typeof pkg;
    // Must load in VS Code 1.100: the minimum engine may not be newer than 1.90.
    const engine = /^\^1\.(\d+)\.\d+$/.exec(packed.engines.vscode);
    assert.ok(engine && Number(engine[1]) <= 90, `engines.vscode is ${packed.engines.vscode}`);
    assert.equal(packed.devDependencies['@types/vscode'], packed.engines.vscode, '@types/vscode must match engines.vscode');
    for (const ev of ['onDebugResolve:loopscope', 'onLanguage:python']) assert.ok(packed.activationEvents.includes(ev), `missing activation event ${ev}`);
    const commands = (packed.contributes?.commands ?? []).map((c) => c.command);
    assert.ok(commands.includes('loopscope.debugCurrentFile'), 'no "Loopscope: Debug Current File" command');
    for (const c of commands) assert.ok(packed.activationEvents.includes(`onCommand:${c}`), `command ${c} does not activate the extension`);
    assert.ok(packed.categories.includes('Debuggers') && packed.categories.includes('Linters'));
    assert.match(packed.repository.url, /^https:\/\//);
    assert.ok(packed.publisher);
    assert.ok(names.includes(`extension/${packed.main.replace(/^\.\//, '')}`), 'main entry point missing');
    assert.ok(names.includes(`extension/${packed.bin.loopscope.replace(/^\.\//, '')}`), 'bin entry point missing');
  });

  it('keeps vscode out of the bundles that run outside the editor', () => {
    for (const b of ['adapter.js', 'server.js', 'cli.js']) {
      const code = readFileSync(path.join(unpacked, 'extension/dist', b), 'utf8');
      assert.doesNotMatch(code, /require\(["']vscode["']\)/, `${b} requires vscode, so it cannot run standalone`);
    }
  });

  it('imports the packaged Python runtime', () => {
    const run = spawnSync(PYTHON, ['-c', 'import loopscope, sys; print(loopscope.__file__)'], {
      encoding: 'utf8',
      env: { ...process.env, PYTHONPATH: path.join(unpacked, 'extension/runtime'), PYTHONDONTWRITEBYTECODE: '1' },
    });
    assert.equal(run.status, 0, run.stderr);
    assert.ok(run.stdout.trim().startsWith(path.join(unpacked, 'extension/runtime/loopscope')), run.stdout);
  });

  it('runs the packaged language server without node_modules: it parses with the shipped wasm', async () => {
    const uri = 'file:///tmp/loopscope-vsix-check/app.py';
    const text = 'import asyncio\n\nasync def save():\n    await asyncio.sleep(0)\n\nasync def main():\n    save()\n';
    const reply = await firstReply(
      path.join(unpacked, 'extension/dist/server.js'),
      ['--stdio'],
      [
        { jsonrpc: '2.0', id: 1, method: 'initialize', params: { processId: null, rootUri: null, capabilities: {} } },
        { jsonrpc: '2.0', method: 'initialized', params: {} },
        { jsonrpc: '2.0', method: 'textDocument/didOpen', params: { textDocument: { uri, languageId: 'python', version: 1, text } } },
      ],
      (m) => m.method === 'textDocument/publishDiagnostics' && (m.params as { diagnostics: unknown[] }).diagnostics.length > 0,
    );
    const [diag] = (reply.params as { diagnostics: { range: { start: { line: number } }; source: string }[] }).diagnostics;
    assert.equal(diag.source, 'loopscope');
    assert.equal(diag.range.start.line, 6, 'the forgotten await is on line 7');
  });

  it('starts the packaged debug adapter without node_modules', async () => {
    const reply = await firstReply(
      path.join(unpacked, 'extension/dist/adapter.js'),
      [],
      [{ seq: 1, type: 'request', command: 'initialize', arguments: { clientID: 'vscode', adapterID: 'loopscope', pathFormat: 'path', linesStartAt1: true, columnsStartAt1: true } }],
      (m) => m.type === 'response' && m.command === 'initialize',
    );
    assert.equal(reply.success, true, JSON.stringify(reply));
  });

  it('runs an example with the packaged CLI and its packaged runtime', () => {
    const plain = spawnSync(PYTHON, [examplePath('tasks_gather.py')], { encoding: 'utf8' });
    const run = spawnSync(process.execPath, [path.join(unpacked, 'extension/dist/cli.js'), 'run', '--python', PYTHON, examplePath('tasks_gather.py')], {
      encoding: 'utf8',
      cwd: scratch,
      timeout: 60_000,
    });
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout, plain.stdout);
  });
});
