// Owns what the server announces and what it registers: static capabilities in the initialize
// result, and dynamic registrations only where the client said it supports them
// (`dynamicRegistration`), so clients such as Neovim see no unsolicited registerCapability.
import {
  ClientCapabilities,
  CodeActionKind,
  Connection,
  DidChangeConfigurationNotification,
  DidChangeWatchedFilesNotification,
  ServerCapabilities,
  TextDocumentSyncKind,
} from 'vscode-languageserver/node';
import { CONFIG_SECTION } from './settings';

export const FIX_ALL_KIND = 'source.fixAll.loopscope';

/** What the client can do, reduced to the decisions the server makes. */
export interface ClientFeatures {
  /** workspace/configuration requests are answered. */
  configuration: boolean;
  /** didChangeConfiguration may be registered dynamically (else the client pushes, or not). */
  configurationRegistration: boolean;
  /** didChangeWatchedFiles may be registered dynamically. */
  watchedFilesRegistration: boolean;
  /** workspace/didChangeWorkspaceFolders is sent. */
  workspaceFolders: boolean;
}

export function clientFeatures(caps: ClientCapabilities): ClientFeatures {
  const ws = caps.workspace;
  return {
    configuration: ws?.configuration === true,
    configurationRegistration: ws?.didChangeConfiguration?.dynamicRegistration === true,
    watchedFilesRegistration: ws?.didChangeWatchedFiles?.dynamicRegistration === true,
    workspaceFolders: ws?.workspaceFolders === true,
  };
}

/** The initialize result's capabilities: nothing here needs a registration round trip. */
export function serverCapabilities(features: ClientFeatures): ServerCapabilities {
  return {
    textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
    codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix, FIX_ALL_KIND] },
    // Announced statically, so the library never registers the notification dynamically.
    workspace: features.workspaceFolders ? { workspaceFolders: { supported: true, changeNotifications: true } } : undefined,
  };
}

/** The dynamic registrations the client allows, sent once after `initialized`. */
export async function registerDynamic(connection: Connection, features: ClientFeatures, log: (message: string) => void): Promise<void> {
  const pending: Promise<unknown>[] = [];
  if (features.configurationRegistration) {
    pending.push(connection.client.register(DidChangeConfigurationNotification.type, { section: CONFIG_SECTION }));
  }
  if (features.watchedFilesRegistration) {
    pending.push(connection.client.register(DidChangeWatchedFilesNotification.type, { watchers: [{ globPattern: '**/*.py' }] }));
  }
  const results = await Promise.allSettled(pending);
  for (const r of results) {
    if (r.status === 'rejected') log(`the client refused a registration: ${String((r.reason as Error)?.message ?? r.reason)}`);
  }
}
