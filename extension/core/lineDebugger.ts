// Line debugging (issue 12) as a domain object: the breakpoint tables (DAP-side ids ↔ runtime ids,
// kept before the program runs and re-sent when it connects), the line stops the runtime reports
// (stop id ↔ thread id, frames, hit breakpoints) and the dispatch of line steps. No DAP types here.

import type {
  BreakpointResult, Frame, FunctionBreakpointSpec, LineBreakpointSpec, LineContinuedEvent, LineStopReason,
  LineStoppedEvent, ResumeAction, RuntimeOutputEvent, WelcomeOptions, WireEvent,
} from '../protocol/wire';
import type { TaskModel } from '../model/taskModel';
import type { RuntimeRequester } from './target';
import { threadOfLoop, threadOfTask } from './inspector';

/** Python exception filters, shown beside the task filters of the Stepper. */
export const LINE_EXCEPTION_FILTERS = [
  { filter: 'raised', label: 'Raised Exceptions', description: 'Stop where a Python exception is raised (in your code only, with justMyCode)', default: false },
  { filter: 'uncaught', label: 'Uncaught Exceptions', description: 'Stop where an exception will not be caught: it escapes the program, or ends a task or a callback', default: false },
] as const;

/** Threads that run no event loop (stopped outside any loop) live above the loop threads. */
const OS_THREAD_BASE = 2_000_000_000;

/** What the debugger shows for one breakpoint: `id` is ours, stable while the breakpoint exists. */
export interface BreakpointState { id: number; verified: boolean; line?: number; message?: string; file?: string }

export interface LineStop {
  stop: number;
  threadId: number;
  reason: LineStopReason;
  description: string;
  task: number | null;
  loop: number | null;
  osThread: { id: number; name: string };
  frames: Frame[];
  /** Our breakpoint ids (not the runtime's). */
  hitBreakpoints: number[];
  exception: LineStoppedEvent['exception'];
  native: boolean;
}

/** What one event batch meant for line debugging. */
export interface LineEvents { stops: LineStop[]; ended: LineStop[]; output: RuntimeOutputEvent[] }

interface FileTable { specs: LineBreakpointSpec[]; ids: number[] }
interface FunctionTable { specs: FunctionBreakpointSpec[]; ids: number[] }

export class LineDebugger {
  private rt: RuntimeRequester | null = null;
  private readonly files = new Map<string, FileTable>();
  private functions: FunctionTable = { specs: [], ids: [] };
  private readonly runtimeToOurs = new Map<number, number>();
  private nextId = 1;
  private readonly stops = new Map<number, LineStop>();
  /** Stops this debugger ended itself (their runtime `continued` is expected, not news). */
  private readonly endedHere = new Set<number>();
  private readonly osThreads = new Map<number, number>();
  private breakOn = { raised: false, uncaught: false };
  justMyCode = true;
  /** Names task threads in extraThreads(); set once the target (and its model) exists. */
  model: TaskModel | null = null;

  /** Welcome/setOptions fields for the exception filters that belong to line debugging. */
  get options(): Pick<WelcomeOptions, 'justMyCode' | 'breakOnRaised' | 'breakOnUncaught'> {
    return { justMyCode: this.justMyCode, breakOnRaised: this.breakOn.raised, breakOnUncaught: this.breakOn.uncaught };
  }

  async setExceptionFilters(filters: readonly string[]): Promise<void> {
    this.breakOn = { raised: filters.includes('raised'), uncaught: filters.includes('uncaught') };
    if (this.rt) await this.rt.request('setOptions', this.options);
  }

  /**
   * The runtime connected: tells it the options and every breakpoint set so far, then lets it run
   * the program (`configurationDone`). Returns the breakpoints whose state the runtime decided.
   */
  async connect(rt: RuntimeRequester, lineDebugging: boolean): Promise<BreakpointState[]> {
    if (!lineDebugging) {
      return this.allPending('this Loopscope runtime has no line debugging (update the runtime)');
    }
    this.rt = rt;
    await rt.request('setOptions', this.options);
    const changed: BreakpointState[] = [];
    for (const [file, table] of this.files) changed.push(...await this.sendFile(file, table));
    if (this.functions.specs.length > 0) changed.push(...await this.sendFunctions(this.functions));
    await rt.request('configurationDone', {});
    return changed;
  }

  /** Replaces all breakpoints of `file`; before the runtime connects they are pending. */
  async setBreakpoints(file: string, specs: LineBreakpointSpec[]): Promise<BreakpointState[]> {
    const table: FileTable = { specs, ids: specs.map(() => this.nextId++) };
    if (specs.length === 0) this.files.delete(file);
    else this.files.set(file, table);
    if (!this.rt) return table.ids.map((id, i) => ({ id, verified: false, line: specs[i].line, message: 'waiting for the program to start', file }));
    return this.sendFile(file, table);
  }

  async setFunctionBreakpoints(specs: FunctionBreakpointSpec[]): Promise<BreakpointState[]> {
    const table: FunctionTable = { specs, ids: specs.map(() => this.nextId++) };
    this.functions = table;
    if (!this.rt) return table.ids.map((id) => ({ id, verified: false, message: 'waiting for the program to start' }));
    return this.sendFunctions(table);
  }

