// `loopscope run`: argument parsing and one observed run on the shared core (DebugTarget + task
// model): live status line, timeout with a final snapshot, report/trace files, the stderr summary
// and the exit-code policy (`--fail-on`). No DAP here.

import * as os from 'node:os';
import * as path from 'node:path';
import { FINDING_KINDS, type FindingKind } from '../protocol/customDap';
import { DebugTarget, type ExitInfo } from '../core/target';
import { LaunchError, checkWritable } from '../core/launcher';
import { buildReport, formatStatusLine, formatSummary, samplingLines, type Report } from '../model/report';
import { buildTrace } from '../model/trace';
import { writeJsonFile } from './jsonFile';

// Version (package.json) and finding kinds (protocol/schema.json) each have one source.
export { VERSION } from '../protocol/version';
export { FINDING_KINDS };
/** Exit code when the program exited 0 but a finding matched --fail-on. */
export const EXIT_FINDINGS = 3;
/** Exit code after --timeout stopped the program (as timeout(1) does). */
export const EXIT_TIMEOUT = 124;
/** Usage or configuration error (bad option, missing script or interpreter, unwritable output path). */
export const EXIT_USAGE = 2;
/** The program exited 0 but --report or --trace could not be written (EX_IOERR). */
export const EXIT_OUTPUT_FAILED = 74;

export const USAGE = `Usage: loopscope run [options] [--] script.py [args...]
       loopscope run [options] -m module [args...]
       loopscope --help | --version

Runs a Python asyncio program under Loopscope. The program's stdin, stdout and stderr pass
through untouched; a summary of its tasks and findings is printed to stderr at the end.

Options:
  --report FILE              write the JSON report (schema loopscope-report/1, see docs/report.md)
  --trace FILE               write a Chrome Trace Event file (open in Perfetto or chrome://tracing)
  --timeout SECONDS          stop the program after SECONDS; still writes everything (exit code 124)
  --python PATH              Python interpreter (3.9+); default: python3 on PATH
  --fail-on KINDS            exit non-zero (3, or the program's own non-zero code) if any finding of
                             these kinds occurs: comma-separated ${FINDING_KINDS.join(', ')}, or "all"
  --blocking-threshold-ms N  a step or callback longer than N ms is a blocking-call finding (default 100)
  --no-summary               do not print the end-of-run summary
  -h, --help                 show this help
  -V, --version              show the version
`;

export interface RunOptions {
  program?: string;
  module?: string;
  args: string[];
  report?: string;
  trace?: string;
  timeoutS?: number;
  python?: string;
  failOn: FindingKind[];
  blockingThresholdMs?: number;
  summary: boolean;
}

export type Parsed = { kind: 'help' } | { kind: 'version' } | { kind: 'run'; options: RunOptions };

export class UsageError extends Error {}

