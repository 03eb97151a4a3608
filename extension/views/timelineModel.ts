// The Timeline's view-model: tasks (lanes), their steps and waits, ticks and findings, gathered
// from the live task mirror plus `loopscope/exportTrace` answers, or from a `--trace` / `--report`
// file on disk, and turned into the compact TimelineSnapshot the webview draws. No vscode import.

import type { FindingRecord, Location, TaskRecord } from '../protocol/customDap';
import type { TaskFilter } from './taskFilter';
import type { MirrorChange, TaskMirror } from './taskMirror';
import type { TimelineFinding, TimelineLane, TimelineSnapshot, TimelineStatus } from './timelineData';

/** One task as the timeline knows it; filled from whichever sources are at hand. */
interface LaneTask {
  id: number;
  name: string;
  coro: string;
  loop: number;
  parent: number | null;
  state: string;
  finished: boolean;
  site: Location | null;
  start: number | null;
  end: number | null;
  waitLabel: string | null;
  steps: number;
  busyMs: number;
}

/** A bad file: the message names the file and what is wrong, for the user to read. */
export class TimelineFormatError extends Error {}

const FINISHED = new Set(['done', 'failed', 'cancelled']);
const LOOP_TID_BASE = 1_000_000_000;

export interface SnapshotOptions {
  title: string;
  status: TimelineStatus;
  header: string;
  filter: TaskFilter | null;
  blockingMs: number;
}

export class TimelineModel {
  private readonly tasks = new Map<number, LaneTask>();
  private readonly loops = new Map<number, string>();
  /** Per task, the start and duration (ms) of each recorded step, in arrival order. */
  private stepTask: number[] = [];
  private stepTs: number[] = [];
  private stepDur: number[] = [];
  private ticks: number[] = [];
  private readonly findings = new Map<number, FindingRecord>();
  /** task → step count → what the task awaited after that step (seen in live updates). */
  private readonly waitLabels = new Map<number, Map<number, string>>();
  private lastTs = 0;
  note: string | null = null;

  /** For a report: "Exited with code 0 after 1.02 s · 5 tasks · 1 finding"-like facts. */
  reportFacts: { exitCode: number | null; durationMs: number; tasks: number; findings: number } | null = null;

  get taskCount(): number { return this.tasks.size; }

  siteOf(task: number): Location | null {
    return this.tasks.get(task)?.site ?? null;
  }
  get stepCount(): number { return this.stepTs.length; }

  /** Takes names, states, loops, findings and wait labels from the live mirror. */
  applyMirror(mirror: TaskMirror, change: MirrorChange | null): void {
    if (!change || change.reset) {
      for (const t of mirror.tasks.values()) this.upsertRecord(t);
    } else {
      for (const { next } of change.tasks) this.upsertRecord(next);
    }
    for (const l of mirror.loops.values()) this.loops.set(l.id, `Event loop ${l.id} (${l.thread.name || 'thread'})`);
    for (const f of mirror.findings.values()) this.findings.set(f.id, f);
  }

  private upsertRecord(t: TaskRecord): void {
    const lane = this.lane(t.id);
    lane.name = t.name;
    lane.coro = t.coro;
    lane.loop = t.loop;
    lane.parent = t.parentId;
    lane.state = t.state;
    lane.finished = FINISHED.has(t.state);
    lane.site = t.createdAt;
    lane.steps = t.steps;
    lane.busyMs = t.busyMs;
    if (t.doneAt !== null) lane.end = t.doneAt;
    if (t.waitingOn) {
      lane.waitLabel = t.waitingOn.label;
      let labels = this.waitLabels.get(t.id);
      if (!labels) this.waitLabels.set(t.id, labels = new Map<number, string>());
      labels.set(t.steps, t.waitingOn.label);
    }
  }

