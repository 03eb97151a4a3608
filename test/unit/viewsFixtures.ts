// Builders for custom-DAP records used by the view-model tests: complete records with sensible
// defaults so each test states only the fields it is about.

import type { FutureRecord, LoopRecord, StatusRecord, TaskRecord, UpdateEventBody } from '../../extension/protocol/customDap';

export function loop(id: number, extra: Partial<LoopRecord> = {}): LoopRecord {
  return {
    id, thread: { id: 1, name: 'MainThread' }, cls: 'asyncio.unix_events._UnixSelectorEventLoop', tickControl: true,
    tick: 0, ready: 0, timers: 0, paused: false, closed: false, ...extra,
  };
}

export function task(id: number, extra: Partial<TaskRecord> = {}): TaskRecord {
  return {
    id, name: `Task-${id}`, coro: 'main', state: 'waiting', parentId: null,
    createdAt: { file: '/proj/app.py', line: 10 + id }, loop: 1, thread: 1, steps: 1, busyMs: 0.5,
    waitingOn: null, wokenBy: null, exception: null, result: null, cancelledBy: null, eager: false, doneAt: null,
    ...extra,
  };
}

export function future(id: number, awaitedBy: number[], extra: Partial<FutureRecord> = {}): FutureRecord {
  return { id, loop: 1, label: 'Future', site: { file: '/proj/app.py', line: 99 }, awaitedBy, ...extra };
}

export function status(extra: Partial<StatusRecord> = {}): StatusRecord {
  return { tick: 0, tasksLive: 0, tasksTotal: 0, ready: 0, paused: false, pauseDescription: null, dropped: 0, sampling: [], ...extra };
}

let seq = 0;
export function update(extra: Partial<UpdateEventBody> = {}): UpdateEventBody {
  return {
    seq: ++seq, reset: false, loops: [], tasks: [], futures: [], removedFutures: [], findings: [], status: status(),
    ...extra,
  };
}
