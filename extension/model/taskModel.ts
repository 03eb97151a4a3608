// The authoritative task model: ingests wire events and keeps loops, tasks, futures and findings
// with exact counts, bounded retention of finished tasks, and coalesced change sets for the
// `loopscope/update` event. Pure domain: no sockets, no DAP, no vscode.

import type {
  FindingRecord, FutureRecord, LoopRecord, StatusRecord, TaskRecord, TaskState, UpdateEventBody,
  SnapshotBody, WaitTarget, FindingKind,
} from '../protocol/customDap';
import { Interner } from './intern';
import type { HelloMessage, KnownEvent, Outcome, SnapshotResult, TaskSnapshot, WireEvent, WokenBy } from '../protocol/wire';

/** The event of one kind, for the per-kind handlers. */
type EventOf<K extends KnownEvent['kind']> = Extract<KnownEvent, { kind: K }>;

export interface ModelOptions {
  /** Finished tasks kept in memory; older ones are evicted (counts stay exact). */
  maxFinishedTasks?: number;
  /** Findings kept in memory; counts per kind stay exact. */
  maxFindings?: number;
  /** Keep `task.step` / `tick` events for the Chrome trace. */
  recordTrace?: boolean;
  /** Upper bound on recorded steps + ticks so a long run cannot exhaust memory. */
  maxTraceEvents?: number;
  /**
   * Keep change sets for takeChanges() (default true). An observer that never takes them (the CLI)
   * passes false: otherwise every evicted task, ended future and finding would be remembered for a
   * change set nobody asks for, and a long run would grow without bound. takeChanges() then always
   * answers a full `reset`.
   */
  trackChanges?: boolean;
}

/** A set that keeps nothing: the change sets of a model that does not track changes. */
class NoSet<T> extends Set<T> {
  override add(): this {
    return this;
  }
}

/** A task as the model keeps it: the DAP record plus bookkeeping the report and summary need. */
export interface ModelTask extends TaskRecord {
  /** What the task last waited on before finishing (the summary's "waited on" column). */
  lastWaitingOn: WaitTarget | null;
  createdTs: number;
}

export interface TraceStep { task: number; tick: number; ts: number; dur: number; wokenBy: number | null }
export interface TraceTick { loop: number; tick: number; ts: number; ready: number; timers: number; selectMs: number }

export interface PauseInfo { loop: number; tick: number; reason: string; description: string; ran: WokenBy[] }

const FINISHED: ReadonlySet<TaskState> = new Set<TaskState>(['done', 'failed', 'cancelled']);
export const isFinished = (t: TaskRecord): boolean => FINISHED.has(t.state);

export class TaskModel {
  readonly loops = new Map<number, LoopRecord>();
  readonly tasks = new Map<number, ModelTask>();
  readonly futures = new Map<number, FutureRecord>();
  readonly findings: FindingRecord[] = [];
  readonly findingCounts = new Map<FindingKind, number>();
  readonly traceSteps: TraceStep[] = [];
  readonly traceTicks: TraceTick[] = [];

  hello: HelloMessage | null = null;
  exitCode: number | null = null;
  /** Tasks ever created (exact even after eviction). */
  taskCount = 0;
  /** Finished tasks by how they ended, exact: listed, evicted and counted-only (`tasks.unlisted`) alike. */
  readonly endedCounts: Record<EndedState, number> = { done: 0, failed: 0, cancelled: 0 };
  /** Tasks the runtime counted instead of describing one by one, by loop, coroutine and outcome. */
  readonly unlisted = new Map<string, UnlistedGroup>();
  unlistedCount = 0;
  findingCount = 0;
  dropped = 0;
  eventsIngested = 0;
  traceTruncated = false;
  lastPause: PauseInfo | null = null;
  /** Latest event time seen (ms since the runtime started). */
  lastTs = 0;
  /** Whether `task.step` / `tick` events are being kept (the trace has step slices). */
  get recordingTrace(): boolean {
    return this.recordTrace;
  }
  /** Ticks per loop, summed from `loop.ticks` counts. */
  private readonly tickCounts = new Map<number, number>();
  private runtimeStats: { tasksLive: number; tasksTotal: number } | null = null;
  /** Steps over the blocking threshold only through Loopscope's own bookkeeping and GC (not findings). */
  slowOwnSteps = 0;
  private liveCount = 0;
  /** Live tasks in state `ready` (scheduled to run), kept incrementally for the status line. */
  private readyCount = 0;
  private readonly finishedOrder: number[] = [];
  private finishedHead = 0;

