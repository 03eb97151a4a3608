// The DAP face of Loopscope: a LoggingDebugSession whose handlers translate requests into calls on
// the domain objects (DebugTarget, Stepper, Inspector, TaskModel) and their results back into DAP
// responses and events. No asyncio knowledge lives here.

import {
  BreakpointEvent, ContinuedEvent, type ErrorDestination, ExitedEvent, InitializedEvent, LoggingDebugSession, OutputEvent, Response,
  Scope, Source, StackFrame, StoppedEvent, TerminatedEvent, Thread,
} from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  type AttachArguments, type CustomRequestName, type LaunchArguments,
} from '../protocol/customDap';
import type { WireEvent, KnownEvent } from '../protocol/wire';
import { formatLocation } from '../model/report';
import { isFinished } from '../model/taskModel';
import { DebugTarget, type ExitInfo } from '../core/target';
import { EXCEPTION_FILTERS, Stepper, type Stop } from '../core/stepper';
import { Inspector, threadOfLoop, threadOfTask } from '../core/inspector';
import { LaunchError, checkLaunchValues } from '../core/launcher';
import { customRequest, isCustomRequest } from './customRequests';
import { refusal } from './requestArgs';
import { UpdateStream } from './updateStream';
import { LINE_EXCEPTION_FILTERS, LineDebugger, type BreakpointState, type LineStop } from '../core/lineDebugger';
import { dapBreakpoint, lineExceptionInfo, lineStoppedEvent, logpointOutput } from './lineDap';

/** Stops whose location is not where the focused task is suspended now (it ran on after it). */
const STOP_FRAME_FILTERS: ReadonlySet<string> = new Set(['blocking-call', 'never-awaited']);

type LaunchRequestArgs = DebugProtocol.LaunchRequestArguments & LaunchArguments & { pythonSource?: unknown };
type AttachRequestArgs = DebugProtocol.AttachRequestArguments & AttachArguments & { trace?: boolean };

/** Resolves once; lets launch/attach wait for configurationDone without a flag-and-poll loop. */
class Gate {
  readonly opened: Promise<void>;
  open!: () => void;
  constructor() {
    this.opened = new Promise((r) => { this.open = r; });
  }
}

export class LoopscopeDebugSession extends LoggingDebugSession {
  private target: DebugTarget | null = null;
  private stepper: Stepper | null = null;
  private inspector: Inspector | null = null;
  /** Breakpoints exist before the program does, so this one is made up front. */
  private readonly lines = new LineDebugger();
  /** A tick-boundary stop is on screen (Continue must release that loop too). */
  private tickStopShown = false;
  /** The tick-boundary stop being shown, for a later focus on one of its tasks. */
  private tickStop: Stop | null = null;
  private readonly configured = new Gate();
  private pendingFilters: string[] = [...EXCEPTION_FILTERS, ...LINE_EXCEPTION_FILTERS].filter((f) => f.default).map((f) => f.filter);
  private justMyCode = true;
  private readonly updates = new UpdateStream((e) => this.sendEvent(e));
  private stoppedFocus: number | null = null;
  private supportsRunInTerminal = false;
  private ended = false;
  /** A launch or attach arrived: one program per session. */
  private started = false;

  constructor() {
    super();
    this.setDebuggerLinesStartAt1(true);
    this.setDebuggerColumnsStartAt1(true);
    // The library ends the adapter on any unparsable message; one bad message must not end a session.
    this.removeAllListeners('error');
    this.on('error', (e: DebugProtocol.Event) => { process.stderr.write(`loopscope adapter: ignored: ${String(e.body)}\n`); });
  }

  /**
   * The edge: arguments that are not an object (a careless client, the fuzz suites) become `{}`; a
   * request Loopscope does not handle, or whose arguments lack a field or have one of the wrong type,
   * is refused in words (requestArgs.ts) before any handler reads them.
   */
  protected override dispatchRequest(request: DebugProtocol.Request): void {
    const a: unknown = request.arguments;
    if (typeof a !== 'object' || a === null || Array.isArray(a)) request.arguments = {};
    const args = request.arguments as Record<string, unknown>;
    // DAP's default; the library refuses an initialize without it.
    if (request.command === 'initialize') args.pathFormat ??= 'path';
    const refused = refusal(request.command, args);
    if (refused) {
      this.fail(new Response(request), refused.id, refused.message);
      return;
    }
    super.dispatchRequest(request);
  }

