// Issue 14 in a real VS Code (code-server): F5 on the worker pool (a sub-second program) opens Async Tasks expanded
// with the workers, which stay (greyed, "Exited with code 0 after …") once it ended; the Timeline opened on session
// start has a lane with step slices per worker, and clicking a slice reveals that task. The blocking call in
// blocking_sleep.py is found from the keyboard alone. A saved `loopscope run --report` opens in the Timeline. A bad
// `loopscope.python` in the User settings is used, and the error says it came from there.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { FrameLocator } from 'playwright-core';
import { lineOf } from '../examples/gallery';
import { REPO_ROOT } from './harness/codeServer';
import { useVsCode } from './harness/session';
import type { Workbench } from './harness/workbench';

interface Probe {
  lanes(): { name: string; steps: number }[];
  header(): string;
  sliceCenter(name: string, k: number): { x: number; y: number } | null;
}
type ProbeWindow = { timelineProbe?: Probe };

/** The Timeline webview's inner document (VS Code nests the page in two iframes). */
function timelineFrame(wb: Workbench): FrameLocator {
  return wb.page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
}

/** Calls the webview's probe by name (the page's CSP forbids evaluating code sent as text). */
async function probe<K extends keyof Probe>(wb: Workbench, method: K, ...args: Parameters<Probe[K]>): Promise<ReturnType<Probe[K]>> {
  const canvas = timelineFrame(wb).locator('canvas#timeline');
  await canvas.waitFor({ state: 'visible' });
  return canvas.evaluate((_el, [m, a]) => {
    const p = (globalThis as unknown as ProbeWindow).timelineProbe as unknown as Record<string, (...x: unknown[]) => unknown> | undefined;
    if (!p) throw new Error('no timeline probe');
    return p[m as string](...(a as unknown[]));
  }, [method, args] as const) as Promise<ReturnType<Probe[K]>>;
}

async function waitForLanes(wb: Workbench, names: string[]): Promise<{ name: string; steps: number }[]> {
  const frame = timelineFrame(wb);
  await frame.locator('#header', { hasText: /Exited with code 0 after/ }).waitFor({ state: 'visible' });
  // The final trace arrives just after the exit; wait until every named lane has its steps.
  for (;;) {
    const lanes = await probe(wb, 'lanes');
    if (names.every((n) => lanes.some((l) => l.name === n && l.steps > 0))) return lanes;
    await frame.locator('canvas#timeline').evaluate(() => new Promise((r) => setTimeout(r, 100)));
  }
}

