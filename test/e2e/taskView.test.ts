// Scenario 2 of issue 5 in a real VS Code: F5 on a stopOnEntry Loopscope configuration for
// examples/worker_pool.py holds the loop before its first tick, the Async Tasks view lists the program's tasks,
// Step Tick runs exactly the next tick (status bar tick advances, the workers appear), selecting a task opens its
// suspension line, the filter narrows the view, Export Trace writes Chrome Trace JSON, Continue ends the session.
import { strict as assert } from 'node:assert';
import { lineOf } from '../examples/gallery';
import { useVsCode } from './harness/session';

const FILE = 'worker_pool.py';
const TICK = /Loopscope: tick ([\d,]+) · /;

function tickOf(statusText: string): number {
  const m = TICK.exec(statusText);
  if (!m) throw new Error(`no tick in status bar text "${statusText}"`);
  return Number(m[1].replace(/,/g, ''));
}

describe('e2e: Loopscope session on the worker pool', () => {
  const vscode = useVsCode({
    examples: [FILE],
    launch: [
      {
        type: 'loopscope',
        request: 'launch',
        name: 'Loopscope: worker pool',
        program: '${workspaceFolder}/worker_pool.py',
        stopOnEntry: true,
      },
    ],
    settings: { 'debug.openDebug': 'openOnSessionStart' },
  });

  it('shows tasks in Async Tasks, steps one tick, filters, exports a trace, and ends on Continue', async () => {
    const { wb, ws } = vscode();
    // The debug "stopped" event trails the status update; once it lands VS Code moves focus to the stopped frame's
    // editor, which would close an input box opened in between. Its reason names the tick that just ran.
    const stoppedAfterTick = (tick: number): Promise<void> =>
      wb.view('Call Stack').locator('.monaco-list-row', { hasText: new RegExp(`tick ${tick.toLocaleString('en-US')}: ran `, 'i') }).first().waitFor({ state: 'visible' });
    await wb.openFile(FILE);
    await wb.step('start-debugging', async () => {
      await wb.page.keyboard.press('F5');
      await wb.debugToolbar().waitFor({ state: 'visible' });
    });

    // Held before the first tick: the status bar says paused, and the view shows the main task.
    const status = wb.statusBarItem(TICK);
    await status.waitFor({ state: 'visible' });
    // Give the Async Tasks view the room a user would.
    for (const other of ['Variables', 'Watch', 'Breakpoints']) await wb.collapseView(other);
    await wb.widenSideBar(160);
    const pane = await wb.expandView('Async Tasks');
    await pane.locator('.monaco-list-row', { hasText: /Event loop 1/ }).first().waitFor({ state: 'visible' });
    await pane.locator('.monaco-list-row', { hasText: /Task-1/ }).first().waitFor({ state: 'visible' });
    await wb.page.locator('#workbench\\.parts\\.statusbar .statusbar-item .codicon-debug-pause').first().waitFor({ state: 'visible' });
    const before = tickOf((await status.innerText()).trim());
    await wb.screenshot('held-on-entry');
    const entryRows = await wb.treeRows('Async Tasks');
    assert.ok(!entryRows.some((r) => /worker-1/.test(r.text)), `workers exist before the first tick: ${JSON.stringify(entryRows)}`);

    // One tick: main() runs its first step and creates the workers and the producer.
    await wb.clickViewAction('Async Tasks', 'Step Tick');
    await wb.page
      .locator('#workbench\\.parts\\.statusbar .statusbar-item', { hasText: new RegExp(`Loopscope: tick (?!${before.toLocaleString('en-US')} )[\\d,]+ · `) })
      .first()
      .waitFor({ state: 'visible' });
    const after = tickOf((await status.innerText()).trim());
    assert.equal(after, before + 1, `Step Tick should run exactly one tick (was ${before}, now ${after})`);
    await stoppedAfterTick(after);
    for (const name of ['worker-1', 'worker-2', 'worker-3']) {
      await pane.locator('.monaco-list-row', { hasText: name }).first().waitFor({ state: 'visible' });
    }
    await wb.screenshot('after-step-tick');

    // Two more ticks: the workers run their first step and block on the empty queue — the view says so.
    for (let expected = after + 1; expected <= after + 2; expected++) {
      await wb.clickViewAction('Async Tasks', 'Step Tick');
      await wb.statusBarItem(new RegExp(`Loopscope: tick ${expected.toLocaleString('en-US')} · `)).waitFor({ state: 'visible' });
      await stoppedAfterTick(expected);
    }
    await pane.locator('.monaco-list-row', { hasText: /worker-\d.*Queue\.get/ }).first().waitFor({ state: 'visible' });
    // The event-loop thread says what the last tick did, not "Paused on entry" from the first stop.
    const callStack = wb.view('Call Stack');
    // The loop thread is listed first; the focused worker's frames may have scrolled it out of the small pane, so
    // go to the top of the list from the keyboard.
    await callStack.locator('.monaco-list-row', { hasText: /producer · producer\(\)/ }).first().click(); // not under the sticky header
    await wb.page.keyboard.press('Home');
    await callStack.locator('.monaco-list-row', { hasText: new RegExp(`event loop 1 .*tick ${(after + 2).toLocaleString('en-US')}: ran `, 'i') }).first().waitFor({ state: 'visible' });
    assert.equal(await callStack.locator('.monaco-list-row', { hasText: /paused on entry/i }).count(), 0, 'a thread still says "Paused on entry"');
    await wb.screenshot('workers-waiting');

    // Selecting a waiting task opens its file where it is suspended: worker-2 sits in `await queue.get()`.
    await pane.locator('.monaco-list-row', { hasText: 'worker-2' }).first().click();
    await wb.statusBarItem(new RegExp(`Ln ${lineOf(FILE, 'await queue.get()')}, Col`)).waitFor({ state: 'visible' });

    // The filter narrows the view by name; clearing it brings everything back.
    await wb.clickViewAction('Async Tasks', 'Filter Tasks');
    await wb.typeIntoQuickInput('worker-2');
    await pane.locator('.monaco-list-row', { hasText: 'worker-3' }).waitFor({ state: 'detached' });
    await pane.locator('.monaco-list-row', { hasText: 'worker-2' }).first().waitFor({ state: 'visible' });
    assert.ok(!(await wb.treeRows('Async Tasks')).some((r) => /worker-1|producer/.test(r.text)));
    await wb.screenshot('filtered');
    await wb.clickViewAction('Async Tasks', 'Clear Task Filter');
    await pane.locator('.monaco-list-row', { hasText: 'worker-3' }).first().waitFor({ state: 'visible' });

    // Export Trace writes Chrome Trace Event JSON (what Perfetto opens) with a track per task.
    await wb.runCommand('Loopscope: Export Trace…');
    // The save dialog proposes <workspace>/loopscope-trace-<time>.json; accept it.
    const savedAs = await wb.acceptQuickInput(/\/loopscope-trace-[^/]*\.json$/);
    await wb.notification(/Loopscope trace saved to/).waitFor({ state: 'visible' });
    const trace = JSON.parse(ws.read(savedAs.slice(savedAs.lastIndexOf('/') + 1))) as {
      traceEvents: { name: string; ph: string; cat?: string; args?: { name?: string } }[];
    };
    const tracks = trace.traceEvents.filter((e) => e.ph === 'M' && e.name === 'thread_name').map((e) => e.args?.name ?? '');
    for (const name of ['worker-1', 'worker-2', 'worker-3', 'producer']) {
      assert.ok(tracks.some((t) => t.startsWith(`${name} `)), `no track for ${name}: ${tracks.join(' | ')}`);
    }
    // Debug sessions record steps by default (launch.json says nothing about `trace`): the three ticks run so far
    // give step slices (ph "X") on the tasks' tracks, besides their lifetime slices, and tick markers.
    const cats = new Set(trace.traceEvents.map((e) => e.cat ?? e.ph));
    assert.ok(trace.traceEvents.some((e) => e.ph === 'X' && e.cat === 'task.lifetime'), `no task lifetime slices: ${[...cats].join(', ')}`);
    const stepSlices = trace.traceEvents.filter((e) => e.ph === 'X' && e.cat === 'task.step');
    assert.ok(stepSlices.length >= 4, `expected step slices for main() and the workers' first steps, got ${stepSlices.length} (${[...cats].join(', ')})`);
    assert.ok(stepSlices.some((e) => e.name === 'worker()'), `no worker() step slice: ${stepSlices.map((e) => e.name).join(', ')}`);
    assert.ok(trace.traceEvents.some((e) => e.ph === 'i' && e.cat === 'tick'), 'no tick markers');

    // Continue: the program runs to completion and the session ends.
    await wb.clickViewAction('Async Tasks', 'Continue');
    await wb.debugToolbar().waitFor({ state: 'hidden' });
    await status.waitFor({ state: 'hidden' });
    await wb.screenshot('session-ended');
    await wb.runCommand('View: Toggle Debug Console');
    await wb.page.locator('.repl .monaco-list-row', { hasText: 'processed 12 jobs, total 156' }).first().waitFor({ state: 'visible' });
    await wb.screenshot('program-output');
  });
});
