// The core shared by the debug adapter and the CLI: one observed Python process. Launches it (or
// attaches to it), completes the handshake, feeds every event batch into the task model, forwards
// program output, and reports exactly one end (exit code, signal or a clear error).

import type { ChildProcess, StdioOptions } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import type { KnownEvent, RequestArgs, RequestCommand, ResponseBodies, WelcomeOptions, WireEvent } from '../protocol/wire';
import type { LaunchArguments } from '../protocol/customDap';
import { Emitter } from '../model/emitter';
import { TaskModel, type ModelOptions } from '../model/taskModel';
import { RuntimeListener, attachToRuntime, newToken, type RuntimeConnection } from './connection';
import {
  LaunchError, buildRuntimeCommand, checkAttachValues, checkLaunchValues, type ValueSource, checkCwd, checkModule, findRuntimeDir, killTree, probePython,
  resolveProgram, spawnRuntime, type PythonInfo, type RuntimeCommand,
} from './launcher';

/** What to run: the launch.json attributes the CLI shares with the adapter, plus how to run it. */
export interface LaunchSpec extends Pick<LaunchArguments, 'program' | 'module' | 'args' | 'cwd' | 'env' | 'python' | 'stopOnEntry' | 'blockingThresholdMs'> {
  /** How settings are named in error messages (`"python"` for launch.json, `--python` for the CLI). */
  settingNames?: { python: string; program: string };
  /** Where the values came from, for messages about a wrong one (default: launch.json). */
  valueSource?: ValueSource;
  stepEvents?: boolean;
  /** Exception-filter ids the runtime itself pauses on (welcome option `pauseOn`). */
  pauseOn?: string[];
  /**
   * `pipe`: output arrives via onOutput (adapter, internal console); `inherit`: the program owns
   * this process's stdio (CLI); `terminal`: started by `runInTerminal` (adapter, integrated terminal).
   */
  stdio: 'pipe' | 'inherit' | 'terminal';
  runInTerminal?: (cmd: RuntimeCommand) => Promise<number | undefined>;
  /** How long to wait for the runtime to connect before running on unobserved. */
  connectTimeoutMs?: number;
  runtimeDir?: string;
}

export interface AttachSpec {
  host?: string;
  port: number;
  token?: string;
  tokenFile?: string;
  stepEvents?: boolean;
  blockingThresholdMs?: number;
  pauseOn?: string[];
}

export interface ExitInfo {
  /** The program's exit code; null when unknown (killed by a signal, runtime vanished). */
  code: number | null;
  signal: NodeJS.Signals | null;
  /** A user-facing explanation when the end was not a normal program exit. */
  error: string | null;
}

export interface OutputChunk { category: 'stdout' | 'stderr'; text: string }

/** Anything that can send requests to the runtime (the stepper and session depend on this only). */
export interface RuntimeRequester {
  request<C extends RequestCommand>(command: C, args?: RequestArgs[C], timeoutMs?: number): Promise<ResponseBodies[C]>;
  /** True when the runtime holds the loop itself after events named in `pauseOn`. */
  readonly pausesOnEvents?: boolean;
}

export class DebugTarget implements RuntimeRequester {
  readonly onEvents = new Emitter<readonly WireEvent[]>();
  readonly onOutput = new Emitter<OutputChunk>();
  /** Notices for the user that are not program output (runtime never connected, connection lost). */
  readonly onNotice = new Emitter<string>();
  readonly onExit = new Emitter<ExitInfo>();
  readonly model: TaskModel;
  python: PythonInfo | null = null;
  connection: RuntimeConnection | null = null;
  child: ChildProcess | null = null;
  /** Pid of the Python process (from the spawn, or from `hello` in terminal/attach mode). */
  pid: number | null = null;
  exit: ExitInfo | null = null;
  readonly attached: boolean;
  private processExitCode: number | null = null;
  private childExit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  private terminating = false;

  private constructor(modelOptions: ModelOptions, attached: boolean) {
    this.model = new TaskModel(modelOptions);
    this.attached = attached;
  }

  // -------------------------------------------------------------------------------------------
  // Launch

  /** Validates the configuration (throws LaunchError), starts the process and waits for the handshake. */
  static async launch(spec: LaunchSpec, modelOptions: ModelOptions = {}): Promise<DebugTarget> {
    const t = new DebugTarget(modelOptions, false);
    await t.doLaunch(spec);
    return t;
  }

