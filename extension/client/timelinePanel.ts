// The Timeline panel: a webview that draws the current session's tasks over time. It follows the
// Async Tasks view's session and filter, pulls steps with `loopscope/exportTrace` while the program
// runs (at a pace that adapts to the trace's size), freezes on pause and stays after the session
// ends. Clicking a slice reveals the task in Async Tasks and opens where it was created.

import * as vscode from 'vscode';
import type { HostToWebview, TimelineSnapshot, TimelineStatus, WebviewToHost } from '../views/timelineData';
import { timelineHtml } from '../views/timelineHtml';
import { TimelineModel } from '../views/timelineModel';
import { sessionHeader } from '../views/sessionSummary';
import { FilterSyntaxError, parseTaskFilter } from '../views/taskFilter';
import { taskNodeId } from '../views/taskTree';
import type { LoopscopeSession, LoopscopeSessions } from './sessions';
import { endedFacts, type TaskTreeProvider } from './taskTreeProvider';

export const TIMELINE_PANEL_TYPE = 'loopscope.timeline';
const MIN_POLL_MS = 500;
const SNAPSHOT_THROTTLE_MS = 250;
const FINAL_TRACE_MAX_STEPS = 200_000;

function estimatedSteps(s: LoopscopeSession): number {
  let n = 0;
  for (const t of s.mirror.tasks.values()) n += t.steps;
  return n;
}

/** Serves the webview page and forwards its messages; shared by the live panel and the file editor. */
export function attachTimelineWebview(
  webview: vscode.Webview, extensionUri: vscode.Uri, title: string, onMessage: (msg: WebviewToHost) => void,
): vscode.Disposable {
  const dist = vscode.Uri.joinPath(extensionUri, 'dist');
  webview.options = { enableScripts: true, localResourceRoots: [dist] };
  const nonce = [...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, '0')).join('');
  webview.html = timelineHtml({
    scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(dist, 'timeline.js')).toString(),
    cspSource: webview.cspSource, nonce, title,
  });
  return webview.onDidReceiveMessage((m: WebviewToHost) => onMessage(m));
}

