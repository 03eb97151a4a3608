// Presents the observed program the way a debugger UI wants it, as plain data: tasks and loops as
// threads with telling names, await chains as stack frames (justMyCode hides asyncio's frames),
// frame locals and task details as variables. Holds the frame/variable handles, which die on resume.

import type { Frame, WaitTarget } from '../protocol/customDap';
import { isFinished, type ModelTask, type TaskModel } from '../model/taskModel';
import type { RuntimeRequester } from './target';
import type { LineStop } from './lineDebugger';

export interface ThreadInfo { id: number; name: string }
export interface FrameInfo {
  id: number;
  name: string;
  file: string | null;
  line: number;
  hint: 'normal' | 'label' | 'subtle';
}
export interface ScopeInfo { name: string; ref: number; hint?: 'locals' | 'registers' }
export interface VariableInfo { name: string; value: string; type?: string; ref: number }

/** Loop threads live above every task thread id. DAP thread ids for tasks are task id + 1 (ids may be 0). */
const LOOP_THREAD_BASE = 1_000_000_000;
export const threadOfTask = (task: number): number => task + 1;
export const threadOfLoop = (loop: number): number => LOOP_THREAD_BASE + loop;

type Handle =
  | { kind: 'frame'; frame: number; task: number }
  | { kind: 'lineFrame'; frame: number; task: number | null }
  | { kind: 'synthetic'; task: number }
  | { kind: 'stopFrame' }
  | { kind: 'loopFrame'; loop: number }
  | { kind: 'locals'; frame: number }
  | { kind: 'ref'; ref: number }
  | { kind: 'task'; task: number }
  | { kind: 'value'; entries: VariableInfo[] };

const MAX_NAME = 90;
const clip = (s: string, n = MAX_NAME): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

export function describeWait(w: WaitTarget | null): string {
  if (!w) return '';
  return w.detail && w.kind !== 'queue.get' ? `${w.label} (${w.detail})` : w.label;
}

/** `worker-1 · worker() · waiting on Queue.get` */
export function taskThreadName(t: ModelTask): string {
  let state: string;
  switch (t.state) {
    case 'waiting': state = t.waitingOn ? `waiting on ${describeWait(t.waitingOn)}` : 'waiting'; break;
    case 'ready': state = 'ready'; break;
    case 'running': state = 'running'; break;
    case 'failed': state = t.exception ? `failed: ${t.exception.type}` : 'failed'; break;
    default: state = t.state;
  }
  return clip(`${t.name} · ${t.coro}() · ${state}`);
}

/** The place an exception stop is about, shown as the top frame of the stopped thread (cleared on resume). */
export interface StopFrame { thread: number; name: string; file: string; line: number }

export class Inspector {
  private handles = new Map<number, Handle>();
  private nextHandle = 1;
  justMyCode = true;
  /**
   * A blocking call's task is suspended somewhere after the line that blocked; VS Code opens the top
   * frame with a source, so the finding's own location goes first.
   */
  stopFrame: StopFrame | null = null;
  /** The line stop a thread is in (issue 12): its stack is the stop's real frames. */
  lineStopOf: (threadId: number) => LineStop | undefined = () => undefined;

  constructor(private readonly rt: RuntimeRequester, private readonly model: TaskModel) {}

  /** Frame and variable handles are only valid while stopped. */
  reset(): void {
    this.handles.clear();
    this.stopFrame = null;
  }

  taskOfThread(threadId: number): number | null {
    return threadId >= 1 && threadId < LOOP_THREAD_BASE ? threadId - 1 : null;
  }

  loopOfThread(threadId: number): number | undefined {
    if (threadId >= LOOP_THREAD_BASE) return threadId - LOOP_THREAD_BASE;
    const task = this.taskOfThread(threadId);
    return task !== null ? this.model.tasks.get(task)?.loop : undefined;
  }

