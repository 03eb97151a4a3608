// Smoke test of the packaged extension in a real VS Code (code-server): the .vsix installs, the workbench loads
// with it, and on a Python file its entry point is in the command palette where a user looks for it.
import { strict as assert } from 'node:assert';
import { useVsCode } from './harness/session';

describe('e2e: packaged extension in VS Code', () => {
  const vscode = useVsCode({ examples: ['worker_pool.py'] });

  it('offers "Loopscope: Debug Current File" in the palette on a Python file', async () => {
    const { wb } = vscode();
    await wb.step('open-python-file', () => wb.openFile('worker_pool.py'));
    const titles = await wb.paletteCommands('Loopscope', 'Loopscope: Debug Current File', 'palette-loopscope');
    // Session-only commands (Step Tick, …) stay hidden until a Loopscope session runs.
    assert.ok(!titles.includes('Loopscope: Step Tick'), `palette shows: ${titles.join(' | ')}`);
  });
});
