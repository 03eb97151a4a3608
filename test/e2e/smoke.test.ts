// Smoke test of the packaged extension in a real VS Code (code-server): the .vsix installs, the workbench loads
// with it, and its contributions (commands, the Async Tasks view) are what a user finds in the UI.
import { strict as assert } from 'node:assert';
import { useVsCode } from './harness/session';

describe('e2e: packaged extension in VS Code', () => {
  const vscode = useVsCode({ examples: ['worker_pool.py'] });

  it('offers the Loopscope commands in the command palette', async () => {
    const { wb } = vscode();
    await wb.screenshot('workbench-loaded');
    const titles = await wb.paletteCommands('Loopscope:', 'Loopscope: Step Tick', 'palette-loopscope');
    const loopscope = titles.filter((t) => t.startsWith('Loopscope:'));
    assert.ok(loopscope.includes('Loopscope: Step Tick'), `palette shows: ${titles.join(' | ')}`);
  });

  it('shows the Async Tasks view in the Run and Debug side bar', async () => {
    const { wb } = vscode();
    await wb.step('run-and-debug', () => wb.runCommand('View: Show Run and Debug'));
    await wb.view('Async Tasks').waitFor({ state: 'visible' });
  });
});
