// The Timeline's data as the webview receives it (one structured-cloneable object) and the
// messages between the extension and the webview. Shared by extension/views (which builds it)
// and extension/webview (which draws it); types and tiny pure helpers only.

import type { FindingKind, Location } from '../protocol/customDap';

export interface TimelineLane {
  task: number;
  name: string;
  coro: string;
  loop: number;
  parent: number | null;
  /** Nesting depth under its parent task within the loop group (0 = root). */
  depth: number;
  state: string;
  finished: boolean;
  site: Location | null;
  /** Lifetime in ms since the runtime started; `end` null = still alive at `endMs`. */
  start: number;
  end: number | null;
  hasChildren: boolean;
  /** Label of what the task waits on now (live) or last waited on (finished). */
  waitLabel: string | null;
  steps: number;
  busyMs: number;
}

export interface TimelineFinding {
  id: number;
  kind: FindingKind;
  message: string;
  location: Location | null;
  /** Index into `lanes`, or -1 when the finding names no task shown here. */
  lane: number;
  /** Where the marker sits (ms); the blocking step's start for blocking calls. */
  at: number;
  durationMs: number | null;
}

export type TimelineStatus = 'live' | 'paused' | 'ended' | 'file';

export interface TimelineSnapshot {
  title: string;
  status: TimelineStatus;
  /** One line above the lanes, e.g. "exited with code 0 after 1.02 s · 5 tasks · 1 finding". */
  header: string;
  loops: { id: number; label: string }[];
  lanes: TimelineLane[];
  /** Steps grouped by lane: lane i owns [laneStepStart[i], laneStepStart[i + 1]), sorted by start. */
  laneStepStart: Uint32Array;
  stepTs: Float64Array;
  stepDur: Float64Array;
  /** For each step, index into `labels` of the wait that followed it, or -1 if unknown. */
  stepWaitLabel: Int32Array;
  labels: string[];
  ticks: Float64Array;
  findings: TimelineFinding[];
  /** Steps at least this long are drawn as blocking. */
  blockingMs: number;
  startMs: number;
  endMs: number;
  /** Text of the Async Tasks filter applied to `lanes`, or null. */
  filter: string | null;
  /** Lanes hidden by the filter. */
  filteredOut: number;
  /** Why step slices are missing, when they are (trace off, report without steps). */
  note: string | null;
}

/** What the user did on a slice or lane. `step` is the index into the step arrays, if a step was hit. */
export interface TimelineSelection { task: number; step: number | null; open: boolean }

export type HostToWebview =
  | { type: 'snapshot'; snapshot: TimelineSnapshot }
  | { type: 'reveal'; task: number };

export type WebviewToHost =
  | { type: 'ready' }
  | { type: 'select'; selection: TimelineSelection }
  | { type: 'filter'; text: string }
  | { type: 'stats'; stats: Record<string, number> };

/** Milliseconds as people read them on a ruler or in a tooltip. */
export function formatMs(ms: number): string {
  const a = Math.abs(ms);
  if (a >= 1000) return `${(ms / 1000).toFixed(a >= 10_000 ? 1 : 2)} s`;
  if (a >= 10) return `${ms.toFixed(0)} ms`;
  if (a >= 1) return `${ms.toFixed(1)} ms`;
  if (a === 0) return '0';
  return `${(ms * 1000).toFixed(0)} µs`;
}
