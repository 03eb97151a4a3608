// Rows of the Timeline (a header per event loop, then one lane per task, children under their
// parent unless collapsed) and hit-testing of steps. Pure functions over a TimelineSnapshot so the
// drawing code and the keyboard handling agree on what is where.

import type { TimelineSnapshot } from '../views/timelineData';

export type Row = { kind: 'loop'; loop: number; label: string } | { kind: 'lane'; lane: number };

export const ROW_HEIGHT = 20;
export const RULER_HEIGHT = 28;
export const LABEL_WIDTH = 230;

/** Visible rows given the collapsed loops (by id) and tasks (by id). */
export function buildRows(s: TimelineSnapshot, collapsedLoops: ReadonlySet<number>, collapsedTasks: ReadonlySet<number>): Row[] {
  const rows: Row[] = [];
  const labels = new Map(s.loops.map((l) => [l.id, l.label]));
  let loop: number | null = null;
  /** Depth at or below which lanes are hidden because an ancestor is collapsed; Infinity = none. */
  let hideDeeperThan = Infinity;
  for (let i = 0; i < s.lanes.length; i++) {
    const lane = s.lanes[i];
    if (lane.loop !== loop) {
      loop = lane.loop;
      hideDeeperThan = Infinity;
      rows.push({ kind: 'loop', loop, label: labels.get(loop) ?? `Event loop ${loop}` });
    }
    if (collapsedLoops.has(lane.loop)) continue;
    if (lane.depth > hideDeeperThan) continue;
    hideDeeperThan = collapsedTasks.has(lane.task) && lane.hasChildren ? lane.depth : Infinity;
    rows.push({ kind: 'lane', lane: i });
  }
  return rows;
}

/** Index of the first step of `lane` that ends at or after `t` (steps of a lane do not overlap). */
export function firstStepEndingAfter(s: TimelineSnapshot, lane: number, t: number): number {
  let lo = s.laneStepStart[lane];
  let hi = s.laneStepStart[lane + 1];
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (s.stepTs[mid] + s.stepDur[mid] < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The step of `lane` under time `t`, within `slackMs` either side; null when none is that close. */
export function stepAt(s: TimelineSnapshot, lane: number, t: number, slackMs: number): number | null {
  const end = s.laneStepStart[lane + 1];
  let best: number | null = null;
  let bestDist = slackMs;
  for (let i = firstStepEndingAfter(s, lane, t - slackMs); i < end && s.stepTs[i] <= t + slackMs; i++) {
    const a = s.stepTs[i];
    const b = a + s.stepDur[i];
    const dist = t < a ? a - t : t > b ? t - b : 0;
    if (dist <= bestDist) { best = i; bestDist = dist; }
  }
  return best;
}

/** The lane a step belongs to (binary search over the lane offsets). */
export function laneOfStep(s: TimelineSnapshot, step: number): number {
  let lo = 0;
  let hi = s.lanes.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (s.laneStepStart[mid] <= step) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
