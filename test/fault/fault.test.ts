// Fault suite for the adapter and the CLI: every bad launch value is refused with one message
// naming it and its source before anything runs; unknown requests get a proper answer; killing the
// adapter (while paused, during a step) or the CLI leaves the program running to its own end.
// The runtime side (listener abuse, a debugger killed at every phase) is in runtime/tests/test_abuse*.py.

import { strict as assert } from 'node:assert';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CLI_JS, ROOT, buildBundles } from '../dap/build';
import { PYTHON, Session } from '../dap/helpers';

const TARGET = path.join(ROOT, 'runtime', 'tests', 'programs', 'observed_target.py');

/** Resolves when `file` holds `text`, polling the file system (the program is not our child). */
async function fileSays(file: string, text: string, timeoutMs = 20_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (existsSync(file) && readFileSync(file, 'utf8') === text) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

function adapterProcess(s: Session): ChildProcess {
  return (s.dc as unknown as { _adapterProcess: ChildProcess })._adapterProcess;
}

describe('fault: bad launch values are refused at the edge', function () {
  this.timeout(60_000);
  let tmp: string;
  before(async () => { await buildBundles(); tmp = mkdtempSync(path.join(os.tmpdir(), 'loopscope-fault-')); });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  const bad: [string, Record<string, unknown>, RegExp][] = [
    ['args as a string', { args: '--name my file' }, /"args" in launch\.json must be an array of strings.*\["--name","my","file"\]/],
    ['env as a string', { env: 'X=1' }, /"env" in launch\.json must be an object/],
    ['env with a number value', { env: { X: 1 } }, /"env" in launch\.json: the value of X must be a string/],
    ['cwd as a number', { cwd: 5 }, /"cwd" in launch\.json must be a string/],
    ['empty python', { python: '' }, /"python" in launch\.json must be the path of a Python/],
    ['negative threshold', { blockingThresholdMs: -1 }, /"blockingThresholdMs" in launch\.json must be a positive number/],
    ['stopOnEntry as a string', { stopOnEntry: 'yes' }, /"stopOnEntry" in launch\.json must be true or false/],
    ['unknown console', { console: 'externalTerminal' }, /"console" in launch\.json must be "internalConsole" or "integratedTerminal"/],
  ];
  for (const [name, values, message] of bad) {
    it(`refuses ${name} and runs nothing`, async () => {
      const side = path.join(tmp, name.replace(/\W+/g, '-'));
      const s = await Session.start();
      try {
        await assert.rejects(s.launch({ program: TARGET, args: [side], ...values }), message);
        assert.equal(existsSync(side), false, 'the program ran');
      } finally {
        await s.close();
      }
    });
  }

  it('refuses an attach port out of range', async () => {
    const s = await Session.start();
    try {
      await s.dc.initializeRequest({ adapterID: 'loopscope', pathFormat: 'path' });
      await Promise.all([s.dc.configurationDoneRequest(), assert.rejects(
        s.dc.attachRequest({ port: 99999, token: 'x' } as never), /"port" in launch\.json must be .* 1 to 65535; got number 99999/)]);
    } finally {
      await s.close();
    }
  });

  it('answers an unknown request as unsupported, not "not started"', async () => {
    const s = await Session.start();
    try {
      await s.dc.initializeRequest({ adapterID: 'loopscope', pathFormat: 'path' });
      await assert.rejects(s.dc.customRequest('frobnicate', {}), /does not support the request 'frobnicate'/);
    } finally {
      await s.close();
    }
  });
});

describe('fault: the program outlives a killed adapter', function () {
  this.timeout(60_000);
  let tmp: string;
  before(async () => { await buildBundles(); tmp = mkdtempSync(path.join(os.tmpdir(), 'loopscope-fault-')); });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  for (const phase of ['paused', 'step'] as const) {
    it(`kills the adapter ${phase === 'paused' ? 'while paused' : 'during a step'}; the program reaches its end`, async () => {
      const side = path.join(tmp, `killed-${phase}`);
      const s = await Session.start();
      await s.launch({ program: TARGET, args: [side], stopOnEntry: true });
      await s.stopped((e) => e.body.reason === 'entry');
      if (phase === 'step') void s.custom('loopscope/stepTick').catch(() => undefined);
      adapterProcess(s).kill('SIGKILL');
      assert.ok(await fileSays(side, 'finished'), 'the program did not reach its end after the adapter died');
      // No dc.stop(): it waits for an answer from the adapter we killed.
    });
  }
});

describe('fault: the CLI', function () {
  this.timeout(60_000);
  let tmp: string;
  before(async () => { await buildBundles(); tmp = mkdtempSync(path.join(os.tmpdir(), 'loopscope-fault-')); });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('refuses an unwritable --report before running the program', () => {
    const side = path.join(tmp, 'report-side');
    const r = spawnSync(process.execPath, [CLI_JS, 'run', '--python', PYTHON, '--report', '/nonexistent-dir/r.json', TARGET, side], { encoding: 'utf8' });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /--report \/nonexistent-dir\/r\.json: the folder \/nonexistent-dir does not exist/);
    assert.equal(existsSync(side), false, 'the program ran');
  });

  it('a killed CLI leaves the program to finish with its own output', async () => {
    const side = path.join(tmp, 'cli-side');
    const cli = spawn(process.execPath, [CLI_JS, 'run', '--python', PYTHON, '--no-summary', TARGET, side], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    cli.stdout.on('data', (b: Buffer) => { out += b.toString(); });
    await new Promise<void>((resolve) => cli.stdout.on('data', () => { if (out.includes('line 3')) resolve(); }));
    cli.kill('SIGKILL');
    assert.ok(await fileSays(side, 'finished'), 'the program did not reach its end after the CLI died');
    // Its stdout is inherited from the CLI, so the rest of its output still arrives here.
    await new Promise<void>((resolve) => { if (out.includes('bye')) resolve(); else cli.stdout.on('end', () => resolve()); });
    assert.match(out, /line 79\nx{200000}\nbye\n$/);
  });

  it('python -m loopscope --listen 127.0.0.1:99999 is a clean usage error', () => {
    const r = spawnSync(PYTHON, ['-m', 'loopscope', '--listen', '127.0.0.1:99999', TARGET, path.join(tmp, 'x')], {
      encoding: 'utf8', env: { ...process.env, PYTHONPATH: path.join(ROOT, 'runtime') },
    });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--listen 127\.0\.0\.1:99999: port 99999 is out of range/);
    assert.doesNotMatch(r.stderr, /Traceback/);
  });
});
