// Language-server benchmark (writes bench/results/server.json):
//  1. median time from a didChange to the fresh publishDiagnostics on a generated 5,000-line file,
//     measured through the real server over LSP stdio;
//  2. a full check of the standard library's asyncio folder by the real server (spawn → every
//     file's diagnostics) beside `pyright` on the same folder in the same run, as a wall-time ratio
//     (Loopscope's CLI runs before and twice after pyright; the median is compared), with the
//     findings each reports.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type { Diagnostic } from 'vscode-languageserver-protocol';
import { buildServer, LspClient } from '../../test/server/lspClient';
import { generateLargeFile } from './generate';

const ROOT = path.resolve(__dirname, '..', '..');
const PYTHON_HOME = process.env.LOOPSCOPE_STDLIB ?? path.join(os.homedir(), '.pyenv/versions/3.11.7/lib/python3.11');
const ASYNCIO = path.join(PYTHON_HOME, 'asyncio');
const PYTHON = path.join(os.homedir(), '.pyenv/versions/3.11.7/bin/python3');
const EDITS = Number(process.env.BENCH_EDITS ?? 60);

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];
const round = (x: number) => Math.round(x * 100) / 100;

async function serverPath(): Promise<{ path: string; how: string }> {
  const dist = path.join(ROOT, 'dist', 'server.js');
  if (fs.existsSync(dist)) {
    const built = fs.statSync(dist).mtimeMs;
    const newest = Math.max(...listFiles(path.join(ROOT, 'server', 'src')).map((f) => fs.statSync(f).mtimeMs));
    if (built >= newest) return { path: dist, how: 'dist/server.js' };
  }
  return { path: await buildServer(), how: 'server/src bundled with esbuild (dist/server.js missing or stale)' };
}

function listFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? listFiles(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

async function editLatency(): Promise<Record<string, unknown>> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loopscope-bench-'));
  const file = path.join(dir, 'service.py');
  const text = generateLargeFile(5000);
  fs.writeFileSync(file, text);
  const client = await LspClient.start({ folder: dir });
  await client.waitIndexed();
  const t0 = performance.now();
  const initial = await client.open(file, text);
  const openMs = performance.now() - t0;
  const times: number[] = [];
  let lastCount = initial.length;
  const counts = new Set<number>();
  for (let i = 0; i < EDITS; i++) {
    // Alternate: drop an `await` somewhere in the file (a new finding), then restore it.
    const cur = client.text(file);
    const k = Math.floor(i / 2);
    const at = cur.indexOf('await h.load("kept")', Math.floor((cur.length * (k % 30)) / 30));
    const line = cur.slice(0, at).split('\n').length - 1;
    const character = at - (cur.lastIndexOf('\n', at - 1) + 1);
    const range = i % 2 === 0
      ? { start: { line, character }, end: { line, character: character + 6 } }
      : { start: { line: prevLine, character: prevChar }, end: { line: prevLine, character: prevChar } };
    const newText = i % 2 === 0 ? '' : 'await ';
    if (i % 2 === 0) {
      prevLine = line;
      prevChar = character;
    }
    const start = performance.now();
    const ds: Diagnostic[] = await client.edit(file, [{ range, newText }]);
    times.push(performance.now() - start);
    counts.add(ds.length - lastCount);
    lastCount = ds.length;
  }
  await client.stop();
  return {
    lines: text.split('\n').length - 1,
    edits: EDITS,
    openToDiagnosticsMs: round(openMs),
    initialFindings: initial.length,
    medianEditToDiagnosticsMs: round(median(times)),
    p90EditToDiagnosticsMs: round(pct(times, 0.9)),
    minMs: round(Math.min(...times)),
    maxMs: round(Math.max(...times)),
    targetMs: 30,
    meetsTarget: median(times) < 30,
    findingDeltasObserved: [...counts].sort(),
  };
}
let prevLine = 0;
let prevChar = 0;

interface Finding {
  file: string;
  line: number;
  rule: string;
  message: string;
}

async function loopscopeFolder(): Promise<{ ms: number; findings: Finding[]; files: number }> {
  const files = fs.readdirSync(ASYNCIO).filter((f) => f.endsWith('.py')).map((f) => path.join(ASYNCIO, f));
  const start = performance.now();
  const client = await LspClient.start({ folder: ASYNCIO });
  await client.waitIndexed();
  const findings: Finding[] = [];
  const results = await Promise.all(files.map(async (f) => ({ f, ds: await client.open(f) })));
  const ms = performance.now() - start;
  for (const { f, ds } of results) for (const d of ds) findings.push({ file: path.basename(f), line: d.range.start.line + 1, rule: String(d.code), message: d.message });
  await client.stop();
  return { ms, findings, files: files.length };
}

/** The command-line mode: one process, parse each file once, print JSON (the pyright CLI's equivalent). */
async function loopscopeCli(server: string): Promise<{ ms: number; findings: Finding[]; files: number }> {
  const start = performance.now();
  let stdout = '';
  try {
    ({ stdout } = await promisify(execFile)(process.execPath, [server, '--check', ASYNCIO, '--json'], { maxBuffer: 64 * 1024 * 1024 }));
  } catch (err) {
    stdout = (err as { stdout?: string }).stdout ?? '';
  }
  const ms = performance.now() - start;
  const out = JSON.parse(stdout) as { files: number; findings: { file: string; line: number; code: string; message: string }[] };
  return { ms, files: out.files, findings: out.findings.map((f) => ({ file: path.basename(f.file), line: f.line, rule: f.code, message: f.message })) };
}

