// The debug adapter end to end: node dist/adapter.js driven by DebugClient against real Python
// programs from examples/ under the real runtime. Launch/stop on entry, tick and callback
// stepping, threads/stacks/variables, custom requests, exit codes, attach, exception filters,
// process-tree termination and every bad-configuration error.

import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { SnapshotBody, UpdateEventBody } from '../../extension/protocol/customDap';
import { bugLine, bugLines, examplePath, lineOf } from '../examples/gallery';
import { ROOT } from './build';
import { isAlive } from '../../extension/core/launcher';
import { PYTHON, Session } from './helpers';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'loopscope-dap-'));
function script(name: string, text: string): string {
  const file = path.join(tmp, name);
  writeFileSync(file, text);
  return file;
}
const tickOf = (e: DebugProtocol.StoppedEvent): number => Number(/tick (\d+)/.exec(e.body.description ?? '')?.[1] ?? NaN);
const alive = isAlive;

describe('debug adapter (DAP)', function () {
  this.timeout(60000);
  let s: Session;
  afterEach(async () => { await s?.close(); });

  describe('launch and scheduler stepping', () => {
    it('stops on entry, steps ticks (the tick advances), and shows tasks as threads with await-chain stacks and locals', async () => {
      s = await Session.start();
      const program = examplePath('worker_pool.py');
      await s.launch({ program, stopOnEntry: true });
      const entry = await s.stopped();
      assert.equal(entry.body.reason, 'entry');
      const threads0 = (await s.dc.threadsRequest()).body.threads;
      assert.ok(threads0.some((t) => /^event loop \d+ · MainThread/.test(t.name)), `no loop thread in ${JSON.stringify(threads0)}`);

      // `next` runs exactly one tick: each stop names a tick one higher than the last.
      let last = -1;
      let workerThread: DebugProtocol.Thread | undefined;
      // worker-1 waits on Queue.get at a tick boundary only once the queue has run dry (its first
      // get is satisfied within the tick that put the job); with stepping as fast as it now is, the
      // program's timers need a few hundred ticks to get there.
      for (let i = 0; i < 2000 && !workerThread; i++) {
        await s.custom('loopscope/stepTick', { threadId: entry.body.threadId as number });
        const st = await s.stopped();
        assert.equal(st.body.reason, 'step');
        assert.match(st.body.description ?? '', /^tick \d+/);
        const tick = tickOf(st);
        if (last >= 0) assert.equal(tick, last + 1, `next went from tick ${last} to ${tick}`);
        last = tick;
        const threads = (await s.dc.threadsRequest()).body.threads;
        workerThread = threads.find((t) => /^worker-1 · worker\(\) · waiting on Queue\.get/.test(t.name));
      }
      assert.ok(workerThread, `worker-1 never showed up waiting on Queue.get (last tick ${last})`);

      const stack = (await s.dc.stackTraceRequest({ threadId: workerThread.id })).body.stackFrames;
      const code = stack.filter((f) => f.source?.path);
      assert.ok(code.length >= 1, JSON.stringify(stack));
      assert.equal(code[0].name, 'worker()');
      assert.equal(code[0].source?.path, program);
      assert.equal(code[0].line, lineOf('worker_pool.py', 'job = await queue.get()'));
      assert.ok(!code.some((f) => f.source?.path?.includes(`${path.sep}asyncio${path.sep}`)), 'justMyCode hides asyncio frames');

      const scopes = (await s.dc.scopesRequest({ frameId: code[0].id })).body.scopes;
      const locals = scopes.find((x) => x.name === 'Locals');
      assert.ok(locals);
      const vars = (await s.dc.variablesRequest({ variablesReference: locals.variablesReference })).body.variables;
      const nameVar = vars.find((v) => v.name === 'name');
      assert.ok(nameVar && /worker-1/.test(nameVar.value), JSON.stringify(vars));
      const done = vars.find((v) => v.name === 'done');
      assert.ok(done && done.variablesReference > 0, 'containers are expandable');
      await s.dc.variablesRequest({ variablesReference: done.variablesReference });

      const ev = await s.dc.evaluateRequest({ expression: 'name', frameId: code[0].id, context: 'hover' });
      assert.match(ev.body.result, /worker-1/);

      const taskScope = scopes.find((x) => x.name === 'Task');
      assert.ok(taskScope);
      const tv = (await s.dc.variablesRequest({ variablesReference: taskScope.variablesReference })).body.variables;
      assert.equal(tv.find((v) => v.name === 'waiting on')?.value, 'Queue.get');

      // continue runs to the end with the real exit code and the program's output.
      await s.dc.continueRequest({ threadId: workerThread.id });
      const exited = await s.next('exited');
      assert.equal((exited.body as DebugProtocol.ExitedEvent['body']).exitCode, 0);
      await s.next('terminated');
      assert.match(s.output('stdout'), /processed 12 jobs, total 156/);
    });

    it('a tick stop that focuses a task clears the loop thread\'s old reason and names what the tick did', async () => {
      s = await Session.start();
      await s.launch({ program: examplePath('worker_pool.py'), stopOnEntry: true });
      const entry = await s.stopped();
      assert.equal(entry.body.reason, 'entry');
      assert.equal(entry.body.allThreadsStopped, true);
      const loopThread = entry.body.threadId as number;
      assert.ok(loopThread >= 1_000_000_000, 'entry stops on the loop thread');
      let onTask: DebugProtocol.StoppedEvent | undefined;
      for (let i = 0; i < 20 && !onTask; i++) {
        const before = s.events.length;
        await s.custom('loopscope/stepTick', { threadId: loopThread });
        const st = await s.stopped();
        // VS Code keeps the old reason of every thread a stop is not about ("Paused on entry" forever on the
        // loop thread): the step's `continued` event, sent before it runs, clears them all.
        const since = s.events.slice(before);
        const cont = since.findIndex((e) => e.event === 'continued');
        assert.ok(cont >= 0 && cont < since.indexOf(st), 'a continued event precedes the stop');
        assert.equal((since[cont].body as DebugProtocol.ContinuedEvent['body']).allThreadsContinued, true);
        if ((st.body.threadId as number) < 1_000_000_000) onTask = st;
      }
      assert.ok(onTask, 'no tick stop focused a task thread');
      assert.equal(onTask.body.allThreadsStopped, true);
      assert.match(onTask.body.description ?? '', /^tick \d+: ran /);
      const loop = (await s.dc.threadsRequest()).body.threads.find((t) => t.id === loopThread);
      assert.ok(loop?.name.endsWith(` · paused · ${onTask.body.description ?? ''}`), loop?.name);
    });

    it('loopscope/focusTask (a Timeline click) selects a stopped task\'s thread, and only while stopped', async () => {
      s = await Session.start();
      await s.launch({ program: examplePath('worker_pool.py'), stopOnEntry: true });
      const loopThread = (await s.stopped()).body.threadId as number;
      let workers: DebugProtocol.Thread[] = [];
      for (let i = 0; i < 20 && workers.length < 3; i++) {
        await s.custom('loopscope/stepTick', { threadId: loopThread });
        await s.stopped();
        workers = (await s.dc.threadsRequest()).body.threads.filter((t) => /worker-\d/.test(t.name));
      }
      assert.equal(workers.length, 3, 'the workers never became threads');
      const target = workers[2];
      const before = s.stoppedEvents().length;
      assert.deepEqual(await s.custom('loopscope/focusTask', { taskId: target.id - 1 }), { focused: true });
      const focus = s.stoppedEvents().slice(before).find((e) => e.body.threadId === target.id) ??
        await s.stopped((e) => e.body.threadId === target.id);
      assert.equal(focus.body.preserveFocusHint, undefined, 'the event must move the focus');
      assert.equal(focus.body.allThreadsStopped, false, 'the other threads keep their own stop');
      assert.match(focus.body.description ?? '', /^tick \d+: ran /);
      // No thread for a task that does not exist; nothing to select while the program runs.
      assert.deepEqual(await s.custom('loopscope/focusTask', { taskId: 987654 }), { focused: false });
      await s.dc.continueRequest({ threadId: loopThread });
      assert.deepEqual(await s.custom('loopscope/focusTask', { taskId: target.id - 1 }), { focused: false });
    });

    it('justMyCode: false shows asyncio\'s own frames in the await chain', async () => {
      s = await Session.start();
      await s.launch({ program: examplePath('worker_pool.py'), stopOnEntry: true, justMyCode: false });
      const entry = await s.stopped();
      let frames: DebugProtocol.StackFrame[] = [];
      for (let i = 0; i < 2000 && frames.length === 0; i++) { // see above: Queue.get only once the queue ran dry
        await s.custom('loopscope/stepTick', { threadId: entry.body.threadId as number });
        await s.stopped();
        const w = (await s.dc.threadsRequest()).body.threads.find((t) => /^worker-1 · .*Queue\.get/.test(t.name));
        if (w) frames = (await s.dc.stackTraceRequest({ threadId: w.id })).body.stackFrames;
      }
      const paths = frames.map((f) => f.source?.path ?? '');
      assert.ok(paths.some((p) => p.includes(`${path.sep}asyncio${path.sep}queues.py`)), paths.join(', '));
      assert.ok(paths.some((p) => p === examplePath('worker_pool.py')));
    });

    it('shows one thread per event loop and steps the loop of the selected thread', async () => {
      s = await Session.start();
      const program = script('two_loops.py', [
        'import asyncio, threading',
        'async def work(tag):',
        '    for _ in range(200):',
        '        await asyncio.sleep(0.01)',
        'def side():',
        '    asyncio.run(work("side"))',
        't = threading.Thread(target=side, name="side-thread")',
        't.start()',
        'asyncio.run(work("main"))',
        't.join()', '',
      ].join('\n'));
      await s.launch({ program, stopOnEntry: true });
      const first = await s.stopped();
      const second = await s.stopped();
      assert.equal(first.body.reason, 'entry');
      assert.equal(second.body.reason, 'entry');
      assert.notEqual(first.body.threadId, second.body.threadId, 'each loop stops on entry on its own thread');
      const loops = (await s.dc.threadsRequest()).body.threads.filter((t) => t.name.startsWith('event loop '));
      assert.equal(loops.length, 2, JSON.stringify(loops));
      assert.ok(loops.some((t) => / · side-thread · /.test(t.name)));
      const side = loops.find((t) => / · side-thread · /.test(t.name));
      assert.ok(side);
      await s.custom('loopscope/stepTick', { threadId: side.id });
      const st = await s.stopped();
      assert.equal(st.body.reason, 'step');
      const snap = await s.custom<SnapshotBody>('loopscope/snapshot');
      const sideLoop = snap.loops.find((l) => l.thread.name === 'side-thread');
      const mainLoop = snap.loops.find((l) => l.thread.name === 'MainThread');
      assert.ok(sideLoop && mainLoop);
      assert.equal(sideLoop.tick, 1, 'the selected loop ran one tick');
      assert.equal(mainLoop.tick, 0, 'the other loop stayed before its first tick');
    });

    it('stepIn runs one callback or task step and says what ran', async () => {
      s = await Session.start();
      await s.launch({ program: examplePath('tasks_gather.py'), stopOnEntry: true });
      const entry = await s.stopped();
      const descriptions: string[] = [];
      for (let i = 0; i < 6; i++) {
        await s.custom('loopscope/stepCallback', { threadId: entry.body.threadId as number });
        const st = await s.stopped();
        assert.equal(st.body.reason, 'step');
        descriptions.push(st.body.description ?? '');
      }
      assert.ok(descriptions.every((d) => /^tick \d+/.test(d)), descriptions.join(' / '));
      assert.ok(descriptions.some((d) => /ran/.test(d)), descriptions.join(' / '));

      // Run Until This Task Steps runs until that task takes its next step, and focuses it.
      const task = (await s.dc.threadsRequest()).body.threads.find((t) => / · fetch\(\) · /.test(t.name));
      assert.ok(task, 'a fetch() task thread');
      await s.custom('loopscope/runUntilTaskSteps', { taskId: task.id - 1 });
      const out = await s.stopped();
      assert.equal(out.body.reason, 'step');
      assert.equal(out.body.threadId, task.id);
      assert.match(out.body.description ?? '', /stepped/);
    });

    it('pauses a running program (F6 anywhere, Pause Loop at a tick boundary) and continues', async () => {
      s = await Session.start();
      const program = script('spin.py', 'import asyncio\nasync def spin():\n    while True:\n        await asyncio.sleep(0)\nasync def main():\n    await asyncio.gather(spin(), spin())\nasyncio.run(main())\n');
      await s.launch({ program });
      await s.next('loopscope/update', (e) => (e.body as UpdateEventBody).status.tasksLive >= 3);
      // DAP pause (F6) stops wherever the loop is: at a line inside a step, or at the tick boundary.
      await s.dc.pauseRequest({ threadId: 1 });
      const st = await s.stopped();
      assert.equal(st.body.reason, 'pause');
      assert.equal(st.body.allThreadsStopped, true);
      await s.dc.continueRequest({ threadId: st.body.threadId as number });
      // Pause Loop (the Async Tasks view) always holds the loop at its next tick boundary.
      await s.custom('loopscope/pauseLoop');
      const held = await s.stopped();
      assert.equal(held.body.reason, 'pause');
      const snap = await s.custom<SnapshotBody>('loopscope/snapshot');
      assert.equal(snap.status.paused, true);
      assert.equal(snap.tasks.filter((t) => t.coro === 'spin').length, 2);
      await s.dc.continueRequest({ threadId: 1 });
    });

    it('streams loopscope/update events (reset first) and answers the custom requests', async () => {
      s = await Session.start();
      await s.launch({ program: examplePath('worker_pool.py'), stopOnEntry: true });
      await s.stopped();
      const first = await s.next('loopscope/update');
      assert.equal((first.body as UpdateEventBody).reset, true);
      const atEntry = (await s.custom<SnapshotBody>('loopscope/snapshot')).status;
      assert.equal(atEntry.tasksLive, 1);
      assert.equal(atEntry.ready, 1, 'at entry the main task is ready to run');
      await s.custom('loopscope/stepTick');
      await s.stopped();
      // run until worker-1 exists, then run until it steps
      let worker: number | undefined;
      for (let i = 0; i < 40 && worker === undefined; i++) {
        await s.custom('loopscope/stepTick');
        await s.stopped();
        worker = (await s.custom<SnapshotBody>('loopscope/snapshot')).tasks.find((t) => t.name === 'worker-1')?.id;
      }
      assert.ok(worker !== undefined);
      await s.custom('loopscope/runUntilTaskSteps', { taskId: worker });
      const st = await s.stopped();
      assert.match(st.body.description ?? '', /worker-1/);
      const chain = await s.custom<{ frames: { name: string }[] }>('loopscope/awaitChain', { taskId: worker });
      assert.ok(chain.frames.some((f) => f.name === 'worker'));
      const cancelled = await s.custom<{ cancelled: boolean }>('loopscope/cancelTask', { taskId: worker });
      assert.equal(cancelled.cancelled, true);
      const traceFile = path.join(tmp, 'dap-trace.json');
      const tr = await s.custom<{ path: string }>('loopscope/exportTrace', { path: traceFile });
      assert.equal(tr.path, traceFile);
      // No `trace` attribute in the launch: debug sessions record steps by default, so the export has step slices.
      const exported = JSON.parse(readFileSync(traceFile, 'utf8')) as { traceEvents: { ph: string; cat?: string; tid?: number }[] };
      assert.ok(exported.traceEvents.some((e) => e.ph === 'X' && e.cat === 'task.step' && e.tid === worker), 'no step slice for worker-1');
      await s.custom('loopscope/continueLoop');
      const updates = s.events.filter((e) => e.event === 'loopscope/update').map((e) => e.body as UpdateEventBody);
      assert.ok(updates.some((u) => u.tasks.some((t) => t.name === 'worker-1')));
      await s.next('terminated');
    });

    it('reports the real exit code of a failing program and its stderr', async () => {
      s = await Session.start();
      const program = script('fail.py', 'import asyncio, sys\nasync def main():\n    await asyncio.sleep(0)\n    print("bye", file=sys.stderr)\n    sys.exit(3)\nasyncio.run(main())\n');
      await s.launch({ program });
      const exited = await s.next('exited');
      assert.equal((exited.body as DebugProtocol.ExitedEvent['body']).exitCode, 3);
      await s.next('terminated');
      assert.match(s.output('stderr'), /bye/);
    });

    it('ends with a clear message when the Python process dies without exiting normally', async () => {
      s = await Session.start();
      const program = script('vanish.py', 'import asyncio, os, sys\nasync def main():\n    print(os.getpid(), flush=True)\n    await asyncio.sleep(3600)\nasyncio.run(main())\n');
      await s.launch({ program });
      await s.next('output', () => /^\d+\n/.test(s.output('stdout')));
      const pid = Number(/(\d+)/.exec(s.output('stdout'))?.[1]);
      process.kill(pid, 'SIGKILL');
      await s.next('terminated');
      assert.match(s.output('important'), /killed by SIGKILL/);
    });

    it('disconnect ends the whole process tree', async () => {
      s = await Session.start();
      const program = script('tree.py', [
        'import asyncio, subprocess, sys',
        'async def main():',
        '    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(3600)"])',
        '    print("child", child.pid, flush=True)',
        '    await asyncio.sleep(3600)',
        'asyncio.run(main())', '',
      ].join('\n'));
      await s.launch({ program });
      await s.next('output', () => /child \d+\n/.test(s.output('stdout')));
      const childPid = Number(/child (\d+)/.exec(s.output('stdout'))?.[1]);
      assert.ok(alive(childPid));
      await s.dc.disconnectRequest({ terminateDebuggee: true });
      assert.equal(alive(childPid), false, 'the grandchild survived disconnect');
    });
  });

  describe('integrated terminal (runInTerminal)', () => {
    it('asks the client to run the program in a terminal, where stdin works; exit code comes from the runtime', async () => {
      s = await Session.start();
      const program = script('ask.py', 'import asyncio, sys\nasync def main():\n    line = await asyncio.to_thread(sys.stdin.readline)\n    print("hello " + line.strip(), flush=True)\n    sys.exit(4)\nasyncio.run(main())\n');
      // Play the client's part: run the requested command like VS Code's terminal would.
      let terminalOut = '';
      const dc = s.dc as unknown as { dispatch(body: string): void; outputStream: NodeJS.WritableStream };
      const original = dc.dispatch.bind(dc);
      let requested: DebugProtocol.RunInTerminalRequestArguments | null = null;
      dc.dispatch = (body: string): void => {
        const msg = JSON.parse(body) as DebugProtocol.ProtocolMessage & { command?: string; arguments?: DebugProtocol.RunInTerminalRequestArguments };
        if (msg.type === 'request' && msg.command === 'runInTerminal' && msg.arguments) {
          const a = msg.arguments;
          requested = a;
          const env: NodeJS.ProcessEnv = { ...process.env };
          for (const [k, v] of Object.entries(a.env ?? {})) {
            if (v === null) delete env[k];
            else env[k] = v;
          }
          const p = spawn(a.args[0], a.args.slice(1), { cwd: a.cwd, env, stdio: ['pipe', 'pipe', 'inherit'] });
          p.stdout?.on('data', (b: Buffer) => { terminalOut += b.toString(); });
          p.stdin?.end('terminal\n');
          const resp = JSON.stringify({ type: 'response', seq: 0, request_seq: msg.seq, command: 'runInTerminal', success: true, body: { processId: p.pid } });
          dc.outputStream.write(`Content-Length: ${Buffer.byteLength(resp)}\r\n\r\n${resp}`);
          return;
        }
        original(body);
      };
      await s.dc.initializeRequest({ adapterID: 'loopscope', pathFormat: 'path', supportsRunInTerminalRequest: true });
      await Promise.all([s.dc.configurationDoneRequest(), s.dc.launchRequest({ python: PYTHON, program, console: 'integratedTerminal' } as DebugProtocol.LaunchRequestArguments)]);
      const exited = await s.next('exited');
      assert.equal((exited.body as DebugProtocol.ExitedEvent['body']).exitCode, 4);
      await s.next('terminated');
      assert.ok(requested);
      assert.equal((requested as DebugProtocol.RunInTerminalRequestArguments).kind, 'integrated');
      assert.equal(terminalOut, 'hello terminal\n');
    });
  });

  describe('exception breakpoint filters', () => {
    // The gallery programs themselves, even those that end within milliseconds of their event
    // (forgotten_await.py, worker_pool.py's cancellations): the filters become the runtime's
    // `pauseOn`, so the runtime holds the loop at the next tick boundary by itself.
    // `opens`: the lines VS Code may open for the stop (the top frame with a source on the stopped thread);
    // `taskThread`: the stop is on the task it is about, so Call Stack shows that task's await chain.
    const cases: { filter: string; program: string; description: RegExp; where?: () => RegExp; exitCode?: number; opens?: () => number[]; taskThread?: boolean }[] = [
      { filter: 'task-failed', program: 'unretrieved_exception.py', description: /^Task sync-inventory failed: ConnectionError/ },
      { filter: 'unretrieved-exception', program: 'unretrieved_exception.py', description: /^unretrieved-exception: Task sync-inventory: exception was never retrieved: ConnectionError/, where: () => new RegExp(`unretrieved_exception\\.py:${bugLine('unretrieved_exception.py')}`) },
      { filter: 'blocking-call', program: 'blocking_sleep.py', description: /^blocking-call: /, where: () => new RegExp(`blocking_sleep\\.py:${bugLine('blocking_sleep.py')}`), opens: () => [bugLine('blocking_sleep.py')], taskThread: true },
      { filter: 'never-awaited', program: 'forgotten_await.py', description: /^never-awaited: .*save/, where: () => new RegExp(`forgotten_await\\.py:${bugLine('forgotten_await.py')}`), opens: () => [bugLine('forgotten_await.py')] },
      { filter: 'task-cancelled', program: 'worker_pool.py', description: /^Task worker-\d was cancelled by Task-\d+/ },
      { filter: 'stall', program: 'deadlock.py', description: /^stall: /, where: () => /ping/, exitCode: 1, opens: () => bugLines('deadlock.py'), taskThread: true },
    ];
    for (const c of cases) {
      it(`${c.filter}: stops with reason "exception" and says why`, async () => {
        s = await Session.start();
        await s.launchWithFilters({ program: examplePath(c.program) }, [c.filter]);
        const st = await s.stopped();
        assert.equal(st.body.reason, 'exception');
        assert.match(st.body.description ?? '', c.description);
        const info = await s.dc.exceptionInfoRequest({ threadId: st.body.threadId as number });
        assert.match(info.body.description ?? '', c.description);
        if (c.where) assert.match(info.body.details?.message ?? '', c.where());
        const threads = (await s.dc.threadsRequest()).body.threads;
        assert.ok(threads.some((t) => t.id === st.body.threadId), 'the stopped thread is listed');
        const stack = (await s.dc.stackTraceRequest({ threadId: st.body.threadId as number })).body.stackFrames;
        assert.ok(stack.length > 0);
        if (c.taskThread) assert.ok((st.body.threadId as number) < 1_000_000_000, `stopped on the loop thread, not the task's: ${JSON.stringify(st.body)}`);
        if (c.opens) {
          const top = stack.find((f) => f.source?.path);
          assert.equal(top?.source?.path, examplePath(c.program), `top source frame: ${JSON.stringify(stack)}`);
          assert.ok(c.opens().includes(top.line), `opens line ${top.line}, expected one of ${c.opens().join(', ')}: ${JSON.stringify(stack)}`);
        }
        // Held by the runtime, not ended: continuing runs the program to its own end and exit code.
        await s.dc.continueRequest({ threadId: st.body.threadId as number });
        const exited = await s.next('exited');
        assert.equal((exited.body as { exitCode: number }).exitCode, c.exitCode ?? 0);
      });
    }

    it('with no filter enabled the same program runs to its end without stopping', async () => {
      s = await Session.start();
      await s.launchWithFilters({ program: examplePath('blocking_sleep.py') }, []);
      await s.next('terminated');
      assert.equal(s.events.filter((e) => e.event === 'stopped').length, 0);
      assert.match(s.output('console'), /blocking-call at .*blocking_sleep\.py/);
    });
  });

  describe('attach', () => {
    let proc: ChildProcess | null = null;
    afterEach(() => { proc?.kill('SIGKILL'); proc = null; });

    it('attaches to a process started with --listen and sees its tasks', async () => {
      const token = 'ab'.repeat(32);
      const program = script('serve.py', 'import asyncio\nasync def tick():\n    while True:\n        await asyncio.sleep(0.01)\nasync def main():\n    await asyncio.gather(asyncio.create_task(tick(), name="ticker"))\nasyncio.run(main())\n');
      proc = spawn(PYTHON, ['-m', 'loopscope', '--listen', '127.0.0.1:0', program], {
        env: { ...process.env, PYTHONPATH: path.join(ROOT, 'runtime'), LOOPSCOPE_TOKEN: token }, stdio: ['ignore', 'pipe', 'pipe'],
      });
      const port = await new Promise<number>((resolve, reject) => {
        let err = '';
        proc?.stderr?.on('data', (b: Buffer) => {
          err += b.toString();
          const m = /127\.0\.0\.1:(\d+)/.exec(err);
          if (m) resolve(Number(m[1]));
        });
        proc?.once('exit', () => reject(new Error(`runtime exited: ${err}`)));
      });
      s = await Session.start();
      await s.dc.initializeRequest({ adapterID: 'loopscope', pathFormat: 'path' });
      await Promise.all([s.dc.configurationDoneRequest(), s.dc.attachRequest({ port, token } as DebugProtocol.AttachRequestArguments)]);
      const snap = await s.custom<SnapshotBody>('loopscope/snapshot');
      assert.ok(snap.tasks.some((t) => t.name === 'ticker'), JSON.stringify(snap.tasks.map((t) => t.name)));
      await s.dc.pauseRequest({ threadId: 1 });
      const st = await s.stopped();
      assert.equal(st.body.reason, 'pause');
      const threads = (await s.dc.threadsRequest()).body.threads;
      assert.ok(threads.some((t) => /^ticker · tick\(\) · /.test(t.name)));
      await s.dc.disconnectRequest({ terminateDebuggee: false });
      // Detaching releases the loop: the program keeps running.
      assert.equal(proc.exitCode, null);
    });

    it('reads the token from a 0600 tokenFile, refuses a group-readable one, and reports a vanished process', async () => {
      const token = '12'.repeat(32);
      const program = script('serve3.py', 'import asyncio\nasyncio.run(asyncio.sleep(3600))\n');
      proc = spawn(PYTHON, ['-m', 'loopscope', '--listen', '127.0.0.1:0', program], {
        env: { ...process.env, PYTHONPATH: path.join(ROOT, 'runtime'), LOOPSCOPE_TOKEN: token }, stdio: ['ignore', 'pipe', 'pipe'],
      });
      const port = await new Promise<number>((resolve) => {
        let err = '';
        proc?.stderr?.on('data', (b: Buffer) => {
          err += b.toString();
          const m = /127\.0\.0\.1:(\d+)/.exec(err);
          if (m) resolve(Number(m[1]));
        });
      });
      const loose = path.join(tmp, 'token-loose');
      writeFileSync(loose, token, { mode: 0o644 });
      chmodSync(loose, 0o644);
      s = await Session.start();
      await s.dc.initializeRequest({ adapterID: 'loopscope', pathFormat: 'path' });
      await s.dc.configurationDoneRequest();
      await assert.rejects(s.dc.attachRequest({ port, tokenFile: loose } as DebugProtocol.AttachRequestArguments), /readable by other users.*chmod 600/);
      await s.close();

      const strict = path.join(tmp, 'token-strict');
      writeFileSync(strict, `${token}\n`, { mode: 0o600 });
      s = await Session.start();
      await s.dc.initializeRequest({ adapterID: 'loopscope', pathFormat: 'path' });
      await Promise.all([s.dc.configurationDoneRequest(), s.dc.attachRequest({ port, tokenFile: strict } as DebugProtocol.AttachRequestArguments)]);
      await s.next('loopscope/update');
      proc.kill('SIGKILL');
      await s.next('terminated');
      assert.match(s.output('important'), /closed the connection without exiting/);
    });

    it('rejects a wrong token with a message naming the token', async () => {
      const program = script('serve2.py', 'import asyncio\nasyncio.run(asyncio.sleep(3600))\n');
      proc = spawn(PYTHON, ['-m', 'loopscope', '--listen', '127.0.0.1:0', program], {
        env: { ...process.env, PYTHONPATH: path.join(ROOT, 'runtime'), LOOPSCOPE_TOKEN: 'cd'.repeat(32) }, stdio: ['ignore', 'pipe', 'pipe'],
      });
      const port = await new Promise<number>((resolve) => {
        let err = '';
        proc?.stderr?.on('data', (b: Buffer) => {
          err += b.toString();
          const m = /127\.0\.0\.1:(\d+)/.exec(err);
          if (m) resolve(Number(m[1]));
        });
      });
      s = await Session.start();
      await s.dc.initializeRequest({ adapterID: 'loopscope', pathFormat: 'path' });
      await s.dc.configurationDoneRequest();
      await assert.rejects(s.dc.attachRequest({ port, token: 'ef'.repeat(32) } as DebugProtocol.AttachRequestArguments), /token/);
    });
  });

  describe('bad configuration is an error response that says what to fix', () => {
    it('missing interpreter', async () => {
      s = await Session.start();
      await assert.rejects(s.launch({ program: examplePath('tasks_gather.py'), python: '/nonexistent/python3.42' }), /Python interpreter "\/nonexistent\/python3\.42" was not found.*"python"/);
    });

    it('Python older than 3.9', async function () {
      const py38 = path.join(os.homedir(), '.pyenv', 'versions', '3.8.18', 'bin', 'python3');
      s = await Session.start();
      await assert.rejects(s.launch({ program: examplePath('tasks_gather.py'), python: py38 }), /needs Python 3\.9 or newer.*Python 3\.8\.18/);
    });

    it('missing program', async () => {
      s = await Session.start();
      await assert.rejects(s.launch({ program: path.join(tmp, 'nope.py') }), /does not exist.*"program"/);
    });

    it('neither program nor module', async () => {
      s = await Session.start();
      await assert.rejects(s.launch({}), /set "program"/);
    });

    it('missing module', async () => {
      s = await Session.start();
      await assert.rejects(s.launch({ module: 'no_such_module_xyz', cwd: tmp }), /module "no_such_module_xyz" cannot be found/);
    });
  });
});
