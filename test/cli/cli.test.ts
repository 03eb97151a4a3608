// The `loopscope` CLI end to end: node dist/cli.js running real examples under the real runtime.
// Asserts the report's content (states, parents, creation lines, findings at the marked lines),
// pass-through of stdout/stdin, --fail-on, --timeout and that --trace writes valid trace-event JSON.

import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Report } from '../../extension/model/report';
import { bugLine, bugLines, examplePath, lineOf } from '../examples/gallery';
import { CLI_JS, ROOT, buildBundles } from '../dap/build';

const PYTHON = process.env.LOOPSCOPE_TEST_PYTHON ?? 'python3';
const tmp = mkdtempSync(path.join(os.tmpdir(), 'loopscope-cli-'));

interface Run { code: number | null; stdout: string; stderr: string }

function cli(args: string[], input?: string): Promise<Run> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [CLI_JS, ...args], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (b: Buffer) => { stdout += b.toString(); });
    p.stderr.on('data', (b: Buffer) => { stderr += b.toString(); });
    if (input !== undefined) p.stdin.end(input);
    else p.stdin.end();
    p.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function runWithReport(example: string, extra: string[] = []): Promise<{ run: Run; report: Report }> {
  const file = path.join(tmp, `${path.basename(example, '.py')}-${Math.random().toString(36).slice(2)}.json`);
  const run = await cli(['run', '--python', PYTHON, '--report', file, ...extra, '--', examplePath(example)]);
  let report: Report;
  try {
    report = JSON.parse(readFileSync(file, 'utf8')) as Report;
  } catch (err) {
    throw new Error(`no report (${(err as Error).message}); exit ${run.code}; stderr:\n${run.stderr}`);
  }
  return { run, report };
}

