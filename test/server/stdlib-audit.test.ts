// Runs the real bundled server in `--check` mode over CPython 3.11's `asyncio` package and
// `test/test_asyncio` and compares every finding with the audited list in
// docs/server-stdlib-audit.md: a new finding fails until someone looks at it and records why it is
// a real bug (or fixes the false positive).
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { buildServer } from './lspClient';

const LIB = process.env.LOOPSCOPE_STDLIB ?? path.join(os.homedir(), '.pyenv/versions/3.11.7/lib/python3.11');

/** file:line code — each one read and judged in docs/server-stdlib-audit.md. */
export const AUDITED = [
  'asyncio/selector_events.py:198 dangling-task',
  'test/test_asyncio/test_base_events.py:959 dangling-task',
  'test/test_asyncio/test_base_events.py:961 dangling-task',
  'test/test_asyncio/test_base_events.py:1910 dangling-task',
  'test/test_asyncio/test_locks.py:1328 dangling-task',
  'test/test_asyncio/test_locks.py:1352 dangling-task',
  'test/test_asyncio/test_locks.py:1446 dangling-task',
  'test/test_asyncio/test_locks.py:1450 dangling-task',
  'test/test_asyncio/test_locks.py:1511 dangling-task',
  'test/test_asyncio/test_queues.py:187 dangling-task',
  'test/test_asyncio/test_queues.py:188 dangling-task',
  'test/test_asyncio/test_runners.py:438 dangling-task',
  'test/test_asyncio/test_sock_lowlevel.py:147 dangling-task',
  'test/test_asyncio/test_timeouts.py:154 blocking-call-in-async',
  'test/test_asyncio/test_timeouts.py:169 blocking-call-in-async',
];

describe('stdlib audit: asyncio and test_asyncio (real server, --check)', function () {
  this.timeout(120000);

  it('reports exactly the audited findings', async function () {
    const missing = ['asyncio', path.join('test', 'test_asyncio')].filter((d) => !fs.existsSync(path.join(LIB, d)));
    if (missing.length) {
      // CI must run the audit (its machine has the interpreter); a developer machine without
      // CPython's test package may skip it, and says so.
      if (process.env.CI) assert.fail(`stdlib audit cannot run in CI: ${missing.map((d) => path.join(LIB, d)).join(', ')} missing (install CPython with its test package)`);
      this.skip();
    }
    const server = await buildServer();
    let stdout = '';
    try {
      ({ stdout } = await promisify(execFile)(process.execPath, [server, '--check', path.join(LIB, 'asyncio'), path.join(LIB, 'test', 'test_asyncio'), '--json'], { maxBuffer: 32 * 1024 * 1024 }));
    } catch (err) {
      // Exit code 1 means "there are findings"; the JSON is on stdout.
      stdout = (err as { stdout?: string }).stdout ?? '';
    }
    const out = JSON.parse(stdout) as { files: number; skipped: unknown[]; findings: { file: string; line: number; code: string }[] };
    assert.ok(out.files >= 60, `only ${out.files} files checked`);
    const got = out.findings.map((f) => `${path.relative(LIB, f.file)}:${f.line} ${f.code}`).sort();
    assert.deepEqual(got, [...AUDITED].sort());
  });
});
