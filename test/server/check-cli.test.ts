// The server's one-shot `--check` mode as a user runs it: findings as `file:line:col: code message`,
// exit code 1 with findings, 0 without, 2 with a clear message for a bad folder.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildServer } from './lspClient';

function run(server: string, args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [server, ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('server --check mode', function () {
  this.timeout(60000);
  let server: string;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loopscope-check-'));
  fs.mkdirSync(path.join(dir, 'pkg'));
  fs.writeFileSync(path.join(dir, 'pkg', '__init__.py'), '');
  fs.writeFileSync(path.join(dir, 'pkg', 'jobs.py'), 'async def job():\n    pass\n');
  fs.writeFileSync(path.join(dir, 'main.py'), 'import asyncio\nfrom pkg.jobs import job\n\nasync def main():\n    job()\n    asyncio.create_task(job())\n');
  const clean = fs.mkdtempSync(path.join(os.tmpdir(), 'loopscope-clean-'));
  fs.writeFileSync(path.join(clean, 'ok.py'), 'async def f():\n    return 1\n\nasync def main():\n    await f()\n');

  before(async () => {
    server = await buildServer();
  });

  it('prints each finding with its location and exits 1', () => {
    const r = run(server, ['--check', dir]);
    assert.equal(r.code, 1, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n').map((l) => l.replace(dir + path.sep, '').replace(/^(\S+ \S+).*$/, '$1')), ['main.py:5:5: never-awaited', 'main.py:6:5: dangling-task']);
    assert.match(r.stderr, /2 finding\(s\) in 3 file\(s\)/);
  });

  it('exits 0 on clean code', () => {
    const r = run(server, ['--check', clean]);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, '');
  });

  it('explains a missing folder and exits 2', () => {
    const r = run(server, ['--check', path.join(dir, 'nope')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--check needs existing folders \(not a folder: .*nope\)/);
  });
});
