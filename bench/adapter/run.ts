// Adapter benchmarks (run: `npm run bench:adapter`, i.e. `tsx bench/adapter/run.ts`; writes
// bench/results/adapter.json): (1) events ingested per second into the task model, both from
// decoded events and end-to-end from NDJSON bytes; (2) time from a DAP pause request to the
// stopped event while the loop is busy, through the real bundled adapter and a real Python runtime.

import { mkdirSync, writeFileSync, mkdtempSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { LineSplitter, decodeMessage, type WireEvent } from '../../extension/protocol/wire';
import { TaskModel } from '../../extension/model/taskModel';
import { DebugTarget } from '../../extension/core/target';
import { ADAPTER_JS, ROOT, buildBundles } from '../../test/dap/build';

const INGEST_TARGET = 500_000;
const PAUSE_TARGET_MS = 20;
const round = (n: number): number => Math.round(n * 1000) / 1000;

/** A realistic event mix: per task one create, many state changes, one done; ticks interleaved. */
function workload(tasks: number, statesPerTask: number): WireEvent[] {
  const ev: WireEvent[] = [];
  let ts = 0;
  let tick = 0;
  for (let t = 1; t <= tasks; t++) {
    ev.push({ kind: 'task.created', ts: ts++, task: t, name: `worker-${t}`, coro: 'worker', site: { file: '/proj/app.py', line: 31 }, parent: t > 1 ? 1 : null, loop: 1, thread: 1, eager: false });
  }
  for (let s = 0; s < statesPerTask; s++) {
    for (let t = 1; t <= tasks; t++) {
      ev.push({
        kind: 'task.state', ts: ts++, task: t, state: s % 2 ? 'ready' : 'waiting', steps: s + 1, busyMs: s * 0.01,
        waitingOn: s % 2 ? null : { kind: 'queue.get', label: 'Queue.get', detail: 'Queue maxsize=0 qsize=0' },
        wokenBy: s % 2 ? { task: 1, label: 'Task main' } : null, tick,
      });
    }
    ev.push({ kind: 'loop.ticks', ts: ts++, loop: 1, tick: ++tick, count: 1, ready: 3, timers: 1, selectMs: 0.01 });
  }
  for (let t = 2; t <= tasks; t++) {
    ev.push({ kind: 'task.done', ts: ts++, task: t, outcome: 'result', result: 'None', exception: null, cancelledBy: null, steps: statesPerTask, busyMs: 1, lastWaitingOn: { kind: 'queue.get', label: 'Queue.get', detail: 'Queue maxsize=0 qsize=0' } });
  }
  return ev;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function benchIngest(): Record<string, unknown> {
  const events = workload(2000, 250); // ≈ 0.5 M events
  const batches: WireEvent[][] = [];
  for (let i = 0; i < events.length; i += 500) batches.push(events.slice(i, i + 500));
  const bytes = Buffer.from(batches.map((b, i) => `${JSON.stringify({ type: 'events', seq: i + 1, dropped: 0, events: b })}\n`).join(''));
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += 65536) chunks.push(bytes.subarray(i, i + 65536));

  const modelRates: number[] = [];
  const wireRates: number[] = [];
  for (let rep = 0; rep < 7; rep++) {
    let m = new TaskModel();
    let t0 = performance.now();
    for (const b of batches) m.ingest(b);
    m.takeChanges();
    modelRates.push(events.length / ((performance.now() - t0) / 1000));

    m = new TaskModel();
    const splitter = new LineSplitter();
    t0 = performance.now();
    for (const c of chunks) {
      for (const line of splitter.push(c)) {
        const msg = decodeMessage(line);
        if (msg.type === 'events') m.ingest(msg.events, msg.dropped);
      }
    }
    m.takeChanges();
    wireRates.push(events.length / ((performance.now() - t0) / 1000));
    if (m.eventsIngested !== events.length) throw new Error('lost events');
  }
  const model = median(modelRates);
  const wire = median(wireRates);
  return {
    events: events.length,
    repetitions: modelRates.length,
    modelEventsPerSecond: Math.round(model),
    decodeAndIngestEventsPerSecond: Math.round(wire),
    targetEventsPerSecond: INGEST_TARGET,
    modelVsTarget: round(model / INGEST_TARGET),
    decodeAndIngestVsTarget: round(wire / INGEST_TARGET),
    decodeShareOfTime: round(1 - wire / model),
    meetsTarget: model >= INGEST_TARGET,
  };
}



const BUSY_PROGRAM = `
import asyncio

async def spin(i):
    n = 0
    while True:
        for _ in range(2000):
            n += 1
        await asyncio.sleep(0)

async def main():
    tasks = [asyncio.create_task(spin(i), name=f"spin-{i}") for i in range(20)]
    await asyncio.sleep(3600)

asyncio.run(main())
`;

async function benchPause(samples: number): Promise<Record<string, unknown>> {
  await buildBundles();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'loopscope-bench-'));
  const program = path.join(dir, 'busy.py');
  writeFileSync(program, BUSY_PROGRAM);
  const dc = new DebugClient('node', ADAPTER_JS, 'loopscope');
  await dc.start();
  const latencies: number[] = [];
  try {
    await dc.initializeRequest({ adapterID: 'loopscope', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path' });
    await Promise.all([dc.configurationDoneRequest(), dc.launch({ program, cwd: dir })]);
    // Let the loop get busy: wait until the update stream shows all 20 tasks alive.
    await new Promise<void>((resolve) => {
      const on = (e: DebugProtocol.Event): void => {
        if ((e.body as { status?: { tasksLive?: number } }).status?.tasksLive === 21) { dc.removeListener('loopscope/update', on); resolve(); }
      };
      dc.on('loopscope/update', on);
    });
    for (let i = 0; i < samples; i++) {
      const stopped = dc.waitForEvent('stopped', 5000);
      const t0 = performance.now();
      await dc.pauseRequest({ threadId: 1 });
      await stopped;
      latencies.push(performance.now() - t0);
      const continued = dc.continueRequest({ threadId: 1 });
      await continued;
      // Give the loop a few ticks of free running so each sample starts from a busy loop.
      await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    await dc.disconnectRequest({ terminateDebuggee: true }).catch(() => undefined);
    await dc.stop();
  }
  const sorted = [...latencies].sort((a, b) => a - b);
  const p = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return {
    samples: latencies.length,
    medianMs: round(median(latencies)),
    p90Ms: round(p(0.9)),
    maxMs: round(sorted[sorted.length - 1]),
    targetMs: PAUSE_TARGET_MS,
    medianVsTarget: round(median(latencies) / PAUSE_TARGET_MS),
    meetsTarget: median(latencies) < PAUSE_TARGET_MS,
    workload: '20 tasks each spinning 2000 additions per step with asyncio.sleep(0) between steps',
  };
}

/** The same measurement one layer down (DebugTarget, no DAP): what the runtime alone costs. */
async function benchPauseWire(samples: number): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'loopscope-bench-'));
  const program = path.join(dir, 'busy.py');
  writeFileSync(program, BUSY_PROGRAM);
  const t = await DebugTarget.launch({ program, cwd: dir, stdio: 'pipe' });
  const latencies: number[] = [];
  try {
    await t.onEvents.wait(() => t.model.status().tasksLive === 21);
    for (let i = 0; i < samples; i++) {
      const paused = t.onEvents.wait((evs) => evs.some((e) => e.kind === 'paused'));
      const t0 = performance.now();
      await t.request('pause', {});
      await paused;
      latencies.push(performance.now() - t0);
      await t.request('continue', {});
      await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    await t.terminate();
  }
  const sorted = [...latencies].sort((a, b) => a - b);
  return { samples: latencies.length, medianMs: round(median(latencies)), p90Ms: round(sorted[Math.floor(0.9 * sorted.length)] ?? NaN) };
}

