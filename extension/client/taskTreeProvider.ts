// The Async Tasks view: adapts the pure TaskTreeModel to vscode.TreeDataProvider, feeds it the
// current session's mirror changes, and refreshes at most 10 times a second with only the nodes
// that changed. Tooltips (with the await chain) are fetched lazily on hover. After the session
// ends its tasks stay, greyed, under a "exited with code N after T" line until cleared.

import * as vscode from 'vscode';
import { TaskTreeModel, type NodeId, type TreeItemData } from '../views/taskTree';
import type { TaskFilter } from '../views/taskFilter';
import { formatCount, loopTooltip, taskTooltip, type ChainState } from '../views/format';
import { isFinished, TaskMirror } from '../views/taskMirror';
import { Throttle } from '../views/throttle';
import { sessionHeader } from '../views/sessionSummary';
import type { LoopscopeSession, LoopscopeSessions } from './sessions';

export const TASKS_VIEW_ID = 'loopscope.tasks';
/** Tree items of an ended session carry this scheme so a decoration greys their labels. */
const ENDED_SCHEME = 'loopscope-ended';
const REFRESH_INTERVAL_MS = 100;
/** Sleep countdowns ("sleep · 0.3 s left") are re-rendered this often, for at most this many rows. */
const COUNTDOWN_INTERVAL_MS = 1000;
/** How many refreshes may retry opening the Finished groups after a session ended, and how far apart. */
const FINISHED_REVEAL_TRIES = 20;
const FINISHED_RETRY_MS = 250;
const COUNTDOWN_MAX_ROWS = 300;

const COLLAPSIBLE: Record<TreeItemData['collapsible'], vscode.TreeItemCollapsibleState> = {
  none: vscode.TreeItemCollapsibleState.None,
  collapsed: vscode.TreeItemCollapsibleState.Collapsed,
  expanded: vscode.TreeItemCollapsibleState.Expanded,
};

export class TaskTreeProvider implements vscode.TreeDataProvider<NodeId>, vscode.Disposable {
  readonly model = new TaskTreeModel(new TaskMirror());
  readonly view: vscode.TreeView<NodeId>;
  private session: LoopscopeSession | undefined;
  private revealedFor: LoopscopeSession | undefined;
  /** Rows the user collapsed: never re-expanded behind their back. */
  private readonly userCollapsed = new Set<NodeId>();
  /** Finished groups VS Code has shown expanded (reveal confirmed by its expand event). */
  private readonly shownFinished = new Set<NodeId>();
  /** Refreshes left in which to open the Finished groups of an ended session (see showFinished). */
  private finishedTries = 0;
  private readonly changeEmitter = new vscode.EventEmitter<NodeId | NodeId[] | undefined>();
  readonly onDidChangeTreeData = this.changeEmitter.event;
  private readonly throttle = new Throttle(REFRESH_INTERVAL_MS, () => this.flushRefresh());
  private readonly disposables: vscode.Disposable[] = [];
  private readonly countdownRows = new Set<NodeId>();
  private readonly countdown = setInterval(() => this.refreshCountdowns(), COUNTDOWN_INTERVAL_MS);
  private readonly filterEmitter = new vscode.EventEmitter<TaskFilter | null>();
  /** The Async Tasks filter changed (the Timeline shares it). */
  readonly onDidChangeFilter = this.filterEmitter.event;

  constructor(private readonly sessions: LoopscopeSessions) {
    this.view = vscode.window.createTreeView(TASKS_VIEW_ID, { treeDataProvider: this, showCollapseAll: true });
    this.disposables.push(
      this.view, this.changeEmitter, this.filterEmitter,
      sessions.onDidChangeCurrent((s) => this.show(s)),
      sessions.onDidEnd((s) => {
        if (s !== this.session) return;
        this.changeEmitter.fire(undefined); // every row greys
        this.throttle.trigger();
        this.throttle.flush();
        this.finishedTries = FINISHED_REVEAL_TRIES;
        this.showFinished();
      }),
      this.view.onDidChangeVisibility((e) => { if (e.visible) this.showFinished(); }),
      vscode.window.registerFileDecorationProvider({
        provideFileDecoration: (uri) => (uri.scheme === ENDED_SCHEME ? { color: new vscode.ThemeColor('disabledForeground') } : undefined),
      }),
      this.view.onDidCollapseElement((e) => this.userCollapsed.add(e.element)),
      this.view.onDidExpandElement((e) => {
        this.userCollapsed.delete(e.element);
        if (e.element.startsWith('finished:')) this.shownFinished.add(e.element);
      }),
      sessions.onDidUpdate(({ session, change }) => {
        if (session !== this.session) return;
        this.model.applyChange(change);
        this.throttle.trigger();
        // Make the held state exact the moment the loop pauses rather than up to 100 ms later.
        if (change.statusChanged && session.mirror.status?.paused) this.throttle.flush();
      }),
    );
    this.show(sessions.current);
  }