  // Change tracking for coalesced updates (NoSets when changes are not tracked).
  private readonly trackChanges: boolean;
  private dirtyTasks: Set<number>;
  private dirtyLoops: Set<number>;
  private dirtyFutures: Set<number>;
  private removedFutures: Set<number>;
  private removedTasks: number[] = [];
  private newFindings: FindingRecord[] = [];
  private statusDirty = false;
  private needsReset = true;
  private updateSeq = 0;

  /** Shared copies of what many records repeat (sites, coroutine names, waits). */
  private readonly intern = new Interner();
  private readonly maxFinished: number;
  private readonly maxFindings: number;
  private readonly recordTrace: boolean;
  private readonly maxTrace: number;

  constructor(opts: ModelOptions = {}) {
    this.maxFinished = opts.maxFinishedTasks ?? 10000;
    this.maxFindings = opts.maxFindings ?? 10000;
    this.recordTrace = opts.recordTrace ?? false;
    this.maxTrace = opts.maxTraceEvents ?? 2_000_000;
    this.trackChanges = opts.trackChanges ?? true;
    this.dirtyTasks = this.changeSet();
    this.dirtyLoops = this.changeSet();
    this.dirtyFutures = this.changeSet();
    this.removedFutures = this.changeSet();
  }

  private changeSet(): Set<number> {
    return this.trackChanges ? new Set<number>() : new NoSet<number>();
  }

  setHello(h: HelloMessage): void {
    this.hello = h;
    this.statusDirty = true;
  }

  /** Ingests one `events` batch. */
  ingest(events: readonly WireEvent[], dropped = 0): void {
    if (dropped > 0) {
      this.dropped += dropped;
      this.statusDirty = true;
    }
    for (let i = 0; i < events.length; i++) this.apply(events[i]);
  }

  /** Applies one event; each kind has its own handler below. */
  apply(ev: WireEvent): void {
    this.eventsIngested++;
    if (ev.ts > this.lastTs) this.lastTs = ev.ts;
    // Unknown kinds carry a `kind` string no case matches, so they fall through to `default`.
    const e = ev as KnownEvent;
    switch (e.kind) {
      case 'task.state': return this.onTaskState(e);
      case 'loop.ticks': return this.onLoopTicks(e);
      case 'task.created': return this.onTaskCreated(e);
      case 'task.done': return this.onTaskDone(e);
      case 'task.step':
        if (this.recordTrace && this.room()) {
          this.traceSteps.push({ task: e.task, tick: e.tick, ts: e.ts, dur: e.durationMs, wokenBy: e.wokenBy?.task ?? null });
        }
        return;
      case 'tick':
        if (this.recordTrace && this.room()) {
          this.traceTicks.push({ loop: e.loop, tick: e.tick, ts: e.ts, ready: e.ready, timers: e.timers, selectMs: e.selectMs });
        }
        return;
      case 'future.created':
        this.futures.set(e.future, { id: e.future, loop: e.loop, label: e.label, site: e.site, awaitedBy: e.awaitedBy });
        this.removedFutures.delete(e.future);
        this.dirtyFutures.add(e.future);
        return;
      case 'future.done':
        if (this.futures.delete(e.future)) {
          this.dirtyFutures.delete(e.future);
          this.removedFutures.add(e.future);
        }
        return;
      case 'finding': return this.onFinding(e);
      case 'loop.created': case 'loop.closed': case 'paused': case 'resumed': return this.onLoopLife(e);
      case 'tasks.unlisted': return this.onUnlisted(e);
      case 'stats':
        this.runtimeStats = { tasksLive: e.tasksLive, tasksTotal: e.tasksTotal };
        this.slowOwnSteps = Math.max(this.slowOwnSteps, e.slowOwnSteps ?? 0);
        this.statusDirty = true;
        return;
      case 'process.exit':
        this.exitCode = e.code;
        this.statusDirty = true;
        return;
      default:
        return; // unknown kinds are ignored (forward compatibility within v1)
    }
  }

