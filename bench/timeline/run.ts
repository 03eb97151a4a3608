// Timeline rendering benchmark (run: `npx tsx bench/timeline/run.ts`; writes bench/results/timeline.json).
// 10,000 tasks with 1,000,000 steps: the extension side builds the snapshot from a Chrome trace
// (TimelineModel, as for a live session or a --trace file); the webview bundle (dist/timeline.js)
// runs in headless Chromium (playwright-core) in a plain page with a stub of acquireVsCodeApi, not
// inside VS Code. Reports time to first paint, frame times while panning (zoomed out and zoomed
// in) and the page's JS heap, in one run.

import { copyFileSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { chromium, type Page } from 'playwright-core';
import { TimelineModel } from '../../extension/views/timelineModel';
import { timelineHtml } from '../../extension/views/timelineHtml';
import type { TimelineSnapshot } from '../../extension/views/timelineData';

const ROOT = path.resolve(__dirname, '..', '..');
const TASKS = 10_000;
const STEPS_PER_TASK = 100;
const SPAN_MS = 10_000;

/** A Chrome trace like `loopscope run --trace` writes: lifetimes, steps (1 in 1,000 blocking), ticks. */
function syntheticTrace(): { traceEvents: object[] } {
  const ev: object[] = [{ name: 'thread_name', ph: 'M', ts: 0, pid: 1, tid: 1_000_000_001, args: { name: 'event loop 1 (MainThread)' } }];
  for (let t = 1; t <= TASKS; t++) {
    const parent = t === 1 ? null : 1 + (t % 100 === 0 ? 0 : t % 100);
    ev.push({ name: `worker-${t} · waiting`, cat: 'task.lifetime', ph: 'X', ts: 0, dur: SPAN_MS * 1000, pid: 1, tid: t,
      args: { task: t, coro: t === 1 ? 'main' : 'worker', state: 'waiting', parent: t === 1 ? null : parent, steps: STEPS_PER_TASK, busyMs: 5, createdAt: { file: '/proj/app.py', line: 10 } } });
    for (let k = 0; k < STEPS_PER_TASK; k++) {
      const ts = (k * (SPAN_MS / STEPS_PER_TASK) + (t % 97)) * 1000;
      const blocking = (t * STEPS_PER_TASK + k) % 1000 === 0;
      ev.push({ name: 'worker()', cat: 'task.step', ph: 'X', ts, dur: blocking ? 150_000 : 50 + (k % 7) * 40, pid: 1, tid: t, args: { tick: k } });
    }
  }
  for (let k = 0; k < 100_000; k++) ev.push({ name: `tick ${k}`, cat: 'tick', ph: 'i', s: 't', ts: k * 100, pid: 1, tid: 1_000_000_001, args: {} });
  return { traceEvents: ev };
}

function buildSnapshot(): { snapshot: TimelineSnapshot; ingestMs: number; snapshotMs: number } {
  const trace = syntheticTrace();
  const t0 = performance.now();
  const model = new TimelineModel();
  model.ingestTrace(trace, 'synthetic trace');
  const t1 = performance.now();
  const snapshot = model.snapshot({ title: 'bench', status: 'file', header: `${TASKS} tasks · ${TASKS * STEPS_PER_TASK} steps`, filter: null, blockingMs: 100 });
  return { snapshot, ingestMs: t1 - t0, snapshotMs: performance.now() - t1 };
}

/** What the page exposes, as seen from code run inside it (page.evaluate). */
interface PageGlobals {
  timelineStats: { firstPaintMs: number; frameTimes: number[] };
  posted: { type: string }[];
  postMessage(msg: unknown, origin: string): void;
  requestAnimationFrame(cb: () => void): void;
  performance: { now(): number };
}

const arrayBytes = (s: TimelineSnapshot): number =>
  s.laneStepStart.byteLength + s.stepTs.byteLength + s.stepDur.byteLength + s.stepWaitLabel.byteLength + s.ticks.byteLength;

const b64 = (a: ArrayBufferView): string => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');

function writePage(dir: string): string {
  const bundle = path.join(ROOT, 'dist', 'timeline.js');
  if (!existsSync(bundle)) throw new Error(`${bundle} is missing: run "npm run build" first`);
  copyFileSync(bundle, path.join(dir, 'timeline.js'));
  const nonce = 'bench';
  // The stub stands in for VS Code's webview API: it records what the timeline posts.
  const stub = `<script nonce="${nonce}">window.posted = []; window.acquireVsCodeApi = () => ({ postMessage: (m) => window.posted.push(m) });</script>`;
  const html = timelineHtml({ scriptUri: 'timeline.js', cspSource: "'self'", nonce, title: 'bench' }).replace('<script nonce', `${stub}\n<script nonce`);
  const file = path.join(dir, 'index.html');
  writeFileSync(file, html);
  return file;
}

/** Hands the snapshot to the page (typed arrays travel as base64) and posts it like the extension does. */
async function deliver(page: Page, s: TimelineSnapshot): Promise<number> {
  const { laneStepStart, stepTs, stepDur, stepWaitLabel, ticks, ...rest } = s;
  const arrays = { laneStepStart: b64(laneStepStart), stepTs: b64(stepTs), stepDur: b64(stepDur), stepWaitLabel: b64(stepWaitLabel), ticks: b64(ticks) };
  return page.evaluate(async ({ rest, arrays }) => {
    // No named helpers in here: the bundler would wrap them in a __name() the page does not have.
    const buf: Record<string, ArrayBuffer> = {};
    for (const [key, text] of Object.entries(arrays)) {
      const bin = atob(text);
      const bytes = new Uint8Array(bin.length);
      for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
      buf[key] = bytes.buffer;
    }
    const snapshot = {
      ...rest, laneStepStart: new Uint32Array(buf.laneStepStart), stepTs: new Float64Array(buf.stepTs),
      stepDur: new Float64Array(buf.stepDur), stepWaitLabel: new Int32Array(buf.stepWaitLabel), ticks: new Float64Array(buf.ticks),
    };
    const g = globalThis as unknown as PageGlobals;
    const stats = g.timelineStats;
    const t0 = g.performance.now();
    g.postMessage({ type: 'snapshot', snapshot }, '*');
    while (stats.firstPaintMs < 0) await new Promise<void>((r) => g.requestAnimationFrame(r));
    return stats.firstPaintMs - t0;
  }, { rest, arrays });
}

interface FrameStats { frames: number; p50Ms: number; p95Ms: number; maxMs: number; fps: number }

/** Drags the canvas sideways for `moves` pointer moves and reports the paint cost of the frames it caused. */
async function pan(page: Page, moves: number): Promise<FrameStats> {
  await page.evaluate(() => { (globalThis as unknown as PageGlobals).timelineStats.frameTimes.length = 0; });
  const y = 450;
  await page.mouse.move(900, y);
  await page.mouse.down();
  const started = Date.now();
  for (let i = 0; i < moves; i++) {
    await page.mouse.move(900 - ((i % 40) - 20) * 12, y);
    await page.evaluate(() => new Promise<void>((r) => (globalThis as unknown as PageGlobals).requestAnimationFrame(r)));
  }
  await page.mouse.up();
  const wall = Date.now() - started;
  const times = await page.evaluate(() => (globalThis as unknown as PageGlobals).timelineStats.frameTimes.slice());
  times.sort((a, b) => a - b);
  const at = (q: number): number => Math.round(times[Math.min(times.length - 1, Math.floor(q * times.length))] * 100) / 100;
  return { frames: times.length, p50Ms: at(0.5), p95Ms: at(0.95), maxMs: at(1), fps: Math.round((times.length / wall) * 1000 * 10) / 10 };
}

/** The page's JS heap and, separately, ArrayBuffer backing stores (where the step arrays live), after a GC. */
async function memoryMb(page: Page): Promise<{ jsHeap: number; arrayBuffers: number | null }> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('HeapProfiler.collectGarbage');
  const usage = (await cdp.send('Runtime.getHeapUsage')) as { usedSize: number; backingStorageSize?: number };
  const mb = (n: number): number => Math.round((n / 1024 / 1024) * 10) / 10;
  return { jsHeap: mb(usage.usedSize), arrayBuffers: usage.backingStorageSize !== undefined ? mb(usage.backingStorageSize) : null };
}

