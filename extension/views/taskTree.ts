// The Async Tasks tree as a pure view-model over a TaskMirror: event loops at the top, live tasks
// nested under the task that created them, pending futures under the tasks awaiting them, and
// finished tasks in a per-loop "Finished (N)" group. Node ids are stable strings (`loop:1`,
// `task:7`, `future:12@7`, `finished:1`) so VS Code keeps expansion and selection across updates.
// Structure is maintained incrementally; `takeRefresh()` names only the nodes whose item or
// children changed, and children arrays are rebuilt only for those parents.

import type { FutureRecord, LoopRecord, TaskRecord } from '../protocol/customDap';
import { isFinished, type MirrorChange, TaskMirror } from './taskMirror';
import {
  describeTask, futureDescription, type IconSpec, loopDescription, loopIcon, loopLabel, plural, taskIcon,
} from './format';
import type { TaskFilter } from './taskFilter';

export type NodeId = string;
const ROOT = '';

export type Collapsible = 'none' | 'collapsed' | 'expanded';

export interface TreeItemData {
  id: NodeId;
  kind: 'loop' | 'task' | 'future' | 'finishedGroup' | 'more';
  label: string;
  description: string;
  icon: IconSpec;
  /** `task.live` / `task.finished` / `loop` / `future` / `finishedGroup` — used by menu when-clauses. */
  contextValue: string;
  collapsible: Collapsible;
  taskId?: number;
  futureId?: number;
  loopId?: number;
}

export type RefreshRequest = { kind: 'all' } | { kind: 'nodes'; nodes: NodeId[] };

export interface TaskTreeOptions {
  /** How many finished tasks a loop's Finished group lists (newest first); the rest are summarised. */
  finishedLimit?: number;
  /** More changed siblings than this refresh their parent instead. */
  siblingLimit?: number;
  /** More rows than this refresh the whole tree. */
  maxNodes?: number;
}

export const taskNodeId = (id: number): NodeId => `task:${id}`;
export const taskIdOfNode = (id: NodeId): number | undefined => (id.startsWith('task:') ? Number(id.slice(5)) : undefined);
export const loopNodeId = (id: number): NodeId => `loop:${id}`;
export const finishedNodeId = (loop: number): NodeId => `finished:${loop}`;

export class TaskTreeModel {
  private mirror: TaskMirror;
  private filter: TaskFilter | null = null;
  private readonly finishedLimit: number;
  private readonly siblingLimit: number;
  private readonly maxNodes: number;

  private readonly parentOf = new Map<NodeId, NodeId>();
  private readonly childSets = new Map<NodeId, Set<NodeId>>();
  private readonly childArrays = new Map<NodeId, NodeId[]>();
  /** Task id → ids of tasks it created (by record, independent of where they are shown). */
  private readonly createdBy = new Map<number, Set<number>>();
  /** Task id → ids of futures it awaits. */
  private readonly awaitedFutures = new Map<number, Set<number>>();
  private readonly futureNodes = new Map<number, Set<NodeId>>();
  private readonly hosting = new Set<number>();
  /** Shown tasks sleeping with a known deadline: their "· 0.3 s left" text ages without any event. */
  private readonly sleeping = new Map<number, number>();

  private dirty = new Set<NodeId>();
  /** Task rows that just got their first child: VS Code keeps such rows collapsed unless revealed. */
  private readonly newParents = new Set<NodeId>();
  private allDirty = true;
  private placedTasks = 0;
  private rebuilding = false;

  /** Number of children arrays built since construction; lets tests prove refreshes stay local. */
  childArrayBuilds = 0;
  readonly builtParents: NodeId[] = [];

  constructor(mirror: TaskMirror = new TaskMirror(), options: TaskTreeOptions = {}) {
    this.mirror = mirror;
    this.finishedLimit = options.finishedLimit ?? 1000;
    this.siblingLimit = options.siblingLimit ?? 50;
    this.maxNodes = options.maxNodes ?? 300;
    this.rebuild();
  }

  get currentMirror(): TaskMirror { return this.mirror; }
  get currentFilter(): TaskFilter | null { return this.filter; }
  /** Tasks currently shown (all tasks without a filter, matches with one). */
  get shownTaskCount(): number { return this.placedTasks; }
  get totalTaskCount(): number { return this.mirror.tasks.size; }

