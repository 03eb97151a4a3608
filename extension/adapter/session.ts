// The DAP face of Loopscope: a LoggingDebugSession whose handlers translate requests into calls on
// the domain objects (DebugTarget, Stepper, Inspector, TaskModel) and their results back into DAP
// responses and events. No asyncio knowledge lives here.

import {
  ContinuedEvent, Event, ExitedEvent, InitializedEvent, LoggingDebugSession, OutputEvent, Scope, Source,
  StackFrame, StoppedEvent, TerminatedEvent, Thread,
} from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  UPDATE_EVENT, type AttachArguments, type CustomRequestName, type LaunchArguments,
} from '../protocol/customDap';
import type { WireEvent, KnownEvent } from '../protocol/wire';
import { buildTrace } from '../model/trace';
import { formatLocation } from '../model/report';
import { DebugTarget, type ExitInfo } from './target';
import { EXCEPTION_FILTERS, Stepper, type Stop } from './stepper';
import { Inspector, threadOfLoop, threadOfTask } from './inspector';
import { LaunchError } from './launcher';

const UPDATE_INTERVAL_MS = 50;
/** Stops whose location is not where the focused task is suspended now (it ran on after it). */
const STOP_FRAME_FILTERS: ReadonlySet<string> = new Set(['blocking-call', 'never-awaited']);

type LaunchRequestArgs = DebugProtocol.LaunchRequestArguments & LaunchArguments;
type AttachRequestArgs = DebugProtocol.AttachRequestArguments & AttachArguments & { trace?: boolean };

/** Resolves once; lets launch/attach wait for configurationDone without a flag-and-poll loop. */
class Gate {
  readonly opened: Promise<void>;
  open!: () => void;
  constructor() {
    this.opened = new Promise((r) => { this.open = r; });
  }
}

export class LoopscopeSession extends LoggingDebugSession {
  private target: DebugTarget | null = null;
  private stepper: Stepper | null = null;
  private inspector: Inspector | null = null;
  private readonly configured = new Gate();
  private pendingFilters: string[] = EXCEPTION_FILTERS.filter((f) => f.default).map((f) => f.filter);
  private justMyCode = true;
  private updateTimer: NodeJS.Timeout | null = null;
  private lastUpdate = 0;
  private stoppedFocus: number | null = null;
  private supportsRunInTerminal = false;
  private ended = false;

  constructor() {
    super();
    this.setDebuggerLinesStartAt1(true);
    this.setDebuggerColumnsStartAt1(true);
  }

