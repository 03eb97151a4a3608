// Scheduler stepping and exception stops, as a domain object: turns user intents (pause, next tick,
// next callback, continue, run until a task steps) into runtime requests, and runtime `paused`
// events plus exception-filter matches into stops that say why and where. No DAP types here.

import type { FindingKind, Location } from '../protocol/customDap';
import type { PauseOnFilter } from '../protocol/wire';
import type { KnownEvent, PausedEvent, WireEvent } from '../protocol/wire';
import type { TaskModel } from '../model/taskModel';
import { isFinished } from '../model/taskModel';
import type { RuntimeRequester } from './target';

/** The exception-breakpoint filter ids are the runtime's `pauseOn` filters (protocol/schema.json). */
export type FilterId = PauseOnFilter;

export interface FilterInfo { filter: FilterId; label: string; description: string; default: boolean }

export const EXCEPTION_FILTERS: readonly FilterInfo[] = [
  { filter: 'task-failed', label: 'Task failed', description: 'Stop when a task ends with an exception', default: false },
  { filter: 'task-cancelled', label: 'Task cancelled', description: 'Stop when a task is cancelled', default: false },
  { filter: 'never-awaited', label: 'Coroutine never awaited', description: 'Stop when a coroutine object is garbage-collected without being awaited', default: true },
  { filter: 'blocking-call', label: 'Blocking call', description: 'Stop after a step or callback blocks the event loop longer than the threshold', default: false },
  { filter: 'unretrieved-exception', label: 'Exception never retrieved', description: 'Stop when a failed task or future is dropped without anyone reading its exception', default: false },
  { filter: 'stall', label: 'Stall (deadlock)', description: 'Stop when the loop has tasks but nothing can ever wake them', default: true },
];

const FINDING_FILTER: Partial<Record<FindingKind, FilterId>> = {
  'never-awaited': 'never-awaited',
  'blocking-call': 'blocking-call',
  'unretrieved-exception': 'unretrieved-exception',
  stall: 'stall',
};

export type StopReason = 'entry' | 'pause' | 'step' | 'exception';

export interface ExceptionStop {
  filter: FilterId;
  /** One line: `Task worker-3 failed: ValueError: bad item`. */
  description: string;
  /** Longer text (exception details, stall chains). */
  details: string;
  taskId: number | null;
  location: Location | null;
  exceptionType: string;
}

export interface Stop {
  loop: number;
  reason: StopReason;
  description: string;
  /** The task the user most likely wants to look at; null → the loop itself. */
  focusTask: number | null;
  exception: ExceptionStop | null;
}

const where = (l: Location | null | undefined): string => (l ? ` at ${l.file}:${l.line}` : '');

/**
 * A stall names no single task; focus the first stuck task whose await chain reaches user code, so
 * the editor opens the line it is stuck on rather than staying on the loop (which has no source).
 */
function stuckTask(chains: readonly { task: number; frames: readonly { internal: boolean }[] }[] | null | undefined): number | null {
  if (!chains || chains.length === 0) return null;
  return (chains.find((c) => c.frames.some((f) => !f.internal)) ?? chains[0]).task;
}

export class Stepper {
  private enabled = new Set<FilterId>(EXCEPTION_FILTERS.filter((f) => f.default).map((f) => f.filter));
  /** Exception stops waiting for their loop to reach a tick boundary. Key -1: "whichever loop pauses first". */
  private readonly pendingExceptions = new Map<number, ExceptionStop>();
  private runUntilTask: number | null = null;
  /** Loops paused as of the event being handled (the model already reflects the whole batch). */
  private readonly pausedLoops = new Set<number>();
  /** The exception stop currently shown (for DAP exceptionInfo). */
  current: Stop | null = null;

  constructor(private readonly rt: RuntimeRequester, private readonly model: TaskModel) {}

  setFilters(filters: readonly string[]): void {
    this.enabled = new Set(filters.filter((f): f is FilterId => EXCEPTION_FILTERS.some((x) => x.filter === f)));
  }

