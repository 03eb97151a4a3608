// Tracks running Loopscope debug sessions and their task mirrors: routes `loopscope/update`
// events into the right mirror, decides which session the views show (the focused one, else the
// most recent), maintains the `loopscope.sessionActive` / `loopscope.paused` context keys, and
// sends the custom requests of docs/protocol.md §2 with typed arguments and answers. A session
// that ended stays current (its final picture) until another starts or the user clears it.

import * as vscode from 'vscode';
import {
  type CustomRequestName, type CustomRequests, UPDATE_EVENT, type UpdateEventBody,
} from '../protocol/customDap';
import { type MirrorChange, TaskMirror } from '../views/taskMirror';
import { DEBUG_TYPE } from './launchConfig';

export class LoopscopeSession {
  readonly mirror = new TaskMirror();
  readonly startedAt = Date.now();
  endedAt: number | null = null;
  /** From the adapter's `exited` event; null when the program's exit code is unknown. */
  exitCode: number | null = null;
  /** The Chrome trace taken the moment the program exited (the adapter is gone soon after), if wanted. */
  finalTrace: Promise<unknown> | undefined;
  constructor(readonly session: vscode.DebugSession) {}

  get ended(): boolean { return this.endedAt !== null; }

  get id(): string { return this.session.id; }
  get blockingThresholdMs(): number | undefined {
    const v: unknown = this.session.configuration.blockingThresholdMs;
    return typeof v === 'number' ? v : undefined;
  }

  async request<K extends CustomRequestName>(command: K, args: CustomRequests[K][0]): Promise<CustomRequests[K][1]> {
    return (await this.session.customRequest(command, args)) as CustomRequests[K][1];
  }
}

export interface SessionUpdate { session: LoopscopeSession; change: MirrorChange }

export class LoopscopeSessions implements vscode.Disposable {
  private readonly sessions = new Map<string, LoopscopeSession>();
  private currentSession: LoopscopeSession | undefined;
  private pausedKey: boolean | undefined;
  private activeKey: boolean | undefined;
  private showingEndedKey: boolean | undefined;
  private readonly earlyExits = new Map<string, { code: number | null; trace: Promise<unknown> | undefined }>();
  /** Set by the Timeline: whether to take a session's trace when its program exits. */
  finalTraceWanted: (session: LoopscopeSession | undefined) => boolean = () => false;
  private readonly disposables: vscode.Disposable[] = [];

  private readonly startEmitter = new vscode.EventEmitter<LoopscopeSession>();
  private readonly currentEmitter = new vscode.EventEmitter<LoopscopeSession | undefined>();
  private readonly updateEmitter = new vscode.EventEmitter<SessionUpdate>();
  private readonly exitEmitter = new vscode.EventEmitter<LoopscopeSession>();
  private readonly endEmitter = new vscode.EventEmitter<LoopscopeSession>();
  /** The program exited; the adapter still answers requests until the session terminates. */
  readonly onDidExit = this.exitEmitter.event;
  /** A session ended (it may stay current, showing its final picture). */
  readonly onDidEnd = this.endEmitter.event;
  /** A Loopscope session started (fires before its first update). */
  readonly onDidStart = this.startEmitter.event;
  /** The session shown by the views changed (undefined: none left). */
  readonly onDidChangeCurrent = this.currentEmitter.event;
  /** A mirror changed; `session` may or may not be the current one. */
  readonly onDidUpdate = this.updateEmitter.event;

  constructor() {
    this.disposables.push(
      this.startEmitter, this.currentEmitter, this.updateEmitter, this.exitEmitter, this.endEmitter,
      vscode.debug.registerDebugAdapterTrackerFactory(DEBUG_TYPE, {
        createDebugAdapterTracker: (s) => ({ onDidSendMessage: (m: unknown) => this.onAdapterMessage(s, m) }),
      }),
      vscode.debug.onDidStartDebugSession((s) => { if (s.type === DEBUG_TYPE) this.track(s); }),
      vscode.debug.onDidTerminateDebugSession((s) => this.untrack(s)),
      vscode.debug.onDidChangeActiveDebugSession((s) => {
        const tracked = s && this.sessions.get(s.id);
        if (tracked) this.setCurrent(tracked);
      }),
      vscode.debug.onDidReceiveDebugSessionCustomEvent((e) => {
        if (e.event !== UPDATE_EVENT || e.session.type !== DEBUG_TYPE) return;
        this.onUpdate(this.track(e.session), e.body as UpdateEventBody);
      }),
    );
    const active = vscode.debug.activeDebugSession;
    if (active?.type === DEBUG_TYPE) this.track(active);
    void this.updateContext();
  }

