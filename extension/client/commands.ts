// Every `loopscope.*` command: loop control (pause, step tick, step callback, continue), task
// actions from the Async Tasks context menu, the filter, Export Trace and Debug Current File.
// Each handler is a few lines handing off to the session's custom requests or the view-model.

import * as vscode from 'vscode';
import type { Frame, Location, TaskRecord } from '../protocol/customDap';
import { awaitChainText, suspensionLocation } from '../views/format';
import { FilterSyntaxError, parseTaskFilter } from '../views/taskFilter';
import { isFinished } from '../views/taskMirror';
import { debugCurrentFile } from './debugConfig';
import type { LoopscopeSession, LoopscopeSessions } from './sessions';
import { TASKS_VIEW_ID, type TaskTreeProvider } from './taskTreeProvider';

export const COMMANDS = {
  debugCurrentFile: 'loopscope.debugCurrentFile',
  pauseLoop: 'loopscope.pauseLoop',
  stepTick: 'loopscope.stepTick',
  stepCallback: 'loopscope.stepCallback',
  continueLoop: 'loopscope.continueLoop',
  cancelTask: 'loopscope.cancelTask',
  runUntilTaskSteps: 'loopscope.runUntilTaskSteps',
  revealCreationSite: 'loopscope.revealCreationSite',
  copyAwaitChain: 'loopscope.copyAwaitChain',
  openTask: 'loopscope.openTask',
  filterTasks: 'loopscope.filterTasks',
  clearTaskFilter: 'loopscope.clearTaskFilter',
  exportTrace: 'loopscope.exportTrace',
  showTasks: 'loopscope.showTasks',
} as const;

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Runs a handler and turns failures (no session, adapter refusal) into one clear message. */
function guarded<A extends unknown[]>(fn: (...args: A) => Promise<unknown>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (e) {
      void vscode.window.showErrorMessage(`Loopscope: ${errorText(e)}`);
    }
  };
}

export async function openLocation(loc: Location, preserveFocus: boolean): Promise<void> {
  const line = Math.max(0, loc.line - 1);
  const range = new vscode.Range(line, 0, line, 0);
  await vscode.window.showTextDocument(vscode.Uri.file(loc.file), { selection: range, preserveFocus, preview: true });
}

/** What every handler needs: the session a command is about, and the task it is about. */
interface CommandScope {
  tree: TaskTreeProvider;
  /** An ended session's final picture still answers "which task". */
  session(): LoopscopeSession;
  /** Requests to the adapter need a live session. */
  liveSession(): LoopscopeSession;
  /** The task a command is about: the clicked/selected row, else a quick pick of live tasks. */
  pickTask(arg: unknown, liveOnly: boolean): Promise<TaskRecord | undefined>;
}

type Register = (id: string, fn: (...args: never[]) => unknown) => void;

export function registerCommands(
  context: vscode.ExtensionContext, sessions: LoopscopeSessions, tree: TaskTreeProvider,
): void {
  const session = (): LoopscopeSession => tree.currentSession ?? sessions.require();
  const scope: CommandScope = {
    tree,
    session,
    liveSession: () => (tree.currentSession?.ended === false ? tree.currentSession : sessions.require()),
    pickTask: (arg, liveOnly) => pickTask(session(), tree, arg, liveOnly),
  };
  const register: Register = (id, fn) => {
    context.subscriptions.push(vscode.commands.registerCommand(id, fn as (...args: unknown[]) => unknown));
  };

  register(COMMANDS.debugCurrentFile, guarded((resource?: unknown) =>
    debugCurrentFile(resource instanceof vscode.Uri ? resource : undefined)));
  registerLoopCommands(register, scope);
  registerTaskCommands(register, scope);
  register(COMMANDS.filterTasks, () => promptTaskFilter(tree));
  register(COMMANDS.clearTaskFilter, () => tree.setFilter(null));
  register(COMMANDS.showTasks, () => vscode.commands.executeCommand(`${TASKS_VIEW_ID}.focus`));
  register(COMMANDS.exportTrace, guarded(() => exportTrace(scope.liveSession())));
}

async function pickTask(
  s: LoopscopeSession, tree: TaskTreeProvider, arg: unknown, liveOnly: boolean,
): Promise<TaskRecord | undefined> {
  const nodeId = typeof arg === 'string' ? arg : tree.view.selection.find((id) => id.startsWith('task:'));
  const fromNode = nodeId?.startsWith('task:') ? s.mirror.tasks.get(Number(nodeId.slice(5))) : undefined;
  if (fromNode && (!liveOnly || !isFinished(fromNode))) return fromNode;
  const candidates = [...s.mirror.tasks.values()].filter((t) => !liveOnly || !isFinished(t));
  if (candidates.length === 0) throw new Error(liveOnly ? 'there are no live tasks.' : 'there are no tasks yet.');
  const picked = await vscode.window.showQuickPick(
    candidates.map((t) => ({ label: t.name, description: `${t.coro} · ${t.state}`, task: t })),
    { placeHolder: 'Select a task', matchOnDescription: true });
  return picked?.task;
}

