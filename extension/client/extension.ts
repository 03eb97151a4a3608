// Extension entry point: wires the debug configuration provider and adapter factory, the
// session tracker, the Async Tasks view, the Timeline (live panel and file editor), commands,
// status bar, runtime findings and the language client. No logic lives here; each concern has its own module.

import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { registerCommands } from './commands';
import { registerDebugging } from './debugConfig';
import { FindingsDiagnostics } from './findingsDiagnostics';
import { startLanguageClient } from './languageClient';
import { LoopscopeSessions } from './sessions';
import { LoopscopeStatusBar } from './statusBar';
import { TaskTreeProvider } from './taskTreeProvider';
import { LiveTimeline } from './timelinePanel';
import { openInTimeline, TIMELINE_EDITOR_TYPE, TimelineFileEditor } from './timelineEditor';
import { taskIdOfNode } from '../views/taskTree';

let client: Promise<LanguageClient | undefined> | undefined;

export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel('Loopscope');
  const sessions = new LoopscopeSessions();
  const tree = new TaskTreeProvider(sessions);
  context.subscriptions.push(log, sessions, tree, new LoopscopeStatusBar(sessions), new FindingsDiagnostics(sessions, log));
  registerDebugging(context);
  registerCommands(context, sessions, tree);
  const timeline = new LiveTimeline(context.extensionUri, sessions, tree, log);
  context.subscriptions.push(
    timeline,
    vscode.window.registerCustomEditorProvider(TIMELINE_EDITOR_TYPE, new TimelineFileEditor(context.extensionUri, tree), {
      webviewOptions: { retainContextWhenHidden: true },
    }),
    vscode.commands.registerCommand('loopscope.openTimeline', (arg?: unknown) => {
      const task = typeof arg === 'string' ? taskIdOfNode(arg) : undefined;
      if (task !== undefined) timeline.revealTask(task);
      else timeline.open();
    }),
    vscode.commands.registerCommand('loopscope.openInTimeline', (arg?: unknown) => openInTimeline(arg)
      .catch((e: unknown) => vscode.window.showErrorMessage(`Loopscope: ${e instanceof Error ? e.message : String(e)}`))),
    vscode.commands.registerCommand('loopscope.clearTasks', () => sessions.clearEnded()),
  );
  // Not awaited: debugging must not wait for the language server to load its parser.
  client = startLanguageClient(context, log);
}

export async function deactivate(): Promise<void> {
  await (await client)?.stop();
}