  private async doLaunch(spec: LaunchSpec): Promise<void> {
    const names = spec.settingNames ?? { python: '"python"', program: '"program"' };
    checkLaunchValues(spec as unknown as Record<string, unknown>, spec.valueSource);
    if (!spec.program && !spec.module) throw new LaunchError(`Nothing to run: set ${names.program} (a .py file) or "module".`);
    const cwd = path.resolve(spec.cwd ?? (spec.program ? path.dirname(path.resolve(spec.program)) : process.cwd()));
    checkCwd(cwd);
    const program = spec.program ? resolveProgram(spec.program, cwd, names.program) : undefined;
    const python = await probePython(spec.python || (process.platform === 'win32' ? 'python' : 'python3'), names.python);
    this.python = python;
    const runtimeDir = spec.runtimeDir ?? findRuntimeDir();
    const token = newToken();
    const options: WelcomeOptions = {
      stopOnEntry: spec.stopOnEntry ?? false,
      stepEvents: spec.stepEvents ?? false,
      ...(spec.blockingThresholdMs !== undefined ? { blockingThresholdMs: spec.blockingThresholdMs } : {}),
      ...(spec.pauseOn ? { pauseOn: [...spec.pauseOn] } : {}),
    };
    const listener = await RuntimeListener.open(token, options);
    const cmd = buildRuntimeCommand({
      python: python.command, runtimeDir, program, module: spec.module, args: spec.args ?? [], cwd,
      env: spec.env ?? {}, port: listener.port, token, stopOnEntry: options.stopOnEntry ?? false,
      blockingThresholdMs: spec.blockingThresholdMs, stepEvents: options.stepEvents ?? false,
      outputToDebugger: spec.stdio === 'pipe',
    });
    if (spec.module) await checkModule(python.command, spec.module, cwd, cmd.env);

    const childGone = new Promise<void>((resolve) => {
      if (spec.stdio === 'terminal') {
        if (!spec.runInTerminal) throw new LaunchError('the client cannot run programs in a terminal');
        spec.runInTerminal(cmd).then((pid) => { if (pid) this.pid = pid; }, (err: Error) => {
          listener.close();
          this.finish({ code: null, signal: null, error: `could not start the program in the terminal: ${err.message}` });
          resolve();
        });
        return;
      }
      const stdio: StdioOptions = spec.stdio === 'inherit' ? 'inherit' : ['ignore', 'pipe', 'pipe'];
      // The adapter puts the program in its own process group so terminate can end the whole tree;
      // the CLI keeps it in the terminal's group so Ctrl+C reaches the program as usual.
      const child = spawnRuntime(cmd, stdio, spec.stdio === 'pipe');
      this.child = child;
      this.pid = child.pid ?? null;
      child.stdout?.on('data', (b: Buffer) => this.onOutput.fire({ category: 'stdout', text: b.toString('utf8') }));
      child.stderr?.on('data', (b: Buffer) => this.onOutput.fire({ category: 'stderr', text: b.toString('utf8') }));
      child.once('error', (err) => {
        this.childExit = { code: null, signal: null };
        this.finish({ code: null, signal: null, error: `could not start ${python.command}: ${err.message}` });
        resolve();
      });
      // 'close' (not 'exit') so all piped output has been delivered before the session ends.
      child.once('close', (code, signal) => {
        this.childExit = { code, signal };
        resolve();
        this.onChildGone();
      });
    });

    const timeoutMs = spec.connectTimeoutMs ?? 15_000;
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      listener.accept().then((c) => ({ kind: 'connected' as const, c })),
      childGone.then(() => ({ kind: 'gone' as const })),
      new Promise<{ kind: 'timeout' }>((resolve) => { timer = setTimeout(() => resolve({ kind: 'timeout' }), timeoutMs); }),
    ]);
    clearTimeout(timer);
    if (outcome.kind === 'connected') {
      this.adopt(outcome.c);
      return;
    }
    listener.close();
    if (outcome.kind === 'timeout') {
      const why = listener.lastRefusal ? ` (last attempt: ${listener.lastRefusal})` : '';
      this.onNotice.fire(`The Loopscope runtime did not connect within ${timeoutMs / 1000} s${why}; the program keeps running without task information.`);
    }
    // 'gone' before connecting: the end is reported by onChildGone with the exit code.
  }

  // -------------------------------------------------------------------------------------------
  // Attach

  static async attach(spec: AttachSpec, modelOptions: ModelOptions = {}): Promise<DebugTarget> {
    checkAttachValues(spec as unknown as Record<string, unknown>);
    const t = new DebugTarget(modelOptions, true);
    const token = spec.token ?? (spec.tokenFile ? readTokenFile(spec.tokenFile) : undefined);
    if (!token) throw new LaunchError('Attaching needs the runtime\'s token: set "token", or "tokenFile" to the file `loopscope.listen()` printed.');
    const options: WelcomeOptions = {
      stepEvents: spec.stepEvents ?? false,
      ...(spec.blockingThresholdMs !== undefined ? { blockingThresholdMs: spec.blockingThresholdMs } : {}),
      ...(spec.pauseOn ? { pauseOn: [...spec.pauseOn] } : {}),
    };
    const conn = await attachToRuntime(spec.host ?? '127.0.0.1', spec.port, token, options).catch((err: Error) => {
      throw new LaunchError(err.message);
    });
    t.pid = conn.hello.pid;
    t.adopt(conn);
    // Tasks created before we attached are only known to the runtime: fetch them once.
    try {
      t.model.applySnapshot(await conn.request('snapshot', {}));
    } catch (err) {
      t.onNotice.fire(`could not read the running program's tasks: ${(err as Error).message}`);
    }
    return t;
  }

  // -------------------------------------------------------------------------------------------

  private adopt(conn: RuntimeConnection): void {
    this.connection = conn;
    this.model.setHello(conn.hello);
    if (this.pid === null) this.pid = conn.hello.pid;
    conn.onEvents.on((batch) => {
      this.model.ingest(batch.events, batch.dropped);
      for (const e of batch.events) if (e.kind === 'process.exit') this.processExitCode = (e as KnownEvent & { code: number }).code;
      this.onEvents.fire(batch.events);
    });
    conn.onClose.on((info) => this.onConnectionClosed(info.error));
    conn.start();
  }

  private onConnectionClosed(error: string | null): void {
    if (this.exit) return;
    if (this.child && !this.childExit) {
      // The process is still there: its exit (moments away, or never if it ignores us) decides.
      if (error) this.onNotice.fire(`Loopscope lost the connection to the program (${error}); it keeps running unobserved.`);
      return;
    }
    if (this.child) return; // child already closed: onChildGone reports
    // Attach or terminal mode: the connection is all we have.
    if (this.processExitCode !== null) {
      this.finish({ code: this.processExitCode, signal: null, error: null });
    } else if (this.terminating) {
      this.finish({ code: null, signal: null, error: null });
    } else {
      this.finish({
        code: null, signal: null,
        error: `the Python process closed the connection without exiting${error ? ` (${error})` : ''}`,
      });
    }
  }

  private onChildGone(): void {
    const ce = this.childExit as { code: number | null; signal: NodeJS.Signals | null };
    const conn = this.connection;
    const report = (): void => {
      let error: string | null = null;
      if (!conn) {
        error = ce.code === 0 && !ce.signal ? null
          : `the Python process ended (${ce.signal ? `signal ${ce.signal}` : `exit code ${ce.code}`}) before the Loopscope runtime connected`;
      } else if (ce.signal && !this.terminating) {
        error = `the Python process was killed by ${ce.signal}`;
      } else if (this.processExitCode === null && !this.terminating && ce.code !== 0) {
        error = `the Python process ended with exit code ${ce.code} without the runtime reporting an exit (it crashed or called os._exit)`;
      }
      this.finish({ code: ce.code, signal: ce.signal, error });
    };
    // Let the last event batch (sent at exit) arrive before reporting the end.
    if (conn && !conn.isClosed) {
      const timer = setTimeout(report, 1000);
      conn.onClose.on(() => { clearTimeout(timer); report(); });
    } else {
      report();
    }
  }

  private finish(info: ExitInfo): void {
    if (this.exit) return;
    this.exit = info;
    if (info.code !== null && this.model.exitCode === null) this.model.exitCode = info.code;
    this.onExit.fire(info);
  }

  request<C extends RequestCommand>(command: C, args?: RequestArgs[C], timeoutMs?: number): Promise<ResponseBodies[C]> {
    if (!this.connection) return Promise.reject(new Error('the program is not connected to Loopscope'));
    return this.connection.request(command, args, timeoutMs);
  }

  /** Whether the runtime holds its loops itself after `pauseOn` events (hello capability). */
  get pausesOnEvents(): boolean {
    return this.connection?.hello.capabilities.pauseOn === true;
  }

  get connected(): boolean {
    return this.connection !== null && !this.connection.isClosed;
  }

  /**
   * Ends the program and its whole process tree. An attached program is only detached from,
   * unless `evenIfAttached` (DAP disconnect with terminateDebuggee: true).
   */
  async terminate(evenIfAttached = false): Promise<void> {
    this.terminating = true;
    if (this.attached && !evenIfAttached) {
      this.connection?.close();
      return;
    }
    const pid = this.child?.pid ?? this.pid;
    if (pid && !this.exit) await killTree(pid);
    this.connection?.close();
    if (!this.child && !this.exit) this.finish({ code: null, signal: null, error: null });
  }

  /** Leaves the program running (attach) or ends it (launch); closes the connection either way. */
  detach(): void {
    this.connection?.close();
  }
}

function readTokenFile(file: string): string {
  let st;
  try {
    st = statSync(file);
  } catch {
    throw new LaunchError(`The token file "${file}" does not exist. Use the path loopscope.listen() printed, or set "token".`);
  }
  if (process.platform !== 'win32' && (st.mode & 0o077) !== 0) {
    throw new LaunchError(`The token file "${file}" is readable by other users (mode ${(st.mode & 0o777).toString(8)}); run chmod 600 on it.`);
  }
  return readFileSync(file, 'utf8').trim();
}
