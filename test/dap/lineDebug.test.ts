// Line debugging (issue 12) end to end: the real adapter (dist/adapter.js) driving the real runtime
// on every CPython 3.9+ under ~/.pyenv: breakpoints (conditional, hit count, logpoints, function),
// stops in the right task thread, await-aware stepping, pause anywhere, evaluate/setVariable,
// raised/uncaught exception stops and `await` in the Debug Console at a tick-boundary hold.

import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { SnapshotBody, UpdateEventBody } from '../../extension/protocol/customDap';
import { Session } from './helpers';

/** Every CPython 3.9+ the machine has (LOOPSCOPE_TEST_PYTHON alone when set). */
function interpreters(): string[] {
  if (process.env.LOOPSCOPE_TEST_PYTHON) return [process.env.LOOPSCOPE_TEST_PYTHON];
  const root = path.join(os.homedir(), '.pyenv', 'versions');
  const found = existsSync(root) ? readdirSync(root).filter((v) => /^3\.(9|1\d)\.\d+$/.test(v)) : [];
  const bins = found.sort((a, b) => a.localeCompare(b, undefined, { numeric: true })).map((v) => path.join(root, v, 'bin', 'python')).filter(existsSync);
  return bins.length > 0 ? bins : ['python3'];
}

const tmp = mkdtempSync(path.join(os.tmpdir(), 'loopscope-line-'));
function script(name: string, lines: string[]): string {
  const file = path.join(tmp, name);
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}
/** 1-based line of the first line containing `marker` (a `# NAME` comment). */
function lineOf(file: string, marker: string): number {
  const i = readFileSync(file, 'utf8').split('\n').findIndex((l) => l.includes(marker));
  if (i < 0) throw new Error(`no ${marker} in ${file}`);
  return i + 1;
}

const WORKERS = script('workers.py', [
  'import asyncio',
  '',
  'def helper(n):',
  '    total = n * 2  # HELPER',
  '    return total',
  '',
  'async def fetch(x):',
  '    await asyncio.sleep(0.001)',
  '    return x * 10',
  '',
  'async def worker(i):',
  '    acc = 0',
  '    for k in range(3):',
  '        value = await fetch(i + k)  # AWAIT',
  '        acc += value  # AFTER',
  '        helper(k)',
  '    print(f"worker {i} done {acc}")  # LOG',
  '    return acc',
  '',
  'async def main():',
  '    results = await asyncio.gather(*(worker(i) for i in range(4)))',
  '    print("results", results)',
  '',
  'asyncio.run(main())',
]);

const SPIN = script('spin.py', [
  'import asyncio, sys',
  '',
  'async def spin():',
  '    n = 0',
  '    while n >= 0:',
  '        n += 1  # SPIN',
  '        if n == 1000:',
  '            print("spinning", flush=True)',
  '',
  'async def main():',
  '    await asyncio.create_task(spin(), name="spinner")',
  '',
  'asyncio.run(main())',
]);

const NESTED = script('nested.py', [
  'import asyncio',
  '',
  'async def inner(x):',
  '    y = x + 1  # INNER',
  '    await asyncio.sleep(0)',
  '    return y * 2',
  '',
  'async def outer():',
  '    r = await inner(5)  # CALL',
  '    print("r", r)  # PRINT',
  '',
  'asyncio.run(outer())',
]);

const RAISES = script('raises.py', [
  'import asyncio',
  '',
  'async def boom():',
  '    try:',
  '        raise KeyError("handled")  # RAISE1',
  '    except KeyError:',
  '        pass',
  '    raise ValueError("bad value")  # RAISE2',
  '',
  'async def main():',
  '    await asyncio.create_task(boom())',
  '',
  'asyncio.run(main())',
]);

const IDLE = script('idle.py', [
  'import asyncio',
  '',
  'async def main():',
  '    stop = asyncio.Event()',
  '    await stop.wait()  # WAIT',
  '',
  'asyncio.run(main())',
]);

interface Bp { line: number; condition?: string; hitCondition?: string; logMessage?: string }

