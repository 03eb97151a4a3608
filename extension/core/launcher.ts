// Starting a Python program under the Loopscope runtime: interpreter discovery and version check,
// program/module validation, locating the bundled runtime, building the command line and
// environment, and ending a whole process tree. Every failure is a LaunchError that says what to fix.

import { execFile, execFileSync, spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { accessSync, constants as fsConstants, existsSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';

export class LaunchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LaunchError';
  }
}

export const MIN_PYTHON: readonly [number, number] = [3, 9];

export interface PythonInfo {
  /** What the user asked for (path or command name). */
  command: string;
  executable: string;
  version: string;
  implementation: string;
}

const PROBE = 'import sys, json; print(json.dumps({"v": list(sys.version_info[:3]), "exe": sys.executable, "impl": sys.implementation.name}))';

/** Runs the interpreter once to learn its version; rejects missing or too-old interpreters. */
export function probePython(command: string, setting = '"python"'): Promise<PythonInfo> {
  return new Promise((resolve, reject) => {
    execFile(command, ['-c', PROBE], { timeout: 20_000, windowsHide: true }, (err, stdout, stderr) => {
      if (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') {
          reject(new LaunchError(`Python interpreter "${command}" was not found. Install Python 3.9 or newer, or set ${setting} to the full path of a Python 3.9+ interpreter.`));
        } else if (code === 'EACCES') {
          reject(new LaunchError(`Python interpreter "${command}" is not executable (permission denied). Set ${setting} to a Python 3.9+ interpreter you can run.`));
        } else {
          const detail = (stderr || err.message).trim().split('\n').slice(-3).join(' ');
          reject(new LaunchError(`Python interpreter "${command}" could not be run: ${detail}. Set ${setting} to a working Python 3.9+ interpreter.`));
        }
        return;
      }
      let info: { v: number[]; exe: string; impl: string };
      try {
        info = JSON.parse(stdout.trim().split('\n').pop() ?? '') as typeof info;
      } catch {
        reject(new LaunchError(`"${command}" does not look like a Python 3 interpreter (it printed ${JSON.stringify(stdout.slice(0, 80))}). Set ${setting} to a Python 3.9+ interpreter.`));
        return;
      }
      const version = info.v.join('.');
      if (info.v[0] < MIN_PYTHON[0] || (info.v[0] === MIN_PYTHON[0] && info.v[1] < MIN_PYTHON[1])) {
        reject(new LaunchError(`Loopscope needs Python ${MIN_PYTHON.join('.')} or newer, but "${command}" is Python ${version} (${info.exe}). Set ${setting} to a Python 3.9+ interpreter.`));
        return;
      }
      resolve({ command, executable: info.exe || command, version, implementation: info.impl });
    });
  });
}

/** Checks the program file exists; returns its absolute path. */
export function resolveProgram(program: string, cwd: string, setting = '"program"'): string {
  const abs = path.resolve(cwd, program);
  if (!existsSync(abs)) {
    throw new LaunchError(`The program "${program}" does not exist (looked for ${abs}). Check ${setting}${program === abs ? '' : ' and "cwd"'}.`);
  }
  if (statSync(abs).isDirectory() && !existsSync(path.join(abs, '__main__.py'))) {
    throw new LaunchError(`The program "${program}" is a folder without __main__.py (${abs}). Point ${setting} at a .py file, or use "module".`);
  }
  return abs;
}

/** Checks that `module` is importable by the interpreter from `cwd`. */
export function checkModule(python: string, module: string, cwd: string, env: NodeJS.ProcessEnv): Promise<void> {
  const code = 'import importlib.util, sys\ntry:\n    ok = importlib.util.find_spec(sys.argv[1]) is not None\nexcept Exception:\n    ok = False\nprint("yes" if ok else "no")';
  return new Promise((resolve, reject) => {
    execFile(python, ['-c', code, module], { cwd, env, timeout: 20_000 }, (err, stdout) => {
      if (!err && stdout.trim() === 'yes') resolve();
      else reject(new LaunchError(`The module "${module}" cannot be found by ${python} from ${cwd}. Check "module" and "cwd" (the module must be importable from the working folder or installed in that interpreter).`));
    });
  });
}

export function checkCwd(cwd: string): void {
  if (!existsSync(cwd) || !statSync(cwd).isDirectory()) {
    throw new LaunchError(`The working folder "${cwd}" does not exist. Check "cwd".`);
  }
}

/**
 * Finds the folder that contains the `loopscope` Python package. Bundled: dist/adapter.js and
 * dist/cli.js sit next to runtime/ under the extension root; from sources (tsx) the modules sit
 * two folders deeper.
 */