  /**
   * The library answers a handler that threw with the stack as the message: the stack goes to stderr
   * (a bug to fix), the client gets a sentence.
   */
  protected override sendErrorResponse(response: DebugProtocol.Response, codeOrMessage: number | DebugProtocol.Message, format?: string, variables?: Record<string, unknown>, dest?: ErrorDestination): void {
    if (codeOrMessage !== 1104) {
      super.sendErrorResponse(response, codeOrMessage, format, variables, dest);
      return;
    }
    process.stderr.write(`loopscope adapter: '${response.command}' failed: ${String(variables?._stack ?? variables?._exception)}\n`);
    this.fail(response, 1104, `Loopscope could not handle '${response.command}': ${String(variables?._exception)}`);
  }

  protected override initializeRequest(response: DebugProtocol.InitializeResponse, args: DebugProtocol.InitializeRequestArguments): void {
    this.supportsRunInTerminal = args.supportsRunInTerminalRequest === true;
    response.body = {
      supportsConfigurationDoneRequest: true,
      supportsTerminateRequest: true,
      supportsExceptionInfoRequest: true,
      supportsEvaluateForHovers: true,
      supportsConditionalBreakpoints: true,
      supportsHitConditionalBreakpoints: true,
      supportsLogPoints: true,
      supportsFunctionBreakpoints: true,
      supportsSetVariable: true,
      supportsDelayedStackTraceLoading: false,
      supportsSingleThreadExecutionRequests: false,
      supportTerminateDebuggee: true,
      exceptionBreakpointFilters: [...LINE_EXCEPTION_FILTERS, ...EXCEPTION_FILTERS].map((f) => ({ filter: f.filter, label: f.label, description: f.description, default: f.default })),
    };
    this.sendResponse(response);
    this.sendEvent(new InitializedEvent());
  }

  protected override configurationDoneRequest(response: DebugProtocol.ConfigurationDoneResponse): void {
    this.configured.open();
    this.sendResponse(response);
  }

  protected override setExceptionBreakPointsRequest(response: DebugProtocol.SetExceptionBreakpointsResponse, args: DebugProtocol.SetExceptionBreakpointsArguments): void {
    this.pendingFilters = args.filters;
    this.stepper?.setFilters(args.filters);
    // The runtime pauses on these events itself; a lost update only costs the in-time stop.
    this.stepper?.syncPauseOn().catch(() => undefined);
    this.lines.setExceptionFilters(args.filters).catch((err: Error) => this.notice(`could not change the exception breakpoints: ${err.message}`));
    this.sendResponse(response);
  }

  protected override async setBreakPointsRequest(response: DebugProtocol.SetBreakpointsResponse, args: DebugProtocol.SetBreakpointsArguments): Promise<void> {
    await this.answer(response, async () => {
      const file = (args.source as DebugProtocol.Source | undefined)?.path;
      if (!file) throw new Error('breakpoints need a file on disk (this source has no path)');
      const specs = (args.breakpoints ?? []).map((b) => ({ line: b.line, ...optional({ condition: b.condition, hitCondition: b.hitCondition, logMessage: b.logMessage }) }));
      return { breakpoints: (await this.lines.setBreakpoints(file, specs)).map(dapBreakpoint) };
    });
  }

  protected override async setFunctionBreakPointsRequest(response: DebugProtocol.SetFunctionBreakpointsResponse, args: DebugProtocol.SetFunctionBreakpointsArguments): Promise<void> {
    await this.answer(response, async () => {
      const specs = args.breakpoints.map((b) => ({ name: b.name, ...optional({ condition: b.condition, hitCondition: b.hitCondition }) }));
      return { breakpoints: (await this.lines.setFunctionBreakpoints(specs)).map(dapBreakpoint) };
    });
  }

  protected override async setVariableRequest(response: DebugProtocol.SetVariableResponse, args: DebugProtocol.SetVariableArguments): Promise<void> {
    await this.answer(response, async () => {
      const v = await this.need(this.inspector).setVariable(args.variablesReference, args.name, args.value);
      return { value: v.value, type: v.type, variablesReference: v.ref };
    });
  }

