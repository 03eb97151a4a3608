// Starts Loopscope's language server (`dist/server.js`, LSP over stdio) for Python files, saved
// and untitled, and keeps its `loopscope.*` settings in sync. A missing server bundle is
// reported in the output channel instead of breaking the rest of the extension.

import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { LanguageClient, type LanguageClientOptions, type ServerOptions, TransportKind } from 'vscode-languageclient/node';

export async function startLanguageClient(
  context: vscode.ExtensionContext, log: vscode.OutputChannel,
): Promise<LanguageClient | undefined> {
  const module = vscode.Uri.joinPath(context.extensionUri, 'dist', 'server.js').fsPath;
  if (!fs.existsSync(module)) {
    log.appendLine(`Loopscope language server not found at ${module}; forgotten-await checks are off. Run "npm run build".`);
    return undefined;
  }
  // TransportKind.stdio makes the client pass `--stdio` to the server itself.
  const serverOptions: ServerOptions = {
    run: { module, transport: TransportKind.stdio },
    debug: { module, transport: TransportKind.stdio, options: { execArgv: ['--nolazy', '--inspect=6019'] } },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [{ scheme: 'file', language: 'python' }, { scheme: 'untitled', language: 'python' }],
    synchronize: { configurationSection: 'loopscope' },
    outputChannel: log,
  };
  const client = new LanguageClient('loopscope', 'Loopscope Language Server', serverOptions, clientOptions);
  try {
    await client.start();
  } catch (e) {
    log.appendLine(`Loopscope language server failed to start: ${e instanceof Error ? e.message : String(e)}`);
    return undefined;
  }
  return client;
}
