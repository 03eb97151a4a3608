// Tracks running Loopscope debug sessions and their task mirrors: routes `loopscope/update`
// events into the right mirror, decides which session the views show (the focused one, else the
// most recent), maintains the `loopscope.sessionActive` / `loopscope.paused` context keys, and
// sends the custom requests of docs/protocol.md §2 with typed arguments and answers.

import * as vscode from 'vscode';
import {
  type CustomRequestName, type CustomRequests, UPDATE_EVENT, type UpdateEventBody,
} from '../protocol/customDap';
import { type MirrorChange, TaskMirror } from '../views/taskMirror';
import { DEBUG_TYPE } from './launchConfig';

export class LoopscopeSession {
  readonly mirror = new TaskMirror();
  constructor(readonly session: vscode.DebugSession) {}

  get id(): string { return this.session.id; }
  get blockingThresholdMs(): number | undefined {
    const v = this.session.configuration.blockingThresholdMs;
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
  private readonly disposables: vscode.Disposable[] = [];

  private readonly startEmitter = new vscode.EventEmitter<LoopscopeSession>();
  private readonly currentEmitter = new vscode.EventEmitter<LoopscopeSession | undefined>();
  private readonly updateEmitter = new vscode.EventEmitter<SessionUpdate>();
  /** A Loopscope session started (fires before its first update). */
  readonly onDidStart = this.startEmitter.event;
  /** The session shown by the views changed (undefined: none left). */
  readonly onDidChangeCurrent = this.currentEmitter.event;
  /** A mirror changed; `session` may or may not be the current one. */
  readonly onDidUpdate = this.updateEmitter.event;

  constructor() {
    this.disposables.push(
      this.startEmitter, this.currentEmitter, this.updateEmitter,
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

  /** The current session, or a clear error for commands that need one. */
  require(): LoopscopeSession {
    if (!this.currentSession) throw new Error('No Loopscope session is running. Start one with "Loopscope: Debug Current File" (or F5).');
    return this.currentSession;
  }

  private track(s: vscode.DebugSession): LoopscopeSession {
    let tracked = this.sessions.get(s.id);
    if (!tracked) {
      tracked = new LoopscopeSession(s);
      this.sessions.set(s.id, tracked);
      this.startEmitter.fire(tracked);
      this.setCurrent(tracked);
    }
    return tracked;
  }

  private untrack(s: vscode.DebugSession): void {
    if (!this.sessions.delete(s.id)) return;
    if (this.currentSession?.id === s.id) {
      const rest = [...this.sessions.values()];
      this.setCurrent(rest[rest.length - 1]);
    }
    void this.updateContext();
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

  private async updateContext(): Promise<void> {
    const paused = this.currentSession?.mirror.status?.paused ?? false;
    const active = this.sessions.size > 0;
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
