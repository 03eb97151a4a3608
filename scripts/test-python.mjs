// Runs the Python test suites (runtime/tests and the examples gallery) on every CPython
// 3.9+ on the machine: ~/.pyenv/versions/*/bin/python3 plus python3 on PATH, one run per
// distinct version. Names each interpreter with its counts; exits non-zero on any failure.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, realpathSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { runTee } from './spawn-tee.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MIN_VERSION = [3, 9];

/** Candidate interpreter paths: LOOPSCOPE_PYTHONS (path-separated) overrides discovery. */
function candidates() {
  if (process.env.LOOPSCOPE_PYTHONS) return process.env.LOOPSCOPE_PYTHONS.split(path.delimiter).filter(Boolean);
  const found = [];
  const pyenv = path.join(process.env.PYENV_ROOT ?? path.join(homedir(), '.pyenv'), 'versions');
  if (existsSync(pyenv)) {
    for (const v of readdirSync(pyenv).sort()) {
      const exe = path.join(pyenv, v, 'bin', 'python3');
      if (existsSync(exe)) found.push(exe);
    }
  }
  found.push('python3');
  return found;
}

function probe(exe) {
  const r = spawnSync(exe, ['-c', 'import sys, platform; print(platform.python_implementation()); print("%d.%d.%d" % sys.version_info[:3]); print(sys.executable)'], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  if (r.error || r.status !== 0) return { exe, error: (r.error?.message ?? r.stderr.trim()) || `exit ${r.status}` };
  const [impl, version, executable] = r.stdout.trim().split('\n');
  return { exe, impl, version, executable, parts: version.split('.').map(Number) };
}

/** Interpreters to test, one per distinct CPython version >= 3.9, with notes about skipped ones. */
export function discoverInterpreters() {
  const chosen = new Map();
  const notes = [];
  for (const exe of candidates()) {
    const info = probe(exe);
    if (info.error) {
      notes.push(`skipped ${exe}: cannot run it (${info.error})`);
      continue;
    }
    if (info.impl !== 'CPython') {
      notes.push(`skipped ${exe}: ${info.impl} ${info.version} is not CPython`);
      continue;
    }
    const [maj, min] = info.parts;
    if (maj < MIN_VERSION[0] || (maj === MIN_VERSION[0] && min < MIN_VERSION[1])) {
      notes.push(`skipped ${exe}: Python ${info.version} is older than ${MIN_VERSION.join('.')}`);
      continue;
    }
    if (chosen.has(info.version)) {
      notes.push(`${exe} is Python ${info.version}, already covered by ${chosen.get(info.version).exe}`);
      continue;
    }
    chosen.set(info.version, info);
  }
  const list = [...chosen.values()].sort((a, b) => a.parts[0] - b.parts[0] || a.parts[1] - b.parts[1] || a.parts[2] - b.parts[2]);
  return { interpreters: list, notes };
}

/** Parses unittest's closing lines ("Ran N tests", "OK (skipped=1)", "FAILED (failures=1, errors=2)"). */
export function parseUnittest(output) {
  const ran = /^Ran (\d+) tests? in /m.exec(output);
  if (!ran) return null;
  const total = Number(ran[1]);
  const count = (key) => Number(new RegExp(`${key}=(\\d+)`).exec(output.slice(ran.index))?.[1] ?? 0);
  const failed = count('failures') + count('errors') + count('unexpected successes');
  const skipped = count('skipped');
  const ok = /^OK\b/m.test(output.slice(ran.index)) || (total === 0 && !/^FAILED\b/m.test(output.slice(ran.index)));
  return { passed: total - failed - skipped, failed, skipped, ok };
}

/** The suites run on each interpreter; a suite whose folder does not exist is reported, not silently passed. */
function suites() {
  return [
    {
      name: 'runtime',
      dir: 'runtime/tests',
      args: ['-m', 'unittest', 'discover', '-s', 'runtime/tests', '-t', 'runtime'],
      env: { PYTHONPATH: [path.join(ROOT, 'runtime'), process.env.PYTHONPATH].filter(Boolean).join(path.delimiter) },
    },
    { name: 'examples', dir: 'examples', args: ['-m', 'unittest', 'discover', '-s', 'examples', '-p', 'test_*.py'], env: {} },
  ];
}

/** How many interpreter runs go at once: LOOPSCOPE_PY_JOBS, else 5. The suites spend most of their
 * time waiting on the programs they launch (about half their wall time is CPU), so five runs keep
 * two cores busy; each run's output is printed whole when it ends, so runs never interleave. */
function jobCount() {
  const n = Number(process.env.LOOPSCOPE_PY_JOBS ?? 5);
  return Number.isInteger(n) && n >= 1 ? n : 5;
}

/** One suite on one interpreter: a row of counts, its output printed whole at the end. */
async function runOne(py, suite, log) {
  const label = `Python ${py.version} (${py.executable}) ${suite.name}`;
  if (!existsSync(path.join(ROOT, suite.dir))) {
    log(`[python] ${label}: ${suite.dir}/ does not exist, counted as 1 failure`);
    return { label, passed: 0, failed: 1, skipped: 0 };
  }
  const env = { ...process.env, PYTHONDONTWRITEBYTECODE: '1', ...suite.env };
  delete env.PYTHONASYNCIODEBUG;
  const t0 = Date.now();
  log(`[python] started: ${label}`);
  const { code, text } = await runTee(py.exe, suite.args, { cwd: ROOT, env, quiet: true });
  log(`\n[python] ${label}: ${py.exe} ${suite.args.join(' ')} (${((Date.now() - t0) / 1000).toFixed(1)} s)\n${text.trimEnd()}`);
  const parsed = parseUnittest(text);
  if (!parsed) return { label, passed: 0, failed: 1, skipped: 0, note: `no unittest summary (exit ${code})` };
  if (code !== 0 && parsed.failed === 0) return { label, ...parsed, failed: 1, note: `exit ${code}` };
  return { label, ...parsed };
}

/** Runs every suite on every interpreter, a few at once; resolves to totals and a per-run table. */
export async function runPythonSuites({ log = console.log } = {}) {
  const { interpreters, notes } = discoverInterpreters();
  for (const n of notes) log(`[python] ${n}`);
  const totals = { passed: 0, failed: 0, skipped: 0 };
  if (interpreters.length === 0) {
    log('[python] no CPython 3.9+ found: install one (e.g. `apt-get install python3`) or set LOOPSCOPE_PYTHONS');
    totals.failed += 1;
  }
  // The long runtime suites first, so the short ones fill the gaps at the end.
  const jobs = suites().flatMap((suite) => interpreters.map((py) => ({ py, suite })));
  const rows = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      rows[i] = await runOne(jobs[i].py, jobs[i].suite, log);
    }
  };
  log(`[python] ${jobs.length} runs, ${jobCount()} at a time (LOOPSCOPE_PY_JOBS)`);
  await Promise.all(Array.from({ length: Math.min(jobCount(), jobs.length) }, worker));
  log('\n[python] per interpreter:');
  for (const r of rows) {
    totals.passed += r.passed;
    totals.failed += r.failed;
    totals.skipped += r.skipped;
    log(`[python]   ${r.label}: ${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped${r.note ? ` (${r.note})` : ''}`);
  }
  return { ...totals, rows, interpreters: interpreters.map((i) => `${i.version} ${i.executable}`) };
}

if (import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) {
  const result = await runPythonSuites();
  console.log(`python: ${result.passed} passed, ${result.failed} failed`);
  process.exitCode = result.failed > 0 ? 1 : 0;
}
