// Draws one frame of the Timeline on a 2D canvas: the tick ruler, loop headers, and per task lane
// its lifetime (the thin "waiting" bar, labelled with what was awaited), its steps as busy slices
// (blocking ones stand out) and finding markers. Only visible rows and time ranges are touched,
// and slices narrower than a pixel are merged, so a frame costs what is on screen, not the total.

import type { ScaleLinear } from 'd3-scale';
import type { TimelineSnapshot } from '../views/timelineData';
import { firstStepEndingAfter, LABEL_WIDTH, ROW_HEIGHT, RULER_HEIGHT, type Row } from './layout';

export interface Theme {
  background: string;
  foreground: string;
  muted: string;
  step: string;
  blocking: string;
  finding: string;
  wait: string;
  selection: string;
  rowAlt: string;
  font: string;
}

/** Reads the VS Code theme's CSS variables (with fallbacks for a plain page). */
export function readTheme(el: HTMLElement): Theme {
  const css = getComputedStyle(el);
  const v = (name: string, fallback: string): string => css.getPropertyValue(name).trim() || fallback;
  return {
    background: v('--vscode-editor-background', '#1e1e1e'),
    foreground: v('--vscode-foreground', '#cccccc'),
    muted: v('--vscode-descriptionForeground', '#9d9d9d'),
    step: v('--vscode-charts-blue', '#3794ff'),
    blocking: v('--vscode-charts-red', '#f14c4c'),
    finding: v('--vscode-charts-yellow', '#cca700'),
    wait: v('--vscode-charts-lines', '#808080'),
    selection: v('--vscode-focusBorder', '#007fd4'),
    rowAlt: v('--vscode-list-hoverBackground', 'rgba(128,128,128,0.08)'),
    font: `${v('--vscode-font-size', '12px')} ${v('--vscode-font-family', 'sans-serif')}`,
  };
}

export interface Frame {
  snapshot: TimelineSnapshot;
  rows: Row[];
  x: ScaleLinear<number, number>;
  width: number;
  height: number;
  scrollTop: number;
  selectedRow: number;
  selectedStep: number | null;
  collapsedTasks: ReadonlySet<number>;
  collapsedLoops: ReadonlySet<number>;
}

export function drawFrame(ctx: CanvasRenderingContext2D, f: Frame, theme: Theme): void {
  ctx.fillStyle = theme.background;
  ctx.fillRect(0, 0, f.width, f.height);
  ctx.font = theme.font;
  ctx.textBaseline = 'middle';
  const first = Math.max(0, Math.floor(f.scrollTop / ROW_HEIGHT));
  const last = Math.min(f.rows.length, Math.ceil((f.scrollTop + f.height - RULER_HEIGHT) / ROW_HEIGHT));
  const [t0, t1] = f.x.domain();
  for (let r = first; r < last; r++) {
    const y = RULER_HEIGHT + r * ROW_HEIGHT - f.scrollTop;
    const row = f.rows[r];
    if (r % 2 === 1) { ctx.fillStyle = theme.rowAlt; ctx.fillRect(0, y, f.width, ROW_HEIGHT); }
    ctx.save();
    ctx.beginPath();
    ctx.rect(LABEL_WIDTH, y, f.width - LABEL_WIDTH, ROW_HEIGHT);
    ctx.clip();
    if (row.kind === 'lane') drawLane(ctx, f, theme, row.lane, y, t0, t1);
    ctx.restore();
    drawLabel(ctx, f, theme, row, y);
    if (r === f.selectedRow) {
      ctx.strokeStyle = theme.selection;
      ctx.lineWidth = 1;
      ctx.strokeRect(0.5, y + 0.5, f.width - 1, ROW_HEIGHT - 1);
    }
  }
  drawFindings(ctx, f, theme, first, last);
  drawRuler(ctx, f, theme, t0, t1);
}