/** initialize → breakpoints → configurationDone + launch, the order VS Code uses. */
async function launchWith(s: Session, python: string, program: string, bps: Bp[], opts: { filters?: string[]; functions?: string[] } = {}): Promise<DebugProtocol.Breakpoint[]> {
  await s.dc.initializeRequest({ adapterID: 'loopscope', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path' });
  const set = await s.dc.setBreakpointsRequest({ source: { path: program }, breakpoints: bps });
  if (opts.functions) await s.dc.setFunctionBreakpointsRequest({ breakpoints: opts.functions.map((name) => ({ name })) });
  await s.dc.setExceptionBreakpointsRequest({ filters: opts.filters ?? [] });
  await Promise.all([s.dc.configurationDoneRequest(), s.dc.launchRequest({ python, program } as DebugProtocol.LaunchRequestArguments)]);
  return set.body.breakpoints;
}

async function topFrame(s: Session, threadId: number): Promise<DebugProtocol.StackFrame> {
  const frames = (await s.dc.stackTraceRequest({ threadId })).body.stackFrames;
  assert.ok(frames.length > 0, `no frames for thread ${threadId}`);
  return frames[0];
}

async function locals(s: Session, frameId: number): Promise<Map<string, string>> {
  const scope = (await s.dc.scopesRequest({ frameId })).body.scopes.find((x) => x.name === 'Locals');
  assert.ok(scope, 'a Locals scope');
  const vars = (await s.dc.variablesRequest({ variablesReference: scope.variablesReference })).body.variables;
  return new Map(vars.map((v) => [v.name, v.value]));
}

const taskThreadName = async (s: Session, threadId: number): Promise<string> =>
  (await s.dc.threadsRequest()).body.threads.find((t) => t.id === threadId)?.name ?? '';

const exitCode = async (s: Session): Promise<number> => ((await s.next('exited')).body as DebugProtocol.ExitedEvent['body']).exitCode;

function plainRun(python: string, program: string): { stdout: string; code: number | null } {
  const r = spawnSync(python, [program], { encoding: 'utf8' });
  return { stdout: r.stdout, code: r.status };
}

for (const python of interpreters()) {
  const version = path.basename(path.dirname(path.dirname(python))) || python;

  describe(`line debugging (DAP) on ${version}`, function () {
    this.timeout(60000);
    let s: Session;
    afterEach(async () => { await s?.close(); });

    it('a conditional breakpoint inside one of four concurrent tasks stops in that task\'s thread, with its locals', async () => {
      s = await Session.start();
      const line = lineOf(WORKERS, '# AFTER');
      const [bp] = await launchWith(s, python, WORKERS, [{ line, condition: 'i == 2' }]);
      const st = await s.stopped();
      assert.equal(st.body.reason, 'breakpoint');
      assert.deepEqual(st.body.hitBreakpointIds, [bp.id]);
      const thread = st.body.threadId as number;
      assert.ok(thread > 0 && thread < 1_000_000_000, `a task thread, not ${thread}`);
      assert.match(await taskThreadName(s, thread), /worker\(\)/);
      const top = await topFrame(s, thread);
      assert.equal(top.name, 'worker()');
      assert.equal(top.line, line);
      assert.equal(top.source?.path, WORKERS);
      // Below the task's own frames: who awaits it (main() in gather), not asyncio.run's <module> line.
      const names = (await s.dc.stackTraceRequest({ threadId: thread })).body.stackFrames.map((f) => f.name);
      assert.ok(!names.includes('<module>'), names.join(' | '));
      assert.ok(names.some((n) => /^⤷ awaited by Task-1 · main\(\)$/.test(n)), names.join(' | '));
      assert.equal(names[names.length - 1], 'main()');
      const vars = await locals(s, top.id);
      assert.equal(vars.get('i'), '2');
      assert.equal(vars.get('value'), '20');
      assert.equal(s.stoppedEvents().length, 1, 'one stopped event per stop');
      // i == 2 holds on each of that worker's three iterations, always in the same task.
      for (let k = 1; k < 3; k++) {
        await s.dc.continueRequest({ threadId: thread });
        assert.equal((await s.stopped()).body.threadId, thread);
      }
      await s.dc.continueRequest({ threadId: thread });
      assert.equal(await exitCode(s), 0);
    });

    it('Step Over an await stays in the same task thread and lands on the next line, with the awaited result', async () => {
      s = await Session.start();
      await launchWith(s, python, WORKERS, [{ line: lineOf(WORKERS, '# AWAIT'), condition: 'i == 1 and k == 0' }]);
      const st = await s.stopped();
      const thread = st.body.threadId as number;
      await s.dc.nextRequest({ threadId: thread });
      const step = await s.stopped();
      assert.equal(step.body.reason, 'step');
      assert.equal(step.body.threadId, thread, 'the step follows the task, not whichever task ran next');
      const top = await topFrame(s, thread);
      assert.equal(top.line, lineOf(WORKERS, '# AFTER'));
      const vars = await locals(s, top.id);
      assert.equal(vars.get('value'), '10', 'fetch(1) returned 10');
      assert.equal(vars.get('i'), '1');
      await s.dc.continueRequest({ threadId: thread });
      assert.equal(await exitCode(s), 0);
    });

    it('a hit-count breakpoint in a sync helper called by tasks stops on the Nth call only', async () => {
      s = await Session.start();
      await launchWith(s, python, WORKERS, [{ line: lineOf(WORKERS, '# HELPER'), hitCondition: '5' }]);
      const st = await s.stopped();
      assert.equal(st.body.reason, 'breakpoint');
      const thread = st.body.threadId as number;
      assert.ok(thread < 1_000_000_000, 'the helper runs inside a task step: the task is the thread');
      const frames = (await s.dc.stackTraceRequest({ threadId: thread })).body.stackFrames;
      assert.equal(frames[0].name, 'helper');
      assert.equal(frames[1].name, 'worker()');
      const n = await s.dc.evaluateRequest({ expression: 'n', frameId: frames[0].id, context: 'watch' });
      assert.match(n.body.result, /^[012]$/);
      await s.dc.continueRequest({ threadId: thread });
      assert.equal(await exitCode(s), 0);
      assert.equal(s.stoppedEvents().length, 1, 'hit condition 5 matches once');
    });

    it('logpoints print to the Debug Console without stopping; output and exit code are unchanged', async () => {
      s = await Session.start();
      const line = lineOf(WORKERS, '# LOG');
      await launchWith(s, python, WORKERS, [{ line, logMessage: 'worker {i} acc={acc} {nope}' }]);
      assert.equal(await exitCode(s), 0);
      await s.next('terminated');
      assert.equal(s.stoppedEvents().length, 0);
      const logs = s.events.filter((e) => e.event === 'output').map((e) => e.body as DebugProtocol.OutputEvent['body'])
        .filter((b) => b.category === 'console' && /^worker \d acc=/.test(b.output));
      assert.equal(logs.length, 4, s.output());
      assert.match(logs[0].output, /acc=\d+ <error: NameError/);
      assert.equal(logs[0].line, line);
      assert.equal(logs[0].source?.path, WORKERS);
      const plain = plainRun(python, WORKERS);
      assert.equal(s.output('stdout'), plain.stdout);
      assert.equal(plain.code, 0);
    });

    it('Pause during a CPU-bound step stops on the spinning line, and evaluate works there', async () => {
      s = await Session.start();
      await launchWith(s, python, SPIN, []);
      await s.next('output', (e) => /spinning/.test((e.body as DebugProtocol.OutputEvent['body']).output));
      const loop = (await s.dc.threadsRequest()).body.threads.find((t) => t.name.startsWith('event loop'));
      await s.dc.pauseRequest({ threadId: loop?.id ?? 0 });
      const st = await s.stopped();
      assert.equal(st.body.reason, 'pause');
      const thread = st.body.threadId as number;
      assert.match(await taskThreadName(s, thread), /spinner/);
      const top = await topFrame(s, thread);
      assert.equal(top.name, 'spin()');
      // Any line of the loop is "the spinning line" (the print may still be returning when Pause lands).
      assert.ok(top.line >= lineOf(SPIN, 'while n') && top.line <= lineOf(SPIN, 'print("spinning"'), `line ${top.line}`);
      const ev = await s.dc.evaluateRequest({ expression: 'n > 0', frameId: top.id, context: 'repl' });
      assert.equal(ev.body.result, 'True');
      const awaitHere = await s.dc.evaluateRequest({ expression: 'await asyncio.sleep(0)', frameId: top.id, context: 'repl' }).catch((e: Error) => e);
      assert.ok(awaitHere instanceof Error && /Step Tick/.test(awaitHere.message), JSON.stringify(awaitHere));
    });

    it('Step Into enters the awaited coroutine and Step Out returns to the awaiting line, in the same task', async () => {
      s = await Session.start();
      await launchWith(s, python, NESTED, [{ line: lineOf(NESTED, '# CALL') }]);
      const st = await s.stopped();
      const thread = st.body.threadId as number;
      await s.dc.stepInRequest({ threadId: thread });
      const into = await s.stopped();
      assert.equal(into.body.threadId, thread);
      const inner = await topFrame(s, thread);
      assert.equal(inner.name, 'inner()');
      assert.equal(inner.line, lineOf(NESTED, '# INNER'));
      await s.dc.stepOutRequest({ threadId: thread });
      const out = await s.stopped();
      assert.equal(out.body.threadId, thread);
      const back = await topFrame(s, thread);
      assert.equal(back.name, 'outer()');
      assert.ok([lineOf(NESTED, '# CALL'), lineOf(NESTED, '# PRINT')].includes(back.line), `line ${back.line}`);
      await s.dc.continueRequest({ threadId: thread });
      assert.equal(await exitCode(s), 0);
    });

    it('a function breakpoint stops in the named function, in its task', async () => {
      s = await Session.start();
      await launchWith(s, python, NESTED, [], { functions: ['inner'] });
      const st = await s.stopped();
      assert.equal(st.body.reason, 'function breakpoint');
      const thread = st.body.threadId as number;
      assert.ok(thread < 1_000_000_000, 'inner() runs in the task of asyncio.run');
      assert.equal((await topFrame(s, thread)).name, 'inner()');
      await s.dc.continueRequest({ threadId: thread });
      assert.equal(await exitCode(s), 0);
    });

    it('setVariable changes a local of the stopped frame, and the program sees it', async () => {
      s = await Session.start();
      await launchWith(s, python, NESTED, [{ line: lineOf(NESTED, '# INNER') }]);
      const st = await s.stopped();
      const thread = st.body.threadId as number;
      const top = await topFrame(s, thread);
      const scope = (await s.dc.scopesRequest({ frameId: top.id })).body.scopes.find((x) => x.name === 'Locals');
      assert.ok(scope);
      const set = await s.dc.setVariableRequest({ variablesReference: scope.variablesReference, name: 'x', value: '4 * 5' });
      assert.equal(set.body.value, '20');
      assert.equal((await locals(s, top.id)).get('x'), '20');
      await s.dc.continueRequest({ threadId: thread });
      assert.equal(await exitCode(s), 0);
      assert.match(s.output('stdout'), /^r 42$/m, 'inner(20) ran: (20 + 1) * 2');
    });

    it('raised and uncaught exception breakpoints stop where Python raises', async () => {
      s = await Session.start();
      await launchWith(s, python, RAISES, [], { filters: ['raised'] });
      const st = await s.stopped();
      assert.equal(st.body.reason, 'exception');
      const top = await topFrame(s, st.body.threadId as number);
      assert.equal(top.line, lineOf(RAISES, '# RAISE1'));
      const info = await s.dc.exceptionInfoRequest({ threadId: st.body.threadId as number });
      assert.equal(info.body.exceptionId, 'KeyError');
      await s.close();

      s = await Session.start();
      await launchWith(s, python, RAISES, [], { filters: ['uncaught'] });
      const un = await s.stopped();
      assert.equal(un.body.reason, 'exception');
      assert.equal((await topFrame(s, un.body.threadId as number)).line, lineOf(RAISES, '# RAISE2'));
      assert.equal((await s.dc.exceptionInfoRequest({ threadId: un.body.threadId as number })).body.exceptionId, 'ValueError');
      for (;;) {
        await s.dc.continueRequest({ threadId: un.body.threadId as number });
        const next = await Promise.race([s.next('exited'), s.stopped()]);
        if (next.event === 'exited') {
          assert.equal((next.body as DebugProtocol.ExitedEvent['body']).exitCode, 1, 'the program still fails as without the debugger');
          break;
        }
      }
    });

    it('breakpoints can be set while the program runs; one on a line without code moves and says so', async () => {
      s = await Session.start();
      await launchWith(s, python, IDLE, []);
      await s.next('loopscope/update', (e) => (e.body as UpdateEventBody).tasks.some((t) => t.coro === 'main' && t.state === 'waiting'));
      const blank = lineOf(IDLE, 'async def main') - 1; // the empty line above main()
      const set = await s.dc.setBreakpointsRequest({ source: { path: IDLE }, breakpoints: [{ line: blank }] });
      const [bp] = set.body.breakpoints;
      assert.equal(bp.verified, true, JSON.stringify(bp));
      assert.equal(bp.line, lineOf(IDLE, 'async def main'));
      assert.match(bp.message ?? '', /moved from line \d+/);
      const bad = await s.dc.setBreakpointsRequest({ source: { path: IDLE }, breakpoints: [{ line: 9999 }] });
      assert.equal(bad.body.breakpoints[0].verified, false);
      assert.ok(bad.body.breakpoints[0].message, 'an unverified breakpoint says why');
    });

    it('F10 from a tick-boundary hold stops on the next line the task runs; Step Tick from a line stop holds at the tick boundary', async () => {
      s = await Session.start();
      await launchWith(s, python, WORKERS, [{ line: lineOf(WORKERS, '# AWAIT'), condition: 'i == 0 and k == 0' }]);
      const st = await s.stopped();
      assert.equal(st.body.reason, 'breakpoint');
      await s.custom('loopscope/stepTick', { threadId: st.body.threadId });
      const tick = await s.stopped();
      assert.match(tick.body.description ?? '', /tick \d+/, 'a scheduler stop at the tick boundary');
      const frames = (await s.dc.stackTraceRequest({ threadId: st.body.threadId as number })).body.stackFrames;
      assert.ok(frames.some((f) => f.name === 'worker()'), 'the task is suspended in worker() now');
      await s.dc.setBreakpointsRequest({ source: { path: WORKERS }, breakpoints: [] });
      await s.dc.nextRequest({ threadId: st.body.threadId as number });
      const line = await s.stopped();
      assert.equal(line.body.reason, 'step');
      assert.equal(line.body.threadId, st.body.threadId, 'the line step follows the task that was selected');
      const top = await topFrame(s, line.body.threadId as number);
      assert.equal(top.source?.path, WORKERS);
      await s.dc.continueRequest({ threadId: line.body.threadId as number });
      assert.equal(await exitCode(s), 0);
    });

    it('F6 (Pause) on an idle loop holds it at the tick boundary, where `await` in the Debug Console works', async () => {
      s = await Session.start();
      await launchWith(s, python, IDLE, []);
      await s.next('loopscope/update', (e) => (e.body as UpdateEventBody).tasks.some((t) => t.coro === 'main' && t.state === 'waiting'));
      await s.dc.pauseRequest({ threadId: 0 });
      const st = await s.stopped();
      assert.equal(st.body.reason, 'pause');
      assert.equal((await s.custom<SnapshotBody>('loopscope/snapshot')).status.paused, true, 'held at the tick boundary');
      const main = (await s.dc.threadsRequest()).body.threads.find((t) => /main\(\)/.test(t.name));
      assert.ok(main);
      const frame = (await s.dc.stackTraceRequest({ threadId: main.id })).body.stackFrames.find((f) => f.name === 'main()');
      assert.ok(frame);
      const ev = await s.dc.evaluateRequest({ expression: 'await asyncio.sleep(0, result=7)', frameId: frame.id, context: 'repl' });
      assert.match(ev.body.result, /^7 /);
    });

    it('`await` in the Debug Console at a tick-boundary hold runs on the held loop and says how many ticks', async () => {
      s = await Session.start();
      await launchWith(s, python, IDLE, []);
      // Idle means main() is suspended on the Event, not still inside its first step.
      await s.next('loopscope/update', (e) => (e.body as UpdateEventBody).tasks.some((t) => t.coro === 'main' && t.state === 'waiting'));
      await s.custom('loopscope/pauseLoop'); // Pause Loop: hold at the tick boundary
      const st = await s.stopped();
      assert.equal(st.body.reason, 'pause');
      const main = (await s.dc.threadsRequest()).body.threads.find((t) => /main\(\)/.test(t.name));
      assert.ok(main, 'the main task thread');
      const frame = (await s.dc.stackTraceRequest({ threadId: main.id })).body.stackFrames.find((f) => f.name === 'main()');
      assert.ok(frame);
      const ev = await s.dc.evaluateRequest({ expression: 'await asyncio.sleep(0.01, result=41 + 1)', frameId: frame.id, context: 'repl' });
      assert.match(ev.body.result, /^42 .*\d+ ticks?\)$/);
    });
  });
}
