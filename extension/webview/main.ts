// The Timeline webview's entry point: builds the toolbar (vscode-elements), the canvas and the
// tooltip, wires d3-zoom for mouse zoom/pan and a keyboard map for the same, follows the present
// while live, and tells the extension which task or step the user picked.

import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import { scaleLinear } from 'd3-scale';
import { select } from 'd3-selection';
import { zoom, zoomIdentity, type ZoomBehavior, type ZoomTransform } from 'd3-zoom';
import type { HostToWebview, TimelineSnapshot, WebviewToHost } from '../views/timelineData';
import { drawFrame, readTheme, type Theme } from './draw';
import { buildRows, LABEL_WIDTH, ROW_HEIGHT, RULER_HEIGHT, stepAt, type Row } from './layout';
import { describeRow, describeStep } from './describe';

interface VsCodeApi { postMessage(msg: WebviewToHost): void }
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const post = (msg: WebviewToHost): void => vscode.postMessage(msg);

const canvas = document.getElementById('timeline') as HTMLCanvasElement;
const ctx = canvas.getContext('2d')!;
const tooltip = document.getElementById('tooltip') as HTMLDivElement;
const header = document.getElementById('header') as HTMLSpanElement;
const live = document.getElementById('announce') as HTMLDivElement;
const filterField = document.getElementById('filter') as HTMLInputElement;
const followBox = document.getElementById('follow') as HTMLInputElement;

let snapshot: TimelineSnapshot | null = null;
let rows: Row[] = [];
let theme: Theme = readTheme(document.body);
const collapsedLoops = new Set<number>();
const collapsedTasks = new Set<number>();
let transform: ZoomTransform = zoomIdentity;
let lastY = 0;
let scrollTop = 0;
let selectedRow = -1;
let selectedStep: number | null = null;
let follow = true;
let width = 0;
let height = 0;
let pending = false;
/** Paint timings read by bench/timeline (the page exposes them as window.timelineStats). */
const stats = { firstPaintMs: -1, frames: 0, lastFrameMs: 0, maxFrameMs: 0, totalFrameMs: 0, frameTimes: [] as number[] };
(window as unknown as { timelineStats: typeof stats }).timelineStats = stats;

const baseScale = () => scaleLinear().domain([snapshot?.startMs ?? 0, snapshot?.endMs ?? 1]).range([LABEL_WIDTH, Math.max(LABEL_WIDTH + 1, width - 8)]);
const viewScale = () => transform.rescaleX(baseScale());

const zoomer: ZoomBehavior<HTMLCanvasElement, unknown> = zoom<HTMLCanvasElement, unknown>()
  .scaleExtent([0.5, 1e8])
  // Ctrl/Cmd+wheel zooms (plain wheel scrolls the lanes); any mouse drag pans.
  .filter((e: Event) => (e.type === 'wheel' ? (e as WheelEvent).ctrlKey || (e as WheelEvent).metaKey : !(e as MouseEvent).button))
  .on('zoom', (e: { transform: ZoomTransform; sourceEvent: Event | null }) => {
    transform = e.transform;
    if (e.sourceEvent) {
      setFollow(false);
      scrollBy(lastY - transform.y);
    }
    lastY = transform.y;
    schedule();
  });
select(canvas).call(zoomer).on('dblclick.zoom', null);

function setFollow(on: boolean): void {
  follow = on;
  followBox.checked = on;
}

function scrollBy(dy: number): void {
  const max = Math.max(0, rows.length * ROW_HEIGHT - (height - RULER_HEIGHT));
  scrollTop = Math.min(max, Math.max(0, scrollTop + dy));
}

function schedule(): void {
  if (pending) return;
  pending = true;
  requestAnimationFrame(() => { pending = false; paint(); });
}

function paint(): void {
  if (!snapshot) return;
  const started = performance.now();
  drawFrame(ctx, {
    snapshot, rows, x: viewScale(), width, height, scrollTop, selectedRow, selectedStep, collapsedTasks, collapsedLoops,
  }, theme);
  const took = performance.now() - started;
  stats.frames++;
  stats.lastFrameMs = took;
  if (stats.frameTimes.length < 5000) stats.frameTimes.push(took);
  stats.totalFrameMs += took;
  if (took > stats.maxFrameMs) stats.maxFrameMs = took;
  if (stats.firstPaintMs < 0) stats.firstPaintMs = performance.now();
}