function drawLane(ctx: CanvasRenderingContext2D, f: Frame, theme: Theme, lane: number, y: number, t0: number, t1: number): void {
  const s = f.snapshot;
  const info = s.lanes[lane];
  const x = linear(f.x);
  const mid = y + ROW_HEIGHT / 2;
  // The lifetime is a thin bar: between steps the task waits.
  const endT = info.end ?? s.endMs;
  const lx0 = Math.max(LABEL_WIDTH, x(info.start));
  const lx1 = Math.min(f.width, x(endT));
  ctx.globalAlpha = info.finished ? 0.35 : 0.6;
  ctx.fillStyle = theme.wait;
  if (lx1 > lx0) ctx.fillRect(lx0, mid - 1.5, Math.max(1, lx1 - lx0), 3);
  ctx.globalAlpha = info.finished ? 0.55 : 1;
  const from = firstStepEndingAfter(s, lane, t0);
  const to = s.laneStepStart[lane + 1];
  let runStart = -1;
  let runEnd = -1;
  let runBlocking = false;
  const flush = (): void => {
    if (runStart < 0) return;
    ctx.fillStyle = runBlocking ? theme.blocking : theme.step;
    const h = runBlocking ? ROW_HEIGHT - 2 : ROW_HEIGHT - 6;
    ctx.fillRect(runStart, runBlocking ? y + 1 : y + 3, Math.max(1, runEnd - runStart), h);
  };
  let prevEndX = lx0;
  for (let i = from; i < to && s.stepTs[i] <= t1; i++) {
    const a = x(s.stepTs[i]);
    const b = x(s.stepTs[i] + s.stepDur[i]);
    const blocking = s.stepDur[i] >= s.blockingMs;
    if (i > from) labelWait(ctx, theme, s, i - 1, prevEndX, a, mid);
    // Slices closer than a pixel join the current run instead of costing a fillRect each.
    if (runStart >= 0 && a <= runEnd + 1 && blocking === runBlocking) {
      if (b > runEnd) runEnd = b;
    } else {
      flush();
      runStart = a; runEnd = b; runBlocking = blocking;
    }
    prevEndX = b;
    if (i === f.selectedStep) {
      ctx.strokeStyle = theme.foreground;
      ctx.lineWidth = 2;
      ctx.strokeRect(a - 1, y + 1, Math.max(2, b - a + 2), ROW_HEIGHT - 2);
    }
  }
  flush();
  if (from < to && to - 1 >= from) labelTrailingWait(ctx, theme, f, lane, prevEndX, lx1, mid);
  else if (s.laneStepStart[lane] === to && info.waitLabel) drawText(ctx, theme, info.waitLabel, lx0 + 4, lx1, mid);
  ctx.globalAlpha = 1;
}

function labelWait(ctx: CanvasRenderingContext2D, theme: Theme, s: TimelineSnapshot, step: number, x0: number, x1: number, mid: number): void {
  if (x1 - x0 < 48) return;
  const label = s.stepWaitLabel[step];
  if (label >= 0) drawText(ctx, theme, s.labels[label], x0 + 4, x1 - 2, mid);
}

function labelTrailingWait(ctx: CanvasRenderingContext2D, theme: Theme, f: Frame, lane: number, x0: number, x1: number, mid: number): void {
  if (x1 - x0 < 48) return;
  const s = f.snapshot;
  const lastStep = s.laneStepStart[lane + 1] - 1;
  const known = s.stepWaitLabel[lastStep];
  const label = known >= 0 ? s.labels[known] : s.lanes[lane].waitLabel;
  if (label) drawText(ctx, theme, label, Math.max(x0, LABEL_WIDTH) + 4, x1 - 2, mid);
}

function drawText(ctx: CanvasRenderingContext2D, theme: Theme, text: string, x0: number, x1: number, mid: number): void {
  const room = x1 - x0;
  if (room < 24) return;
  ctx.fillStyle = theme.muted;
  ctx.fillText(fit(ctx, text, room), x0, mid - 6 < 0 ? mid : mid);
}

function fit(ctx: CanvasRenderingContext2D, text: string, room: number): string {
  if (ctx.measureText(text).width <= room) return text;
  const perChar = ctx.measureText('m').width * 0.8;
  const n = Math.max(1, Math.floor(room / perChar) - 1);
  return `${text.slice(0, n)}…`;
}

function drawLabel(ctx: CanvasRenderingContext2D, f: Frame, theme: Theme, row: Row, y: number): void {
  ctx.fillStyle = theme.background;
  ctx.fillRect(0, y, LABEL_WIDTH - 1, ROW_HEIGHT);
  const mid = y + ROW_HEIGHT / 2;
  if (row.kind === 'loop') {
    ctx.fillStyle = theme.foreground;
    ctx.fillText(`${f.collapsedLoops.has(row.loop) ? '▸' : '▾'} ${row.label}`, 4, mid);
    return;
  }
  const lane = f.snapshot.lanes[row.lane];
  const indent = 14 + lane.depth * 12;
  if (lane.hasChildren) {
    ctx.fillStyle = theme.muted;
    ctx.fillText(f.collapsedTasks.has(lane.task) ? '▸' : '▾', indent - 11, mid);
  }
  ctx.fillStyle = lane.finished ? theme.muted : theme.foreground;
  ctx.fillText(fit(ctx, `${lane.name} · ${lane.coro}()`, LABEL_WIDTH - indent - 6), indent, mid);
}