export class LiveTimeline implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private ready = false;
  private session: LoopscopeSession | undefined;
  private model = new TimelineModel();
  private pollTimer: NodeJS.Timeout | undefined;
  private snapshotTimer: NodeJS.Timeout | undefined;
  private fetching: Promise<void> | undefined;
  private lastPaused = false;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly sessions: LoopscopeSessions,
    private readonly tree: TaskTreeProvider,
    private readonly log: vscode.OutputChannel,
  ) {
    this.disposables.push(
      sessions.onDidStart(() => {
        if (vscode.workspace.getConfiguration('loopscope').get<boolean>('timeline.openOnSessionStart', false)) this.open(true);
      }),
      sessions.onDidChangeCurrent((s) => this.follow(s)),
      sessions.onDidUpdate(({ session, change }) => {
        if (session !== this.session) return;
        this.model.applyMirror(session.mirror, change);
        const paused = session.mirror.status?.paused ?? false;
        // The moment the loop holds, take the steps up to the hold and freeze there.
        if (paused && !this.lastPaused) void this.fetchTrace();
        this.lastPaused = paused;
        this.scheduleSnapshot();
      }),
      sessions.onDidExit((s) => { if (s === this.session) void this.fetchTrace(); }),
      sessions.onDidEnd((s) => { if (s === this.session) { this.stopPolling(); this.takeFinalTrace(s); } }),
      tree.onDidChangeFilter(() => this.scheduleSnapshot()),
    );
    // Without the panel open a small run's steps are still taken at exit, so opening the Timeline
    // afterwards shows them; a big one (its trace can be tens of MB) only when the panel is open.
    sessions.finalTraceWanted = (s) => !!this.panel || !s || estimatedSteps(s) <= FINAL_TRACE_MAX_STEPS;
    this.follow(sessions.current);
  }

  /** Opens (or shows) the panel beside the editor. */
  open(preserveFocus = false): void {
    if (this.panel) {
      this.panel.reveal(undefined, preserveFocus);
      return;
    }
    const panel = vscode.window.createWebviewPanel(
      TIMELINE_PANEL_TYPE, 'Loopscope Timeline', { viewColumn: vscode.ViewColumn.Beside, preserveFocus },
      { retainContextWhenHidden: true },
    );
    this.panel = panel;
    this.ready = false;
    const sub = attachTimelineWebview(panel.webview, this.extensionUri, 'Loopscope Timeline', (m) => this.onMessage(m));
    panel.onDidChangeViewState(() => { if (panel.visible) this.poll(); });
    panel.onDidDispose(() => {
      sub.dispose();
      this.panel = undefined;
      this.stopPolling();
    });
  }

  private follow(session: LoopscopeSession | undefined): void {
    if (session === this.session) return;
    this.session = session;
    this.model = new TimelineModel();
    this.lastPaused = false;
    this.stopPolling();
    if (session) this.model.applyMirror(session.mirror, null);
    if (session?.ended) this.takeFinalTrace(session);
    this.poll();
    this.scheduleSnapshot();
  }

  /** An ended session's steps come from the trace taken at its exit (when there was one). */
  private takeFinalTrace(session: LoopscopeSession): void {
    this.scheduleSnapshot();
    void session.finalTrace?.then((trace) => {
      if (trace === undefined || session !== this.session) return;
      this.model.ingestTrace(trace, 'the debug adapter');
      this.scheduleSnapshot();
    });
  }

  private poll(): void {
    if (this.pollTimer || !this.panel || !this.session || this.session.ended) return;
    const started = Date.now();
    const paused = this.session.mirror.status?.paused ?? false;
    void (paused ? Promise.resolve() : this.fetchTrace()).then(() => {
      // A big trace costs the adapter time to serialise; ask less often as it grows.
      const delay = Math.max(MIN_POLL_MS, 4 * (Date.now() - started));
      if (!this.panel || !this.session || this.session.ended) return;
      this.pollTimer = setTimeout(() => { this.pollTimer = undefined; this.poll(); }, delay);
    });
  }

  private stopPolling(): void {
    if (this.pollTimer) clearTimeout(this.pollTimer);
    this.pollTimer = undefined;
  }

  private fetchTrace(): Promise<void> {
    const session = this.session;
    if (!session || !this.panel) return Promise.resolve();
    this.fetching ??= session.request('loopscope/exportTrace', {})
      .then((body) => {
        if (session !== this.session || body.trace === undefined) return;
        this.model.ingestTrace(body.trace, 'the debug adapter');
        this.scheduleSnapshot();
      }, (e: unknown) => {
        // Expected once the adapter has gone; the timeline keeps what it had.
        if (!session.ended) this.log.appendLine(`Timeline: exportTrace failed: ${e instanceof Error ? e.message : String(e)}`);
      })
      .finally(() => { this.fetching = undefined; });
    return this.fetching;
  }

  private scheduleSnapshot(): void {
    if (this.snapshotTimer || !this.panel) return;
    this.snapshotTimer = setTimeout(() => { this.snapshotTimer = undefined; this.pushSnapshot(); }, SNAPSHOT_THROTTLE_MS);
  }

  private pushSnapshot(): void {
    if (!this.panel || !this.ready) return;
    const snapshot = this.buildSnapshot();
    this.panel.title = this.session ? `Timeline · ${this.session.session.name}` : 'Loopscope Timeline';
    void this.panel.webview.postMessage({ type: 'snapshot', snapshot } satisfies HostToWebview);
  }

  private buildSnapshot(): TimelineSnapshot {
    const s = this.session;
    const status: TimelineStatus = !s ? 'ended' : s.ended ? 'ended' : s.mirror.status?.paused ? 'paused' : 'live';
    const header = s ? sessionHeader(endedFacts(s)) : 'No Loopscope session yet: start one with F5 on a Python file.';
    if (s?.ended && this.model.stepCount === 0 && !this.model.note) {
      this.model.note = 'the session ended before the Timeline took its steps: open the Timeline while the program runs, or set loopscope.timeline.openOnSessionStart';
    }
    return this.model.snapshot({
      title: s?.session.name ?? 'Loopscope Timeline', status, header,
      filter: this.tree.model.currentFilter, blockingMs: s?.blockingThresholdMs ?? 100,
    });
  }

  private onMessage(msg: WebviewToHost): void {
    if (msg.type === 'ready') {
      this.ready = true;
      this.pushSnapshot();
    } else if (msg.type === 'filter') {
      applyFilterText(this.tree, msg.text);
    } else if (msg.type === 'select') {
      void revealTaskEverywhere(this.tree, msg.selection.task, this.session, this.model);
    }
  }

  /** Selects a task's lane (from the Async Tasks view). */
  revealTask(task: number): void {
    this.open(true);
    void this.panel?.webview.postMessage({ type: 'reveal', task } satisfies HostToWebview);
  }

  dispose(): void {
    this.stopPolling();
    if (this.snapshotTimer) clearTimeout(this.snapshotTimer);
    this.panel?.dispose();
    for (const d of this.disposables) d.dispose();
  }
}

export function applyFilterText(tree: TaskTreeProvider, text: string): void {
  try {
    tree.setFilter(parseTaskFilter(text));
  } catch (e) {
    const why = e instanceof FilterSyntaxError ? e.message : String(e);
    void vscode.window.showErrorMessage(`Loopscope: the Timeline's task filter "${text}" is not valid: ${why}`);
  }
}

/**
 * Reveals the task in Async Tasks (when it is there). While the program is stopped, selects the task's thread
 * in the Call Stack, which shows the task's present line in the editor; otherwise opens its creation site
 * beside the timeline.
 */
export async function revealTaskEverywhere(
  tree: TaskTreeProvider, task: number, session: LoopscopeSession | undefined, model: TimelineModel,
): Promise<void> {
  const node = taskNodeId(task);
  if (session && tree.currentSession === session && tree.model.has(node)) {
    await tree.view.reveal(node, { select: true, focus: false, expand: true }).then(undefined, () => undefined);
  }
  if (session && !session.ended) {
    const { focused } = await session.request('loopscope/focusTask', { taskId: task }).then((b) => b, () => ({ focused: false }));
    if (focused) return;
  }
  const site = session?.mirror.tasks.get(task)?.createdAt ?? model.siteOf(task);
  if (!site) return;
  const line = Math.max(0, site.line - 1);
  await vscode.window.showTextDocument(vscode.Uri.file(site.file), {
    selection: new vscode.Range(line, 0, line, 0), preserveFocus: true, preview: true, viewColumn: vscode.ViewColumn.One,
  }).then(undefined, () => undefined);
}