export function parseArgs(argv: string[]): Parsed {
  if (argv.length === 0 || argv[0] === '-h' || argv[0] === '--help' || argv[0] === 'help') return { kind: 'help' };
  if (argv[0] === '-V' || argv[0] === '--version') return { kind: 'version' };
  if (argv[0] !== 'run') throw new UsageError(`unknown command "${argv[0]}" (expected "run")`);
  const o: RunOptions = { args: [], failOn: [], summary: true };
  let i = 1;
  const value = (name: string): string => {
    const v = argv[++i];
    if (v === undefined) throw new UsageError(`${name} needs a value`);
    return v;
  };
  const number = (name: string, raw: string): number => {
    const n = Number(raw);
    if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${name} must be a positive number, got "${raw}"`);
    return n;
  };
  for (; i < argv.length; i++) {
    let a = argv[i];
    let inline: string | undefined;
    const eq = a.indexOf('=');
    if (a.startsWith('--') && eq > 0) {
      inline = a.slice(eq + 1);
      a = a.slice(0, eq);
    }
    const val = (name: string): string => inline ?? value(name);
    if (a === '--') { i++; break; }
    if (a === '-h' || a === '--help') return { kind: 'help' };
    if (a === '--report') o.report = val(a);
    else if (a === '--trace') o.trace = val(a);
    else if (a === '--timeout') o.timeoutS = number(a, val(a));
    else if (a === '--python') o.python = val(a);
    else if (a === '--blocking-threshold-ms') o.blockingThresholdMs = number(a, val(a));
    else if (a === '--no-summary') o.summary = false;
    else if (a === '--fail-on') {
      const kinds = val(a).split(',').map((k) => k.trim()).filter(Boolean);
      for (const k of kinds) {
        if (k === 'all') o.failOn.push(...FINDING_KINDS);
        else if ((FINDING_KINDS as readonly string[]).includes(k)) o.failOn.push(k as FindingKind);
        else throw new UsageError(`--fail-on: unknown finding kind "${k}" (known: ${FINDING_KINDS.join(', ')}, all)`);
      }
    } else if (a === '-m') {
      o.module = value(a);
      i++;
      break;
    } else if (a.startsWith('-') && a !== '-') throw new UsageError(`unknown option "${a}"`);
    else break;
  }
  if (!o.module) {
    if (i >= argv.length) throw new UsageError('no script given: loopscope run [options] [--] script.py [args...]');
    o.program = argv[i++];
  }
  o.args = argv.slice(i);
  return { kind: 'run', options: o };
}

export interface Io {
  stderr: NodeJS.WriteStream;
  cwd: string;
}

/** --timeout fired: take the freshest picture of the pending tasks, then end the program. */
async function stopForTimeout(target: DebugTarget, err: (line: string) => void): Promise<void> {
  if (target.connected) {
    try {
      target.model.applySnapshot(await target.request('snapshot', {}, 2000));
    } catch (e) {
      err(`could not take a final snapshot: ${(e as Error).message}`);
    }
  }
  await target.terminate();
}

/** Runs one program; resolves with the CLI's exit code. */
export async function run(o: RunOptions, io: Io): Promise<number> {
  const started = Date.now();
  const err = (line: string): void => { clearStatus(); io.stderr.write(`loopscope: ${line}\n`); };
  let target: DebugTarget;
  try {
    // Output paths first: a CI job must not run the program and then lose its report.
    if (o.report !== undefined) checkWritable(o.report, io.cwd, '--report');
    if (o.trace !== undefined) checkWritable(o.trace, io.cwd, '--trace');
    target = await DebugTarget.launch({
      program: o.program, module: o.module, args: o.args, cwd: io.cwd, python: o.python,
      settingNames: { python: '--python', program: 'the script path' }, valueSource: { name: (k) => `--${k}` },
      stepEvents: o.trace !== undefined, blockingThresholdMs: o.blockingThresholdMs, stdio: 'inherit',
    }, { recordTrace: o.trace !== undefined, maxFinishedTasks: 100_000, trackChanges: false });
  } catch (e) {
    if (e instanceof LaunchError) {
      io.stderr.write(`loopscope: error: ${e.message}\n`);
      return EXIT_USAGE;
    }
    throw e;
  }
  target.onNotice.on((text) => err(text));
  // The runtime waits for breakpoints before running the program (issue 12); the CLI sets none.
  if (target.connection?.hello.capabilities.lineDebugging === true) {
    target.request('configurationDone', {}).catch((e2: Error) => err(`could not start the program: ${e2.message}`));
  }

  // Live status: only on a terminal; a redraw in place that the final summary replaces.
  let statusShown = false;
  const clearStatus = (): void => {
    if (statusShown) {
      io.stderr.write('\r\x1b[2K');
      statusShown = false;
    }
  };
  const statusTimer = io.stderr.isTTY
    ? setInterval(() => {
      const line = formatStatusLine(target.model, Date.now() - started).slice(0, Math.max(20, (io.stderr.columns || 80) - 1));
      io.stderr.write(`\r\x1b[2K\x1b[2m${line}\x1b[0m\r`);
      statusShown = true;
    }, 250)
    : null;

  let timedOut = false;
  const timeoutTimer = o.timeoutS === undefined ? null : setTimeout(() => {
    timedOut = true;
    void stopForTimeout(target, err);
  }, o.timeoutS * 1000);

  // Ctrl+C reaches the program (same process group); we wait for it to end and still report.
  // A second Ctrl+C, or SIGTERM, ends the whole tree.
  let interrupts = 0;
  const onSigint = (): void => { if (++interrupts >= 2) void target.terminate(); };
  const onSigterm = (): void => { void target.terminate(); };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigterm);

  const exit: ExitInfo = target.exit ?? await target.onExit.wait();
  if (timeoutTimer) clearTimeout(timeoutTimer);
  if (statusTimer) clearInterval(statusTimer);
  process.off('SIGINT', onSigint);
  process.off('SIGTERM', onSigterm);
  clearStatus();

  const report: Report = buildReport(target.model, {
    exitCode: timedOut ? null : exit.code,
    timedOut,
    error: timedOut ? null : exit.error,
    durationMs: Date.now() - started,
    argv: o.module ? ['-m', o.module, ...o.args] : [o.program ?? '', ...o.args],
  });
  let written = true;
  if (o.report) written = writeOut(o.report, { ...report }, 2, io, err) && written;
  if (o.trace) written = writeOut(o.trace, { ...buildTrace(target.model) }, 0, io, err) && written;
  if (o.summary) io.stderr.write(formatSummary(report, { cwd: io.cwd }));
  // Without the summary, a partial picture must still say so: a CI log is all some users read.
  else if (report.sampling.length > 0) io.stderr.write(`${samplingLines(report).join('\n')}\n`);

  if (timedOut) return EXIT_TIMEOUT;
  let code = exit.code ?? (exit.signal ? 128 + signalNumber(exit.signal) : 1);
  const failing = report.findings.filter((f) => o.failOn.includes(f.kind));
  if (failing.length > 0) {
    const kinds = [...new Set(failing.map((f) => f.kind))].join(', ');
    io.stderr.write(`loopscope: failing because of ${failing.length} finding(s) matching --fail-on (${kinds})\n`);
    if (code === 0) code = EXIT_FINDINGS;
  }
  if (!written && code === 0) code = EXIT_OUTPUT_FAILED;
  return code;
}

function writeOut(file: string, doc: Record<string, unknown>, indent: number, io: Io, err: (l: string) => void): boolean {
  try {
    writeJsonFile(path.resolve(io.cwd, file), doc, indent);
    return true;
  } catch (e) {
    err(`could not write ${file}: ${(e as Error).message}`);
    return false;
  }
}

function signalNumber(sig: NodeJS.Signals): number {
  return os.constants.signals[sig] ?? 0;
}
