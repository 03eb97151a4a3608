// The `--report` JSON (schema loopscope-report/1, documented in docs/report.md) and the readable
// end-of-run summary the CLI prints to stderr. Both are pure functions of the task model.

import type { FindingKind, FindingRecord, Location, WaitTarget } from '../protocol/customDap';
import { isFinished, type ModelTask, type TaskModel, type UnlistedGroup } from './taskModel';

export const REPORT_SCHEMA = 'loopscope-report/1';

export type ReportTaskState = 'pending' | 'done' | 'failed' | 'cancelled';

export interface ReportTask {
  id: number;
  name: string;
  coro: string;
  state: ReportTaskState;
  /** For pending tasks: `running`, `ready` or `waiting`; null once finished. */
  phase: 'running' | 'ready' | 'waiting' | null;
  parentId: number | null;
  createdAt: Location | null;
  loop: number;
  steps: number;
  busyMs: number;
  exception: { type: string; message: string } | null;
  waitingOn: WaitTarget | null;
  /** What the task waited on most recently (also for finished tasks). */
  lastWaitingOn: WaitTarget | null;
  result: string | null;
  /** When the task was created / finished, ms since the runtime started (the timeline's lanes). */
  createdMs: number;
  doneMs: number | null;
}

/** A report finding is the protocol's finding record, as the extension receives it. */
export type ReportFinding = FindingRecord;

/** One event loop of the run; `tickControl` false: its scheduler is not Python (uvloop). */
export interface ReportLoop {
  id: number;
  cls: string;
  tickControl: boolean;
  ticks: number;
}

export interface Report {
  schema: typeof REPORT_SCHEMA;
  exitCode: number | null;
  timedOut: boolean;
  /** Set when the run did not end normally (runtime vanished, killed by a signal, never connected). */
  error: string | null;
  python: string | null;
  pythonExecutable: string | null;
  argv: string[];
  durationMs: number;
  ticks: number;
  loops: ReportLoop[];
  /** What this run could not observe, one sentence each (e.g. ticks on a loop without tick control). */
  limitations: string[];
  taskCount: number;
  /** Every task by how it ended (pending: not ended), exact whatever was listed. */
  taskStates: Record<ReportTaskState, number>;
  tasksOmitted: number;
  /** Tasks counted, not listed (they started and ended while the runtime was behind), by loop, coroutine and outcome. */
  unlistedTasks: number;
  unlisted: UnlistedGroup[];
  droppedEvents: number;
  /** What this report holds less than all of, one sentence each; empty when it holds everything. */
  sampling: string[];
  tasks: ReportTask[];
  findingCount: number;
  findingCounts: Partial<Record<FindingKind, number>>;
  findings: ReportFinding[];
}

export interface RunOutcome {
  exitCode: number | null;
  timedOut: boolean;
  error: string | null;
  durationMs: number;
  argv: string[];
}

const reportState = (t: ModelTask): ReportTaskState =>
  t.state === 'done' || t.state === 'failed' || t.state === 'cancelled' ? t.state : 'pending';

export function buildReport(model: TaskModel, run: RunOutcome): Report {
  const tasks: ReportTask[] = [];
  for (const t of model.tasks.values()) {
    const finished = isFinished(t);
    tasks.push({
      id: t.id, name: t.name, coro: t.coro, state: reportState(t),
      phase: finished ? null : (t.state as 'running' | 'ready' | 'waiting'),
      parentId: t.parentId, createdAt: t.createdAt, loop: t.loop, steps: t.steps,
      busyMs: round3(t.busyMs),
      exception: t.exception ? { type: t.exception.type, message: t.exception.message } : null,
      waitingOn: finished ? null : t.waitingOn,
      lastWaitingOn: t.lastWaitingOn,
      result: t.result,
      createdMs: round3(t.createdTs), doneMs: t.doneAt === null ? null : round3(t.doneAt),
    });
  }
  const findingCounts: Partial<Record<FindingKind, number>> = {};
  for (const [k, n] of model.findingCounts) findingCounts[k] = n;
  const h = model.hello;
  return {
    schema: REPORT_SCHEMA,
    exitCode: run.exitCode,
    timedOut: run.timedOut,
    error: run.error,
    python: h ? h.python : null,
    pythonExecutable: h ? h.executable : null,
    argv: run.argv,
    durationMs: round3(run.durationMs),
    ticks: model.totalTicks,
    loops: [...model.loops.values()].map((l) => ({ id: l.id, cls: l.cls, tickControl: l.tickControl, ticks: l.tick })),
    limitations: loopLimitations(model),
    taskCount: model.status().tasksTotal,
    taskStates: { pending: model.status().tasksLive, ...model.endedCounts },
    tasksOmitted: Math.max(0, model.status().tasksTotal - tasks.length),
    unlistedTasks: model.unlistedCount,
    unlisted: [...model.unlisted.values()].map((g) => ({ ...g, busyMs: round3(g.busyMs) })),
    droppedEvents: model.dropped,
    sampling: model.samplingNotes(),
    tasks,
    findingCount: model.findingCount,
    findingCounts,
    findings: model.findings.map((f) => {
      const r: ReportFinding = {
        id: f.id, kind: f.kind, message: f.message, location: f.location, taskId: f.taskId, durationMs: f.durationMs,
      };
      if (f.chains) r.chains = f.chains;
      return r;
    }),
  };
}

const round3 = (n: number): number => Math.round(n * 1000) / 1000;

/** Loops whose scheduler is not Python code (uvloop): tasks are timed per step, ticks are not. */
export function noTickControlLoops(model: TaskModel): string[] {
  const out: string[] = [];
  for (const l of model.loops.values()) if (!l.tickControl && l.cls) out.push(`loop ${l.id} (${l.cls})`);
  return out;
}

