// Line debugging in a real VS Code (issue 12): a breakpoint clicked into the gutter of an example and a
// logpoint added from the gutter's context menu; F5 stops on the breakpoint in the task that hit it,
// F10 over an `await` stays in that task with the awaited value in Variables, and the logpoint's line
// reaches the Debug Console without stopping. Step Tick (toolbar, ctrl+alt+F10) still steps the scheduler.
import { strict as assert } from 'node:assert';
import type { Locator } from 'playwright-core';
import { lineOf } from '../examples/gallery';
import { useVsCode } from './harness/session';
import type { Workbench } from './harness/workbench';

const FILE = 'worker_pool.py';
const AWAIT_LINE = lineOf(FILE, 'job = await queue.get()');
const LOG_LINE = lineOf(FILE, 'done["total"] = done.get("total", 0) + job * 2');

/** The editor's line-number cell of a (visible) 1-based line. */
function lineNumber(wb: Workbench, line: number): Locator {
  return wb.activeEditor().locator('.margin-view-overlays .line-numbers', { hasText: new RegExp(`^\\s*${line}\\s*$`) }).first();
}

/** Clicks the glyph margin (left of the line numbers) of `line`, where VS Code toggles breakpoints. */
async function clickGutter(wb: Workbench, line: number, button: 'left' | 'right' = 'left'): Promise<void> {
  const box = await lineNumber(wb, line).boundingBox();
  if (!box) throw new Error(`line ${line} is not visible in the editor`);
  await wb.page.mouse.click(box.x - 8, box.y + box.height / 2, { button });
}

describe('e2e: line debugging', function () {
  const vscode = useVsCode({ examples: [FILE] });

  it('gutter breakpoint, F5, F10 over an await in the same task, awaited value in Variables, logpoint in the Debug Console', async () => {
    const { wb } = vscode();
    await wb.openFile(FILE);
    const glyphs = wb.activeEditor().locator('.codicon-debug-breakpoint, .codicon-debug-breakpoint-unverified');

    await wb.step('breakpoint-in-gutter', async () => {
      await clickGutter(wb, AWAIT_LINE);
      await glyphs.first().waitFor({ state: 'visible' });
    });

    // Logpoint: gutter context menu → "Add Logpoint..." → message → Enter.
    await clickGutter(wb, LOG_LINE, 'right');
    const item = wb.page.locator('.monaco-menu .action-item', { hasText: 'Add Logpoint' }).first();
    await item.hover();
    await wb.page.keyboard.press('Enter');
    const input = wb.page.locator('.breakpoint-widget .inputContainer textarea, .breakpoint-widget textarea').first();
    // Typed into the widget's own input, focused first: typed at once after the menu, the first keys
    // reached the editor's text while the widget was still taking the focus.
    await input.focus();
    await input.pressSequentially('logpoint: {name} finished job {job}');
    await input.press('Enter');
    await wb.activeEditor().locator('.codicon-debug-breakpoint-log, .codicon-debug-breakpoint-log-unverified').first().waitFor({ state: 'visible' });

    await wb.page.keyboard.press('F5');
    await wb.debugToolbar().waitFor({ state: 'visible' });
    const callStack = wb.view('Call Stack');
    const stoppedTask = callStack.locator('.monaco-list-row', { hasText: /worker-\d · worker\(\)/ }).filter({ hasText: /paused on breakpoint/i }).first();
    await stoppedTask.waitFor({ state: 'visible' });
    const taskName = /worker-\d/.exec(await stoppedTask.innerText())?.[0];
    assert.ok(taskName, 'the stopped thread names its task');
    const focusedFrame = callStack.locator('.monaco-list-row.focused, .monaco-list-row.selected', { hasText: 'worker()' }).first();
    await focusedFrame.waitFor({ state: 'visible' });
    assert.match(await focusedFrame.innerText(), new RegExp(`${FILE}\\s*${AWAIT_LINE}`));
    await wb.screenshot('stopped-on-breakpoint-in-task');

    // Drop the breakpoint so Continue later runs to the end (other workers would hit it again).
    await clickGutter(wb, AWAIT_LINE);

    // F10 over `await queue.get()`: other tasks run meanwhile; we land on the next line of this task.
    await wb.page.keyboard.press('F10');
    const steppedTask = callStack.locator('.monaco-list-row', { hasText: new RegExp(`${taskName} · worker\\(\\)`) }).filter({ hasText: /paused on step/i }).first();
    await steppedTask.waitFor({ state: 'visible' });
    const frameAfter = callStack.locator('.monaco-list-row', { hasText: 'worker()' }).filter({ hasText: new RegExp(`${FILE}\\s*(${AWAIT_LINE + 1}|${AWAIT_LINE + 2})\\b`) }).first();
    await frameAfter.waitFor({ state: 'visible' });
    const variables = await wb.expandView('Variables');
    const jobRow = variables.locator('.monaco-list-row', { hasText: /^\s*job\s*[:=]\s*\d+/ }).first();
    await jobRow.waitFor({ state: 'visible' });
    assert.match(await variables.locator('.monaco-list-row', { hasText: /^\s*name/ }).first().innerText(), new RegExp(taskName));
    await wb.screenshot('stepped-over-await-same-task');

    // Scheduler stepping stays beside line stepping: Step Tick on the debug toolbar and ctrl+alt+F10. From a
    // line stop it finishes the running step and holds the loop at the tick boundary.
    await wb.debugToolbar().locator('.action-label[aria-label^="Step Tick"]').waitFor({ state: 'visible' });
    await wb.debugToolbar().locator('.action-label[aria-label^="Step Callback"]').waitFor({ state: 'visible' });
    await wb.page.keyboard.press('Control+Alt+F10');
    await callStack.locator('.monaco-list-row', { hasText: /event loop \d+ · MainThread · tick [\d,]+ · paused/ }).first().waitFor({ state: 'visible' });
    await wb.screenshot('step-tick-from-line-stop');

    await wb.page.keyboard.press('F5');
    await wb.runCommand('View: Toggle Debug Console');
    await wb.page.locator('.repl .monaco-list-row', { hasText: /logpoint: worker-\d finished job \d+/ }).first().waitFor({ state: 'visible' });
    await wb.page.locator('.repl .monaco-list-row', { hasText: 'processed 12 jobs, total 156' }).first().waitFor({ state: 'visible' });
    await wb.screenshot('logpoint-in-debug-console');
    await wb.debugToolbar().waitFor({ state: 'hidden' });
  });
});