  /** Event loops first, then live tasks; `alsoTask` keeps a finished task visible while a stop is about it. */
  threads(alsoTask: number | null = null): ThreadInfo[] {
    const out: ThreadInfo[] = [];
    for (const l of this.model.loops.values()) {
      if (l.closed) continue;
      // Held by the latest stop, the loop also says what that stop did ("tick 12: ran worker-1"): a stop
      // about a task is one `stopped` event for the task's thread, which gives the loop thread no reason.
      const last = this.model.lastPause;
      const did = l.paused && last?.loop === l.id && last.description ? ` · ${last.description}` : '';
      const state = l.paused ? 'paused' : 'running';
      out.push({ id: threadOfLoop(l.id), name: `event loop ${l.id} · ${l.thread.name || 'thread'} · tick ${l.tick} · ${state}${did}` });
    }
    for (const t of this.model.tasks.values()) {
      if (!isFinished(t) || t.id === alsoTask) out.push({ id: threadOfTask(t.id), name: taskThreadName(t) });
    }
    return out;
  }

  async stackTrace(threadId: number): Promise<FrameInfo[]> {
    const line = this.lineStopOf(threadId);
    if (line) return [...this.lineStopFrames(line), ...await this.awaiterFrames(line.task)];
    const frames = await this.chainFrames(threadId);
    const sf = this.stopFrame;
    if (sf && sf.thread === threadId) {
      frames.unshift({ id: this.handle({ kind: 'stopFrame' }), name: clip(sf.name, 200), file: sf.file, line: sf.line, hint: 'normal' });
    }
    return frames;
  }

  private async chainFrames(threadId: number): Promise<FrameInfo[]> {
    const loopId = threadId >= LOOP_THREAD_BASE ? threadId - LOOP_THREAD_BASE : null;
    if (loopId !== null) {
      const l = this.model.loops.get(loopId);
      if (!l) throw new Error(`there is no thread ${threadId}`);
      const desc = l.paused && this.model.lastPause?.loop === loopId ? this.model.lastPause.description : `tick ${l.tick}`;
      return [{ id: this.handle({ kind: 'loopFrame', loop: loopId }), name: `event loop ${loopId} · ${desc} · ${l.ready} ready, ${l.timers} timers`, file: null, line: 0, hint: 'label' }];
    }
    const taskId = this.taskOfThread(threadId);
    const t = taskId !== null ? this.model.tasks.get(taskId) : undefined;
    if (!t || taskId === null) throw new Error(`there is no thread ${threadId}`);
    if (isFinished(t)) return [this.finishedFrame(t)];

    let frames: Frame[] = [];
    try {
      frames = (await this.rt.request('awaitChain', { task: taskId })).frames;
    } catch (err) {
      // The task may have finished between the threads and stackTrace requests.
      const now = this.model.tasks.get(taskId);
      if (now && isFinished(now)) return [this.finishedFrame(now)];
      throw err;
    }
    const shown = this.justMyCode && frames.some((f) => !f.internal) ? frames.filter((f) => !f.internal) : frames;
    const out: FrameInfo[] = [];
    if (t.state === 'waiting' && t.waitingOn) {
      out.push({ id: this.handle({ kind: 'synthetic', task: taskId }), name: `⏸ waiting on ${describeWait(t.waitingOn)}`, file: null, line: 0, hint: 'label' });
    }
    for (const f of shown) {
      out.push({
        id: this.handle({ kind: 'frame', frame: f.id, task: taskId }),
        name: f.kind === 'function' ? f.name : `${f.name}()`,
        file: f.file, line: f.line, hint: f.internal ? 'subtle' : 'normal',
      });
    }
    if (out.length === 0) out.push({ id: this.handle({ kind: 'synthetic', task: taskId }), name: `${t.coro}() · not started`, file: t.createdAt?.file ?? null, line: t.createdAt?.line ?? 0, hint: 'label' });
    return out;
  }