function loopLimitations(model: TaskModel): string[] {
  const loops = noTickControlLoops(model);
  if (loops.length === 0) return [];
  return [`${loops.join(', ')}: its scheduler is not Python code, so ticks are not counted and tick stepping ` +
    '(Step Tick, Step Callback, hold at a tick) is unavailable; tasks, steps, busy time, waits and findings are recorded per task step'];
}

// ---------------------------------------------------------------------------------------------
// Human-readable summary

export interface SummaryOptions {
  /** Paths are shown relative to this directory when inside it. */
  cwd?: string;
  /** At most this many task rows; pending and failed tasks are listed first. */
  maxTasks?: number;
}

export function formatLocation(loc: Location | null | undefined, cwd?: string): string {
  if (!loc) return '?';
  let f = loc.file;
  if (cwd && f.startsWith(cwd.endsWith('/') ? cwd : `${cwd}/`)) f = f.slice(cwd.length + (cwd.endsWith('/') ? 0 : 1));
  return `${f}:${loc.line}`;
}

function ms(n: number): string {
  if (n >= 1000) return `${(n / 1000).toFixed(2)} s`;
  if (n >= 10) return `${n.toFixed(0)} ms`;
  return `${n.toFixed(1)} ms`;
}

function table(rows: string[][]): string[] {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => { widths[i] = Math.max(widths[i] ?? 0, c.length); });
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd());
}

/** Tasks asyncio creates itself while closing a loop (asyncio.run → shutdown_asyncgens, …). */
export const isAsyncioHousekeeping = (t: { coro: string; state: ReportTaskState }): boolean =>
  t.state === 'done' && /^BaseEventLoop\.shutdown_(asyncgens|default_executor)$/.test(t.coro);

const STATE_ORDER: Record<ReportTaskState, number> = { pending: 0, failed: 1, cancelled: 2, done: 3 };

export function formatSummary(report: Report, opts: SummaryOptions = {}): string {
  const cwd = opts.cwd;
  const maxTasks = opts.maxTasks ?? 40;
  const lines: string[] = [];
  const ended = report.timedOut
    ? `stopped after the ${ms(report.durationMs)} timeout`
    : report.exitCode !== null ? `exited with code ${report.exitCode} after ${ms(report.durationMs)}` : `ended after ${ms(report.durationMs)}`;
  lines.push(`loopscope: program ${ended} · ${report.ticks} ticks · ${report.taskCount} tasks · ${report.findingCount} findings`);
  if (report.error) lines.push(`loopscope: ${report.error}`);
  for (const l of report.limitations) lines.push(`loopscope: ${l}`);
  lines.push(...samplingLines(report));

  // asyncio.run's own shutdown tasks are real tasks (counted, in the report) but noise in a summary.
  const internal = report.tasks.filter(isAsyncioHousekeeping);
  const sorted = report.tasks.filter((t) => !isAsyncioHousekeeping(t))
    .sort((a, b) => STATE_ORDER[a.state] - STATE_ORDER[b.state] || a.id - b.id);
  if (sorted.length > 0) {
    const rows: string[][] = [['ID', 'TASK', 'COROUTINE', 'STATE', 'WAITED ON', 'STEPS', 'BUSY', 'CREATED AT']];
    for (const t of sorted.slice(0, maxTasks)) {
      let state: string = t.state;
      if (t.state === 'pending' && t.phase) state = `pending (${t.phase})`;
      if (t.state === 'failed' && t.exception) state = `failed: ${t.exception.type}`;
      const wait = t.waitingOn ?? t.lastWaitingOn;
      rows.push([
        String(t.id), t.name, `${t.coro}()`, state, wait ? wait.label : '-', String(t.steps), ms(t.busyMs),
        formatLocation(t.createdAt, cwd),
      ]);
    }
    lines.push('', ...table(rows).map((l) => `  ${l}`));
    const hidden = report.taskCount - internal.length - Math.min(sorted.length, maxTasks);
    if (hidden > 0) lines.push(`  … ${hidden} more task(s)${report.tasksOmitted > 0 ? ' (finished tasks beyond the retention limit are counted, not listed)' : ''}`);
    if (internal.length > 0) lines.push(`  (+ ${internal.length} asyncio housekeeping task(s) from loop shutdown, listed in the report)`);
  }
  if (report.findings.length > 0) {
    lines.push('', `findings (${report.findingCount}):`);
    const rows = report.findings.map((f) => [
      f.kind, formatLocation(f.location, cwd),
      f.message + (f.durationMs !== null && !f.message.includes('ms') ? ` (${ms(f.durationMs)})` : ''),
    ]);
    lines.push(...table(rows).map((l) => `  ${l}`));
  } else {
    lines.push('', 'no findings');
  }
  return `${lines.join('\n')}\n`;
}

/** What the report holds less than all of, as stderr lines (printed even with --no-summary). */
export function samplingLines(report: Report): string[] {
  return report.sampling.map((s) => `loopscope: ${s}`);
}

/** One-line live status for a TTY. */
export function formatStatusLine(model: TaskModel, elapsedMs: number): string {
  const s = model.status();
  const f = model.findingCount;
  const noTicks = noTickControlLoops(model).length > 0 ? ' (no tick control)' : '';
  return `loopscope ${ms(elapsedMs)} · tick ${s.tick}${noTicks} · ${s.tasksLive} live / ${s.tasksTotal} tasks · ${f} finding${f === 1 ? '' : 's'}${s.paused ? ' · paused' : ''}`;
}