  setMirror(mirror: TaskMirror): void {
    this.mirror = mirror;
    this.rebuild();
  }

  setFilter(filter: TaskFilter | null): void {
    this.filter = filter;
    this.rebuild();
  }

  applyChange(change: MirrorChange): void {
    if (change.reset) { this.rebuild(); return; }
    for (const { prev, next } of change.loops) this.upsertLoop(prev, next);
    for (const { prev, next } of change.tasks) this.upsertTask(prev, next);
    for (const task of change.removedTasks) this.removeTask(task);
    for (const { prev, next } of change.futures) this.upsertFuture(prev, next);
    for (const fut of change.removedFutures) this.removeFuture(fut);
  }

  /**
   * Nodes to hand to `onDidChangeTreeData` since the last call. Ancestors subsume descendants;
   * when many siblings changed at once their parent is refreshed instead (one children fetch
   * beats thousands of single-row refreshes, which VS Code matches pairwise), and past
   * `maxNodes` rows the whole tree is refreshed.
   */
  takeRefresh(): RefreshRequest | null {
    if (this.allDirty) {
      this.allDirty = false;
      this.dirty.clear();
      return { kind: 'all' };
    }
    if (this.dirty.size === 0) return null;
    let nodes = this.uncovered(this.dirty);
    this.dirty.clear();
    const byParent = new Map<NodeId, NodeId[]>();
    for (const id of nodes) {
      const parent = this.parentOf.get(id)!;
      let list = byParent.get(parent);
      if (!list) byParent.set(parent, (list = []));
      list.push(id);
    }
    const promoted = new Set<NodeId>();
    for (const [parent, kids] of byParent) {
      if (kids.length <= this.siblingLimit) kids.forEach((k) => promoted.add(k));
      else if (parent === ROOT) return { kind: 'all' };
      else promoted.add(parent);
    }
    nodes = this.uncovered(promoted);
    if (nodes.length === 0) return null;
    if (nodes.length > this.maxNodes) return { kind: 'all' };
    return { kind: 'nodes', nodes: nodes.sort() };
  }

  /** Rows VS Code will re-render for a refresh: the nodes and their current children (an upper bound). */
  refreshCost(refresh: RefreshRequest): number {
    if (refresh.kind === 'all') return this.parentOf.size;
    return refresh.nodes.reduce((sum, id) => sum + 1 + (this.childSets.get(id)?.size ?? 0), 0);
  }

  private uncovered(ids: Iterable<NodeId>): NodeId[] {
    const set = ids instanceof Set ? ids as Set<NodeId> : new Set(ids);
    const out: NodeId[] = [];
    for (const id of set) {
      if (!this.parentOf.has(id)) continue;
      let ancestor = this.parentOf.get(id);
      let covered = false;
      while (ancestor !== undefined && ancestor !== ROOT) {
        if (set.has(ancestor)) { covered = true; break; }
        ancestor = this.parentOf.get(ancestor);
      }
      if (!covered) out.push(id);
    }
    return out;
  }

  /**
   * Rows whose sleep countdown text changes by itself: deadlines still ahead (or passed within the
   * last `graceMs`, so "due" gets shown once). Null when there are more than `limit`, because
   * refreshing that many rows every second would cost more than the countdown is worth.
   */
  sleepingRows(nowEpochMs: number, limit: number, graceMs = 1000): NodeId[] | null {
    if (this.sleeping.size > limit) return null;
    const rows: NodeId[] = [];
    for (const [id, until] of this.sleeping) if (until > nowEpochMs - graceMs) rows.push(taskNodeId(id));
    return rows;
  }

  /** Task rows that went from no children to some since the last call (still shown). */
  takeNewParents(): NodeId[] {
    const out = [...this.newParents].filter((id) => this.parentOf.has(id));
    this.newParents.clear();
    return out;
  }