describe('e2e: Timeline and an Async Tasks view that stays', function () {
  describe('worker pool', () => {
    const vscode = useVsCode({ examples: ['worker_pool.py'], settings: { 'loopscope.timeline.openOnSessionStart': true } });

    it('F5 opens Async Tasks expanded with the workers, the timeline has their steps, a click reveals the task, and the tasks stay', async () => {
      const { wb } = vscode();
      await wb.openFile('worker_pool.py');
      await wb.step('press-F5', () => wb.page.keyboard.press('F5'));
      const pane = wb.view('Async Tasks');
      // Nobody expands the view here: it must open itself and keep the tasks after the exit, greyed, under a
      // header line saying how the program ended.
      await pane.getByText(/Exited with code 0 after [\d.]+ m?s · \d+ tasks · \d+ findings?/).waitFor({ state: 'visible' });
      await wb.debugToolbar().waitFor({ state: 'hidden' });
      assert.equal(await pane.locator('.pane-header').getAttribute('aria-expanded'), 'true');
      await wb.collapseView('Breakpoints'); // room for the rows, as a user would make
      for (const name of ['worker-1', 'worker-2', 'worker-3', 'producer']) {
        await pane.locator('.monaco-list-row', { hasText: name }).first().waitFor({ state: 'visible' });
      }
      assert.ok((await wb.treeRows('Async Tasks')).some((r) => /worker-3/.test(r.text)), 'the workers are gone after the session ended');
      await wb.screenshot('tasks-after-exit');

      const lanes = await waitForLanes(wb, ['worker-1', 'worker-2', 'worker-3', 'producer']);
      assert.ok(lanes.find((l) => l.name === 'worker-2')!.steps >= 3, JSON.stringify(lanes));
      await wb.screenshot('timeline-after-exit');

      const at = await probe(wb, 'sliceCenter', 'worker-2', 1);
      assert.ok(at, 'no second step of worker-2 on screen');
      await timelineFrame(wb).locator('canvas#timeline').click({ position: at });
      await pane.locator('.monaco-list-row.selected', { hasText: 'worker-2' }).waitFor({ state: 'visible' });
      // The editor beside the Timeline puts its cursor on the line that created worker-2. The focus stays in
      // the Timeline (the status bar's Ln/Col belongs to the focused editor), so the cursor line is read from
      // the text editor's own gutter, where Monaco marks the cursor's line number.
      const creationLine = lineOf('worker_pool.py', 'asyncio.create_task(worker(');
      await wb.page.locator('.editor-instance .monaco-editor .margin-view-overlays .line-numbers.active-line-number', {
        hasText: new RegExp(`^\\s*${creationLine}\\s*$`),
      }).first().waitFor({ state: 'visible' });
      await wb.screenshot('timeline-click-revealed');

      await wb.clickViewAction('Async Tasks', 'Clear Finished Session');
      await pane.waitFor({ state: 'hidden' });
    });
  });

  describe('live', () => {
    const vscode = useVsCode({
      examples: ['many_tasks.py'],
      launch: [{ type: 'loopscope', request: 'launch', name: 'Loopscope: many tasks', program: '${workspaceFolder}/many_tasks.py', args: ['60', '3000'] }],
    });

    it('follows the running program from the Async Tasks toolbar, a click while held selects the task in Call Stack, and it stays open after it ends', async () => {
      const { wb } = vscode();
      await wb.openFile('many_tasks.py');
      await wb.page.keyboard.press('F5');
      // Room for the Async Tasks rows under Variables, Watch and Call Stack, as a user would make.
      await wb.collapseView('Breakpoints');
      await wb.view('Async Tasks').locator('.monaco-list-row', { hasText: /Event loop 1/ }).first().waitFor({ state: 'visible' });
      await wb.clickViewAction('Async Tasks', 'Open Timeline');
      const frame = timelineFrame(wb);
      await frame.locator('#header', { hasText: /^Running · tick [\d,]+ · \d+ tasks/ }).waitFor({ state: 'visible' });
      // Live: the ticker's steps keep arriving while the program runs.
      let ticker = 0;
      for (let i = 0; i < 100 && ticker < 20; i++) {
        ticker = (await probe(wb, 'lanes')).find((l) => /^Task-/.test(l.name) && l.steps >= 20)?.steps ?? 0;
        if (ticker < 20) await frame.locator('canvas#timeline').evaluate(() => new Promise((r) => setTimeout(r, 100)));
      }
      assert.ok(ticker >= 20, 'no lane gained steps while the program ran');
      assert.match(await frame.locator('#header').innerText(), /^Running/, 'the program ended before the live view was seen');
      await wb.screenshot('timeline-live');

      // Held at a tick boundary, a click on a task's slice selects that task's thread in the Call Stack.
      await wb.clickViewAction('Async Tasks', 'Pause Loop');
      const callStack = wb.view('Call Stack');
      await callStack.locator('.monaco-list-row', { hasText: /event loop \d+ · MainThread · tick [\d,]+ · paused/ }).first().waitFor({ state: 'visible' });
      const slice = await probe(wb, 'sliceCenter', 'parked-2', 0);
      assert.ok(slice, 'no step of parked-2 on screen');
      await frame.locator('canvas#timeline').click({ position: slice });
      // VS Code expands the thread and selects its top frame (the task's present line, shown in the editor).
      await callStack.locator('.monaco-list-row[aria-expanded="true"]', { hasText: /parked-2 · parked\(\)/ }).first().waitFor({ state: 'visible' });
      await callStack.locator('.monaco-list-row.selected', { hasText: /parked\(\)\s*many_tasks\.py/ }).first().waitFor({ state: 'visible' });
      await wb.screenshot('timeline-click-selects-thread');
      await wb.clickViewAction('Async Tasks', 'Continue');
      await frame.locator('#header', { hasText: /Exited with code 0 after/ }).waitFor({ state: 'visible' });
      assert.ok((await probe(wb, 'lanes')).length >= 60, 'the finished session lost its lanes');
    });
  });

  describe('blocking call', () => {
    const vscode = useVsCode({ examples: ['blocking_sleep.py'], settings: { 'loopscope.timeline.openOnSessionStart': true } });

    it('the blocking step stands out and is reached with the keyboard alone', async () => {
      const { wb } = vscode();
      await wb.openFile('blocking_sleep.py');
      await wb.page.keyboard.press('F5');
      await waitForLanes(wb, ['refresh-cache', 'heartbeat']);
      const frame = timelineFrame(wb);
      const canvas = frame.locator('canvas#timeline');
      await canvas.focus();
      const announce = frame.locator('#announce');
      for (let i = 0; i < 30 && !/^refresh-cache/.test(await announce.innerText()); i++) await wb.page.keyboard.press('ArrowDown');
      assert.match(await announce.innerText(), /^refresh-cache/);
      for (let i = 0; i < 10 && !/BLOCKING/.test(await announce.innerText()); i++) await wb.page.keyboard.press('ArrowRight');
      assert.match(await announce.innerText(), /refresh-cache · refresh_cache\(\) step \d+ · BLOCKING; at .* for 3\d\d ms/);
      await wb.page.keyboard.press('0'); // the whole run, the blocking slice among the rest
      await wb.screenshot('timeline-blocking');
    });
  });

  describe('saved report', () => {
    const vscode = useVsCode({ examples: ['worker_pool.py'] });

    it('opens a loopscope run --report file in the timeline', async () => {
      const { wb, ws } = vscode();
      execFileSync(process.execPath, [join(REPO_ROOT, 'dist', 'cli.js'), 'run', '--no-summary', '--report', ws.path('report.json'), ws.path('worker_pool.py')],
        { stdio: 'ignore' });
      await wb.openFile('report.json');
      await wb.runCommand('Loopscope: Open in Loopscope Timeline');
      const frame = timelineFrame(wb);
      await frame.locator('#header', { hasText: /Exited with code 0 after .* · \d+ tasks · 0 findings/ }).waitFor({ state: 'visible' });
      const lanes = (await probe(wb, 'lanes')).map((l) => l.name);
      for (const name of ['Task-1', 'worker-1', 'worker-2', 'worker-3', 'producer']) assert.ok(lanes.includes(name), `no lane ${name}: ${lanes.join(', ')}`);
      await wb.screenshot('timeline-report');
    });
  });

  describe('interpreter from the User settings', () => {
    const vscode = useVsCode({ examples: ['worker_pool.py'], settings: { 'loopscope.python': '/nonexistent/python3' } });

    it('uses loopscope.python from the User settings and says so when it is wrong', async () => {
      const { wb } = vscode();
      await wb.openFile('worker_pool.py');
      await wb.page.keyboard.press('F5');
      await wb.notification(/"\/nonexistent\/python3" was not found.*loopscope\.python in your User settings/).waitFor({ state: 'visible' });
      await wb.screenshot('python-setting-error');
    });
  });
});