  protected override async launchRequest(response: DebugProtocol.LaunchResponse, args: LaunchRequestArgs): Promise<void> {
    if (this.refuseSecondStart(response)) return;
    await this.configuredOrTimeout();
    await this.startTarget(response, () => checkLaunchValues(args as Record<string, unknown>) ?? DebugTarget.launch({
      program: args.program, module: args.module, args: args.args, cwd: args.cwd, env: args.env, python: args.python,
      stopOnEntry: args.stopOnEntry, blockingThresholdMs: args.blockingThresholdMs, stepEvents: traceOn(args.trace),
      pauseOn: this.pendingFilters,
      settingNames: { python: typeof args.pythonSource === 'string' ? args.pythonSource : '"python" in launch.json', program: '"program" in launch.json' },
      stdio: args.console === 'integratedTerminal' && this.supportsRunInTerminal ? 'terminal' : 'pipe',
      runInTerminal: (cmd) => this.runInTerminal(cmd.command, cmd.args, cmd.cwd, cmd.extraEnv, args.program ?? args.module ?? 'Python'),
    }, { recordTrace: traceOn(args.trace) }), args.justMyCode);
  }

  protected override async attachRequest(response: DebugProtocol.AttachResponse, args: AttachRequestArgs): Promise<void> {
    if (this.refuseSecondStart(response)) return;
    await this.configuredOrTimeout();
    await this.startTarget(response, () => DebugTarget.attach({
      host: args.host, port: args.port, token: args.token, tokenFile: args.tokenFile, stepEvents: traceOn(args.trace),
      pauseOn: this.pendingFilters,
    }, { recordTrace: traceOn(args.trace) }), args.justMyCode);
  }

  protected override threadsRequest(response: DebugProtocol.ThreadsResponse): void {
    const threads = this.inspector ? this.inspector.threads(this.stoppedFocus) : [];
    threads.push(...this.lines.extraThreads(new Set(threads.map((t) => t.id))));
    response.body = { threads: threads.map((t) => new Thread(t.id, t.name)) };
    this.sendResponse(response);
  }

  protected override async stackTraceRequest(response: DebugProtocol.StackTraceResponse, args: DebugProtocol.StackTraceArguments): Promise<void> {
    await this.answer(response, async () => {
      const frames = await this.need(this.inspector).stackTrace(args.threadId);
      const start = args.startFrame ?? 0;
      const slice = frames.slice(start, args.levels ? start + args.levels : undefined);
      return {
        totalFrames: frames.length,
        stackFrames: slice.map((f) => {
          const sf: DebugProtocol.StackFrame = new StackFrame(f.id, f.name, f.file ? new Source(path.basename(f.file), f.file) : undefined, f.line, 1);
          if (f.hint !== 'normal') sf.presentationHint = f.hint;
          return sf;
        }),
      };
    });
  }

  protected override scopesRequest(response: DebugProtocol.ScopesResponse, args: DebugProtocol.ScopesArguments): void {
    void this.answer(response, () => Promise.resolve({
      scopes: this.need(this.inspector).scopes(args.frameId).map((s) => {
        const scope: DebugProtocol.Scope = new Scope(s.name, s.ref, false);
        if (s.hint) scope.presentationHint = s.hint;
        return scope;
      }),
    }));
  }

  protected override async variablesRequest(response: DebugProtocol.VariablesResponse, args: DebugProtocol.VariablesArguments): Promise<void> {
    await this.answer(response, async () => ({
      variables: (await this.need(this.inspector).variables(args.variablesReference)).map((v) => ({
        name: v.name, value: v.value, type: v.type, variablesReference: v.ref,
      })),
    }));
  }

  protected override async evaluateRequest(response: DebugProtocol.EvaluateResponse, args: DebugProtocol.EvaluateArguments): Promise<void> {
    await this.answer(response, async () => {
      const context = args.context === 'watch' || args.context === 'repl' || args.context === 'hover' ? args.context : undefined;
      const v = await this.need(this.inspector).evaluate(args.expression, args.frameId, context);
      const ticks = v.ticks !== undefined ? `   (awaited on the held loop in ${v.ticks} tick${v.ticks === 1 ? '' : 's'})` : '';
      return { result: v.value + ticks, type: v.type, variablesReference: v.ref };
    });
  }

  protected override async pauseRequest(response: DebugProtocol.PauseResponse, args: DebugProtocol.PauseArguments): Promise<void> {
    // A busy loop stops inside its step at the executing line; an idle one at its tick boundary.
    await this.answer(response, async () => { await this.need(this.stepper).pause(this.loopOf(args?.threadId), this.lineDebugging); });
  }

  protected override async nextRequest(response: DebugProtocol.NextResponse, args: DebugProtocol.NextArguments): Promise<void> {
    await this.answer(response, () => this.lineStep(args.threadId, 'next'));
  }