  private onTaskState(e: EventOf<'task.state'>): void {
    const t = this.tasks.get(e.task) ?? this.placeholder(e.task, e.ts);
    if (isFinished(t)) return; // a late state for a finished task must not resurrect it
    this.setState(t, e.state);
    t.steps = e.steps;
    t.busyMs = e.busyMs;
    t.waitingOn = this.intern.wait(e.waitingOn);
    if (t.waitingOn) t.lastWaitingOn = t.waitingOn;
    t.wokenBy = e.wokenBy;
    this.dirtyTasks.add(t.id);
  }

  private onLoopTicks(e: EventOf<'loop.ticks'>): void {
    const l = this.loop(e.loop);
    l.tick = e.tick;
    l.ready = e.ready;
    l.timers = e.timers;
    this.tickCounts.set(e.loop, (this.tickCounts.get(e.loop) ?? 0) + e.count);
    this.dirtyLoops.add(e.loop);
    this.statusDirty = true;
  }

  private onTaskCreated(e: EventOf<'task.created'>): void {
    const t = this.tasks.get(e.task) ?? this.placeholder(e.task, e.ts);
    t.name = e.name;
    t.coro = this.intern.string(e.coro);
    t.createdAt = this.intern.site(e.site);
    t.parentId = e.parent;
    t.loop = e.loop;
    t.thread = e.thread;
    t.eager = e.eager;
    t.createdTs = e.ts;
    this.dirtyTasks.add(t.id);
  }

  private onTaskDone(e: EventOf<'task.done'>): void {
    const t = this.tasks.get(e.task) ?? this.placeholder(e.task, e.ts);
    if (isFinished(t)) return;
    const ended = endedState(e.outcome);
    this.setState(t, ended);
    this.endedCounts[ended]++;
    t.result = e.result;
    t.exception = e.exception;
    t.cancelledBy = e.cancelledBy;
    t.steps = e.steps;
    t.busyMs = e.busyMs;
    t.waitingOn = null;
    if (e.lastWaitingOn) t.lastWaitingOn = this.intern.wait(e.lastWaitingOn);
    t.doneAt = e.ts;
    this.liveCount--;
    this.finishedOrder.push(t.id);
    this.dirtyTasks.add(t.id);
    this.statusDirty = true;
    this.evictFinished();
  }

  /** Tasks that started and ended while the runtime was behind: counted, never listed. */
  private onUnlisted(e: EventOf<'tasks.unlisted'>): void {
    const key = `${e.loop}\u0000${e.coro}\u0000${e.outcome}`;
    const g = this.unlisted.get(key) ?? { loop: e.loop, coro: e.coro, outcome: e.outcome, count: 0, steps: 0, busyMs: 0 };
    g.count += e.count;
    g.steps += e.steps;
    g.busyMs += e.busyMs;
    this.unlisted.set(key, g);
    this.unlistedCount += e.count;
    this.taskCount += e.count;
    this.endedCounts[endedState(e.outcome)] += e.count;
    this.statusDirty = true;
  }

