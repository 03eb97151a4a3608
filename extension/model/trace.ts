// Chrome Trace Event Format export (Perfetto, chrome://tracing): a track per task, a slice per
// task step, flow arrows from the step that woke a task to the step it then ran, and an instant
// marker per loop tick. Pure function of the task model's recorded steps and ticks.

import type { TaskModel } from './taskModel';

export interface TraceEvent {
  name: string;
  ph: 'X' | 'i' | 'M' | 's' | 'f';
  ts: number;
  pid: number;
  tid: number;
  dur?: number;
  cat?: string;
  s?: 'g' | 'p' | 't';
  id?: number;
  bp?: 'e';
  args?: Record<string, unknown>;
}

export interface TraceFile {
  traceEvents: TraceEvent[];
  displayTimeUnit: 'ms';
  otherData: Record<string, unknown>;
}

/** Loop tracks use tids above every task id so they never collide with a task's track. */
const LOOP_TID_BASE = 1_000_000_000;

export function buildTrace(model: TaskModel): TraceFile {
  const pid = model.hello?.pid ?? 1;
  const ev: TraceEvent[] = [];
  const us = (ms: number): number => Math.round(ms * 1000 * 1000) / 1000;

  ev.push({ name: 'process_name', ph: 'M', ts: 0, pid, tid: 0, args: { name: `python ${model.hello?.argv.join(' ') ?? ''}`.trim() } });
  for (const l of model.loops.values()) {
    const tid = LOOP_TID_BASE + l.id;
    ev.push({ name: 'thread_name', ph: 'M', ts: 0, pid, tid, args: { name: `event loop ${l.id} (${l.thread.name || 'thread'})` } });
    ev.push({ name: 'thread_sort_index', ph: 'M', ts: 0, pid, tid, args: { sort_index: -1 } });
  }
  const named = new Set<number>();
  const nameTrack = (task: number): void => {
    if (named.has(task)) return;
    named.add(task);
    const t = model.tasks.get(task);
    ev.push({ name: 'thread_name', ph: 'M', ts: 0, pid, tid: task, args: { name: t ? `${t.name} · ${t.coro}()` : `Task ${task}` } });
    ev.push({ name: 'thread_sort_index', ph: 'M', ts: 0, pid, tid: task, args: { sort_index: task } });
  };

  // Every task gets a lifetime slice (created → done, or → the last event for pending tasks), so
  // the trace is useful even when per-step events were not recorded; step slices nest inside it.
  const span = new Map<number, [number, number]>();
  for (const st of model.traceSteps) {
    const cur = span.get(st.task);
    if (!cur) span.set(st.task, [st.ts, st.ts + st.dur]);
    else span.set(st.task, [Math.min(cur[0], st.ts), Math.max(cur[1], st.ts + st.dur)]);
  }
  for (const t of model.tasks.values()) {
    nameTrack(t.id);
    const steps = span.get(t.id);
    // Clocks of creation, steps and completion differ by microseconds; keep steps strictly nested.
    const start = Math.min(t.createdTs, steps ? steps[0] : Infinity);
    const end = Math.max(t.doneAt ?? model.lastTs, steps ? steps[1] : -Infinity, start);
    ev.push({
      name: `${t.name} · ${t.state}`, cat: 'task.lifetime', ph: 'X', ts: us(start), dur: Math.max(us(end - start), 0.001),
      pid, tid: t.id, args: { task: t.id, coro: t.coro, state: t.state, steps: t.steps, busyMs: t.busyMs, parent: t.parentId, createdAt: t.createdAt },
    });
  }

  // Steps arrive in time order per loop; flows need each waker's most recent step before the wake.
  const steps = [...model.traceSteps].sort((a, b) => a.ts - b.ts);
  const lastStep = new Map<number, { ts: number; dur: number }>();
  let flowId = 0;
  for (const s of steps) {
    nameTrack(s.task);
    const t = model.tasks.get(s.task);
    ev.push({
      name: t ? `${t.coro}()` : `step`, cat: 'task.step', ph: 'X', ts: us(s.ts), dur: Math.max(us(s.dur), 0.001),
      pid, tid: s.task, args: { tick: s.tick, task: s.task, ...(s.wokenBy !== null ? { wokenBy: s.wokenBy } : {}) },
    });
    if (s.wokenBy !== null && s.wokenBy !== s.task) {
      const waker = lastStep.get(s.wokenBy);
      if (waker) {
        const id = ++flowId;
        // The flow starts inside the waker's slice and binds to the enclosing slice of the woken step.
        ev.push({ name: 'wake', cat: 'wake', ph: 's', id, pid, tid: s.wokenBy, ts: us(waker.ts + waker.dur / 2) });
        ev.push({ name: 'wake', cat: 'wake', ph: 'f', bp: 'e', id, pid, tid: s.task, ts: us(s.ts) });
      }
    }
    lastStep.set(s.task, { ts: s.ts, dur: s.dur });
  }
  for (const k of model.traceTicks) {
    ev.push({
      name: `tick ${k.tick}`, cat: 'tick', ph: 'i', s: 't', ts: us(k.ts), pid, tid: LOOP_TID_BASE + k.loop,
      args: { ready: k.ready, timers: k.timers, selectMs: k.selectMs },
    });
  }
  return {
    traceEvents: ev,
    displayTimeUnit: 'ms',
    otherData: {
      producer: 'loopscope',
      python: model.hello?.python ?? null,
      startEpochMs: model.hello?.startEpochMs ?? null,
      truncated: model.traceTruncated,
      sampling: model.samplingNotes(),
      ...(model.recordingTrace ? {} : { note: 'per-step slices were not recorded: launch with "trace": true (the CLI: --trace)' }),
      // `ticks` is the run's exact tick count, the same number the report gives; the trace holds
      // one marker per recorded tick, fewer when events were dropped under load or the trace was
      // truncated, and says so rather than letting the two artifacts disagree silently.
      ticks: model.totalTicks,
      ticksRecorded: model.traceTicks.length,
      steps: model.traceSteps.length,
      ...(model.traceTicks.length < model.totalTicks && model.recordingTrace
        ? { ticksMissing: `${model.totalTicks - model.traceTicks.length} of ${model.totalTicks} ticks have no marker (${model.traceTruncated ? 'trace truncated' : `${model.dropped} events dropped under load`})` }
        : {}),
    },
  };
}