  private lane(id: number): LaneTask {
    let lane = this.tasks.get(id);
    if (!lane) {
      lane = {
        id, name: `Task ${id}`, coro: '?', loop: 1, parent: null, state: 'waiting', finished: false, site: null,
        start: null, end: null, waitLabel: null, steps: 0, busyMs: 0,
      };
      this.tasks.set(id, lane);
    }
    return lane;
  }

  /** Replaces the recorded steps and ticks with those of a Chrome trace (export answer or `--trace` file). */
  ingestTrace(trace: unknown, source: string): void {
    const events = traceEvents(trace, source);
    this.stepTask = [];
    this.stepTs = [];
    this.stepDur = [];
    this.ticks = [];
    for (const e of events) {
      if (e.ph === 'X' && e.cat === 'task.step') {
        this.stepTask.push(e.tid);
        this.stepTs.push(e.ts / 1000);
        this.stepDur.push((e.dur ?? 0) / 1000);
        this.bump((e.ts + (e.dur ?? 0)) / 1000);
      } else if (e.ph === 'X' && e.cat === 'task.lifetime') {
        this.ingestLifetime(e);
      } else if (e.ph === 'i' && e.cat === 'tick') {
        this.ticks.push(e.ts / 1000);
        this.bump(e.ts / 1000);
      } else if (e.ph === 'M' && e.name === 'thread_name' && e.tid >= LOOP_TID_BASE) {
        const name = typeof e.args?.name === 'string' ? e.args.name : `event loop ${e.tid - LOOP_TID_BASE}`;
        this.loops.set(e.tid - LOOP_TID_BASE, name.replace(/^event loop/, 'Event loop'));
      }
    }
    const other = (trace as { otherData?: { note?: unknown } }).otherData;
    this.note = this.stepTs.length === 0
      ? (typeof other?.note === 'string' ? other.note : 'no task steps were recorded')
      : null;
  }

  private ingestLifetime(e: TraceEventIn): void {
    const args = e.args ?? {};
    const lane = this.lane(typeof args.task === 'number' ? args.task : e.tid);
    const state = typeof args.state === 'string' ? args.state : lane.state;
    // Lifetime slices are named "<task name> · <state>"; the mirror's name wins when it has one.
    if (lane.coro === '?') {
      lane.name = e.name.endsWith(` · ${state}`) ? e.name.slice(0, -(state.length + 3)) : e.name;
      lane.coro = typeof args.coro === 'string' ? args.coro : lane.coro;
      lane.parent = typeof args.parent === 'number' ? args.parent : null;
      lane.site = isLocation(args.createdAt) ? args.createdAt : null;
      lane.state = state;
      lane.finished = FINISHED.has(state);
      if (typeof args.steps === 'number') lane.steps = args.steps;
      if (typeof args.busyMs === 'number') lane.busyMs = args.busyMs;
    }
    lane.start = e.ts / 1000;
    if (lane.finished) lane.end = (e.ts + (e.dur ?? 0)) / 1000;
    this.bump((e.ts + (e.dur ?? 0)) / 1000);
  }