  /**
   * A line stop's stack: the stopped thread's real frames, innermost first. justMyCode drops the
   * asyncio/loop frames between the task's coroutines and the code that started the loop.
   */
  private lineStopFrames(stop: LineStop): FrameInfo[] {
    let frames = stop.frames;
    const firstUser = frames.findIndex((f) => !f.internal);
    if (stop.task !== null && firstUser >= 0 && this.justMyCode) {
      // Below the task's step come the loop's frames and the code that started the loop
      // (`asyncio.run(main())`): not where this task is; its awaiters follow instead.
      const loopFrames = frames.findIndex((f, i) => i > firstUser && f.internal);
      if (loopFrames > 0) frames = frames.slice(0, loopFrames);
    }
    const shown = this.justMyCode && firstUser >= 0 ? frames.filter((f) => !f.internal) : frames;
    return shown.map((f) => ({
      id: this.handle({ kind: 'lineFrame', frame: f.id, task: stop.task }),
      name: f.kind === 'function' ? f.name : `${f.name}()`,
      file: f.file, line: f.line, hint: f.internal ? 'subtle' : 'normal',
    }));
  }

  /**
   * The rest of the async stack of a line-stopped task: the task that awaits it (directly or through
   * gather/wait), then that task's await chain, and so on up (a few levels).
   */
  private async awaiterFrames(task: number | null): Promise<FrameInfo[]> {
    const out: FrameInfo[] = [];
    const seen = new Set<number>();
    for (let current = task; current !== null && out.length < 60 && !seen.has(current);) {
      seen.add(current);
      const awaiter = this.awaiterOf(current);
      if (!awaiter) break;
      out.push({ id: this.handle({ kind: 'synthetic', task: awaiter.id }), name: `⤷ awaited by ${awaiter.name} · ${awaiter.coro}()`, file: null, line: 0, hint: 'label' });
      const chain = await this.chainFrames(threadOfTask(awaiter.id)).catch(() => [] as FrameInfo[]);
      out.push(...chain.filter((f) => f.hint !== 'label'));
      current = awaiter.id;
    }
    return out;
  }

  private awaiterOf(task: number): ModelTask | undefined {
    for (const t of this.model.tasks.values()) {
      const w = t.waitingOn;
      if (!isFinished(t) && w && (w.task === task || w.tasks?.includes(task))) return t;
    }
    return undefined;
  }

  scopes(frameId: number): ScopeInfo[] {
    const h = this.handles.get(frameId);
    if (!h) throw new Error('that frame is no longer valid (the program has resumed)');
    const scopes: ScopeInfo[] = [];
    if (h.kind === 'frame' || h.kind === 'lineFrame') scopes.push({ name: 'Locals', ref: this.handle({ kind: 'locals', frame: h.frame }), hint: 'locals' });
    if ((h.kind === 'frame' || h.kind === 'synthetic' || h.kind === 'lineFrame') && h.task !== null) scopes.push({ name: 'Task', ref: this.handle({ kind: 'task', task: h.task }) });
    if (h.kind === 'loopFrame') {
      const l = this.model.loops.get(h.loop);
      if (l) {
        scopes.push({
          name: 'Event loop',
          ref: this.handle({
            kind: 'value', entries: [
              { name: 'class', value: l.cls, ref: 0 }, { name: 'thread', value: `${l.thread.name} (${l.thread.id})`, ref: 0 },
              { name: 'tick', value: String(l.tick), ref: 0 }, { name: 'ready callbacks', value: String(l.ready), ref: 0 },
              { name: 'timers', value: String(l.timers), ref: 0 }, { name: 'tick control', value: String(l.tickControl), ref: 0 },
              { name: 'live tasks', value: String(this.model.live().filter((t) => t.loop === l.id).length), ref: 0 },
            ],
          }),
        });
      }
    }
    return scopes;
  }

  async variables(ref: number): Promise<VariableInfo[]> {
    const h = this.handles.get(ref);
    if (!h) throw new Error('those variables are no longer valid (the program has resumed)');
    if (h.kind === 'locals' || h.kind === 'ref') {
      const body = await this.rt.request('variables', h.kind === 'locals' ? { frame: h.frame } : { ref: h.ref });
      return body.variables.map((v) => ({
        name: v.name, value: v.value, type: v.type, ref: v.ref > 0 ? this.handle({ kind: 'ref', ref: v.ref }) : 0,
      }));
    }
    if (h.kind === 'task') return this.taskVariables(h.task);
    if (h.kind === 'value') return h.entries;
    return [];
  }