  protected override async stepInRequest(response: DebugProtocol.StepInResponse, args: DebugProtocol.StepInArguments): Promise<void> {
    await this.answer(response, () => this.lineStep(args.threadId, 'stepIn'));
  }

  protected override async stepOutRequest(response: DebugProtocol.StepOutResponse, args: DebugProtocol.StepOutArguments): Promise<void> {
    await this.answer(response, () => this.lineStep(args.threadId, 'stepOut'));
  }

  protected override async continueRequest(response: DebugProtocol.ContinueResponse, _args: DebugProtocol.ContinueArguments): Promise<void> {
    const releaseLoops = this.tickStopShown || !this.lines.active;
    this.resumed();
    await this.answer(response, async () => {
      // Loops held only because a line stop froze the picture are released by the runtime itself.
      if (this.lines.active) await this.lines.resumeAll();
      if (releaseLoops) await this.need(this.stepper).continue();
      return { allThreadsContinued: true };
    });
  }

  protected override exceptionInfoRequest(response: DebugProtocol.ExceptionInfoResponse, args: DebugProtocol.ExceptionInfoArguments): void {
    const line = this.lines.stopOn(args.threadId);
    const lineInfo = line ? lineExceptionInfo(line, /uncaught/.test(line.description)) : null;
    if (lineInfo) {
      response.body = lineInfo;
      this.sendResponse(response);
      return;
    }
    const exc = this.stepper?.current?.exception;
    if (!exc) {
      this.fail(response, 4001, 'not stopped at an exception');
      return;
    }
    response.body = {
      exceptionId: exc.exceptionType, description: exc.description, breakMode: 'always',
      details: { message: exc.details, typeName: exc.exceptionType, stackTrace: exc.location ? `  at ${formatLocation(exc.location)}` : undefined },
    };
    this.sendResponse(response);
  }

  protected override async disconnectRequest(response: DebugProtocol.DisconnectResponse, args: DebugProtocol.DisconnectArguments): Promise<void> {
    const t = this.target;
    if (t) {
      // Launched programs end with the session unless told otherwise; attached ones only on request.
      if (args?.terminateDebuggee ?? !t.attached) await t.terminate(true);
      else t.detach();
    }
    this.sendResponse(response);
  }

  protected override async terminateRequest(response: DebugProtocol.TerminateResponse): Promise<void> {
    await this.target?.terminate();
    this.sendResponse(response);
  }

  protected override async customRequest(command: string, response: DebugProtocol.Response, args: Record<string, unknown> | undefined): Promise<void> {
    if (!isCustomRequest(command)) { // dispatchRequest refuses these already
      this.fail(response, 1014, `Loopscope does not support the request '${command}'`);
      return;
    }
    await this.answer(response, () => this.custom(command, args ?? {}));
  }

  // -------------------------------------------------------------------------------------------

  private async custom(command: CustomRequestName, args: Record<string, unknown>): Promise<unknown> {
    const target = this.need(this.target);
    return customRequest({
      target, stepper: this.need(this.stepper), lines: this.lines,
      resumed: () => this.resumed(),
      loopOf: (threadId) => this.loopOf(threadId),
      allContinued: () => this.sendEvent(new ContinuedEvent(threadOfLoop([...target.model.loops.keys()][0] ?? 0), true)),
      focusTask: (taskId) => this.focusTask(taskId),
    }, command, args);
  }

  private async startTarget(response: DebugProtocol.Response, make: () => Promise<DebugTarget>, justMyCode: boolean | undefined): Promise<void> {
    this.justMyCode = justMyCode ?? true;
    let target: DebugTarget;
    try {
      target = await make();
    } catch (err) {
      const e = err as Error;
      // Configuration problems are the user's to fix; show them as such, not as a crash.
      this.fail(response, e instanceof LaunchError ? 3001 : 3002, e.message, true);
      return;
    }
    this.target = target;
    this.stepper = new Stepper(target, target.model);
    this.stepper.setFilters(this.pendingFilters);
    this.inspector = new Inspector(target, target.model);
    this.inspector.justMyCode = this.justMyCode;
    this.inspector.lineStopOf = (threadId) => this.lines.stopOn(threadId);
    this.lines.model = target.model;
    this.updates.model = target.model;
    this.lines.justMyCode = this.justMyCode;
    target.onOutput.on((o) => this.sendEvent(new OutputEvent(o.text, o.category)));
    target.onNotice.on((text) => this.sendEvent(new OutputEvent(`Loopscope: ${text}\n`, 'important')));
    target.onEvents.on((events) => this.onEvents(events));
    target.onExit.on((info) => this.onExit(info));
    this.sendResponse(response);
    if (target.connected) {
      this.updates.schedule();
      await this.configureRuntime(target);
    }
    if (target.exit) this.onExit(target.exit);
  }