  protected override initializeRequest(response: DebugProtocol.InitializeResponse, args: DebugProtocol.InitializeRequestArguments): void {
    this.supportsRunInTerminal = args.supportsRunInTerminalRequest === true;
    response.body = {
      supportsConfigurationDoneRequest: true,
      supportsTerminateRequest: true,
      supportsExceptionInfoRequest: true,
      supportsEvaluateForHovers: true,
      supportsDelayedStackTraceLoading: false,
      supportsSingleThreadExecutionRequests: false,
      supportTerminateDebuggee: true,
      exceptionBreakpointFilters: EXCEPTION_FILTERS.map((f) => ({ filter: f.filter, label: f.label, description: f.description, default: f.default })),
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
    this.sendResponse(response);
  }

  protected override async launchRequest(response: DebugProtocol.LaunchResponse, args: LaunchRequestArgs): Promise<void> {
    await this.configuredOrTimeout();
    await this.startTarget(response, () => DebugTarget.launch({
      program: args.program, module: args.module, args: args.args, cwd: args.cwd, env: args.env, python: args.python,
      stopOnEntry: args.stopOnEntry, blockingThresholdMs: args.blockingThresholdMs, stepEvents: traceOn(args.trace),
      pauseOn: this.pendingFilters,
      stdio: args.console === 'integratedTerminal' && this.supportsRunInTerminal ? 'terminal' : 'pipe',
      runInTerminal: (cmd) => this.runInTerminal(cmd.command, cmd.args, cmd.cwd, cmd.extraEnv, args.program ?? args.module ?? 'Python'),
    }, { recordTrace: traceOn(args.trace) }), args.justMyCode);
  }

  protected override async attachRequest(response: DebugProtocol.AttachResponse, args: AttachRequestArgs): Promise<void> {
    await this.configuredOrTimeout();
    await this.startTarget(response, () => DebugTarget.attach({
      host: args.host, port: args.port, token: args.token, tokenFile: args.tokenFile, stepEvents: traceOn(args.trace),
      pauseOn: this.pendingFilters,
    }, { recordTrace: traceOn(args.trace) }), args.justMyCode);
  }

  protected override threadsRequest(response: DebugProtocol.ThreadsResponse): void {
    const threads = this.inspector ? this.inspector.threads(this.stoppedFocus) : [];
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
    void this.answer(response, async () => ({
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
      const v = await this.need(this.inspector).evaluate(args.expression, args.frameId);
      return { result: v.value, type: v.type, variablesReference: v.ref };
    });
  }

  protected override async pauseRequest(response: DebugProtocol.PauseResponse, args: DebugProtocol.PauseArguments): Promise<void> {
    await this.answer(response, async () => { await this.need(this.stepper).pause(this.loopOf(args?.threadId)); });
  }

  protected override async nextRequest(response: DebugProtocol.NextResponse, args: DebugProtocol.NextArguments): Promise<void> {
    this.resumed();
    await this.answer(response, async () => { await this.need(this.stepper).stepTick(this.loopOf(args?.threadId)); });
  }

  protected override async stepInRequest(response: DebugProtocol.StepInResponse, args: DebugProtocol.StepInArguments): Promise<void> {
    this.resumed();
    await this.answer(response, async () => { await this.need(this.stepper).stepCallback(this.loopOf(args?.threadId)); });
  }

  /** stepOut on a task thread: run until that task takes its next step (on a loop thread: one tick). */
  protected override async stepOutRequest(response: DebugProtocol.StepOutResponse, args: DebugProtocol.StepOutArguments): Promise<void> {
    this.resumed();
    const task = this.need(this.inspector).taskOfThread(args.threadId);
    await this.answer(response, async () => {
      const stepper = this.need(this.stepper);
      if (task !== null) await stepper.runUntilTaskSteps(task);
      else await stepper.stepTick(this.loopOf(args.threadId));
    });
  }

  protected override async continueRequest(response: DebugProtocol.ContinueResponse, _args: DebugProtocol.ContinueArguments): Promise<void> {
    this.resumed();
    await this.answer(response, async () => {
      await this.need(this.stepper).continue();
      return { allThreadsContinued: true };
    });
  }

  protected override exceptionInfoRequest(response: DebugProtocol.ExceptionInfoResponse, _args: DebugProtocol.ExceptionInfoArguments): void {
    const exc = this.stepper?.current?.exception;
    if (!exc) {
      this.sendErrorResponse(response, 4001, 'not stopped at an exception');
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
    await this.answer(response, () => this.custom(command as CustomRequestName, args ?? {}));
  }

  // -------------------------------------------------------------------------------------------

  private async custom(command: CustomRequestName, args: Record<string, unknown>): Promise<unknown> {
    const target = this.need(this.target);
    const stepper = this.need(this.stepper);
    const taskId = (): number => {
      if (typeof args.taskId !== 'number') throw new Error(`${command} needs a numeric "taskId"`);
      return args.taskId;
    };
    switch (command) {
      case 'loopscope/snapshot': return target.model.snapshot();
      case 'loopscope/cancelTask': return target.request('cancelTask', { task: taskId() });
      case 'loopscope/runUntilTaskSteps': this.resumed(); await stepper.runUntilTaskSteps(taskId()); return {};
      case 'loopscope/stepTick': this.resumed(); await stepper.stepTick(); return {};
      case 'loopscope/stepCallback': this.resumed(); await stepper.stepCallback(); return {};
      case 'loopscope/pauseLoop': await stepper.pause(); return {};
      case 'loopscope/continueLoop':
        this.resumed();
        await stepper.continue();
        this.sendEvent(new ContinuedEvent(threadOfLoop([...target.model.loops.keys()][0] ?? 0), true));
        return {};
      case 'loopscope/exportTrace': {
        const trace = buildTrace(target.model);
        if (typeof args.path === 'string') {
          writeFileSync(args.path, JSON.stringify(trace));
          return { path: args.path };
        }
        return { trace };
      }
      case 'loopscope/awaitChain': return target.request('awaitChain', { task: taskId() });
      default: throw new Error(`unknown request ${command as string}`);
    }
  }

  private async startTarget(response: DebugProtocol.Response, make: () => Promise<DebugTarget>, justMyCode: boolean | undefined): Promise<void> {
    this.justMyCode = justMyCode ?? true;
    let target: DebugTarget;
    try {
      target = await make();
    } catch (err) {
      const e = err as Error;
      // Configuration problems are the user's to fix; show them as such, not as a crash.
      this.sendErrorResponse(response, { id: e instanceof LaunchError ? 3001 : 3002, format: e.message, showUser: true });
      return;
    }
    this.target = target;
    this.stepper = new Stepper(target, target.model);
    this.stepper.setFilters(this.pendingFilters);
    this.inspector = new Inspector(target, target.model);
    this.inspector.justMyCode = this.justMyCode;
    target.onOutput.on((o) => this.sendEvent(new OutputEvent(o.text, o.category)));
    target.onNotice.on((text) => this.sendEvent(new OutputEvent(`Loopscope: ${text}\n`, 'important')));
    target.onEvents.on((events) => this.onEvents(events));
    target.onExit.on((info) => this.onExit(info));
    this.sendResponse(response);
    if (target.connected) this.scheduleUpdate();
    if (target.exit) this.onExit(target.exit);
  }

  private onEvents(events: readonly WireEvent[]): void {
    const stepper = this.need(this.stepper);
    for (const ev of events) {
      const e = ev as KnownEvent;
      if (e.kind === 'finding') {
        this.sendEvent(new OutputEvent(`Loopscope: ${e.findingKind} at ${formatLocation(e.location)}: ${e.message}\n`, 'console'));
      }
    }
    for (const stop of stepper.handle(events)) this.reportStop(stop);
    this.scheduleUpdate();
  }

  private reportStop(stop: Stop): void {
    this.inspector?.reset();
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
    this.flushUpdate(); // the tree should show the state the stop describes
    this.sendEvent(ev);
    if (threadId !== loopThread) {
      // With allThreadsStopped VS Code keeps only the old *reason* of every other thread, so the loop
      // thread would say "Paused on entry" forever; give it this stop's own reason and description.
      const loopEv: DebugProtocol.StoppedEvent = new StoppedEvent(stop.reason, loopThread, exc?.details);
      loopEv.body.description = stop.description;
      loopEv.body.allThreadsStopped = false;
      loopEv.body.preserveFocusHint = true;
      this.sendEvent(loopEv);
    }
  }

  private resumed(): void {
    this.inspector?.reset();
    this.stoppedFocus = null;
  }

  private onExit(info: ExitInfo): void {
    if (this.ended) return;
    this.ended = true;
    this.flushUpdate();
    if (info.error) this.sendEvent(new OutputEvent(`Loopscope: ${info.error}\n`, 'important'));
    const code = info.code ?? (info.signal ? 128 + signalNumber(info.signal) : null);
    if (code !== null) this.sendEvent(new ExitedEvent(code));
    this.sendEvent(new TerminatedEvent());
  }

  private scheduleUpdate(): void {
    if (this.updateTimer) return;
    const wait = Math.max(0, this.lastUpdate + UPDATE_INTERVAL_MS - Date.now());
    this.updateTimer = setTimeout(() => {
      this.updateTimer = null;
      this.flushUpdate();
    }, wait);
  }

  private flushUpdate(): void {
    if (this.updateTimer) {
      clearTimeout(this.updateTimer);
      this.updateTimer = null;
    }
    const body = this.target?.model.takeChanges();
    if (!body) return;
    this.lastUpdate = Date.now();
    this.sendEvent(new Event(UPDATE_EVENT, body));
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
        if (resp.success) resolve((resp as DebugProtocol.RunInTerminalResponse).body.processId);
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
      this.sendErrorResponse(response, { id: 2001, format: (err as Error).message.replace(/[{}]/g, ''), showUser: false });
    }
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

function signalNumber(sig: NodeJS.Signals): number {
  return os.constants.signals[sig] ?? 0;
}