async function chainOf(s: LoopscopeSession, task: TaskRecord): Promise<Frame[]> {
  return isFinished(task) || s.ended ? [] : (await s.request('loopscope/awaitChain', { taskId: task.id })).frames;
}

/** Pause, step tick, step callback, continue: one request each to the live session. */
function registerLoopCommands(register: Register, scope: CommandScope): void {
  const loopRequest = (name: 'loopscope/pauseLoop' | 'loopscope/stepTick' | 'loopscope/stepCallback' | 'loopscope/continueLoop') =>
    guarded(async () => { await scope.liveSession().request(name, {}); });
  register(COMMANDS.pauseLoop, loopRequest('loopscope/pauseLoop'));
  register(COMMANDS.stepTick, loopRequest('loopscope/stepTick'));
  register(COMMANDS.stepCallback, loopRequest('loopscope/stepCallback'));
  register(COMMANDS.continueLoop, loopRequest('loopscope/continueLoop'));
}

/** The Async Tasks context-menu actions. */
function registerTaskCommands(register: Register, scope: CommandScope): void {
  register(COMMANDS.cancelTask, guarded(async (arg?: unknown) => {
    const task = await scope.pickTask(arg, true);
    if (!task) return;
    const { cancelled } = await scope.liveSession().request('loopscope/cancelTask', { taskId: task.id });
    if (!cancelled) void vscode.window.showInformationMessage(`Loopscope: task ${task.name} had already finished.`);
  }));

  register(COMMANDS.runUntilTaskSteps, guarded(async (arg?: unknown) => {
    const task = await scope.pickTask(arg, true);
    if (task) await scope.liveSession().request('loopscope/runUntilTaskSteps', { taskId: task.id });
  }));

  register(COMMANDS.revealCreationSite, guarded(async (arg?: unknown) => {
    const task = await scope.pickTask(arg, false);
    if (!task) return;
    if (!task.createdAt) throw new Error(`the creation site of task ${task.name} is unknown (created outside Python code).`);
    await openLocation(task.createdAt, false);
  }));

  register(COMMANDS.copyAwaitChain, guarded(async (arg?: unknown) => {
    const task = await scope.pickTask(arg, true);
    if (!task) return;
    const frames = await chainOf(scope.session(), task);
    await vscode.env.clipboard.writeText(awaitChainText(task, frames));
    vscode.window.setStatusBarMessage(`$(clippy) Copied the await chain of ${task.name}`, 3000);
  }));

  register(COMMANDS.openTask, guarded(async (arg?: unknown) => {
    const task = await scope.pickTask(arg, false);
    if (!task) return;
    let frames;
    try {
      frames = await chainOf(scope.session(), task);
    } catch {
      frames = undefined; // fall back to the wait site or creation site below
    }
    const loc = suspensionLocation(task, frames);
    if (loc) await openLocation(loc, true);
  }));
}

/** An input box that validates the filter as it is typed and applies it on Enter. */
function promptTaskFilter(tree: TaskTreeProvider): Promise<void> {
  return new Promise<void>((resolve) => {
    const input = vscode.window.createInputBox();
    input.title = 'Filter Async Tasks';
    input.placeholder = 'name or coroutine text, name:…, coro:…, state:waiting (or running, ready, done, failed, cancelled, live, finished)';
    input.value = tree.model.currentFilter?.text ?? '';
    // A stop that opens its line in the editor while the user types must not throw the filter away.
    input.ignoreFocusOut = true;
    input.onDidChangeValue((value) => {
      try { parseTaskFilter(value); input.validationMessage = undefined; } catch (e) {
        input.validationMessage = e instanceof FilterSyntaxError ? e.message : errorText(e);
      }
    });
    input.onDidAccept(() => {
      try {
        tree.setFilter(parseTaskFilter(input.value));
        input.hide();
      } catch (e) {
        input.validationMessage = errorText(e);
      }
    });
    input.onDidHide(() => { input.dispose(); resolve(); });
    input.show();
  });
}

async function exportTrace(s: LoopscopeSession): Promise<void> {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
  const defaultUri = folder ? vscode.Uri.joinPath(folder, `loopscope-trace-${stamp}.json`) : undefined;
  const target = await vscode.window.showSaveDialog({
    title: 'Export Loopscope Trace (Perfetto / Chrome Trace JSON)', defaultUri, filters: { 'Trace JSON': ['json'] },
  });
  if (!target) return;
  const body = await s.request('loopscope/exportTrace', { path: target.fsPath });
  if (!body.path) {
    // The adapter may hand the trace back instead of writing it (e.g. a remote file system).
    if (body.trace === undefined) throw new Error('the debug adapter returned no trace.');
    await vscode.workspace.fs.writeFile(target, Buffer.from(JSON.stringify(body.trace)));
  }
  const choice = await vscode.window.showInformationMessage(
    `Loopscope trace saved to ${target.fsPath}. Open it in ui.perfetto.dev or chrome://tracing.`, 'Open Perfetto');
  if (choice === 'Open Perfetto') await vscode.env.openExternal(vscode.Uri.parse('https://ui.perfetto.dev'));
}
