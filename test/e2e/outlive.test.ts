// The program outlives the editor (issue 15, item 5): a program started with F5 under Loopscope in a real VS
// Code keeps running when the extension host (and with it the debug adapter holding the program's stdout and
// stderr pipes) is killed with SIGKILL mid-run. It still prints a pipe's worth after that, reaches its end and
// exits with its own code, 7: the interpreter is a wrapper script that records the real exit status.
import { strict as assert } from 'node:assert';
import { existsSync, readFileSync, readdirSync, watch, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { useVsCode } from './harness/session';

const PROGRAM = `import asyncio
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


async def main() -> None:
    i = 0
    while not os.path.exists(os.path.join(HERE, "release")):
        print("waiting", i, flush=True)
        i += 1
        await asyncio.sleep(0.05)
    for i in range(2000):  # more than a pipe holds, after the reader is gone
        print("after", i, "x" * 100, flush=True)
        print("err", i, file=sys.stderr, flush=True)
        await asyncio.sleep(0)


asyncio.run(main())
with open(os.path.join(HERE, "finished"), "w") as f:
    f.write("finished")
sys.exit(7)
`;

/** Runs the real interpreter and records the exit status of the program run (not of the version probe). */
const WRAPPER = `#!/bin/sh
python3 "$@"
code=$?
# Written aside, then renamed: the test wakes on the name appearing and must read it whole.
case "$*" in *outlive.py*) echo "$code" > "$(dirname "$0")/exit-code.part" && mv "$(dirname "$0")/exit-code.part" "$(dirname "$0")/exit-code" ;; esac
exit $code
`;

/** Resolves once `file` exists in `dir` (fs.watch on the folder, checked once after arming). */
function fileAppears(dir: string, file: string): Promise<void> {
  return new Promise((resolve) => {
    const w = watch(dir, () => {
      if (existsSync(join(dir, file))) {
        w.close();
        resolve();
      }
    });
    if (existsSync(join(dir, file))) {
      w.close();
      resolve();
    }
  });
}

/** The extension host of the code-server whose process group is `pgid`. */
function extensionHostPid(pgid: number): number {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const pgrp = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
      if (pgrp === pgid && cmdline.includes('extensionHost')) return Number(entry);
    } catch {
      /* the process ended meanwhile */
    }
  }
  throw new Error(`no extension host in process group ${pgid}`);
}

describe('e2e: the program outlives a killed editor', function () {
  const vscode = useVsCode({
    examples: [],
    files: { 'outlive.py': { text: PROGRAM }, 'python-recorder': { text: WRAPPER, mode: 0o755 } },
    launch: [{
      type: 'loopscope', request: 'launch', name: 'Loopscope: outlive', program: '${workspaceFolder}/outlive.py',
      python: '${workspaceFolder}/python-recorder', stopOnEntry: false,
    }],
    settings: { 'debug.openDebug': 'openOnSessionStart' },
  });

  it('SIGKILL of the extension host mid-run: the program still prints, finishes and exits with its own code', async () => {
    const { wb, ws, server } = vscode();
    await wb.openFile('outlive.py');
    await wb.page.keyboard.press('F5');
    await wb.debugToolbar().waitFor({ state: 'visible' });
    // Its output reaches the Debug Console: the adapter holds its pipes now.
    await wb.runCommand('View: Toggle Debug Console');
    await wb.page.locator('.repl .monaco-list-row', { hasText: /waiting \d+/ }).first().waitFor({ state: 'visible' });
    await wb.screenshot('running-before-the-kill');

    const host = extensionHostPid(server.pid);
    process.kill(host, 'SIGKILL');
    writeFileSync(ws.path('release'), '');
    await fileAppears(ws.dir, 'exit-code');
    assert.equal(readFileSync(ws.path('exit-code'), 'utf8').trim(), '7', 'the program\'s own exit code');
    assert.equal(readFileSync(ws.path('finished'), 'utf8'), 'finished', 'the program reached its end');
  });
});