  /** Breakpoints set before the program existed go to the runtime, which then runs the program. */
  private async configureRuntime(target: DebugTarget): Promise<void> {
    let changed: BreakpointState[];
    try {
      changed = await this.lines.connect(target, this.lineDebugging);
    } catch (err) {
      this.notice(`could not set the breakpoints: ${(err as Error).message}`);
      target.request('configurationDone', {}).catch(() => undefined);
      return;
    }
    for (const b of changed) this.sendEvent(new BreakpointEvent('changed', dapBreakpoint(b)));
  }

  /** The first launch or attach goes ahead; any later one would start a second program in this session. */
  private refuseSecondStart(response: DebugProtocol.Response): boolean {
    if (!this.started) {
      this.started = true;
      return false;
    }
    this.fail(response, 3003, 'This debug session has already started its program; start a new session to debug another.', true);
    return true;
  }

  private get lineDebugging(): boolean {
    return this.target?.connection?.hello.capabilities.lineDebugging === true;
  }

  private notice(text: string): void {
    this.sendEvent(new OutputEvent(`Loopscope: ${text}\n`, 'important'));
  }

  /** F10/F11/Shift+F11: a line step from a line stop, or from a tick-boundary hold. */
  private async lineStep(threadId: number, action: 'next' | 'stepIn' | 'stepOut'): Promise<void> {
    const stop = this.lines.stopOn(threadId);
    this.resumed();
    if (stop) return this.lines.resume(stop, action);
    const task = this.need(this.inspector).taskOfThread(threadId);
    // At a tick boundary the task sits at an await: Step Out and Step Over both mean "its next line".
    await this.lines.lineStep(task !== null ? { task } : { loop: this.loopOf(threadId) }, action === 'stepIn' ? 'stepIn' : 'next');
  }

  private onEvents(events: readonly WireEvent[]): void {
    const stepper = this.need(this.stepper);
    for (const ev of events) {
      const e = ev as KnownEvent;
      if (e.kind === 'finding') {
        this.sendEvent(new OutputEvent(`Loopscope: ${e.findingKind} at ${formatLocation(e.location)}: ${e.message}\n`, 'console'));
      }
    }
    const line = this.lines.handle(events);
    for (const o of line.output) this.sendEvent(logpointOutput(o));
    for (const s of line.ended) this.sendEvent(new ContinuedEvent(s.threadId, false));
    for (const s of line.stops) void this.reportLineStop(s);
    for (const stop of stepper.handle(events)) {
      // Other loops hold at their tick boundary while a thread is line-stopped: part of that stop, not news.
      if (stop.reason === 'pause' && this.lines.active) continue;
      this.reportStop(stop);
    }
    this.updates.schedule();
  }

  /**
   * Task states reach the adapter in batches that lag behind a stop inside a step; the stop's picture
   * (thread names, Async Tasks view, who awaits the stopped task) is read fresh from the runtime first.
   */
  private async reportLineStop(stop: LineStop): Promise<void> {
    const target = this.need(this.target);
    try {
      target.model.applySnapshot(await target.request('snapshot', {}, 2000));
    } catch {
      // The batched picture is still shown; the stop itself matters more.
    }
    if (this.lines.stopOn(stop.threadId) !== stop) return; // ended while we asked
    this.inspector?.reset();
    this.updates.flush();
    this.sendEvent(lineStoppedEvent(stop));
  }

  /**
   * The Timeline's click on a task while stopped: VS Code selects a thread only for a stopped event, so the
   * task's thread gets one again (a line stop's own, or the tick stop's reason) without preserveFocusHint.
   */
  private focusTask(taskId: number): boolean {
    const thread = threadOfTask(taskId);
    const line = this.lines.stopOn(thread);
    if (line) {
      this.sendEvent(lineStoppedEvent(line));
      return true;
    }
    const stop = this.tickStop;
    const task = this.target?.model.tasks.get(taskId);
    if (!stop || !task || isFinished(task)) return false;
    const ev: DebugProtocol.StoppedEvent = new StoppedEvent(stop.reason, thread);
    ev.body.description = stop.description;
    ev.body.allThreadsStopped = false; // the others keep their own stopped state and reason
    this.sendEvent(ev);
    return true;
  }