  /** The runtime's `pauseOn` option for the enabled filters: it then holds the loop by itself. */
  get pauseOn(): FilterId[] {
    return [...this.enabled];
  }

  /** Tells a connected runtime about changed filters. */
  async syncPauseOn(): Promise<void> {
    if (this.rt.pausesOnEvents) await this.rt.request('setOptions', { pauseOn: this.pauseOn });
  }

  get filters(): ReadonlySet<FilterId> {
    return this.enabled;
  }

  /** `anywhere`: a loop busy inside a step stops at the executing line (line debugging runtimes). */
  async pause(loop?: number, anywhere = false): Promise<void> {
    await this.rt.request('pause', { ...(loop !== undefined ? { loop } : {}), ...(anywhere ? { anywhere } : {}) });
  }

  /** `next`: exactly one tick of the loop. */
  async stepTick(loop?: number): Promise<void> {
    this.resuming();
    await this.rt.request('stepTick', loop !== undefined ? { loop } : {});
  }

  /** `stepIn`: exactly one ready callback or task step. */
  async stepCallback(loop?: number): Promise<void> {
    this.resuming();
    await this.rt.request('stepCallback', loop !== undefined ? { loop } : {});
  }

  async continue(loop?: number): Promise<void> {
    this.resuming();
    await this.rt.request('continue', loop !== undefined ? { loop } : {});
  }

  async runUntilTaskSteps(task: number): Promise<void> {
    const t = this.model.tasks.get(task);
    if (!t) throw new Error(`there is no task with id ${task}`);
    if (isFinished(t)) throw new Error(`task ${t.name} has already finished (${t.state})`);
    this.resuming();
    this.runUntilTask = task;
    await this.rt.request('runUntilTaskSteps', { task });
  }

  /** The loop a DAP thread's commands should act on: the task's loop, or the only/first loop. */
  loopOfTask(task: number | null): number | undefined {
    if (task !== null) {
      const t = this.model.tasks.get(task);
      if (t) return t.loop;
    }
    return undefined;
  }

  /**
   * Feeds one event batch (after the model ingested it). Returns the stops to report; requests
   * a pause for every exception filter that matched on a running loop.
   */
  handle(events: readonly WireEvent[]): Stop[] {
    const stops: Stop[] = [];
    for (const ev of events) {
      const e = ev as KnownEvent;
      if (e.kind === 'paused') {
        this.pausedLoops.add(e.loop);
        stops.push(this.onPaused(e));
      } else if (e.kind === 'resumed' || e.kind === 'loop.closed') {
        this.pausedLoops.delete(e.loop);
      } else if (e.kind === 'task.done' || e.kind === 'finding') {
        const hit = this.match(e);
        if (hit) {
          const stop = this.arm(hit);
          if (stop) stops.push(stop);
        }
      }
    }
    return stops;
  }

  private resuming(): void {
    this.current = null;
    this.runUntilTask = null;
  }

  private onPaused(e: PausedEvent): Stop {
    const exc = this.pendingExceptions.get(e.loop) ?? this.pendingExceptions.get(-1);
    if (exc) {
      this.pendingExceptions.delete(e.loop);
      this.pendingExceptions.delete(-1);
      this.current = { loop: e.loop, reason: 'exception', description: exc.description, focusTask: this.focusable(exc.taskId) ?? this.focusFromRan(e), exception: exc };
      return this.current;
    }
    if (e.trigger && (e.reason === 'exception' || e.reason === 'finding')) {
      // The runtime paused on an event whose filter was switched off here since: still say why.
      const t = e.trigger;
      const hit: ExceptionStop = {
        filter: t.filter as FilterId, taskId: t.task, location: null, exceptionType: t.filter,
        description: e.description, details: e.description,
      };
      this.current = { loop: e.loop, reason: 'exception', description: e.description, focusTask: this.focusable(t.task) ?? this.focusFromRan(e), exception: hit };
      return this.current;
    }
    const reason: StopReason = e.reason === 'entry' ? 'entry' : e.reason === 'pause' ? 'pause' : 'step';
    let focus: number | null = null;
    if (e.reason === 'task-stepped' && this.runUntilTask !== null) focus = this.focusable(this.runUntilTask);
    focus ??= this.focusFromRan(e);
    this.runUntilTask = null;
    this.current = { loop: e.loop, reason, description: e.description, focusTask: focus, exception: null };
    return this.current;
  }