async function pyrightFolder(): Promise<{ ms: number; findings: Finding[]; version: string; summary: unknown }> {
  const bin = path.join(ROOT, 'node_modules', '.bin', 'pyright');
  const start = performance.now();
  let stdout = '';
  try {
    ({ stdout } = await promisify(execFile)(bin, ['--outputjson', '--pythonpath', PYTHON, ASYNCIO], { maxBuffer: 64 * 1024 * 1024, cwd: os.tmpdir() }));
  } catch (err) {
    // pyright exits 1 when it reports errors; the JSON is still on stdout.
    stdout = (err as { stdout?: string }).stdout ?? '';
  }
  const ms = performance.now() - start;
  const out = JSON.parse(stdout) as { version: string; generalDiagnostics: { file: string; severity: string; message: string; rule?: string; range: { start: { line: number } } }[]; summary: unknown };
  const findings = out.generalDiagnostics.map((d) => ({ file: path.basename(d.file), line: d.range.start.line + 1, rule: d.rule ?? d.severity, message: d.message.split('\n')[0] }));
  return { ms, findings, version: out.version, summary: out.summary };
}

async function main(): Promise<void> {
  const server = await serverPath();
  process.env.LOOPSCOPE_SERVER = server.path;
  const latency = await editLatency();
  // Same run, interleaved: Loopscope's CLI before and after pyright (the machine's load drifts;
  // the median of three CLI runs around the one pyright run is compared), then the LSP path.
  const cliRuns = [await loopscopeCli(server.path)];
  const theirs = await pyrightFolder();
  cliRuns.push(await loopscopeCli(server.path), await loopscopeCli(server.path));
  const cli = [...cliRuns].sort((a, b) => a.ms - b.ms)[1];
  const lsp = await loopscopeFolder();
  const byRule = (fs2: Finding[]) => fs2.reduce<Record<string, number>>((acc, f) => ((acc[f.rule] = (acc[f.rule] ?? 0) + 1), acc), {});
  const asyncRelated = theirs.findings.filter((f) => /reportUnusedCoroutine|not awaited|coroutine|Coroutine|awaitable/i.test(`${f.rule} ${f.message}`));
  const result = {
    date: new Date().toISOString(),
    machine: { cpus: os.cpus().length, node: process.version, loadAverage: os.loadavg().map(round) },
    server: server.how,
    editLatency: latency,
    asyncioFolder: {
      folder: ASYNCIO,
      files: cli.files,
      loopscopeCli: { command: 'node dist/server.js --check <asyncio> --json', runsMs: cliRuns.map((r) => round(r.ms)), wallMs: round(cli.ms), findings: cli.findings.length, byRule: byRule(cli.findings), list: cli.findings },
      loopscopeLsp: { how: 'spawn server --stdio, initialize with the folder, wait for indexing, open every file, wait for each publishDiagnostics', wallMs: round(lsp.ms), findings: lsp.findings.length, list: lsp.findings },
      pyright: { command: 'node_modules/.bin/pyright --outputjson --pythonpath <python3.11> <asyncio>', version: theirs.version, wallMs: round(theirs.ms), findings: theirs.findings.length, byRule: byRule(theirs.findings), summary: theirs.summary, asyncRelated },
      speedupCli: round(theirs.ms / cli.ms),
      speedupLsp: round(theirs.ms / lsp.ms),
      targetSpeedup: 10,
      meetsTarget: theirs.ms / cli.ms >= 10,
      note: 'All wall times include process start-up. pyright reports type errors; Loopscope reports only its five async rules, so the lists differ in kind: asyncRelated lists the pyright findings about coroutines/awaitables.',
    },
  };
  fs.mkdirSync(path.join(ROOT, 'bench', 'results'), { recursive: true });
  fs.writeFileSync(path.join(ROOT, 'bench', 'results', 'server.json'), JSON.stringify(result, null, 2) + '\n');
  console.log(
    `asyncio folder (${cli.files} files): Loopscope ${round(cli.ms)} ms (median of ${cliRuns.map((r) => Math.round(r.ms)).join('/')}), pyright ${round(theirs.ms)} ms, ` +
      `ratio ${result.asyncioFolder.speedupCli}x (target 10x); LSP path ${round(lsp.ms)} ms (${result.asyncioFolder.speedupLsp}x). ` +
      `Edit to diagnostics on ${String(latency.lines)} lines: median ${String(latency.medianEditToDiagnosticsMs)} ms, p90 ${String(latency.p90EditToDiagnosticsMs)} ms (target 30 ms). ` +
      `Load average ${os.loadavg().map(round).join(' ')}.`,
  );
  console.log(JSON.stringify({ editLatency: latency, loopscopeCliMs: round(cli.ms), loopscopeLspMs: round(lsp.ms), pyrightMs: round(theirs.ms), speedupCli: result.asyncioFolder.speedupCli, speedupLsp: result.asyncioFolder.speedupLsp, loopscopeFindings: cli.findings, pyrightFindings: theirs.findings.length, pyrightAsyncRelated: asyncRelated }, null, 2));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