function resize(): void {
  const dpr = window.devicePixelRatio || 1;
  const box = canvas.getBoundingClientRect();
  width = Math.max(300, box.width);
  height = Math.max(100, box.height);
  canvas.width = Math.round(width * dpr);
  canvas.height = Math.round(height * dpr);
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  schedule();
}
new ResizeObserver(resize).observe(canvas);

/** While following, the right edge stays on the present and the visible span is kept. */
function followPresent(prevEnd: number | null): void {
  if (!snapshot || !follow || snapshot.status !== 'live' || prevEnd === null) return;
  const view = viewScale();
  const [t0, t1] = view.domain();
  const shift = snapshot.endMs - Math.max(t1, prevEnd);
  if (shift <= 0 || t1 - t0 <= 0) return;
  select(canvas).call(zoomer.translateBy, -(view(t0 + shift) - view(t0)) / transform.k, 0);
}

function receive(next: TimelineSnapshot): void {
  const prev = snapshot;
  // Unzoomed, the view shows the whole run and grows with it (so it also follows the present).
  // Zoomed, the visible window is kept: re-expressed against the new base scale, and while
  // following, slid so its right edge stays on the present.
  const fitted = transform.k === 1 && transform.x === 0;
  const domain = prev && !fitted ? viewScale().domain() : null;
  snapshot = next;
  rows = buildRows(next, collapsedLoops, collapsedTasks);
  const filtered = next.filter ? ` · filter "${next.filter}" hides ${next.filteredOut} tasks` : '';
  header.textContent = `${next.header}${filtered}${next.note ? ` · ${next.note}` : ''}`;
  header.title = header.textContent;
  if (document.activeElement !== filterField) filterField.value = next.filter ?? '';
  if (domain) {
    showDomain(domain[0], domain[1]);
    followPresent(prev ? prev.endMs : null);
  }
  if (next.status !== 'live') setFollow(false);
  if (selectedRow >= rows.length) selectedRow = rows.length - 1;
  schedule();
}

function showDomain(t0: number, t1: number): void {
  const base = baseScale();
  const k = (base.range()[1] - base.range()[0]) / Math.max(1e-9, base(t1) - base(t0));
  const t = zoomIdentity.translate(LABEL_WIDTH - k * base(t0), transform.y).scale(k);
  select(canvas).call(zoomer.transform, t);
}

window.addEventListener('message', (e: MessageEvent<HostToWebview>) => {
  const msg = e.data;
  if (msg.type === 'snapshot') receive(msg.snapshot);
  else if (msg.type === 'reveal') revealTask(msg.task);
});

// ---- pointer ------------------------------------------------------------------------------------

function hit(clientX: number, clientY: number): { row: number; step: number | null } | null {
  if (!snapshot) return null;
  const box = canvas.getBoundingClientRect();
  const y = clientY - box.top;
  if (y < RULER_HEIGHT) return null;
  const row = Math.floor((y - RULER_HEIGHT + scrollTop) / ROW_HEIGHT);
  if (row < 0 || row >= rows.length) return null;
  const r = rows[row];
  const x = clientX - box.left;
  if (r.kind !== 'lane' || x < LABEL_WIDTH) return { row, step: null };
  const view = viewScale();
  const t = view.invert(x);
  const slack = view.invert(x + 3) - t;
  return { row, step: stepAt(snapshot, r.lane, t, slack) };
}

canvas.addEventListener('click', (e) => {
  const h = hit(e.clientX, e.clientY);
  if (!h) return;
  const r = rows[h.row];
  const x = e.clientX - canvas.getBoundingClientRect().left;
  if (x < LABEL_WIDTH && (r.kind === 'loop' || snapshot!.lanes[r.lane].hasChildren)) {
    toggle(r);
  }
  select_(h.row, h.step, x >= LABEL_WIDTH || r.kind === 'lane');
});