  /**
   * Evaluates in a task frame (tick-boundary hold: `await x` runs on the held loop) or a line-stop
   * frame. `ticks` says how many loop ticks an `await` took.
   */
  async evaluate(expression: string, frameId: number | undefined, context?: 'watch' | 'repl' | 'hover'): Promise<VariableInfo & { ticks?: number }> {
    const h = frameId !== undefined ? this.handles.get(frameId) : undefined;
    if (!h || (h.kind !== 'frame' && h.kind !== 'lineFrame')) throw new Error('select a task frame to evaluate names in it');
    const r = await this.rt.request('evaluate', { frame: h.frame, expression, ...(context ? { context } : {}) });
    return { name: expression, value: r.value, type: r.type, ref: r.ref > 0 ? this.handle({ kind: 'ref', ref: r.ref }) : 0, ...(r.ticks !== undefined ? { ticks: r.ticks } : {}) };
  }

  /** Assigns `value` (an expression) to `name` in a frame's locals or inside an expanded value. */
  async setVariable(containerRef: number, name: string, value: string): Promise<VariableInfo> {
    const h = this.handles.get(containerRef);
    if (!h || (h.kind !== 'locals' && h.kind !== 'ref')) throw new Error('only locals and the values inside them can be changed');
    const r = await this.rt.request('setVariable', { ...(h.kind === 'locals' ? { frame: h.frame } : { ref: h.ref }), name, value });
    return { name, value: r.value, type: r.type, ref: r.ref > 0 ? this.handle({ kind: 'ref', ref: r.ref }) : 0 };
  }

  private finishedFrame(t: ModelTask): FrameInfo {
    const loc = t.exception?.location ?? t.cancelledBy?.location ?? t.createdAt;
    const what = t.state === 'failed' && t.exception ? `failed: ${t.exception.type}: ${t.exception.message}` : t.state;
    return { id: this.handle({ kind: 'synthetic', task: t.id }), name: clip(`${t.coro}() · ${what}`, 200), file: loc?.file ?? null, line: loc?.line ?? 0, hint: 'normal' };
  }

  private taskVariables(task: number): VariableInfo[] {
    const t = this.model.tasks.get(task);
    if (!t) return [];
    const v = (name: string, value: string): VariableInfo => ({ name, value, ref: 0 });
    const name = (id: number | null | undefined): string => {
      if (id === null || id === undefined) return 'None';
      const o = this.model.tasks.get(id);
      return o ? `${o.name} (${o.coro}())` : `Task ${id}`;
    };
    const out: VariableInfo[] = [
      v('name', t.name), v('coroutine', `${t.coro}()`), v('state', t.state), v('id', String(t.id)),
      v('steps', String(t.steps)), v('busy', `${t.busyMs.toFixed(2)} ms`),
      v('created at', t.createdAt ? `${t.createdAt.file}:${t.createdAt.line}` : 'unknown'),
      v('parent', name(t.parentId)),
    ];
    if (t.waitingOn) out.push(v('waiting on', describeWait(t.waitingOn)));
    if (t.wokenBy) out.push(v('woken by', t.wokenBy.task !== undefined ? name(t.wokenBy.task) : t.wokenBy.label));
    const children = this.model.children(t.id);
    if (children.length > 0) {
      out.push({
        name: 'children', value: `${children.length} task(s)`,
        ref: this.handle({ kind: 'value', entries: children.map((c) => v(c.name, `${c.coro}() · ${c.state}`)) }),
      });
    }
    if (t.exception) out.push(v('exception', `${t.exception.type}: ${t.exception.message}`));
    if (t.result !== null) out.push(v('result', t.result));
    if (t.cancelledBy) out.push(v('cancelled by', name(t.cancelledBy.task)));
    return out;
  }

  private handle(h: Handle): number {
    const id = this.nextHandle++;
    this.handles.set(id, h);
    return id;
  }
}
