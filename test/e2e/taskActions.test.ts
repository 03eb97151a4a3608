// The Async Tasks context menu in a real VS Code, on examples/worker_pool.py held on entry: "Run Until This Task
// Steps" on the producer runs the loop until exactly that task steps (the stop says so), and "Cancel Task" on a
// worker cancels it — after the next tick it sits in the Finished group as cancelled, and the program still ends
// normally. Also: an exception nobody retrieved (examples/unretrieved_exception.py) is a runtime finding in Problems.
import { strict as assert } from 'node:assert';
import { bugLine } from '../examples/gallery';
import { useVsCode } from './harness/session';
import type { Locator } from 'playwright-core';

const FILE = 'worker_pool.py';
const TICK = /Loopscope: tick ([\d,]+) · /;

describe('e2e: Async Tasks context menu', () => {
  const vscode = useVsCode({
    examples: [FILE],
    launch: [
      { type: 'loopscope', request: 'launch', name: 'Loopscope: worker pool', program: '${workspaceFolder}/worker_pool.py', stopOnEntry: true },
    ],
    settings: { 'debug.openDebug': 'openOnSessionStart' },
  });

  it('runs until a chosen task steps, and cancels a task that then shows as cancelled', async () => {
    const { wb } = vscode();
    const callStack = wb.view('Call Stack');
    const tickNow = async (): Promise<number> => {
      const m = TICK.exec((await wb.statusBarItem(TICK).innerText()).trim());
      if (!m) throw new Error('no tick in the status bar');
      return Number(m[1].replace(/,/g, ''));
    };
    const contextMenu = async (row: Locator, item: string): Promise<void> => {
      await row.click({ button: 'right' });
      // VS Code's menu acts on the item under the pointer when Enter is pressed (a synthetic click can land
      // before the menu accepts mouse input).
      const entry = wb.page.locator('.monaco-menu .action-item', { hasText: item }).first();
      await entry.hover();
      await wb.page.keyboard.press('Enter');
      await entry.waitFor({ state: 'detached' });
    };
    const stepTick = async (): Promise<void> => {
      const next = (await tickNow()) + 1;
      await wb.clickViewAction('Async Tasks', 'Step Tick');
      // Wait for the debug stop too: it moves the focus, which would close a menu opened before it lands.
      await callStack.locator('.monaco-list-row', { hasText: new RegExp(`tick ${next.toLocaleString('en-US')}: ran `, 'i') }).first().waitFor({ state: 'visible' });
    };

    await wb.openFile(FILE);
    await wb.page.keyboard.press('F5');
    await wb.debugToolbar().waitFor({ state: 'visible' });
    await wb.statusBarItem(TICK).waitFor({ state: 'visible' });
    for (const other of ['Variables', 'Watch', 'Breakpoints']) await wb.collapseView(other);
    await wb.widenSideBar(160);
    const pane = await wb.expandView('Async Tasks');
    await pane.locator('.monaco-list-row', { hasText: /Task-1/ }).first().waitFor({ state: 'visible' });
    await stepTick(); // main() creates the workers and the producer
    const row = (name: string): Locator =>
      pane.locator('.monaco-list-row', { has: wb.page.locator('.label-name', { hasText: new RegExp(`^${name}$`) }) }).first();
    await row('producer').waitFor({ state: 'visible' });

    // Run Until This Task Steps: the loop runs (possibly several ticks) and stops right after the producer's step.
    const before = await tickNow();
    await contextMenu(row('producer'), 'Run Until This Task Steps');
    await callStack.locator('.monaco-list-row', { hasText: /tick [\d,]+: producer stepped/i }).first().waitFor({ state: 'visible' });
    assert.ok((await tickNow()) > before, 'the loop ran to get there');
    await wb.screenshot('ran-until-producer-stepped');

    // Cancel Task on worker-3: cancellation is delivered when the task next runs, so run until it has stepped.
    await contextMenu(row('worker-3'), 'Cancel Task');
    await contextMenu(row('worker-3'), 'Run Until This Task Steps');
    await callStack.locator('.monaco-list-row', { hasText: /tick [\d,]+: worker-3 stepped/i }).first().waitFor({ state: 'visible' });
    const finishedGroup = pane.locator('.monaco-list-row', { has: wb.page.locator('.label-name', { hasText: /^Finished \(/ }) }).first();
    await finishedGroup.waitFor({ state: 'visible' });
    if ((await finishedGroup.getAttribute('aria-expanded')) === 'false') await finishedGroup.click();
    await pane.locator('.monaco-list-row', { hasText: /worker-3.*cancelled/ }).first().waitFor({ state: 'visible' });
    const rows = await wb.treeRows('Async Tasks');
    const groupAt = rows.findIndex((r) => /^Finished \(/.test(r.ariaLabel));
    const w3At = rows.findIndex((r) => /^worker-3, cancelled/.test(r.ariaLabel));
    assert.ok(groupAt >= 0 && w3At > groupAt && rows[w3At].level === rows[groupAt].level + 1, `worker-3 is not in Finished: ${JSON.stringify(rows)}`);
    assert.ok(rows.some((r) => /^worker-1,/.test(r.ariaLabel) && !/cancelled/.test(r.ariaLabel)), 'the other workers are untouched');
    await wb.screenshot('worker-3-cancelled');

    // The remaining workers finish the jobs; the program ends as it would have.
    await wb.clickViewAction('Async Tasks', 'Continue');
    await wb.debugToolbar().waitFor({ state: 'hidden' });
    await wb.runCommand('View: Toggle Debug Console');
    await wb.page.locator('.repl .monaco-list-row', { hasText: 'processed 12 jobs, total 156' }).first().waitFor({ state: 'visible' });
  });
});

describe('e2e: an exception nobody retrieved', () => {
  const EXC_FILE = 'unretrieved_exception.py';
  const vscode = useVsCode({
    examples: [EXC_FILE],
    launch: [{ type: 'loopscope', request: 'launch', name: 'Loopscope: unretrieved exception', program: '${workspaceFolder}/unretrieved_exception.py' }],
  });

  it('is a runtime finding in Problems at the line that created the task', async () => {
    const { wb } = vscode();
    await wb.openFile(EXC_FILE);
    await wb.showProblems();
    await wb.page.keyboard.press('F5');
    const problem = await wb.waitForProblem(/Loopscope \(runtime\)\W*unretrieved-exception/);
    assert.match(problem.text, new RegExp(`\\[Ln ${bugLine(EXC_FILE)}, Col 1\\]`), problem.text);
    assert.match(problem.text, /never retrieved.*ConnectionError/, problem.text);
    await wb.debugToolbar().waitFor({ state: 'hidden' });
    await wb.waitForProblem(/Loopscope \(runtime\)\W*unretrieved-exception/);
    await wb.screenshot('unretrieved-exception-problem');
  });
});