  private reportStop(stop: Stop): void {
    this.inspector?.reset();
    this.tickStopShown = true;
    this.tickStop = stop;
    this.stoppedFocus = stop.focusTask;
    const loopThread = threadOfLoop(stop.loop);
    const threadId = stop.focusTask !== null ? threadOfTask(stop.focusTask) : loopThread;
    const exc = stop.exception;
    if (this.inspector && exc?.location && (STOP_FRAME_FILTERS.has(exc.filter) || stop.focusTask === null)) {
      this.inspector.stopFrame = { thread: threadId, name: `⚠ ${exc.description}`, file: exc.location.file, line: exc.location.line };
    }
    const ev: DebugProtocol.StoppedEvent = new StoppedEvent(stop.reason, threadId, exc?.details);
    ev.body.description = stop.description;
    ev.body.allThreadsStopped = true;
    this.updates.flush(); // the tree should show the state the stop describes
    // One stop, one event: clients pair a `stopped` with each step. The loop thread, when the stop is
    // about a task, says what the stop did in its name (Inspector.threads); its old reason ("entry")
    // was cleared by the `continued` event every resuming request sends (customRequests).
    this.sendEvent(ev);
  }

  private resumed(): void {
    this.inspector?.reset();
    this.tickStop = null;
    this.stoppedFocus = null;
    this.tickStopShown = false;
  }

  private onExit(info: ExitInfo): void {
    if (this.ended) return;
    this.ended = true;
    this.updates.flush();
    if (info.error) this.sendEvent(new OutputEvent(`Loopscope: ${info.error}\n`, 'important'));
    const code = info.code ?? (info.signal ? 128 + signalNumber(info.signal) : null);
    if (code !== null) this.sendEvent(new ExitedEvent(code));
    this.sendEvent(new TerminatedEvent());
  }

  private loopOf(threadId: number | undefined): number | undefined {
    return threadId !== undefined ? this.inspector?.loopOfThread(threadId) : undefined;
  }

  private async configuredOrTimeout(): Promise<void> {
    // Clients that never send configurationDone (some test harnesses) must not hang the launch.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.configured.opened, new Promise<void>((r) => { timer = setTimeout(r, 2000); })]);
    clearTimeout(timer);
  }

  private runInTerminal(command: string, args: string[], cwd: string, env: Record<string, string | null>, title: string): Promise<number | undefined> {
    return new Promise((resolve, reject) => {
      this.runInTerminalRequest({ kind: 'integrated', title: `Loopscope: ${title}`, cwd, args: [command, ...args], env }, 15_000, (resp) => {
        if (resp.success) resolve((resp).body.processId);
        else reject(new Error(resp.message ?? 'runInTerminal failed'));
      });
    });
  }

  private need<T>(v: T | null): T {
    if (v === null) throw new Error('the program has not been started yet');
    return v;
  }

  /** Runs `work`, answering with its result as the body, or with its error message. */
  private async answer(response: DebugProtocol.Response, work: () => Promise<unknown>): Promise<void> {
    try {
      const body = await work();
      if (body !== undefined) response.body = body;
      this.sendResponse(response);
    } catch (err) {
      this.fail(response, 2001, err instanceof Error ? err.message : String(err));
    }
  }

  /** An error answer whose message reaches the client as written (`variables` keeps the library from expanding `{…}` in it). */
  private fail(response: DebugProtocol.Response, id: number, message: string, showUser = false): void {
    this.sendErrorResponse(response, { id, format: message, variables: {}, showUser });
  }
}

/**
 * Debug sessions record task steps and ticks unless `trace: false`: a user pressing Export Trace
 * expects slices, and a session being debugged is not where the per-step cost (~7-13 µs, see the
 * `trace` attribute in package.json) matters. The headless CLI keeps it opt-in (`--trace`).
 */
function traceOn(trace: boolean | undefined): boolean {
  return trace !== false;
}

/** Copies only the fields that are set (the wire rejects explicit undefined/null for optional fields). */
function optional<T extends Record<string, string | undefined>>(o: T): Partial<Record<keyof T, string>> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== '')) as Partial<Record<keyof T, string>>;
}

function signalNumber(sig: NodeJS.Signals): number {
  return os.constants.signals[sig] ?? 0;
}