function drawFindings(ctx: CanvasRenderingContext2D, f: Frame, theme: Theme, first: number, last: number): void {
  const rowOfLane = new Map<number, number>();
  for (let r = first; r < last; r++) {
    const row = f.rows[r];
    if (row.kind === 'lane') rowOfLane.set(row.lane, r);
  }
  for (const finding of f.snapshot.findings) {
    const r = rowOfLane.get(finding.lane);
    if (r === undefined) continue;
    const x = f.x(finding.at);
    if (x < LABEL_WIDTH || x > f.width) continue;
    const y = RULER_HEIGHT + r * ROW_HEIGHT - f.scrollTop;
    ctx.fillStyle = finding.kind === 'blocking-call' ? theme.blocking : theme.finding;
    ctx.beginPath();
    ctx.moveTo(x - 5, y);
    ctx.lineTo(x + 5, y);
    ctx.lineTo(x, y + 7);
    ctx.closePath();
    ctx.fill();
  }
}

function drawRuler(ctx: CanvasRenderingContext2D, f: Frame, theme: Theme, t0: number, t1: number): void {
  ctx.fillStyle = theme.background;
  ctx.fillRect(0, 0, f.width, RULER_HEIGHT);
  ctx.strokeStyle = theme.muted;
  ctx.fillStyle = theme.muted;
  ctx.lineWidth = 1;
  ctx.beginPath();
  const ticks = f.x.ticks(Math.max(2, Math.floor((f.width - LABEL_WIDTH) / 110)));
  const step = ticks.length > 1 ? ticks[1] - ticks[0] : t1 - t0;
  for (const t of ticks) {
    const x = Math.round(f.x(t)) + 0.5;
    if (x < LABEL_WIDTH) continue;
    ctx.moveTo(x, 12);
    ctx.lineTo(x, RULER_HEIGHT);
    ctx.fillText(rulerLabel(t, step), x + 3, 8);
  }
  ctx.moveTo(LABEL_WIDTH, RULER_HEIGHT - 0.5);
  ctx.lineTo(f.width, RULER_HEIGHT - 0.5);
  ctx.stroke();
  drawLoopTicks(ctx, f, theme, t0, t1);
  ctx.fillStyle = theme.foreground;
  ctx.fillText(f.snapshot.status === 'live' ? '● live' : f.snapshot.status, 4, RULER_HEIGHT / 2);
}

/** The view scale as plain arithmetic: called once per slice, so no d3 call per step. */
function linear(scale: ScaleLinear<number, number>): ((t: number) => number) & { invert(px: number): number } {
  const [d0, d1] = scale.domain();
  const [r0, r1] = scale.range();
  const k = (r1 - r0) / (d1 - d0 || 1);
  const fn = (t: number): number => r0 + (t - d0) * k;
  return Object.assign(fn, { invert: (px: number) => d0 + (px - r0) / k });
}

/** A ruler label with as many decimals as the spacing of the ruler's ticks needs. */
function rulerLabel(t: number, step: number): string {
  const decimals = (unitStep: number): number => Math.max(0, Math.min(6, -Math.floor(Math.log10(unitStep) + 1e-9)));
  if (step >= 1000) return `${(t / 1000).toFixed(decimals(step / 1000))} s`;
  return `${t.toFixed(decimals(step))} ms`;
}

/** Every loop tick is a short mark under the ruler, at most one per pixel. */
function drawLoopTicks(ctx: CanvasRenderingContext2D, f: Frame, theme: Theme, t0: number, t1: number): void {
  const ticks = f.snapshot.ticks;
  const firstAtOrAfter = (t: number, from: number): number => {
    let lo = from;
    let hi = ticks.length;
    while (lo < hi) { const m = (lo + hi) >>> 1; if (ticks[m] < t) lo = m + 1; else hi = m; }
    return lo;
  };
  const x = linear(f.x);
  ctx.fillStyle = theme.step;
  ctx.globalAlpha = 0.7;
  // One mark per pixel at most: after a mark, jump (binary search) to the next pixel's first tick.
  for (let i = firstAtOrAfter(t0, 0); i < ticks.length && ticks[i] <= t1;) {
    const px = Math.floor(x(ticks[i]));
    if (px >= LABEL_WIDTH) ctx.fillRect(px, RULER_HEIGHT - 5, 1, 4);
    i = firstAtOrAfter(x.invert(px + 1), i + 1);
  }
  ctx.globalAlpha = 1;
}