  private async sendFile(file: string, table: FileTable): Promise<BreakpointState[]> {
    const rt = this.rt as RuntimeRequester;
    const r = await rt.request('setBreakpoints', { file, breakpoints: table.specs });
    return r.breakpoints.map((b: BreakpointResult, i) => {
      const id = table.ids[i] ?? this.nextId++;
      this.runtimeToOurs.set(b.id, id);
      return { id, verified: b.verified, line: b.line, file, ...(b.message ? { message: b.message } : {}) };
    });
  }

  private async sendFunctions(table: FunctionTable): Promise<BreakpointState[]> {
    const rt = this.rt as RuntimeRequester;
    const r = await rt.request('setFunctionBreakpoints', { breakpoints: table.specs });
    return r.breakpoints.map((b, i) => {
      const id = table.ids[i] ?? this.nextId++;
      this.runtimeToOurs.set(b.id, id);
      return { id, verified: b.verified, ...(b.line !== undefined ? { line: b.line } : {}), ...(b.file ? { file: b.file } : {}), ...(b.message ? { message: b.message } : {}) };
    });
  }

  private allPending(message: string): BreakpointState[] {
    const out: BreakpointState[] = [];
    for (const [file, t] of this.files) t.ids.forEach((id, i) => out.push({ id, verified: false, line: t.specs[i].line, message, file }));
    for (const id of this.functions.ids) out.push({ id, verified: false, message });
    return out;
  }

  // -------------------------------------------------------------------------------------------
  // Stops

  /** Feeds one event batch; returns the new stops, the stops the runtime ended, and logpoint output. */
  handle(events: readonly WireEvent[]): LineEvents {
    const out: LineEvents = { stops: [], ended: [], output: [] };
    for (const e of events) {
      if (e.kind === 'stopped') out.stops.push(this.open(e as LineStoppedEvent));
      else if (e.kind === 'continued') {
        const id = (e as LineContinuedEvent).stop;
        const s = this.stops.get(id);
        this.stops.delete(id);
        if (s && !this.endedHere.delete(id)) out.ended.push(s);
      } else if (e.kind === 'output') out.output.push(e as RuntimeOutputEvent);
    }
    return out;
  }

  private open(e: LineStoppedEvent): LineStop {
    const stop: LineStop = {
      stop: e.stop, threadId: this.threadOf(e), reason: e.reason, description: e.description, task: e.task, loop: e.loop,
      osThread: e.thread, frames: e.frames, exception: e.exception, native: e.native,
      hitBreakpoints: e.hitBreakpoints.map((id) => this.runtimeToOurs.get(id)).filter((id): id is number => id !== undefined),
    };
    this.stops.set(stop.stop, stop);
    return stop;
  }

  /** task thread = task id + 1; a plain callback → its loop's thread; no loop → one thread per OS thread. */
  private threadOf(e: LineStoppedEvent): number {
    if (e.task !== null) return threadOfTask(e.task);
    if (e.loop !== null) return threadOfLoop(e.loop);
    let index = this.osThreads.get(e.thread.id);
    if (index === undefined) {
      index = this.osThreads.size;
      this.osThreads.set(e.thread.id, index);
    }
    return OS_THREAD_BASE + index;
  }

  get active(): boolean {
    return this.stops.size > 0;
  }

  stopOn(threadId: number): LineStop | undefined {
    for (const s of this.stops.values()) if (s.threadId === threadId) return s;
    return undefined;
  }

  /** The newest stop (the one the user looks at when a request names no thread). */
  get latest(): LineStop | undefined {
    let last: LineStop | undefined;
    for (const s of this.stops.values()) last = s;
    return last;
  }

  /** Threads that only exist while stopped (non-loop OS threads), for the DAP thread list. */
  extraThreads(listed: ReadonlySet<number>): { id: number; name: string }[] {
    const out: { id: number; name: string }[] = [];
    for (const s of this.stops.values()) {
      if (listed.has(s.threadId)) continue;
      const name = s.task !== null ? `${this.model?.tasks.get(s.task)?.name ?? `Task ${s.task}`} · stopped` : `thread ${s.osThread.name} · stopped`;
      out.push({ id: s.threadId, name });
    }
    return out;
  }

  /** Ends a line stop with a step or continue; its frame ids die now. */
  async resume(stop: LineStop, action: ResumeAction): Promise<void> {
    this.end(stop);
    await this.need().request('resume', { stop: stop.stop, action });
  }

  async resumeAll(): Promise<void> {
    const all = [...this.stops.values()];
    for (const s of all) this.end(s);
    await Promise.all(all.map((s) => this.need().request('resume', { stop: s.stop, action: 'continue' })));
  }

  /** From a tick-boundary hold: release the loop and stop at the first line the task (or loop) runs. */
  async lineStep(where: { task: number } | { loop?: number }, action: 'next' | 'stepIn'): Promise<void> {
    await this.need().request('lineStep', { ...where, action });
  }

  private end(stop: LineStop): void {
    this.stops.delete(stop.stop);
    this.endedHere.add(stop.stop);
  }

  private need(): RuntimeRequester {
    if (!this.rt) throw new Error('line debugging is not available: the program is not connected to a Loopscope runtime that supports it');
    return this.rt;
  }
}