export function findRuntimeDir(baseDir: string = __dirname): string {
  const candidates = [path.resolve(baseDir, '..', 'runtime'), path.resolve(baseDir, '..', '..', 'runtime')];
  for (const c of candidates) if (existsSync(path.join(c, 'loopscope', '__main__.py'))) return c;
  throw new LaunchError(`The Loopscope Python runtime is missing (looked in ${candidates.join(' and ')}). Reinstall the extension or run from a complete checkout.`);
}

export interface RuntimeCommandOptions {
  python: string;
  runtimeDir: string;
  program?: string;
  module?: string;
  args: string[];
  cwd: string;
  env: Record<string, string | null | undefined>;
  port: number;
  token: string;
  stopOnEntry: boolean;
  blockingThresholdMs?: number;
  stepEvents: boolean;
  /** The program's stdout/stderr are pipes this process reads: the runtime keeps them writable if we die. */
  outputToDebugger?: boolean;
}

export interface RuntimeCommand {
  command: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  /** Only the variables Loopscope adds (for runInTerminal, which inherits the terminal's environment). */
  extraEnv: Record<string, string | null>;
}

export function buildRuntimeCommand(o: RuntimeCommandOptions): RuntimeCommand {
  const args = ['-m', 'loopscope', '--connect', `127.0.0.1:${o.port}`];
  if (o.stopOnEntry) args.push('--stop-on-entry');
  if (o.blockingThresholdMs !== undefined) args.push('--blocking-threshold-ms', String(o.blockingThresholdMs));
  if (o.stepEvents) args.push('--step-events');
  if (o.outputToDebugger) args.push('--output-to-debugger');
  if (o.module) args.push('-m', o.module);
  else if (o.program) args.push(o.program);
  args.push(...o.args);

  const base: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) base[k] = v;
  const extraEnv: Record<string, string | null> = {};
  for (const [k, v] of Object.entries(o.env)) {
    if (v === null || v === undefined) {
      delete base[k];
      extraEnv[k] = null;
    } else {
      base[k] = v;
      extraEnv[k] = v;
    }
  }
  // The runtime goes first on PYTHONPATH; the user's own entries are kept after it.
  const userPath = base.PYTHONPATH;
  const pythonPath = userPath ? `${o.runtimeDir}${path.delimiter}${userPath}` : o.runtimeDir;
  base.PYTHONPATH = pythonPath;
  base.LOOPSCOPE_TOKEN = o.token;
  extraEnv.PYTHONPATH = pythonPath;
  extraEnv.LOOPSCOPE_TOKEN = o.token;
  return { command: o.python, args, cwd: o.cwd, env: base, extraEnv };
}

export function spawnRuntime(cmd: RuntimeCommand, stdio: StdioOptions, ownGroup: boolean): ChildProcess {
  return spawn(cmd.command, cmd.args, { cwd: cmd.cwd, env: cmd.env, stdio, detached: ownGroup, windowsHide: true });
}

// ---------------------------------------------------------------------------------------------
// Process trees

/** `pid` and all its descendants, parents first (Linux/macOS via ps). */
export function processTree(pid: number): number[] {
  if (process.platform === 'win32') return [pid];
  let out: string;
  try {
    out = execFileSync('ps', ['-A', '-o', 'pid=,ppid='], { encoding: 'utf8', timeout: 5000 });
  } catch {
    return [pid];
  }
  const children = new Map<number, number[]>();
  for (const line of out.split('\n')) {
    const [p, pp] = line.trim().split(/\s+/).map(Number);
    if (!Number.isFinite(p) || !Number.isFinite(pp)) continue;
    const list = children.get(pp) ?? [];
    list.push(p);
    children.set(pp, list);
  }
  const tree: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const p = queue.shift() as number;
    if (tree.includes(p)) continue;
    tree.push(p);
    queue.push(...(children.get(p) ?? []));
  }
  return tree;
}

/** True while `pid` runs. A zombie counts as gone: in containers nobody may ever reap it. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  if (process.platform === 'linux') {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // Field 3, after the parenthesised command name (which may itself contain spaces or parens).
      return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
    } catch {
      return false;
    }
  }
  return true;
}
const alive = isAlive;

/**
 * Ends `pid` and every descendant: SIGTERM first, SIGKILL for whatever is still alive after
 * `graceMs`. The tree is captured before signalling because children reparent once their parent dies.
 */