canvas.addEventListener('mousemove', (e) => {
  const h = hit(e.clientX, e.clientY);
  const text = h ? tooltipText(h.row, h.step) : '';
  tooltip.hidden = !text;
  if (!text) return;
  tooltip.textContent = text;
  const left = Math.min(e.clientX + 14, window.innerWidth - tooltip.offsetWidth - 4);
  tooltip.style.left = `${Math.max(0, left)}px`;
  tooltip.style.top = `${e.clientY + 16}px`;
});
canvas.addEventListener('mouseleave', () => { tooltip.hidden = true; });
canvas.addEventListener('wheel', (e) => {
  if (e.ctrlKey || e.metaKey) return; // d3-zoom's
  e.preventDefault();
  if (e.shiftKey || Math.abs(e.deltaX) > Math.abs(e.deltaY)) {
    setFollow(false);
    select(canvas).call(zoomer.translateBy, -(e.shiftKey ? e.deltaY : e.deltaX) / transform.k, 0);
  } else {
    scrollBy(e.deltaY);
    schedule();
  }
}, { passive: false });

function tooltipText(row: number, step: number | null): string {
  if (!snapshot) return '';
  const r = rows[row];
  if (r.kind !== 'lane') return r.label;
  const marker = findingNear(r.lane);
  const base = step !== null ? describeStep(snapshot, r.lane, step) : describeRow(snapshot, r.lane);
  return marker ? `${base}\n⚠ ${marker}` : base;
}

function findingNear(lane: number): string | null {
  const f = snapshot?.findings.find((x) => x.lane === lane);
  return f ? `${f.kind}: ${f.message}` : null;
}

// ---- selection, collapse, keyboard --------------------------------------------------------------

function toggle(r: Row): void {
  if (r.kind === 'loop') {
    if (!collapsedLoops.delete(r.loop)) collapsedLoops.add(r.loop);
  } else {
    const task = snapshot!.lanes[r.lane].task;
    if (!collapsedTasks.delete(task)) collapsedTasks.add(task);
  }
  rows = buildRows(snapshot!, collapsedLoops, collapsedTasks);
  schedule();
}

function select_(row: number, step: number | null, notify: boolean): void {
  selectedRow = row;
  selectedStep = step;
  keepRowVisible(row);
  const r = rows[row];
  if (r && snapshot) {
    live.textContent = r.kind === 'lane'
      ? (step !== null ? describeStep(snapshot, r.lane, step) : describeRow(snapshot, r.lane)).replace(/\n/g, '; ')
      : r.label;
    if (notify && r.kind === 'lane') post({ type: 'select', selection: { task: snapshot.lanes[r.lane].task, step, open: true } });
  }
  schedule();
}

function keepRowVisible(row: number): void {
  const top = row * ROW_HEIGHT;
  const room = height - RULER_HEIGHT;
  if (top < scrollTop) scrollTop = top;
  else if (top + ROW_HEIGHT > scrollTop + room) scrollTop = top + ROW_HEIGHT - room;
}

function revealTask(task: number): void {
  if (!snapshot) return;
  const lane = snapshot.lanes.findIndex((l) => l.task === task);
  const row = rows.findIndex((r) => r.kind === 'lane' && r.lane === lane);
  if (row >= 0) select_(row, null, false);
}

/** Moves the selected step by `delta` within its lane and pans so it is on screen. */
function moveStep(delta: number): void {
  const r = rows[selectedRow];
  if (!snapshot || !r || r.kind !== 'lane') return;
  const lo = snapshot.laneStepStart[r.lane];
  const hi = snapshot.laneStepStart[r.lane + 1];
  if (hi === lo) return;
  const next = selectedStep === null ? (delta > 0 ? lo : hi - 1) : Math.min(hi - 1, Math.max(lo, selectedStep + delta));
  const view = viewScale();
  const x = view(snapshot.stepTs[next]);
  if (x < LABEL_WIDTH || x > width - 20) {
    setFollow(false);
    select(canvas).call(zoomer.translateBy, ((LABEL_WIDTH + width) / 2 - x) / transform.k, 0);
  }
  select_(selectedRow, next, false);
}

