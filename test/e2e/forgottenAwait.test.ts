// Scenario 1 of issue 5 in a real VS Code: the language server flags the forgotten await in
// examples/forgotten_await.py (Problems entry + squiggle), and its "Add await" quick fix removes it.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { bugLine, examplePath } from '../examples/gallery';
import { useVsCode } from './harness/session';

const FILE = 'forgotten_await.py';

describe('e2e: forgotten await in the editor', () => {
  const vscode = useVsCode({ examples: [FILE] });

  it('shows the never-awaited diagnostic and fixes it with "Add await"', async () => {
    const { wb, ws } = vscode();
    const line = bugLine(FILE);
    const source = readFileSync(examplePath(FILE), 'utf8').split('\n')[line - 1];
    const column = source.indexOf('save("beta")') + 1;
    assert.ok(column > 0, `line ${line} of ${FILE} should call save("beta")`);

    await wb.step('open-file', () => wb.openFile(FILE));
    await wb.squiggles().first().waitFor({ state: 'visible' });
    await wb.showProblems();
    const problem = await wb.step('problem-listed', () => wb.waitForProblem(/never.awaited|not awaited/i));
    // The Problems row names the source and code, and points at the call on the marked line.
    assert.match(problem.text, /loopscope/, problem.text);
    assert.match(problem.text, /never-awaited/, problem.text);
    assert.match(problem.text, new RegExp(`\\[Ln ${line}, Col ${column}\\]`), problem.text);

    await wb.goToLine(line, column);
    const fixes = await wb.step('quick-fix-menu', () => wb.openQuickFix());
    const addAwait = fixes.find((f) => /^Add `?await`?$/.test(f));
    assert.ok(addAwait, `quick fixes offered: ${fixes.join(' | ')}`);
    await wb.chooseQuickFix(addAwait);

    await wb.waitForEditorLine('await save("beta")');
    await wb.waitForNoProblem(/never.awaited|not awaited/i);
    await wb.squiggles().first().waitFor({ state: 'detached' });
    await wb.screenshot('fixed');

    // What the user sees is what gets saved.
    await wb.page.keyboard.press('Control+S');
    await wb.page.locator('.tabs-container .tab.active:not(.dirty)').waitFor({ state: 'visible' });
    assert.equal(ws.read(FILE).split('\n')[line - 1].trim().startsWith('await save("beta")'), true, ws.read(FILE));
  });
});