  /**
   * What this model holds less than all of, one sentence each (empty when nothing): the report, the
   * summary, the trace and the editor all say these.
   */
  samplingNotes(): string[] {
    const notes: string[] = [];
    if (this.unlistedCount > 0) {
      const groups = [...this.unlisted.values()].sort((a, b) => b.count - a.count);
      const top = groups.slice(0, 3).map((g) => `${g.coro}() ${endedState(g.outcome)} ×${g.count.toLocaleString('en-US')}`).join(', ');
      notes.push(`${this.unlistedCount.toLocaleString('en-US')} short tasks were counted, not listed one by one: each started and ended while ` +
        `the runtime was behind describing new tasks (${top}${groups.length > 3 ? ', …' : ''}); task counts and final states stay exact`);
    }
    if (this.slowOwnSteps > 0) {
      notes.push(`${this.slowOwnSteps.toLocaleString('en-US')} step(s) ran over the blocking threshold only with Loopscope's own ` +
        'bookkeeping and garbage collection counted; the program\'s own time in each was under it, so none is reported as a blocking call');
    }
    if (this.dropped > 0) {
      notes.push(`${this.dropped.toLocaleString('en-US')} step-level events (per-step detail, output beyond the buffer) were dropped under load; ` +
        'task counts, final states and findings stay exact');
    }
    return notes;
  }

  private onFinding(e: EventOf<'finding'>): void {
    const f: FindingRecord = {
      id: e.finding, kind: e.findingKind, message: e.message, location: e.location,
      taskId: e.task, durationMs: e.durationMs,
    };
    if (e.chains) f.chains = e.chains;
    this.findingCount++;
    this.findingCounts.set(f.kind, (this.findingCounts.get(f.kind) ?? 0) + 1);
    if (this.findings.length < this.maxFindings) this.findings.push(f);
    if (this.trackChanges) this.newFindings.push(f);
    this.statusDirty = true;
  }

  /** A loop appears, closes, or is held / released at a tick boundary. */
  private onLoopLife(e: EventOf<'loop.created' | 'loop.closed' | 'paused' | 'resumed'>): void {
    const l = this.loop(e.loop);
    this.dirtyLoops.add(e.loop);
    if (e.kind === 'loop.created') {
      l.thread = e.thread;
      l.cls = e.cls;
      l.tickControl = e.tickControl;
      return;
    }
    if (e.kind === 'loop.closed') {
      l.closed = true;
      l.paused = false;
      return;
    }
    l.paused = e.kind === 'paused';
    if (e.kind === 'paused') {
      l.tick = Math.max(l.tick, e.tick);
      this.lastPause = { loop: e.loop, tick: e.tick, reason: e.reason, description: e.description, ran: e.ran };
    }
    this.statusDirty = true;
  }

  /** Merges a runtime `snapshot` (attach, timeout): fills in tasks and loops the stream has not told us about. */
  applySnapshot(s: SnapshotResult): void {
    for (const l of s.loops) {
      if (l.loop === undefined) continue;
      const rec = this.loop(l.loop);
      if (l.thread) rec.thread = l.thread;
      if (l.cls) rec.cls = l.cls;
      if (l.tickControl !== undefined) rec.tickControl = l.tickControl;
      if (l.tick !== undefined) rec.tick = Math.max(rec.tick, l.tick);
      if (l.paused !== undefined) rec.paused = l.paused;
      if (l.closed !== undefined) rec.closed = l.closed;
      this.dirtyLoops.add(l.loop);
    }
    for (const ts of s.tasks) this.applyTaskSnapshot(ts);
    for (const f of s.futures) {
      if (f.future === undefined) continue;
      this.futures.set(f.future, {
        id: f.future, loop: f.loop ?? 0, label: f.label ?? 'Future', site: f.site ?? null, awaitedBy: f.awaitedBy ?? [],
      });
      this.dirtyFutures.add(f.future);
    }
    if (s.stats && s.stats.tasksLive !== undefined && s.stats.tasksTotal !== undefined) {
      this.runtimeStats = { tasksLive: s.stats.tasksLive, tasksTotal: s.stats.tasksTotal };
    }
    this.statusDirty = true;
  }