async function main(): Promise<void> {
  const built = buildSnapshot();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'loopscope-bench-timeline-'));
  const page0 = writePage(dir);
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-dev-shm-usage'] });
  try {
    const page = await (await browser.newContext({ viewport: { width: 1440, height: 900 }, colorScheme: 'dark' })).newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const navStart = Date.now();
    await page.goto(`file://${page0}`);
    await page.waitForFunction(() => (globalThis as unknown as PageGlobals).posted.some((m) => m.type === 'ready'));
    const pageReadyMs = Date.now() - navStart;
    const memEmpty = await memoryMb(page);
    const firstPaintMs = await deliver(page, built.snapshot);
    const memLoaded = await memoryMb(page);
    const zoomedOut = await pan(page, 120);
    await page.focus('#timeline');
    for (let i = 0; i < 10; i++) await page.keyboard.press('+'); // ×57: about 175 ms of the 10 s on screen
    const zoomedIn = await pan(page, 120);
    if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
    const result = {
      bench: 'timeline', when: new Date().toISOString(), machine: `${os.cpus().length} cpu ${os.cpus()[0]?.model ?? ''}`.trim(),
      renderer: 'headless Chromium (playwright-core), plain page + acquireVsCodeApi stub, dist/timeline.js',
      tasks: TASKS, steps: TASKS * STEPS_PER_TASK, ticks: built.snapshot.ticks.length, viewport: '1440x900',
      extension: { ingestTraceMs: Math.round(built.ingestMs), buildSnapshotMs: Math.round(built.snapshotMs) },
      webview: {
        pageReadyMs, firstPaintAfterSnapshotMs: Math.round(firstPaintMs),
        panZoomedOut: zoomedOut, panZoomedIn: zoomedIn,
        memoryMb: { empty: memEmpty, loaded: memLoaded, snapshotArrays: Math.round(arrayBytes(built.snapshot) / 1024 / 1024 * 10) / 10 },
      },
    };
    mkdirSync(path.join(ROOT, 'bench', 'results'), { recursive: true });
    writeFileSync(path.join(ROOT, 'bench', 'results', 'timeline.json'), `${JSON.stringify(result, null, 2)}\n`);
    console.log(JSON.stringify(result, null, 2));
  } finally {
    await browser.close();
  }
}

main().catch((e: unknown) => { console.error(e); process.exit(1); });