  /** Loads a `loopscope-report/1` file: lanes, states, waits and findings (times when the report has them). */
  ingestReport(report: unknown, source: string): void {
    const r = report as ReportIn;
    if (!r || typeof r !== 'object' || r.schema !== 'loopscope-report/1' || !Array.isArray(r.tasks)) {
      throw new TimelineFormatError(`${source} is not a Loopscope report (expected "schema": "loopscope-report/1" and a "tasks" list).`);
    }
    const duration = typeof r.durationMs === 'number' ? r.durationMs : 0;
    for (const t of r.tasks) {
      if (typeof t?.id !== 'number') throw new TimelineFormatError(`${source}: a task entry has no numeric "id".`);
      const lane = this.lane(t.id);
      lane.name = typeof t.name === 'string' ? t.name : lane.name;
      lane.coro = typeof t.coro === 'string' ? t.coro : '?';
      lane.loop = typeof t.loop === 'number' ? t.loop : 1;
      lane.parent = typeof t.parentId === 'number' ? t.parentId : null;
      lane.state = t.state === 'pending' ? (typeof t.phase === 'string' ? t.phase : 'waiting') : typeof t.state === 'string' ? t.state : 'done';
      lane.finished = FINISHED.has(lane.state);
      lane.site = isLocation(t.createdAt) ? t.createdAt : null;
      lane.steps = typeof t.steps === 'number' ? t.steps : 0;
      lane.busyMs = typeof t.busyMs === 'number' ? t.busyMs : 0;
      lane.waitLabel = (t.waitingOn ?? t.lastWaitingOn)?.label ?? null;
      lane.start = typeof t.createdMs === 'number' ? t.createdMs : 0;
      lane.end = typeof t.doneMs === 'number' ? t.doneMs : (lane.finished ? duration : null);
      if (!this.loops.has(lane.loop)) this.loops.set(lane.loop, `Event loop ${lane.loop}`);
    }
    for (const f of r.findings ?? []) this.findings.set(f.id, f);
    this.bump(duration);
    this.reportFacts = {
      exitCode: typeof r.exitCode === 'number' ? r.exitCode : null, durationMs: duration,
      tasks: typeof r.taskCount === 'number' ? r.taskCount : r.tasks.length,
      findings: typeof r.findingCount === 'number' ? r.findingCount : this.findings.size,
    };
    this.note = 'a report has no per-step slices; run with --trace FILE and open that file for them';
  }

  private bump(ms: number): void {
    if (ms > this.lastTs) this.lastTs = ms;
  }

  /** Builds the webview's data: lanes ordered by loop, then parent → children, steps grouped per lane. */
  snapshot(opts: SnapshotOptions): TimelineSnapshot {
    const order = this.laneOrder(opts.filter);
    const laneOf = new Map<number, number>();
    order.lanes.forEach((l, i) => laneOf.set(l.task, i));
    const steps = this.groupSteps(order.lanes, laneOf);
    let startMs = 0;
    for (const l of order.lanes) if (l.start < startMs) startMs = l.start;
    const endMs = Math.max(this.lastTs, startMs + 1);
    return {
      title: opts.title, status: opts.status, header: opts.header,
      loops: [...this.loops].sort((a, b) => a[0] - b[0]).map(([id, label]) => ({ id, label })),
      lanes: order.lanes, ...steps,
      ticks: Float64Array.from(this.ticks),
      findings: this.placeFindings(order.lanes, laneOf, steps, opts.blockingMs),
      blockingMs: opts.blockingMs, startMs, endMs,
      filter: opts.filter?.text ?? null, filteredOut: order.filteredOut, note: this.note,
    };
  }

  private laneOrder(filter: TaskFilter | null): { lanes: TimelineLane[]; filteredOut: number } {
    const children = new Map<number | null, LaneTask[]>();
    const roots: LaneTask[] = [];
    for (const t of this.tasks.values()) {
      const parent = t.parent !== null ? this.tasks.get(t.parent) : undefined;
      if (parent && parent.loop === t.loop && parent.id !== t.id) {
        let list = children.get(parent.id);
        if (!list) children.set(parent.id, list = []);
        list.push(t);
      } else {
        roots.push(t);
      }
    }
    const keep = filter ? this.filterKeep(filter) : null;
    const byId = (a: LaneTask, b: LaneTask): number => a.id - b.id;
    roots.sort((a, b) => a.loop - b.loop || a.id - b.id);
    const lanes: TimelineLane[] = [];
    // Iterative depth-first walk: deep task trees must not overflow the stack.
    const stack: { t: LaneTask; depth: number }[] = roots.reverse().map((t) => ({ t, depth: 0 }));
    while (stack.length) {
      const { t, depth } = stack.pop()!;
      if (keep && !keep.has(t.id)) continue;
      const kids = (children.get(t.id) ?? []).sort(byId);
      lanes.push(this.toLane(t, depth, kids.some((k) => !keep || keep.has(k.id))));
      for (let i = kids.length - 1; i >= 0; i--) stack.push({ t: kids[i], depth: depth + 1 });
    }
    return { lanes, filteredOut: this.tasks.size - lanes.length };
  }