  private applyTaskSnapshot(s: TaskSnapshot): void {
    const existed = this.tasks.get(s.task);
    const t = existed ?? this.placeholder(s.task, s.ts ?? 0);
    if (s.name !== undefined) t.name = s.name;
    if (s.coro !== undefined) t.coro = s.coro;
    if (s.site !== undefined) t.createdAt = s.site;
    if (s.parent !== undefined) t.parentId = s.parent;
    if (s.loop !== undefined) t.loop = s.loop;
    if (s.thread !== undefined) t.thread = s.thread;
    if (s.eager !== undefined) t.eager = s.eager;
    if (s.steps !== undefined) t.steps = Math.max(t.steps, s.steps);
    if (s.busyMs !== undefined) t.busyMs = Math.max(t.busyMs, s.busyMs);
    if (s.outcome !== undefined || s.state === 'done') {
      if (!isFinished(t)) {
        const outcome = s.outcome ?? 'result';
        this.setState(t, outcome === 'result' ? 'done' : outcome === 'exception' ? 'failed' : 'cancelled');
        t.result = s.result ?? null;
        t.exception = s.exception ?? null;
        t.cancelledBy = s.cancelledBy ?? null;
        t.waitingOn = null;
        if (s.lastWaitingOn) t.lastWaitingOn = s.lastWaitingOn;
        this.liveCount--;
        this.finishedOrder.push(t.id);
      }
    } else if (!isFinished(t)) {
      if (s.state !== undefined) this.setState(t, s.state);
      if (s.waitingOn !== undefined) {
        t.waitingOn = s.waitingOn;
        if (s.waitingOn) t.lastWaitingOn = s.waitingOn;
      }
      if (s.wokenBy !== undefined) t.wokenBy = s.wokenBy;
    }
    this.dirtyTasks.add(t.id);
  }

  // -------------------------------------------------------------------------------------------
  // Queries

  get totalTicks(): number {
    let n = 0;
    for (const [id, l] of this.loops) n += Math.max(l.tick, this.tickCounts.get(id) ?? 0);
    return n;
  }

  /** Live tasks in creation order. */
  live(): ModelTask[] {
    const out: ModelTask[] = [];
    for (const t of this.tasks.values()) if (!isFinished(t)) out.push(t);
    return out;
  }

  children(taskId: number): ModelTask[] {
    const out: ModelTask[] = [];
    for (const t of this.tasks.values()) if (t.parentId === taskId) out.push(t);
    return out;
  }

  status(): StatusRecord {
    let tick = 0;
    let paused = false;
    for (const l of this.loops.values()) {
      tick = Math.max(tick, l.tick);
      paused ||= l.paused;
    }
    return {
      tick,
      tasksLive: this.liveCount,
      tasksTotal: Math.max(this.taskCount, this.runtimeStats?.tasksTotal ?? 0),
      // Tasks ready to run, not the loop's ready-queue length at its last tick report: that lags
      // (0 at entry while Task-1 is scheduled) and also counts plain callbacks.
      ready: this.readyCount,
      paused,
      pauseDescription: paused && this.lastPause ? this.lastPause.description : null,
      dropped: this.dropped,
      sampling: this.samplingNotes(),
    };
  }

  snapshot(): SnapshotBody {
    return {
      loops: [...this.loops.values()].map((l) => ({ ...l })),
      tasks: [...this.tasks.values()].map(toRecord),
      futures: [...this.futures.values()],
      findings: [...this.findings],
      status: this.status(),
    };
  }

  /** Changes since the last call as a `loopscope/update` body, or null when nothing changed. */
  takeChanges(): UpdateEventBody | null {
    const reset = this.needsReset || !this.trackChanges;
    if (reset) {
      this.needsReset = false;
      this.clearDirty();
      const snap = this.snapshot();
      return { seq: ++this.updateSeq, reset: true, ...snap, removedFutures: [], removedTasks: [] };
    }
    if (!this.statusDirty && this.dirtyTasks.size === 0 && this.dirtyLoops.size === 0 &&
        this.dirtyFutures.size === 0 && this.removedFutures.size === 0 && this.newFindings.length === 0) {
      return null;
    }
    const tasks: TaskRecord[] = [];
    for (const id of this.dirtyTasks) {
      const t = this.tasks.get(id);
      if (t) tasks.push(toRecord(t));
    }
    const loops: LoopRecord[] = [];
    for (const id of this.dirtyLoops) {
      const l = this.loops.get(id);
      if (l) loops.push({ ...l });
    }
    const futures: FutureRecord[] = [];
    for (const id of this.dirtyFutures) {
      const f = this.futures.get(id);
      if (f) futures.push(f);
    }
    const body: UpdateEventBody = {
      seq: ++this.updateSeq, reset: false, loops, tasks, futures,
      removedFutures: [...this.removedFutures], removedTasks: this.removedTasks,
      findings: this.newFindings, status: this.status(),
    };
    this.clearDirty();
    return body;
  }

