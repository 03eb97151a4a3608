// Issue 5's "stays responsive with 10,000 tasks", in a real VS Code: examples/many_tasks.py parks ten thousand
// tasks on one Event; the status bar counts them, Pause Loop holds the loop, Step Tick runs exactly one tick, the
// filter finds one task among them, and Stop ends the session. Every wait is on what the user would see.
import { strict as assert } from 'node:assert';
import { useVsCode } from './harness/session';
import type { Workbench } from './harness/workbench';

const FILE = 'many_tasks.py';
const TICK = /Loopscope: tick ([\d,]+) · /;
const callStackRow = (wb: Workbench, text: RegExp) => wb.view('Call Stack').locator('.monaco-list-row', { hasText: text }).first();

describe('e2e: Loopscope with 10,000 live tasks', () => {
  const vscode = useVsCode({
    examples: [FILE],
    launch: [
      {
        type: 'loopscope',
        request: 'launch',
        name: 'Loopscope: many tasks',
        program: '${workspaceFolder}/many_tasks.py',
        // 10,000 tasks; the ticker keeps the loop turning for up to 10 minutes, so the test, not the clock, ends it.
        args: ['10000', '60000'],
        trace: false,
      },
    ],
    settings: { 'debug.openDebug': 'openOnSessionStart' },
  });

  it('counts, pauses, steps and filters ten thousand tasks', async () => {
    const { wb } = vscode();
    await wb.openFile(FILE);
    await wb.step('start-debugging', async () => {
      await wb.page.keyboard.press('F5');
      await wb.debugToolbar().waitFor({ state: 'visible' });
    });
    // The status bar counts every live task (10,000 parked + main + the ticker's own task is main itself).
    await wb.statusBarItem(/Loopscope: tick [\d,]+ · 10,001 tasks/).waitFor({ state: 'visible', timeout: 120000 });
    for (const other of ['Variables', 'Watch', 'Breakpoints']) await wb.collapseView(other);
    const pane = await wb.expandView('Async Tasks');
    await pane.locator('.monaco-list-row', { hasText: /parked-\d+/ }).first().waitFor({ state: 'visible' });
    await wb.screenshot('ten-thousand-running');

    // Pause Loop holds it at the next tick boundary: the status bar shows the paused icon.
    await wb.clickViewAction('Async Tasks', 'Pause Loop');
    await wb.page.locator('#workbench\\.parts\\.statusbar .statusbar-item .codicon-debug-pause').first().waitFor({ state: 'visible' });
    // The toolbar swaps Pause Loop for Continue when the paused context lands, a moment after the status
    // bar: a click on Step Tick while it re-renders is lost (CI saw the tick never move).
    await wb.viewAction('Async Tasks', 'Continue').waitFor({ state: 'attached' });
    await callStackRow(wb, /paused before tick/i).waitFor({ state: 'visible' });
    const status = wb.statusBarItem(TICK);
    const before = Number(TICK.exec((await status.innerText()).trim())![1].replace(/,/g, ''));

    // Step Tick runs exactly one more tick, with all ten thousand tasks still listed.
    await wb.clickViewAction('Async Tasks', 'Step Tick');
    await wb.statusBarItem(new RegExp(`Loopscope: tick ${(before + 1).toLocaleString('en-US')} · 10,001 tasks`)).waitFor({ state: 'visible' });
    // The Call Stack names the tick the step ran (VS Code has taken the stop, and opened its line).
    await callStackRow(wb, new RegExp(`tick ${before + 1}: `, 'i')).waitFor({ state: 'visible' });
    await wb.screenshot('ten-thousand-stepped');
    // Every task sits under the one real loop: a state that outran its task.created once conjured an "Event loop 0".
    const loopRows = (await wb.treeRows('Async Tasks')).filter((r) => /^Event loop \d+/.test(r.ariaLabel));
    assert.deepEqual(loopRows.map((r) => /^Event loop (\d+)/.exec(r.ariaLabel)![1]), ['1'], JSON.stringify(loopRows));

    // The filter finds one task among ten thousand.
    await wb.clickViewAction('Async Tasks', 'Filter Tasks');
    await wb.typeIntoQuickInput('parked-9999');
    await pane.locator('.monaco-list-row', { hasText: 'parked-9999' }).first().waitFor({ state: 'visible' });
    await pane.locator('.monaco-list-row', { hasText: /parked-1\b/ }).waitFor({ state: 'detached' });
    const rows = await wb.treeRows('Async Tasks');
    assert.ok(rows.some((r) => /parked-9999.*Event\.wait/.test(r.text)), `parked-9999 should wait on Event.wait: ${JSON.stringify(rows)}`);
    const listed = rows.flatMap((r) => [...r.ariaLabel.matchAll(/parked-(\d+)/g)].map((m) => m[1]));
    assert.deepEqual(listed, ['9999'], `the filter should leave exactly parked-9999: ${JSON.stringify(rows)}`);
    await wb.screenshot('ten-thousand-filtered');

    // Stop ends the session and the program with it.
    await wb.page.keyboard.press('Shift+F5');
    await wb.debugToolbar().waitFor({ state: 'hidden' });
    await status.waitFor({ state: 'hidden' });
  });
});
