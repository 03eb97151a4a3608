// `npm test`: every check the project has, in order, streaming each step's output:
// build + package, tsc --noEmit, pyright, eslint, mocha suites, the Python suites on every CPython
// 3.9+, then the e2e suite when it exists. Fails on any failure; ends with one summary line.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runPythonSuites } from './test-python.mjs';
import { runTee } from './spawn-tee.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const bin = (name) => path.join(ROOT, 'node_modules', '.bin', name);
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function run(cmd, args, env = {}) {
  return runTee(cmd, args, { cwd: ROOT, env: { ...process.env, ...env } });
}

/** Counts from a test runner's closing lines: mocha ("3 passing", "1 failing", "2 pending")
 * or Playwright/others ("3 passed", "1 failed", "2 skipped"). Null when none is found. */
export function parseRunnerCounts(text) {
  const last = (re) => {
    let m;
    let value = null;
    const g = new RegExp(re, 'gm');
    while ((m = g.exec(text)) !== null) value = Number(m[1]);
    return value;
  };
  const passed = last(String.raw`^\s*(\d+) (?:passing|passed)\b`);
  const failed = last(String.raw`^\s*(\d+) (?:failing|failed)\b`);
  const skipped = last(String.raw`^\s*(\d+) (?:pending|skipped)\b`);
  if (passed === null && failed === null) return null;
  return { passed: passed ?? 0, failed: failed ?? 0, skipped: skipped ?? 0 };
}

const results = [];
const started = Date.now();

function banner(title) {
  console.log(`\n=== ${title} ${'='.repeat(Math.max(0, 70 - title.length))}`);
}

/** A step without its own test counts: passes or counts as one failure. */
async function check(title, cmd, args) {
  banner(title);
  const t0 = Date.now();
  const { code } = await run(cmd, args);
  results.push({ title, passed: 0, failed: code === 0 ? 0 : 1, skipped: 0, ok: code === 0, ms: Date.now() - t0 });
}

/** A test-runner step: its own pass/fail counts, plus one failure if it exits badly without saying why. */
async function suite(title, cmd, args, env) {
  banner(title);
  const t0 = Date.now();
  const { code, text } = await run(cmd, args, env);
  const counts = parseRunnerCounts(text) ?? { passed: 0, failed: 0, skipped: 0 };
  if (code !== 0 && counts.failed === 0) counts.failed = 1;
  results.push({ title, ...counts, ok: code === 0, ms: Date.now() - t0 });
}

// The e2e suite needs code-server and chromium, the Neovim test neovim; the setup script is idempotent (a
// stamp file makes re-runs instant), so a newcomer's first `npm test` installs them instead of failing.
if (existsSync(path.join(ROOT, 'scripts', 'setup-code-server.sh'))) {
  await check('test prerequisites (scripts/setup-code-server.sh: code-server, chromium, neovim)', 'bash', ['scripts/setup-code-server.sh']);
}
await check('build and package (npm run package)', npm, ['run', '-s', 'package']);
await check('typecheck (tsc --noEmit, strict)', bin('tsc'), ['--noEmit', '-p', '.']);
await check('typecheck python (pyright over runtime/loopscope)', npm, ['run', '-s', 'typecheck:python']);
await check('lint (eslint)', npm, ['run', '-s', 'lint']);
await suite('mocha suites (npm run test:unit: unit, dap, cli, server, package, examples)', npm, ['run', '-s', 'test:unit'], { FORCE_COLOR: '0' });

banner('python suites (runtime + examples on every CPython 3.9+)');
{
  const t0 = Date.now();
  const py = await runPythonSuites();
  results.push({ title: `python suites on CPython ${py.interpreters.map((i) => i.split(' ')[0]).join(', ') || '(none found)'}`, passed: py.passed, failed: py.failed, skipped: py.skipped, ok: py.failed === 0, ms: Date.now() - t0 });
}

if (pkg.scripts?.['test:e2e']) {
  await suite('e2e (npm run test:e2e)', npm, ['run', '-s', 'test:e2e'], { FORCE_COLOR: '0' });
} else {
  banner('e2e');
  console.log('no "test:e2e" script in package.json yet; skipped');
}

banner('summary');
let passed = 0;
let failed = 0;
for (const r of results) {
  passed += r.passed;
  failed += r.failed;
  const counts = r.passed || r.skipped || !r.ok ? `${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped` : 'ok';
  console.log(`${r.ok && r.failed === 0 ? 'PASS' : 'FAIL'}  ${r.title}: ${counts} (${(r.ms / 1000).toFixed(1)} s)`);
}
console.log(`total time ${((Date.now() - started) / 60000).toFixed(1)} min`);
console.log(`loopscope: ${passed} passed, ${failed} failed`);
process.exitCode = failed > 0 || results.some((r) => !r.ok) ? 1 : 0;