  /** Tasks the filter matches, plus their ancestors so matches keep their place in the tree. */
  private filterKeep(filter: TaskFilter): Set<number> {
    const keep = new Set<number>();
    for (const t of this.tasks.values()) {
      if (!filter.matches(asRecord(t))) continue;
      let cur: LaneTask | undefined = t;
      while (cur && !keep.has(cur.id)) {
        keep.add(cur.id);
        cur = cur.parent !== null ? this.tasks.get(cur.parent) : undefined;
      }
    }
    return keep;
  }

  private toLane(t: LaneTask, depth: number, hasChildren: boolean): TimelineLane {
    return {
      task: t.id, name: t.name, coro: t.coro, loop: t.loop, parent: t.parent, depth, state: t.state,
      finished: t.finished, site: t.site, start: t.start ?? 0, end: t.finished ? (t.end ?? this.lastTs) : null,
      hasChildren, waitLabel: t.waitLabel, steps: t.steps, busyMs: t.busyMs,
    };
  }

  private groupSteps(lanes: TimelineLane[], laneOf: Map<number, number>): StepArrays {
    const n = this.stepTs.length;
    const counts = new Uint32Array(lanes.length + 1);
    for (let i = 0; i < n; i++) {
      const lane = laneOf.get(this.stepTask[i]);
      if (lane !== undefined) counts[lane + 1]++;
    }
    for (let i = 1; i <= lanes.length; i++) counts[i] += counts[i - 1];
    const laneStepStart = Uint32Array.from(counts);
    const total = counts[lanes.length];
    const fill = Uint32Array.from(counts);
    const stepTs = new Float64Array(total);
    const stepDur = new Float64Array(total);
    for (let i = 0; i < n; i++) {
      const lane = laneOf.get(this.stepTask[i]);
      if (lane === undefined) continue;
      const at = fill[lane]++;
      stepTs[at] = this.stepTs[i];
      stepDur[at] = this.stepDur[i];
    }
    const labels: string[] = [];
    const labelIndex = new Map<string, number>();
    const stepWaitLabel = new Int32Array(total).fill(-1);
    lanes.forEach((lane, li) => {
      sortRange(stepTs, stepDur, laneStepStart[li], laneStepStart[li + 1]);
      const known = this.waitLabels.get(lane.task);
      if (!known) return;
      for (const [stepNo, label] of known) {
        const at = laneStepStart[li] + stepNo - 1;
        if (stepNo < 1 || at >= laneStepStart[li + 1]) continue;
        let idx = labelIndex.get(label);
        if (idx === undefined) { idx = labels.length; labels.push(label); labelIndex.set(label, idx); }
        stepWaitLabel[at] = idx;
      }
    });
    return { laneStepStart, stepTs, stepDur, stepWaitLabel, labels };
  }

  private placeFindings(lanes: TimelineLane[], laneOf: Map<number, number>, steps: StepArrays, blockingMs: number): TimelineFinding[] {
    const out: TimelineFinding[] = [];
    for (const f of this.findings.values()) {
      const lane = f.taskId !== null ? laneOf.get(f.taskId) ?? -1 : -1;
      let at = lane >= 0 ? (lanes[lane].end ?? lanes[lane].start) : this.lastTs;
      if (lane >= 0 && f.kind === 'blocking-call') {
        // The blocking step is that task's longest step at or over the threshold.
        let best = -1;
        for (let i = steps.laneStepStart[lane]; i < steps.laneStepStart[lane + 1]; i++) {
          if (steps.stepDur[i] >= Math.min(blockingMs, f.durationMs ?? blockingMs) && (best < 0 || steps.stepDur[i] > steps.stepDur[best])) best = i;
        }
        if (best >= 0) at = steps.stepTs[best];
      } else if (lane >= 0 && f.kind === 'never-awaited') {
        at = lanes[lane].start;
      }
      out.push({ id: f.id, kind: f.kind, message: f.message, location: f.location, lane, at, durationMs: f.durationMs });
    }
    return out;
  }
}