async function main(): Promise<void> {
  const ingest = benchIngest();
  console.log('ingest', ingest);
  let pause: Record<string, unknown>;
  try {
    pause = await benchPause(Number(process.env.PAUSE_SAMPLES ?? 30));
  } catch (err) {
    pause = { error: (err as Error).message };
  }
  console.log('pause', pause);
  let wire: Record<string, unknown>;
  try {
    wire = await benchPauseWire(Number(process.env.PAUSE_SAMPLES ?? 30));
  } catch (err) {
    wire = { error: (err as Error).message };
  }
  console.log('pause at the wire level', wire);
  if (typeof pause.medianMs === 'number' && typeof wire.medianMs === 'number') {
    pause.wireLevelMedianMs = wire.medianMs;
    pause.adapterShareMs = round(pause.medianMs - wire.medianMs);
    pause.dapVsWire = round(pause.medianMs / wire.medianMs);
  }
  const out = {
    bench: 'adapter',
    date: new Date().toISOString(),
    node: process.version,
    platform: `${process.platform} ${os.arch()} · ${os.cpus().length} cpus`,
    ingest,
    pauseToStopped: pause,
    pauseToPausedEventWireLevel: wire,
  };
  mkdirSync(path.join(ROOT, 'bench', 'results'), { recursive: true });
  writeFileSync(path.join(ROOT, 'bench', 'results', 'adapter.json'), `${JSON.stringify(out, null, 2)}\n`);
  console.log(`wrote bench/results/adapter.json`);
}

void main();
