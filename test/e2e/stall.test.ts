// A deadlock seen the way a user meets it in a real VS Code: running examples/deadlock.py under Loopscope stops
// on the "Stall (deadlock)" exception breakpoint (on by default), the stall finding lands in Problems once, at a
// marked line; Continue lets the program run into its own timeout (no second stop, no duplicate finding).
import { strict as assert } from 'node:assert';
import { bugLines } from '../examples/gallery';
import { useVsCode } from './harness/session';

const FILE = 'deadlock.py';
const STALL = /Loopscope \(runtime\)\W*stall/;

describe('e2e: a deadlock under Loopscope', () => {
  const vscode = useVsCode({
    examples: [FILE],
    launch: [{ type: 'loopscope', request: 'launch', name: 'Loopscope: deadlock', program: '${workspaceFolder}/deadlock.py', args: ['5'] }],
    settings: { 'debug.openDebug': 'openOnSessionStart' },
  });

  it('stops on the stall, lists it once in Problems, and runs to the end on Continue', async () => {
    const { wb } = vscode();
    await wb.openFile(FILE);
    await wb.showProblems();
    await wb.page.keyboard.press('F5');

    // Stopped on the stall: the call stack shows why, and both deadlocked tasks.
    const callStack = wb.view('Call Stack');
    await callStack.locator('.monaco-list-row', { hasText: /stall/i }).first().waitFor({ state: 'visible' });
    for (const name of ['ping', 'pong']) {
      await callStack.locator('.monaco-list-row', { hasText: new RegExp(`^${name}\\b`) }).first().waitFor({ state: 'visible' });
    }
    for (const other of ['Variables', 'Watch', 'Breakpoints']) await wb.collapseView(other);
    await wb.widenSideBar(160);
    const marked = bugLines(FILE);
    // The stop is on a stuck task's thread, so VS Code opens its innermost user frame: the line it is stuck on.
    await wb.statusBarItem(new RegExp(`Ln (${marked.join('|')}), Col`)).waitFor({ state: 'visible' });
    const problem = await wb.waitForProblem(STALL);
    assert.ok(marked.some((l) => new RegExp(`\\[Ln ${l}, Col 1\\]`).test(problem.text)), `stall at ${problem.text}; # BUG: lines ${marked.join(', ')}`);
    await wb.screenshot('stopped-on-stall');

    const stallRows = (await wb.problems()).filter((r) => STALL.test(r.text));
    assert.equal(stallRows.length, 1, `one deadlock, one finding: ${JSON.stringify(stallRows)}`);

    await wb.debugToolbar().locator('.action-label[aria-label^="Continue"]').click();
    await wb.debugToolbar().waitFor({ state: 'hidden' });
    await wb.runCommand('View: Toggle Debug Console');
    await wb.page.locator('.repl .monaco-list-row', { hasText: 'still waiting: ping, pong' }).first().waitFor({ state: 'visible' });
    await wb.showProblems();
    const after = (await wb.problems()).filter((r) => STALL.test(r.text));
    assert.equal(after.length, 1, `the same deadlock must not be reported again after Continue: ${JSON.stringify(after)}`);
    await wb.screenshot('session-ended');
  });
});