interface StepArrays {
  laneStepStart: Uint32Array;
  stepTs: Float64Array;
  stepDur: Float64Array;
  stepWaitLabel: Int32Array;
  labels: string[];
}

/** Insertion sort when nearly sorted (the usual case), else a sort through an index. */
function sortRange(ts: Float64Array, dur: Float64Array, from: number, to: number): void {
  let sorted = true;
  for (let i = from + 1; i < to && sorted; i++) sorted = ts[i - 1] <= ts[i];
  if (sorted) return;
  const idx = Array.from({ length: to - from }, (_, i) => from + i).sort((a, b) => ts[a] - ts[b]);
  const t2 = idx.map((i) => ts[i]);
  const d2 = idx.map((i) => dur[i]);
  for (let i = 0; i < idx.length; i++) { ts[from + i] = t2[i]; dur[from + i] = d2[i]; }
}

function asRecord(t: LaneTask): TaskRecord {
  return {
    id: t.id, name: t.name, coro: t.coro, state: t.state as TaskRecord['state'], parentId: t.parent,
    createdAt: t.site, loop: t.loop, thread: null, steps: t.steps, busyMs: t.busyMs, waitingOn: null,
    wokenBy: null, exception: null, result: null, cancelledBy: null, eager: false, doneAt: t.end,
  };
}

function isLocation(v: unknown): v is Location {
  return !!v && typeof v === 'object' && typeof (v as Location).file === 'string' && typeof (v as Location).line === 'number';
}

interface TraceEventIn {
  name: string;
  ph: string;
  cat?: string;
  ts: number;
  dur?: number;
  tid: number;
  args?: Record<string, unknown>;
}

interface ReportTaskIn {
  id: number;
  name?: unknown;
  coro?: unknown;
  state?: unknown;
  phase?: unknown;
  loop?: unknown;
  parentId?: unknown;
  createdAt?: unknown;
  steps?: unknown;
  busyMs?: unknown;
  waitingOn?: { label: string } | null;
  lastWaitingOn?: { label: string } | null;
  createdMs?: unknown;
  doneMs?: unknown;
}

interface ReportIn {
  schema?: unknown;
  exitCode?: unknown;
  taskCount?: unknown;
  findingCount?: unknown;
  durationMs?: unknown;
  tasks: ReportTaskIn[];
  findings?: FindingRecord[];
}

function traceEvents(trace: unknown, source: string): TraceEventIn[] {
  const events = Array.isArray(trace) ? trace : (trace as { traceEvents?: unknown } | null)?.traceEvents;
  if (!Array.isArray(events)) {
    throw new TimelineFormatError(`${source} is not a Chrome trace (expected an object with a "traceEvents" list, as "loopscope run --trace" writes).`);
  }
  return (events as unknown[]).filter((e): e is TraceEventIn => {
    const o = e as Partial<Record<'ph' | 'ts' | 'tid', unknown>> | null;
    return !!o && typeof o === 'object' && typeof o.ph === 'string' && typeof o.ts === 'number' && typeof o.tid === 'number';
  });
}

/** Reads a file the user opened: a `--report` JSON or a `--trace` JSON, told apart by their shape. */
export function loadTimelineFile(text: string, source: string): TimelineModel {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new TimelineFormatError(`${source} is not valid JSON (${e instanceof Error ? e.message : String(e)}).`);
  }
  const model = new TimelineModel();
  if (json && typeof json === 'object' && 'schema' in json) model.ingestReport(json, source);
  else model.ingestTrace(json, source);
  return model;
}
