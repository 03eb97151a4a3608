// Scenario 3 of issue 5 in a real VS Code: running examples/blocking_sleep.py under Loopscope puts a
// blocking-call runtime finding in Problems at the marked line; it stays after the program ends and is
// cleared when the next Loopscope session starts.
import { strict as assert } from 'node:assert';
import { bugLine } from '../examples/gallery';
import { useVsCode } from './harness/session';

const FILE = 'blocking_sleep.py';
// Source and code render as separate elements (the parentheses around the code may be CSS), so allow any gap.
const BLOCKING = /Loopscope \(runtime\)\W*blocking-call/;

describe('e2e: runtime findings in Problems', () => {
  const vscode = useVsCode({
    examples: [FILE, 'worker_pool.py'],
    launch: [
      { type: 'loopscope', request: 'launch', name: 'Loopscope: blocking sleep', program: '${workspaceFolder}/blocking_sleep.py' },
      { type: 'loopscope', request: 'launch', name: 'Loopscope: worker pool', program: '${workspaceFolder}/worker_pool.py' },
    ],
  });

  it('reports the blocking time.sleep at its line, and clears it when a new session starts', async () => {
    const { wb } = vscode();
    const line = bugLine(FILE);
    await wb.openFile(FILE);
    await wb.showProblems();

    await wb.page.keyboard.press('F5');
    const problem = await wb.waitForProblem(BLOCKING);
    assert.match(problem.text, new RegExp(`\\[Ln ${line}, Col 1\\]`), problem.text);
    assert.match(problem.text, /block/i, problem.text);
    // The finding outlives the program: wait for the session to end, the row must still be there.
    await wb.debugToolbar().waitFor({ state: 'hidden' });
    await wb.waitForProblem(BLOCKING);
    await wb.goToLine(line);
    await wb.screenshot('blocking-call-problem');

    // A new session starts clean: run the (non-blocking) worker pool; the old finding goes away.
    await wb.runCommand('Debug: Select and Start Debugging');
    await wb.pickQuickInput('Loopscope: worker pool');
    await wb.waitForNoProblem(BLOCKING);
    await wb.debugToolbar().waitFor({ state: 'hidden' });
    // Only the runtime finding went: the language server's static warning on the same line stays listed.
    await wb.waitForProblem(/loopscope\W*blocking-call-in-async/);
    await wb.screenshot('cleared-by-new-session');
  });
});