  getChildren(id?: NodeId): NodeId[] {
    const key = id ?? ROOT;
    if (key.startsWith('more:')) return [];
    const cached = this.childArrays.get(key);
    if (cached) return cached;
    const set = this.childSets.get(key);
    let children = set ? [...set] : [];
    if (key.startsWith('finished:')) {
      children.sort((a, b) => this.finishedOrder(a, b));
      if (children.length > this.finishedLimit) {
        children = children.slice(0, this.finishedLimit);
        children.push(`more:${key.slice('finished:'.length)}`);
      }
    } else {
      children.sort(compareNodes);
    }
    this.childArrays.set(key, children);
    this.childArrayBuilds++;
    this.builtParents.push(key);
    return children;
  }

  getParent(id: NodeId): NodeId | undefined {
    if (id.startsWith('more:')) return finishedNodeId(Number(id.slice('more:'.length)));
    const parent = this.parentOf.get(id);
    return parent === ROOT ? undefined : parent;
  }

  has(id: NodeId): boolean {
    return this.parentOf.has(id) || (id.startsWith('more:') && this.childSets.has(finishedNodeId(Number(id.slice(5)))));
  }

  getItem(id: NodeId, nowEpochMs: number): TreeItemData | undefined {
    const [kind, rest] = splitId(id);
    if (kind === 'loop') {
      const loopId = Number(rest);
      const loop = this.mirror.loops.get(loopId);
      return {
        id, kind: 'loop', loopId, label: loopLabel(loop, loopId), description: loopDescription(loop),
        icon: loopIcon(loop), contextValue: 'loop', collapsible: 'expanded',
      };
    }
    if (kind === 'task') {
      const task = this.mirror.tasks.get(Number(rest));
      if (!task) return undefined;
      const hasChildren = (this.childSets.get(id)?.size ?? 0) > 0;
      return {
        id, kind: 'task', taskId: task.id, loopId: task.loop, label: task.name,
        description: describeTask(task, nowEpochMs, (t) => this.mirror.tasks.get(t)),
        icon: taskIcon(task), contextValue: isFinished(task) ? 'task.finished' : 'task.live',
        collapsible: hasChildren ? 'expanded' : 'none',
      };
    }
    if (kind === 'future') {
      const fut = this.mirror.futures.get(Number(rest.split('@')[0]));
      if (!fut) return undefined;
      return {
        id, kind: 'future', futureId: fut.id, loopId: fut.loop, label: fut.label, description: futureDescription(fut),
        icon: { id: 'symbol-event' }, contextValue: 'future', collapsible: 'none',
      };
    }
    if (kind === 'finished') {
      if (!this.parentOf.has(id)) return undefined;
      const loopId = Number(rest);
      const n = this.childSets.get(id)?.size ?? 0;
      return {
        id, kind: 'finishedGroup', loopId, label: `Finished (${n.toLocaleString('en-US')})`, description: '',
        icon: { id: 'history' }, contextValue: 'finishedGroup', collapsible: 'collapsed',
      };
    }
    if (kind === 'more') {
      const loopId = Number(rest);
      const n = (this.childSets.get(finishedNodeId(loopId))?.size ?? 0) - this.finishedLimit;
      return {
        id, kind: 'more', loopId, label: `${plural(Math.max(n, 0), 'older finished task')} not listed`,
        description: 'filter or Export Trace to see them', icon: { id: 'ellipsis' }, contextValue: 'more', collapsible: 'none',
      };
    }
    return undefined;
  }

  // ---- incremental maintenance -------------------------------------------------------------

  private rebuild(): void {
    this.rebuilding = true;
    this.parentOf.clear();
    this.childSets.clear();
    this.childArrays.clear();
    this.createdBy.clear();
    this.awaitedFutures.clear();
    this.futureNodes.clear();
    this.hosting.clear();
    this.sleeping.clear();
    this.dirty.clear();
    this.newParents.clear();
    this.allDirty = true;
    this.placedTasks = 0;
    for (const loop of this.mirror.loops.values()) this.ensureLoop(loop.id);
    const tasks = [...this.mirror.tasks.values()].sort((a, b) => a.id - b.id);
    for (const task of tasks) this.indexTask(task);
    for (const task of tasks) this.placeTask(task);
    for (const fut of this.mirror.futures.values()) this.upsertFuture(undefined, fut);
    this.allDirty = true;
    this.dirty.clear();
    this.rebuilding = false;
  }