export async function killTree(pid: number, graceMs = 1500): Promise<void> {
  if (process.platform === 'win32') {
    try {
      execFileSync('taskkill', ['/pid', String(pid), '/T', '/F'], { timeout: 5000 });
    } catch {
      // already gone
    }
    return;
  }
  const tree = processTree(pid);
  for (const p of tree) {
    try {
      process.kill(p, 'SIGTERM');
    } catch {
      // already gone
    }
  }
  const deadline = Date.now() + graceMs;
  while (tree.some(alive) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 25));
  }
  for (const p of tree) {
    if (!alive(p)) continue;
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Configuration values, checked at the edge before anything starts

/** Where a value came from, for messages: `launch.json`, `the command line`, a user setting. */
export interface ValueSource {
  /** How a key is named in messages, e.g. (k) => `"${k}" in launch.json` or `--${k}`. */
  name: (key: string) => string;
}

export const LAUNCH_JSON: ValueSource = { name: (k) => `"${k}" in launch.json` };

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v)}`;
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return `${typeof v} ${v}`;
  return typeof v;
}

/**
 * Checks the launch values a debug client sends (types and ranges); throws one LaunchError naming
 * the value, where it came from and what to write instead. A string `args` is refused rather than
 * taken one character per argument, an `env` string rather than taken as variables "0", "1"….
 */
export function checkLaunchValues(v: Record<string, unknown>, src: ValueSource = LAUNCH_JSON): void {
  const fail = (key: string, want: string): never => {
    throw new LaunchError(`${src.name(key)} must be ${want}; got ${describe(v[key])}.`);
  };
  for (const key of ['program', 'module', 'cwd', 'python'] as const) {
    if (v[key] !== undefined && (typeof v[key] !== 'string' || (v[key]).includes('\0'))) fail(key, 'a string');
  }
  if (typeof v.python === 'string' && v.python.trim() === '') fail('python', 'the path of a Python 3.9+ interpreter (or left out)');
  if (v.args !== undefined && (!Array.isArray(v.args) || v.args.some((a) => typeof a !== 'string'))) {
    fail('args', typeof v.args === 'string'
      ? `an array of strings, one per argument, like ${JSON.stringify(v.args.trim().split(/\s+/))}`
      : 'an array of strings, like ["--verbose", "input.txt"]');
  }
  if (v.env !== undefined) {
    const env = v.env;
    if (typeof env !== 'object' || env === null || Array.isArray(env)) fail('env', 'an object of variable names to strings, like {"DEBUG": "1"}');
    for (const [k, val] of Object.entries(env as Record<string, unknown>)) {
      if (k === '' || k.includes('=') || k.includes('\0')) throw new LaunchError(`${src.name('env')} has an invalid variable name ${JSON.stringify(k)}.`);
      if (val !== null && typeof val !== 'string') {
        throw new LaunchError(`${src.name('env')}: the value of ${k} must be a string (or null to remove it); got ${describe(val)}.`);
      }
    }
  }
  for (const key of ['stopOnEntry', 'justMyCode', 'trace'] as const) {
    if (v[key] !== undefined && typeof v[key] !== 'boolean') fail(key, 'true or false');
  }
  const t = v.blockingThresholdMs;
  if (t !== undefined && (typeof t !== 'number' || !Number.isFinite(t) || t <= 0)) fail('blockingThresholdMs', 'a positive number of milliseconds, like 100');
  if (v.console !== undefined && v.console !== 'internalConsole' && v.console !== 'integratedTerminal') {
    fail('console', '"internalConsole" or "integratedTerminal"');
  }
}

/** Checks the attach values: a loopback host, a port in 1–65535, a string token or token file. */
export function checkAttachValues(v: Record<string, unknown>, src: ValueSource = LAUNCH_JSON): void {
  const p = v.port;
  if (typeof p !== 'number' || !Number.isInteger(p) || p < 1 || p > 65535) {
    throw new LaunchError(`${src.name('port')} must be the port the program listens on, a whole number from 1 to 65535; got ${describe(p)}.`);
  }
  for (const key of ['host', 'token', 'tokenFile'] as const) {
    if (v[key] !== undefined && typeof v[key] !== 'string') throw new LaunchError(`${src.name(key)} must be a string; got ${describe(v[key])}.`);
  }
}

/**
 * Checks that `file` can be written (its folder exists and is writable, and it is not a folder),
 * so an output path is refused before the program runs rather than lost after it.
 */
export function checkWritable(file: string, cwd: string, setting: string): string {
  const abs = path.resolve(cwd, file);
  const dir = path.dirname(abs);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new LaunchError(`${setting} ${file}: the folder ${dir} does not exist.`);
  if (existsSync(abs) && statSync(abs).isDirectory()) throw new LaunchError(`${setting} ${file}: ${abs} is a folder; give a file name.`);
  try {
    accessSync(existsSync(abs) ? abs : dir, fsConstants.W_OK);
  } catch {
    throw new LaunchError(`${setting} ${file}: ${existsSync(abs) ? abs : `the folder ${dir}`} is not writable.`);
  }
  return abs;
}