  get current(): LoopscopeSession | undefined { return this.currentSession; }

  /** The current running session, or a clear error for commands that need one. */
  require(): LoopscopeSession {
    if (!this.currentSession || this.currentSession.ended) {
      throw new Error('No Loopscope session is running. Start one with "Loopscope: Debug Current File" (or F5).');
    }
    return this.currentSession;
  }

  /** Forgets an ended session's final picture (the "Clear" action). */
  clearEnded(): void {
    if (this.currentSession?.ended) this.setCurrent(undefined);
  }

  private onAdapterMessage(s: vscode.DebugSession, m: unknown): void {
    const msg = m as { type?: string; event?: string; body?: { exitCode?: unknown } };
    if (msg.type !== 'event' || msg.event !== 'exited') return;
    const code = typeof msg.body?.exitCode === 'number' ? msg.body.exitCode : null;
    // Tracker messages and session events reach the extension host on different channels: for a
    // short program `exited` can come before the session is even tracked (seen in code-server), or
    // after it ended. Keep the code by session id until the session is there to take it.
    const tracked = this.sessions.get(s.id) ?? (this.currentSession?.id === s.id ? this.currentSession : undefined);
    // `exited` comes before `terminated`: the adapter still answers, so this is the last chance for the steps.
    const trace = this.finalTraceWanted(tracked)
      ? Promise.resolve(s.customRequest('loopscope/exportTrace', {})).then((b: { trace?: unknown }) => b.trace, () => undefined)
      : undefined;
    if (!tracked) {
      this.earlyExits.set(s.id, { code, trace });
      return;
    }
    tracked.exitCode = code;
    tracked.finalTrace = trace;
    if (tracked.ended) this.endEmitter.fire(tracked);
    else this.exitEmitter.fire(tracked);
  }

  private track(s: vscode.DebugSession): LoopscopeSession {
    let tracked = this.sessions.get(s.id);
    if (!tracked) {
      tracked = new LoopscopeSession(s);
      const early = this.earlyExits.get(s.id);
      if (early) { tracked.exitCode = early.code; tracked.finalTrace = early.trace; }
      this.earlyExits.delete(s.id);
      this.sessions.set(s.id, tracked);
      this.startEmitter.fire(tracked);
      this.setCurrent(tracked);
    }
    return tracked;
  }

  private untrack(s: vscode.DebugSession): void {
    const tracked = this.sessions.get(s.id);
    if (!tracked) return;
    this.sessions.delete(s.id);
    tracked.endedAt = Date.now();
    this.endEmitter.fire(tracked);
    const rest = [...this.sessions.values()];
    // The last session to end keeps the views until the next one starts or the user clears it.
    if (this.currentSession === tracked && rest.length > 0) this.setCurrent(rest[rest.length - 1]);
    void this.updateContext(true);
  }

  private setCurrent(session: LoopscopeSession | undefined): void {
    if (this.currentSession === session) return;
    this.currentSession = session;
    this.currentEmitter.fire(session);
    void this.updateContext();
  }

  private onUpdate(session: LoopscopeSession, body: UpdateEventBody): void {
    const change = session.mirror.apply(body);
    if (!change) return;
    this.updateEmitter.fire({ session, change });
    if (session === this.currentSession && change.statusChanged) void this.updateContext();
  }

  private async updateContext(force = false): Promise<void> {
    const paused = (!this.currentSession?.ended && this.currentSession?.mirror.status?.paused) ?? false;
    const active = this.sessions.size > 0;
    const showingEnded = !!this.currentSession?.ended;
    if (force || showingEnded !== this.showingEndedKey) {
      this.showingEndedKey = showingEnded;
      await vscode.commands.executeCommand('setContext', 'loopscope.showingEnded', showingEnded);
    }
    if (active !== this.activeKey) {
      this.activeKey = active;
      await vscode.commands.executeCommand('setContext', 'loopscope.sessionActive', active);
    }
    if (paused !== this.pausedKey) {
      this.pausedKey = paused;
      await vscode.commands.executeCommand('setContext', 'loopscope.paused', paused);
    }
  }

  dispose(): void {
    void vscode.commands.executeCommand('setContext', 'loopscope.sessionActive', false);
    for (const d of this.disposables) d.dispose();
  }
}