  private upsertLoop(prev: LoopRecord | undefined, next: LoopRecord): void {
    const node = loopNodeId(next.id);
    if (!this.parentOf.has(node)) { this.ensureLoop(next.id); return; }
    if (!prev || prev.paused !== next.paused || prev.closed !== next.closed || prev.cls !== next.cls
      || prev.thread.name !== next.thread.name) {
      this.markItem(node);
    }
  }

  private ensureLoop(loopId: number): void {
    const node = loopNodeId(loopId);
    if (!this.parentOf.has(node)) this.attach(node, ROOT);
  }

  private indexTask(task: TaskRecord): void {
    if (task.parentId === null) return;
    let set = this.createdBy.get(task.parentId);
    if (!set) this.createdBy.set(task.parentId, (set = new Set()));
    set.add(task.id);
  }

  private upsertTask(prev: TaskRecord | undefined, next: TaskRecord): void {
    if (!prev) this.indexTask(next);
    this.placeTask(next);
    if (prev && this.parentOf.has(taskNodeId(next.id)) && taskSignature(prev) !== taskSignature(next)) {
      this.markItem(taskNodeId(next.id));
    }
  }

  private removeTask(task: TaskRecord): void {
    const node = taskNodeId(task.id);
    if (this.parentOf.has(node)) { this.detach(node); this.placedTasks--; }
    this.sleeping.delete(task.id);
    if (task.parentId !== null) this.createdBy.get(task.parentId)?.delete(task.id);
    if (this.hosting.delete(task.id)) this.replaceDependents(task.id);
  }

  private placeTask(task: TaskRecord): void {
    const node = taskNodeId(task.id);
    const parent = this.desiredParent(task);
    const placed = this.parentOf.has(node);
    if (parent === null) {
      if (placed) { this.detach(node); this.placedTasks--; }
    } else {
      if (!placed) this.placedTasks++;
      this.ensureLoop(task.loop);
      this.attach(node, parent);
    }
    const until = task.state === 'waiting' && task.waitingOn?.kind === 'sleep' ? task.waitingOn.untilEpochMs : undefined;
    if (parent !== null && until !== undefined) this.sleeping.set(task.id, until);
    else this.sleeping.delete(task.id);
    const hosts = parent !== null && !isFinished(task);
    if (hosts !== this.hosting.has(task.id)) {
      if (hosts) this.hosting.add(task.id);
      else this.hosting.delete(task.id);
      this.replaceDependents(task.id);
    }
  }

  /** A task's children and futures move when it starts or stops being able to show them. */
  private replaceDependents(taskId: number): void {
    for (const childId of this.createdBy.get(taskId) ?? []) {
      const child = this.mirror.tasks.get(childId);
      if (child) this.placeTask(child);
    }
    for (const futId of this.awaitedFutures.get(taskId) ?? []) {
      const fut = this.mirror.futures.get(futId);
      if (fut) this.placeFuture(fut);
    }
  }

  private desiredParent(task: TaskRecord): NodeId | null {
    if (this.filter && !this.filter.matches(task)) return null;
    if (isFinished(task)) return finishedNodeId(task.loop);
    if (task.parentId !== null && this.hostsChildren(task.parentId)) return taskNodeId(task.parentId);
    return loopNodeId(task.loop);
  }

  /** Whether a task's row is shown and live, so futures (and, unfiltered, child tasks) nest under it. */
  private hostsFutures(taskId: number): boolean {
    return this.hosting.has(taskId);
  }

  /** Nesting by creator is off while filtering: matches are listed flat so none hide in a collapsed parent. */
  private hostsChildren(taskId: number): boolean {
    return !this.filter && this.hostsFutures(taskId);
  }

  private upsertFuture(prev: FutureRecord | undefined, next: FutureRecord): void {
    for (const t of prev?.awaitedBy ?? []) this.awaitedFutures.get(t)?.delete(next.id);
    for (const t of next.awaitedBy) {
      let set = this.awaitedFutures.get(t);
      if (!set) this.awaitedFutures.set(t, (set = new Set()));
      set.add(next.id);
    }
    this.placeFuture(next);
    if (prev && (prev.label !== next.label || prev.site?.file !== next.site?.file || prev.site?.line !== next.site?.line)) {
      for (const node of this.futureNodes.get(next.id) ?? []) this.markItem(node);
    }
  }

