// Extension entry point: wires the debug configuration provider and adapter factory, the
// session tracker, the Async Tasks view, commands, status bar, runtime findings and the
// language client. No logic lives here; each concern has its own module.

import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { registerCommands } from './commands';
import { registerDebugging } from './debugConfig';
import { FindingsDiagnostics } from './findingsDiagnostics';
import { startLanguageClient } from './languageClient';
import { LoopscopeSessions } from './sessions';
import { LoopscopeStatusBar } from './statusBar';
import { TaskTreeProvider } from './taskTreeProvider';

let client: Promise<LanguageClient | undefined> | undefined;

export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel('Loopscope');
  const sessions = new LoopscopeSessions();
  const tree = new TaskTreeProvider(sessions);
  context.subscriptions.push(log, sessions, tree, new LoopscopeStatusBar(sessions), new FindingsDiagnostics(sessions, log));
  registerDebugging(context);
  registerCommands(context, sessions, tree);
  // Not awaited: debugging must not wait for the language server to load its parser.
  client = startLanguageClient(context, log);
}

export async function deactivate(): Promise<void> {
  await (await client)?.stop();
}
