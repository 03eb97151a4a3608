// "Debugging is one keystroke" (issue 5) in a real VS Code: with no launch.json at all, F5 on a Python file
// runs it under Loopscope (the configuration provider), and the session's runtime findings reach Problems.
import { strict as assert } from 'node:assert';
import { bugLine } from '../examples/gallery';
import { useVsCode } from './harness/session';

const FILE = 'blocking_sleep.py';

describe('e2e: F5 without a launch.json', () => {
  const vscode = useVsCode({ examples: [FILE] });

  it('debugs the current Python file with Loopscope', async () => {
    const { wb, ws } = vscode();
    assert.throws(() => ws.read('.vscode/launch.json'), /ENOENT/);
    await wb.openFile(FILE);
    await wb.showProblems();
    await wb.step('press-F5', () => wb.page.keyboard.press('F5'));
    const problem = await wb.waitForProblem(/Loopscope \(runtime\)\W*blocking-call/);
    assert.match(problem.text, new RegExp(`\\[Ln ${bugLine(FILE)}, Col 1\\]`), problem.text);
    await wb.debugToolbar().waitFor({ state: 'hidden' });
    await wb.runCommand('View: Toggle Debug Console');
    await wb.page.locator('.repl .monaco-list-row', { hasText: 'heartbeat stalled by the blocking call: True' }).first().waitFor({ state: 'visible' });
    await wb.screenshot('program-output');
  });
});