  get currentSession(): LoopscopeSession | undefined { return this.session; }

  setFilter(filter: TaskFilter | null): void {
    this.model.setFilter(filter);
    void vscode.commands.executeCommand('setContext', 'loopscope.tasksFiltered', filter !== null);
    this.filterEmitter.fire(filter);
    this.throttle.trigger();
    this.throttle.flush();
  }

  private show(session: LoopscopeSession | undefined): void {
    this.session = session;
    this.userCollapsed.clear();
    this.shownFinished.clear();
    this.finishedTries = session?.ended ? FINISHED_REVEAL_TRIES : 0;
    this.model.setMirror(session?.mirror ?? new TaskMirror());
    this.throttle.trigger();
  }

  private flushRefresh(): void {
    const refresh = this.model.takeRefresh();
    // Countdown rows ride along with the same (≤ 10/s) refresh; a full refresh covers them anyway.
    const extra = [...this.countdownRows].filter((id) => this.model.has(id));
    this.countdownRows.clear();
    // A refresh that makes VS Code re-render thousands of rows earns the UI a longer pause
    // (100 ms per 1,000 rows, up to 1 s) before the next one, so 10,000 tasks stay responsive.
    if (refresh) this.throttle.stretchNext(Math.min(1000, this.model.refreshCost(refresh) / 10));
    if (refresh?.kind === 'all') this.changeEmitter.fire(undefined);
    else if (refresh || extra.length) this.changeEmitter.fire([...new Set([...(refresh?.nodes ?? []), ...extra])]);
    this.updateChrome();
    this.revealOnce();
    this.expandNewParents();
    this.showFinished();
  }

  /**
   * VS Code treats `collapsibleState` as initial state only, so a task row first shown without
   * children stays collapsed when children arrive; reveal expands it unless the user collapsed it
   * or one of its ancestors.
   */
  private expandNewParents(): void {
    const parents = this.model.takeNewParents();
    if (!this.view.visible) return;
    for (const id of parents.slice(0, 20)) {
      let ancestor: NodeId | undefined = id;
      let blocked = false;
      while (ancestor !== undefined && !blocked) {
        blocked = this.userCollapsed.has(ancestor);
        ancestor = this.model.getParent(ancestor);
      }
      if (!blocked) void this.view.reveal(id, { select: false, focus: false, expand: true }).then(undefined, () => undefined);
    }
  }

  /**
   * Once a session ended every task sits in its loop's "Finished" group: open those groups (unless
   * the user collapsed them) so the final picture lists the tasks, even for a sub-second program.
   */
  private showFinished(): void {
    // A reveal made while the view is hidden, or before VS Code has rendered the rows it goes
    // through, does nothing (a slow machine, a sub-second program): try again at the next few
    // refreshes until VS Code reports each group expanded.
    if (this.finishedTries <= 0 || !this.view.visible) return;
    this.finishedTries--;
    let waiting = false;
    for (const loop of this.model.getChildren()) {
      const group = this.model.getChildren(loop).find((id) => id.startsWith('finished:'));
      if (!group || this.shownFinished.has(group) || this.userCollapsed.has(group) || this.userCollapsed.has(loop)) continue;
      waiting = true;
      void this.view.reveal(group, { select: false, focus: false, expand: true }).then(undefined, () => undefined);
    }
    if (waiting) setTimeout(() => this.throttle.trigger(), FINISHED_RETRY_MS);
    else this.finishedTries = 0;
  }

  private refreshCountdowns(): void {
    if (!this.session || !this.view.visible) return;
    const rows = this.model.sleepingRows(Date.now(), COUNTDOWN_MAX_ROWS);
    if (!rows?.length) return;
    for (const id of rows) this.countdownRows.add(id);
    this.throttle.trigger();
  }

  /** New views land collapsed at the bottom of Run and Debug; open ours once per session, without taking focus. */
  private revealOnce(): void {
    if (!this.session || this.revealedFor === this.session) return;
    const firstLoop = this.model.getChildren()[0];
    if (!firstLoop) return;
    this.revealedFor = this.session;
    if (!this.view.visible) {
      void this.view.reveal(firstLoop, { select: false, focus: false, expand: true }).then(undefined, () => undefined);
    }
  }