  /** Next takeChanges() starts with a full `reset` update (new client, reconnect). */
  requestReset(): void {
    this.needsReset = true;
  }

  // -------------------------------------------------------------------------------------------

  private clearDirty(): void {
    this.dirtyTasks = this.changeSet();
    this.dirtyLoops = this.changeSet();
    this.dirtyFutures = this.changeSet();
    this.removedFutures = this.changeSet();
    this.removedTasks = [];
    this.newFindings = [];
    this.statusDirty = false;
  }

  private room(): boolean {
    if (this.traceSteps.length + this.traceTicks.length < this.maxTrace) return true;
    this.traceTruncated = true;
    return false;
  }

  private loop(id: number): LoopRecord {
    let l = this.loops.get(id);
    if (!l) {
      l = { id, thread: { id: 0, name: '' }, cls: '', tickControl: false, tick: 0, ready: 0, timers: 0, paused: false, closed: false };
      this.loops.set(id, l);
    }
    return l;
  }

  private placeholder(id: number, ts: number): ModelTask {
    // Events can arrive for a task whose creation we never saw (dropped batch, attach mid-run).
    const t: ModelTask = {
      id, name: `Task ${id}`, coro: '?', state: 'ready', parentId: null, createdAt: null, loop: 0, thread: null,
      steps: 0, busyMs: 0, waitingOn: null, wokenBy: null, exception: null, result: null, cancelledBy: null,
      eager: false, doneAt: null, lastWaitingOn: null, createdTs: ts,
    };
    this.tasks.set(id, t);
    this.taskCount++;
    this.liveCount++;
    this.readyCount++;
    this.statusDirty = true;
    return t;
  }

  private setState(t: ModelTask, state: TaskState): void {
    if (t.state === state) return;
    if (t.state === 'ready') this.readyCount--;
    if (state === 'ready') this.readyCount++;
    t.state = state;
  }

  private evictFinished(): void {
    const retained = this.finishedOrder.length - this.finishedHead;
    if (retained <= this.maxFinished) return;
    const id = this.finishedOrder[this.finishedHead++];
    if (this.tasks.delete(id)) {
      this.dirtyTasks.delete(id);
      if (this.trackChanges) this.removedTasks.push(id);
    }
    // Compact occasionally so the order array does not grow without bound.
    if (this.finishedHead > 4096 && this.finishedHead * 2 > this.finishedOrder.length) {
      this.finishedOrder.splice(0, this.finishedHead);
      this.finishedHead = 0;
    }
  }
}

export type EndedState = 'done' | 'failed' | 'cancelled';

export interface UnlistedGroup { loop: number; coro: string; outcome: Outcome; count: number; steps: number; busyMs: number }

export const endedState = (o: Outcome): EndedState => (o === 'result' ? 'done' : o === 'exception' ? 'failed' : 'cancelled');

export function toRecord(t: ModelTask): TaskRecord {
  return {
    id: t.id, name: t.name, coro: t.coro, state: t.state, parentId: t.parentId, createdAt: t.createdAt,
    loop: t.loop, thread: t.thread, steps: t.steps, busyMs: t.busyMs, waitingOn: t.waitingOn, wokenBy: t.wokenBy,
    exception: t.exception, result: t.result, cancelledBy: t.cancelledBy, eager: t.eager, doneAt: t.doneAt,
  };
}