function zoomBy(factor: number): void {
  setFollow(false);
  const view = viewScale();
  const focus = selectedStep !== null && snapshot ? view(snapshot.stepTs[selectedStep]) : (LABEL_WIDTH + width) / 2;
  select(canvas).call(zoomer.scaleBy, factor, [focus, 0]);
}

const KEYS: Record<string, () => void> = {
  ArrowDown: () => select_(Math.min(rows.length - 1, selectedRow + 1), null, false),
  ArrowUp: () => select_(Math.max(0, selectedRow - 1), null, false),
  ArrowRight: () => moveStep(1),
  ArrowLeft: () => moveStep(-1),
  PageDown: () => select_(Math.min(rows.length - 1, selectedRow + Math.floor(height / ROW_HEIGHT) - 2), null, false),
  PageUp: () => select_(Math.max(0, selectedRow - Math.floor(height / ROW_HEIGHT) + 2), null, false),
  Enter: () => { if (rows[selectedRow]) select_(selectedRow, selectedStep, true); },
  ' ': () => { if (rows[selectedRow]) toggle(rows[selectedRow]); },
  '+': () => zoomBy(1.5), '=': () => zoomBy(1.5), w: () => zoomBy(1.5),
  '-': () => zoomBy(1 / 1.5), s: () => zoomBy(1 / 1.5),
  a: () => { setFollow(false); select(canvas).call(zoomer.translateBy, width / 5 / transform.k, 0); },
  d: () => { setFollow(false); select(canvas).call(zoomer.translateBy, -width / 5 / transform.k, 0); },
  '0': () => { setFollow(false); select(canvas).call(zoomer.transform, zoomIdentity.translate(0, transform.y)); },
  f: () => { setFollow(!follow); schedule(); },
};

canvas.addEventListener('keydown', (e) => {
  const action = KEYS[e.key];
  if (!action || e.ctrlKey || e.metaKey || e.altKey) return;
  e.preventDefault();
  action();
});
canvas.addEventListener('focus', () => { if (selectedRow < 0 && rows.length) select_(0, null, false); });

// ---- toolbar ------------------------------------------------------------------------------------

document.getElementById('zoomIn')!.addEventListener('click', () => zoomBy(2));
document.getElementById('zoomOut')!.addEventListener('click', () => zoomBy(0.5));
document.getElementById('fit')!.addEventListener('click', () => KEYS['0']());
followBox.addEventListener('change', () => { setFollow(followBox.checked); schedule(); });
filterField.addEventListener('change', () => post({ type: 'filter', text: filterField.value }));
filterField.addEventListener('keydown', (e) => { if (e.key === 'Enter') post({ type: 'filter', text: filterField.value }); });

new MutationObserver(() => { theme = readTheme(document.body); schedule(); })
  .observe(document.body, { attributes: true, attributeFilter: ['class', 'style'] });

/**
 * Read-only view of what is drawn where, for the end-to-end tests and the bench (a canvas has no
 * DOM to query): visible lanes with their step counts, and where a task's k-th step is on screen.
 */
(window as unknown as { timelineProbe: object }).timelineProbe = {
  lanes: () => rows.flatMap((r) => (r.kind === 'lane' && snapshot
    ? [{ name: snapshot.lanes[r.lane].name, steps: snapshot.laneStepStart[r.lane + 1] - snapshot.laneStepStart[r.lane] }] : [])),
  header: () => snapshot?.header ?? '',
  sliceCenter: (name: string, k: number): { x: number; y: number } | null => {
    if (!snapshot) return null;
    const row = rows.findIndex((r) => r.kind === 'lane' && snapshot!.lanes[r.lane].name === name);
    const r = rows[row];
    if (!r || r.kind !== 'lane') return null;
    const step = snapshot.laneStepStart[r.lane] + k;
    if (step >= snapshot.laneStepStart[r.lane + 1]) return null;
    keepRowVisible(row);
    const view = viewScale();
    const x = view(snapshot.stepTs[step] + snapshot.stepDur[step] / 2);
    paint();
    return { x, y: RULER_HEIGHT + row * ROW_HEIGHT - scrollTop + ROW_HEIGHT / 2 };
  },
};

resize();
post({ type: 'ready' });