  private placeFuture(fut: FutureRecord): void {
    const wanted = new Map<NodeId, NodeId>();
    const hosts = fut.awaitedBy.filter((t) => this.hostsFutures(t));
    for (const t of hosts) wanted.set(`future:${fut.id}@${t}`, taskNodeId(t));
    if (hosts.length === 0 && !this.filter && !fut.awaitedBy.some((t) => this.mirror.tasks.has(t))) {
      this.ensureLoop(fut.loop);
      wanted.set(`future:${fut.id}`, loopNodeId(fut.loop));
    }
    const current = this.futureNodes.get(fut.id) ?? new Set<NodeId>();
    for (const node of current) if (!wanted.has(node)) this.detach(node);
    for (const [node, parent] of wanted) this.attach(node, parent);
    if (wanted.size) this.futureNodes.set(fut.id, new Set(wanted.keys()));
    else this.futureNodes.delete(fut.id);
  }

  private removeFuture(fut: FutureRecord): void {
    for (const t of fut.awaitedBy) this.awaitedFutures.get(t)?.delete(fut.id);
    for (const node of this.futureNodes.get(fut.id) ?? []) this.detach(node);
    this.futureNodes.delete(fut.id);
  }

  private attach(node: NodeId, parent: NodeId): void {
    const old = this.parentOf.get(node);
    if (old === parent) return;
    if (old !== undefined) this.detach(node);
    if (parent.startsWith('finished:') && !this.parentOf.has(parent)) {
      this.attach(parent, loopNodeId(Number(parent.slice('finished:'.length))));
    }
    this.parentOf.set(node, parent);
    let set = this.childSets.get(parent);
    if (!set) this.childSets.set(parent, (set = new Set()));
    set.add(node);
    if (set.size === 1 && parent.startsWith('task:') && !this.rebuilding) this.newParents.add(parent);
    this.childrenChanged(parent);
  }

  private detach(node: NodeId): void {
    const parent = this.parentOf.get(node);
    if (parent === undefined) return;
    this.parentOf.delete(node);
    const set = this.childSets.get(parent);
    set?.delete(node);
    if (set?.size === 0) this.newParents.delete(parent);
    this.childrenChanged(parent);
    if (parent.startsWith('finished:') && set && set.size === 0) this.detach(parent);
  }

  private childrenChanged(parent: NodeId): void {
    this.childArrays.delete(parent);
    if (parent === ROOT) this.allDirty = true;
    else this.dirty.add(parent);
  }

  private markItem(node: NodeId): void {
    this.dirty.add(node);
  }

  private finishedOrder(a: NodeId, b: NodeId): number {
    const ta = this.mirror.tasks.get(Number(a.slice(5)));
    const tb = this.mirror.tasks.get(Number(b.slice(5)));
    const da = ta?.doneAt ?? 0;
    const db = tb?.doneAt ?? 0;
    if (da !== db) return db - da;
    return (tb?.id ?? 0) - (ta?.id ?? 0);
  }
}

function splitId(id: NodeId): [string, string] {
  const colon = id.indexOf(':');
  return colon < 0 ? [id, ''] : [id.slice(0, colon), id.slice(colon + 1)];
}

const KIND_ORDER: Record<string, number> = { future: 0, task: 1, finished: 2, more: 3, loop: 0 };

/** Futures (what the parent waits on) first, then tasks in creation order, then the Finished group. */
function compareNodes(a: NodeId, b: NodeId): number {
  const [ka, ra] = splitId(a);
  const [kb, rb] = splitId(b);
  if (ka !== kb) return (KIND_ORDER[ka] ?? 9) - (KIND_ORDER[kb] ?? 9);
  return parseInt(ra, 10) - parseInt(rb, 10);
}

/** Everything the tree row shows (label, description, icon, context); counters live in the tooltip only. */
function taskSignature(t: TaskRecord): string {
  return JSON.stringify([t.name, t.state, t.waitingOn, t.wokenBy?.label ?? null, t.result, t.exception, t.cancelledBy]);
}