  /** View description (tick, pause) and message (filter / empty state) live outside the tree rows. */
  private updateChrome(): void {
    const status = this.session?.mirror.status;
    const ended = this.session?.ended ?? false;
    const description = ended ? 'ended' : status ? `${status.paused ? 'paused · ' : ''}tick ${formatCount(status.tick)}` : undefined;
    if (description !== this.view.description) this.view.description = description;
    const filter = this.model.currentFilter;
    let message: string | undefined;
    if (ended && this.session) {
      message = sessionHeader(endedFacts(this.session));
      if (filter) message += ` · filter "${filter.text}": ${formatCount(this.model.shownTaskCount)} shown`;
    } else if (filter) {
      message = `Filter "${filter.text}": ${formatCount(this.model.shownTaskCount)} of ${formatCount(this.model.totalTaskCount)} tasks`;
    } else if (this.session && !status) {
      message = 'Waiting for the Python program to connect…';
    }
    if (message !== this.view.message) this.view.message = message;
  }

  getTreeItem(id: NodeId): vscode.TreeItem {
    const data = this.model.getItem(id, Date.now());
    if (!data) {
      const gone = new vscode.TreeItem('(no longer tracked)');
      gone.id = id;
      return gone;
    }
    const item = new vscode.TreeItem(data.label, COLLAPSIBLE[data.collapsible]);
    item.id = data.id;
    item.description = data.description;
    item.iconPath = new vscode.ThemeIcon(data.icon.id, data.icon.color ? new vscode.ThemeColor(data.icon.color) : undefined);
    item.contextValue = data.contextValue;
    if (this.session?.ended && data.kind !== 'loop') {
      item.resourceUri = vscode.Uri.from({ scheme: ENDED_SCHEME, path: `/${data.id}` });
      item.iconPath = new vscode.ThemeIcon(data.icon.id, new vscode.ThemeColor('disabledForeground'));
    }
    if (data.kind === 'task') {
      item.command = { command: 'loopscope.openTask', title: 'Open Suspension Point', arguments: [id] };
      item.accessibilityInformation = { label: `${data.label}, ${data.description}` };
    } else if (data.kind === 'future') {
      const site = this.model.currentMirror.futures.get(data.futureId!)?.site;
      if (site) item.tooltip = `${data.label} created at ${site.file}:${site.line}`;
    }
    return item;
  }

  getChildren(id?: NodeId): NodeId[] {
    return this.model.getChildren(id);
  }

  getParent(id: NodeId): NodeId | undefined {
    return this.model.getParent(id);
  }

  async resolveTreeItem(item: vscode.TreeItem, id: NodeId, token: vscode.CancellationToken): Promise<vscode.TreeItem> {
    const data = this.model.getItem(id, Date.now());
    if (data?.kind === 'loop') {
      item.tooltip = new vscode.MarkdownString(loopTooltip(this.model.currentMirror.loops.get(data.loopId!), data.loopId!));
      return item;
    }
    const task = data?.taskId !== undefined ? this.model.currentMirror.tasks.get(data.taskId) : undefined;
    if (!task) return item;
    let chain: ChainState;
    if (!isFinished(task) && this.session && !this.session.ended) {
      try {
        chain = await this.session.request('loopscope/awaitChain', { taskId: task.id });
      } catch (e) {
        chain = { error: e instanceof Error ? e.message : String(e) };
      }
    }
    if (token.isCancellationRequested) return item;
    const md = new vscode.MarkdownString(
      taskTooltip(task, (t) => this.model.currentMirror.tasks.get(t), Date.now(), chain));
    item.tooltip = md;
    return item;
  }

  dispose(): void {
    clearInterval(this.countdown);
    this.filterEmitter.dispose();
    this.throttle.dispose();
    for (const d of this.disposables) d.dispose();
  }
}

/** What the header line of an ended session says. */
export function endedFacts(s: LoopscopeSession) {
  const status = s.mirror.status;
  return {
    ended: s.ended, exitCode: s.exitCode, durationMs: (s.endedAt ?? Date.now()) - s.startedAt,
    tasks: status?.tasksTotal ?? s.mirror.tasks.size, findings: s.mirror.findings.size,
    paused: status?.paused ?? false, tick: status?.tick ?? null,
  };
}