  /** A task thread to focus: live tasks, or the finished task an exception stop is about. */
  private focusable(task: number | null): number | null {
    if (task === null) return null;
    return this.model.tasks.has(task) ? task : null;
  }

  private focusFromRan(e: PausedEvent): number | null {
    for (let i = e.ran.length - 1; i >= 0; i--) {
      const id = e.ran[i].task;
      if (id === undefined) continue;
      const t = this.model.tasks.get(id);
      if (t && !isFinished(t)) return id;
    }
    return null;
  }

  private match(e: KnownEvent): ExceptionStop | null {
    if (e.kind === 'task.done') {
      const t = this.model.tasks.get(e.task);
      const name = t ? t.name : `Task ${e.task}`;
      if (e.outcome === 'exception' && this.enabled.has('task-failed') && e.exception) {
        return {
          filter: 'task-failed', taskId: e.task, location: e.exception.location,
          exceptionType: e.exception.type,
          description: `Task ${name} failed: ${e.exception.type}${e.exception.message ? `: ${e.exception.message}` : ''}`,
          details: `${e.exception.type}: ${e.exception.message}${where(e.exception.location)}`,
        };
      }
      if (e.outcome === 'cancelled' && this.enabled.has('task-cancelled')) {
        const by = e.cancelledBy;
        const byTask = by?.task !== null && by?.task !== undefined ? this.model.tasks.get(by.task)?.name ?? `Task ${by.task}` : null;
        return {
          filter: 'task-cancelled', taskId: e.task, location: by?.location ?? null, exceptionType: 'CancelledError',
          description: `Task ${name} was cancelled${byTask ? ` by ${byTask}` : ''}`,
          details: `CancelledError${byTask ? ` (cancelled by ${byTask}${where(by?.location)})` : where(by?.location)}`,
        };
      }
      return null;
    }
    if (e.kind === 'finding') {
      const filter = FINDING_FILTER[e.findingKind];
      if (!filter || !this.enabled.has(filter)) return null;
      let details = `${e.message}${where(e.location)}`;
      if (e.chains) {
        for (const c of e.chains) {
          const tn = this.model.tasks.get(c.task)?.name ?? `Task ${c.task}`;
          details += `\n  ${tn}: ${c.frames.map((f) => `${f.name} (${f.file}:${f.line})`).join(' ← ')}`;
        }
      }
      return {
        filter, taskId: e.task ?? stuckTask(e.chains), location: e.location, exceptionType: e.findingKind,
        description: `${e.findingKind}: ${e.message}`, details,
      };
    }
    return null;
  }

  /** Stops now if the loop is already paused; otherwise asks it to pause at the next tick boundary. */
  private arm(hit: ExceptionStop): Stop | null {
    let loop = this.loopOfTask(hit.taskId);
    // Findings without a task (never-awaited) belong to the only loop when there is just one.
    if (loop === undefined && this.model.loops.size === 1) loop = [...this.model.loops.keys()][0];
    if (loop !== undefined && this.pausedLoops.has(loop)) {
      this.current = { loop, reason: 'exception', description: hit.description, focusTask: this.focusable(hit.taskId), exception: hit };
      return this.current;
    }
    const key = loop ?? -1;
    if (this.pendingExceptions.has(key)) return null; // the first hit wins; later ones are still findings
    this.pendingExceptions.set(key, hit);
    // A runtime with `pauseOn` has already decided to hold the loop at its next tick boundary
    // (even if the program is about to end); a pause request from here could arrive too late.
    if (this.rt.pausesOnEvents && (loop === undefined || this.model.loops.get(loop)?.tickControl !== false)) return null;
    this.pause(loop).catch(() => {
      // The loop closed or the program is ending; the finding itself is still reported.
      this.pendingExceptions.delete(key);
    });
    return null;
  }
}