describe('loopscope CLI', function () {
  this.timeout(60000);
  before(() => buildBundles());

  it('--help and --version', async () => {
    const help = await cli(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Usage: loopscope run/);
    assert.match(help.stdout, /--fail-on/);
    const v = await cli(['--version']);
    assert.match(v.stdout, /^loopscope \d+\.\d+\.\d+/);
  });

  it('usage errors exit 2 and say what is wrong', async () => {
    const r = await cli(['run', '--fail-on', 'bogus', 'x.py']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown finding kind "bogus"/);
    const m = await cli(['run', '--python', PYTHON, path.join(tmp, 'missing.py')]);
    assert.equal(m.code, 2);
    assert.match(m.stderr, /does not exist/);
    const p = await cli(['run', '--python', '/nonexistent/py', examplePath('tasks_gather.py')]);
    assert.equal(p.code, 2);
    assert.match(p.stderr, /was not found.*--python/);
  });

  it('worker_pool.py: passes stdout through, reports states, parents and creation lines', async () => {
    const { run, report } = await runWithReport('worker_pool.py');
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /processed 12 jobs, total 156\nworkers cancelled: 3\n/);
    assert.equal(report.schema, 'loopscope-report/1');
    assert.equal(report.exitCode, 0);
    assert.match(report.python ?? '', /^3\.\d+\.\d+$/);
    assert.ok(report.ticks > 10);
    assert.equal(report.taskCount, report.tasks.length, 'every task is listed');
    // asyncio.run's own shutdown tasks are real tasks too; the program's are main + 3 workers + producer.
    assert.equal(report.tasks.filter((t) => !t.coro.startsWith('BaseEventLoop.')).length, 5);
    const main = report.tasks.find((t) => t.coro === 'main');
    assert.ok(main);
    assert.equal(main.state, 'done');
    const workers = report.tasks.filter((t) => t.coro === 'worker');
    assert.deepEqual(workers.map((w) => w.name).sort(), ['worker-1', 'worker-2', 'worker-3']);
    for (const w of workers) {
      assert.equal(w.state, 'cancelled');
      assert.equal(w.parentId, main.id);
      assert.equal(w.createdAt?.file, examplePath('worker_pool.py'));
      assert.equal(w.createdAt?.line, lineOf('worker_pool.py', 'asyncio.create_task(worker('));
      assert.ok(w.steps >= 2);
      // Cancelled while blocked in Queue.get (the program's docstring says so), even when that wait
      // began and ended between two batches.
      assert.equal(w.lastWaitingOn?.kind, 'queue.get', JSON.stringify(w.lastWaitingOn));
      assert.equal(w.lastWaitingOn?.site?.line, lineOf('worker_pool.py', 'await queue.get()'));
    }
    const producer = report.tasks.find((t) => t.name === 'producer');
    assert.equal(producer?.state, 'done');
    assert.equal(producer?.createdAt?.line, lineOf('worker_pool.py', 'name="producer"'));
    assert.match(run.stderr, /program exited with code 0/);
    assert.match(run.stderr, /worker-1\s+worker\(\)\s+cancelled/);
  });

  it('blocking_sleep.py: blocking-call finding at the marked line; --fail-on gates the exit code', async () => {
    const { run, report } = await runWithReport('blocking_sleep.py');
    assert.equal(run.code, 0, 'without --fail-on the program\'s exit code is kept');
    const f = report.findings.find((x) => x.kind === 'blocking-call');
    assert.ok(f, JSON.stringify(report.findings));
    assert.equal(f.location?.line, bugLine('blocking_sleep.py'));
    assert.ok((f.durationMs ?? 0) >= 250);
    assert.match(run.stderr, new RegExp(`blocking-call\\s+examples/blocking_sleep\\.py:${bugLine('blocking_sleep.py')}`));
    const gated = await runWithReport('blocking_sleep.py', ['--fail-on', 'blocking-call']);
    assert.equal(gated.run.code, 3);
    assert.match(gated.run.stderr, /--fail-on/);
    const other = await runWithReport('blocking_sleep.py', ['--fail-on', 'never-awaited']);
    assert.equal(other.run.code, 0);
    // A threshold above the 300 ms sleep: the same program has nothing to report.
    const lenient = await runWithReport('blocking_sleep.py', ['--blocking-threshold-ms', '1000', '--fail-on', 'blocking-call']);
    assert.equal(lenient.report.findings.filter((x) => x.kind === 'blocking-call').length, 0);
    assert.equal(lenient.run.code, 0);
  });

  it('forgotten_await.py: never-awaited finding at the marked line', async () => {
    const { report } = await runWithReport('forgotten_await.py', ['--fail-on', 'all']);
    const f = report.findings.find((x) => x.kind === 'never-awaited');
    assert.ok(f, JSON.stringify(report.findings));
    assert.equal(f.location?.line, bugLine('forgotten_await.py'));
    assert.equal(f.location?.file, examplePath('forgotten_await.py'));
  });

  it('unretrieved_exception.py: the failed task and an unretrieved-exception finding at its creation line', async () => {
    const { report } = await runWithReport('unretrieved_exception.py');
    const t = report.tasks.find((x) => x.name === 'sync-inventory');
    assert.ok(t);
    assert.equal(t.state, 'failed');
    assert.ok(t.exception && t.exception.type.length > 0);
    assert.equal(t.createdAt?.line, bugLine('unretrieved_exception.py'));
    const f = report.findings.find((x) => x.kind === 'unretrieved-exception');
    assert.ok(f, JSON.stringify(report.findings));
    assert.equal(f.location?.line, bugLine('unretrieved_exception.py'));
    assert.equal(f.location?.file, examplePath('unretrieved_exception.py'));
    // Where it failed stays visible in the message.
    assert.ok(f.message.endsWith(`raised at unretrieved_exception.py:${lineOf('unretrieved_exception.py', 'raise ConnectionError')}`), f.message);
    assert.equal(f.taskId, t.id);
  });

  it('uvloop: a blocking call and an unretrieved exception are reported, tasks have steps, --fail-on all fails, no tick control is said once', async function () {
    if (spawnSync(PYTHON, ['-c', 'import uvloop']).status !== 0) {
      console.log(`      (skipped: uvloop is not installed for ${PYTHON})`);
      this.skip();
    }
    const prog = path.join(ROOT, 'runtime', 'tests', 'programs', 'uvloop_bugs.py');
    const file = path.join(tmp, `uvloop-${Math.random().toString(36).slice(2)}.json`);
    const run = await cli(['run', '--python', PYTHON, '--report', file, '--fail-on', 'all', '--', prog]);
    const report = JSON.parse(readFileSync(file, 'utf8')) as Report;
    assert.equal(run.stdout, 'done uvloop\n');
    assert.notEqual(run.code, 0, '--fail-on all gates a uvloop run with findings');
    assert.equal(report.exitCode, 0);
    const kinds = report.findings.map((f) => f.kind).sort();
    assert.deepEqual(kinds, ['blocking-call', 'unretrieved-exception']);
    const blocking = report.findings.find((f) => f.kind === 'blocking-call');
    assert.equal(blocking?.location?.line, readFileSync(prog, 'utf8').split('\n').findIndex((l) => l.includes('# BLOCKING LINE')) + 1);
    assert.ok(report.tasks.some((t) => t.coro === 'run.<locals>.wrapper'), 'the main task is listed');
    for (const t of report.tasks.filter((x) => x.coro === 'worker')) assert.equal(t.steps, 4);
    assert.deepEqual(report.loops.map((l) => l.tickControl), [false]);
    assert.equal(report.limitations.length, 1);
    assert.equal(run.stderr.split('\n').filter((l) => l.includes('ticks are not counted')).length, 1);
  });

  it('--timeout stops a deadlocked program and still reports the pending tasks and what they wait on', async () => {
    // deadlock.py gives up by itself after 2 s; stop it before that.
    const { run, report } = await runWithReport('deadlock.py', ['--timeout', '1']);
    assert.equal(run.code, 124);
    assert.equal(report.timedOut, true);
    const pending = report.tasks.filter((t) => t.state === 'pending');
    const waits = pending.map((t) => `${t.name}:${t.waitingOn?.label}`);
    const lines = bugLines('deadlock.py');
    const eventWaiters = pending.filter((t) => t.waitingOn?.kind === 'event');
    assert.equal(eventWaiters.length, 2, waits.join(', '));
    assert.ok(lines.length === 2);
    assert.match(run.stderr, /stopped after the .* timeout/);
    assert.match(run.stderr, /pending \(waiting\)/);
  });

  it('--trace writes valid Chrome trace-event JSON: a track per task, step slices, tick markers', async () => {
    const traceFile = path.join(tmp, 'pool-trace.json');
    const { run, report } = await runWithReport('worker_pool.py', ['--trace', traceFile]);
    assert.equal(run.code, 0, run.stderr);
    const trace = JSON.parse(readFileSync(traceFile, 'utf8')) as { traceEvents: Record<string, unknown>[]; displayTimeUnit: string };
    assert.ok(Array.isArray(trace.traceEvents));
    const phases = new Set(['X', 'i', 'M', 's', 'f']);
    for (const e of trace.traceEvents) {
      assert.equal(typeof e.name, 'string');
      assert.ok(phases.has(e.ph as string), `bad ph ${String(e.ph)}`);
      assert.ok(typeof e.ts === 'number' && Number.isFinite(e.ts));
      assert.ok(Number.isInteger(e.pid) && Number.isInteger(e.tid));
      if (e.ph === 'X') assert.ok(typeof e.dur === 'number' && e.dur > 0);
    }
    const slices = trace.traceEvents.filter((e) => e.ph === 'X' && e.cat === 'task.step');
    const tracks = new Set(trace.traceEvents.filter((e) => e.ph === 'X').map((e) => e.tid));
    assert.equal(tracks.size, report.taskCount, 'one track per task');
    const stepsPerTask = new Map<unknown, number>();
    for (const e of slices) stepsPerTask.set(e.tid, (stepsPerTask.get(e.tid) ?? 0) + 1);
    for (const t of report.tasks) assert.equal(stepsPerTask.get(t.id) ?? 0, t.steps, `a slice per step of ${t.name}`);
    const named = trace.traceEvents.filter((e) => e.ph === 'M' && e.name === 'thread_name').map((e) => e.tid);
    for (const t of tracks) assert.ok(named.includes(t), `track ${String(t)} has no name`);
    assert.ok(trace.traceEvents.some((e) => e.ph === 'i' && String(e.name).startsWith('tick ')));
    const starts = trace.traceEvents.filter((e) => e.ph === 's').map((e) => e.id);
    const ends = trace.traceEvents.filter((e) => e.ph === 'f').map((e) => e.id);
    assert.deepEqual(starts, ends, 'every flow arrow has both ends');
    assert.ok(starts.length > 0, 'wake-up flows present (the producer wakes the workers through the queue)');
    // The report and the trace of one run agree on its tick count, and with nothing dropped
    // every tick has its marker.
    const meta = (trace as unknown as { otherData: { ticks: number; ticksRecorded: number; ticksMissing?: string } }).otherData;
    assert.equal(meta.ticks, report.ticks, 'trace and report tick counts');
    assert.equal(trace.traceEvents.filter((e) => e.ph === 'i' && e.cat === 'tick').length, meta.ticksRecorded);
    if (report.droppedEvents === 0) assert.equal(meta.ticksRecorded, report.ticks, meta.ticksMissing);
  });

  it('shows a live status line only when stderr is a terminal', async () => {
    const prog = path.join(tmp, 'slow.py');
    writeFileSync(prog, 'import asyncio\nasync def main():\n    await asyncio.gather(*(asyncio.sleep(0.8) for _ in range(3)))\n    print("slow done")\nasyncio.run(main())\n');
    // `script` gives the CLI a pseudo-terminal, as an interactive shell would.
    const r = await new Promise<Run>((resolve) => {
      const cmd = `${process.execPath} ${CLI_JS} run --python ${PYTHON} ${prog}`;
      const p = spawn('script', ['-qec', cmd, '/dev/null'], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      p.stdout.on('data', (b: Buffer) => { stdout += b.toString(); });
      p.stdin.end();
      p.on('close', (code) => resolve({ code, stdout, stderr: '' }));
    });
    assert.equal(r.code, 0, r.stdout);
    assert.match(r.stdout, /loopscope [\d.]+ m?s · tick \d+ · \d+ live \/ \d+ tasks/);
    assert.match(r.stdout, /slow done/);
    assert.match(r.stdout, /program exited with code 0/);
  });

  it('runs a module with -m', async () => {
    const pkg = path.join(tmp, 'modpkg');
    mkdirSync(pkg, { recursive: true });
    writeFileSync(path.join(pkg, '__init__.py'), '');
    writeFileSync(path.join(pkg, '__main__.py'), 'import asyncio, sys\nasync def main():\n    print("module", sys.argv[1:])\nasyncio.run(main())\n');
    const r = await new Promise<Run>((resolve) => {
      const p = spawn(process.execPath, [CLI_JS, 'run', '--python', PYTHON, '--no-summary', '-m', 'modpkg', 'a', 'b'], { cwd: tmp, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      p.stdout.on('data', (b: Buffer) => { stdout += b.toString(); });
      p.stderr.on('data', (b: Buffer) => { stderr += b.toString(); });
      p.on('close', (code) => resolve({ code, stdout, stderr }));
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "module ['a', 'b']\n");
  });

  it('passes stdin through to the program and keeps its exit code', async () => {
    const prog = path.join(tmp, 'echo.py');
    writeFileSync(prog, 'import asyncio, sys\nasync def main():\n    line = await asyncio.to_thread(sys.stdin.readline)\n    print("got:" + line.strip())\n    sys.exit(5)\nasyncio.run(main())\n');
    const r = await cli(['run', '--python', PYTHON, '--no-summary', prog], 'hello there\n');
    assert.equal(r.stdout, 'got:hello there\n');
    assert.equal(r.code, 5);
    assert.equal(r.stderr, '', 'no summary, no status line when stderr is not a TTY');
  });

  it('short tasks faster than they can be described: exact counts and final states, none left pending, and it says what was counted, not listed (even with --no-summary)', async () => {
    const file = path.join(tmp, 'churn.json');
    const trace = path.join(tmp, 'churn-trace.json');
    const prog = path.join(ROOT, 'runtime', 'tests', 'programs', 'churn.py');
    const r = await cli(['run', '--python', PYTHON, '--no-summary', '--report', file, '--trace', trace, '--', prog]);
    assert.equal(r.code, 0, r.stderr);
    const told = JSON.parse(r.stdout) as { result: number; exception: number; cancelled: number };
    const report = JSON.parse(readFileSync(file, 'utf8')) as Report;
    // asyncio.run's own shutdown tasks: listed, or counted with the short tasks when they end young too
    const shutdown = /^BaseEventLoop\.shutdown_/;
    const housekeeping = report.tasks.filter((t) => shutdown.test(t.coro)).length +
      report.unlisted.filter((g) => shutdown.test(g.coro)).reduce((n, g) => n + g.count, 0);
    assert.deepEqual(report.taskStates, { pending: 0, done: told.result + 1 + housekeeping, failed: told.exception, cancelled: told.cancelled });
    assert.equal(report.taskCount, told.result + told.exception + told.cancelled + 1 + housekeeping);
    assert.deepEqual(report.tasks.filter((t) => t.state === 'pending').map((t) => t.name), [], 'phantom pending tasks');
    // Only step-level detail (--trace's task.step and tick) may be shed under load, and then it is said.
    if (report.droppedEvents > 0) assert.ok(report.sampling.some((n) => /step-level events .* were dropped under load/.test(n)), report.sampling.join('\n'));
    assert.ok(report.unlistedTasks > 0, 'the runtime never fell behind: this run proves nothing');
    assert.equal(report.unlisted.reduce((n, g) => n + g.count, 0), report.unlistedTasks);
    assert.match(report.sampling.join('\n'), new RegExp(`^${report.unlistedTasks.toLocaleString('en-US')} short tasks were counted, not listed one by one`));
    assert.equal(r.stderr, `${report.sampling.map((s) => `loopscope: ${s}`).join('\n')}\n`, 'the one thing --no-summary still prints');
    const otherData = (JSON.parse(readFileSync(trace, 'utf8')) as { otherData: { sampling: string[] } }).otherData;
    assert.deepEqual(otherData.sampling, report.sampling);
  });
});
