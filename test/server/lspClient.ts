// Test harness for the real Loopscope language server: bundles server/src/main.ts with
// scripts/build.mjs, spawns it with `--stdio` and speaks LSP through
// vscode-jsonrpc. Waits are event-driven: every helper resolves on a server message.
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { runBuild } from '../dap/build';
import { createMessageConnection, MessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import type { CodeAction, Diagnostic, PublishDiagnosticsParams, TextEdit, WorkspaceEdit } from 'vscode-languageserver-protocol';

// One folder per test process: node_modules is shared between checkouts, so a fixed folder there
// let one checkout's run overwrite the server another run was using.
const OUT_DIR = path.join(os.tmpdir(), `loopscope-server-test-${process.pid}`);
let built: Promise<string> | undefined;

/** Bundles the server with scripts/build.mjs (the project's one esbuild configuration, wasm
 * copied beside it as in dist/) into a private folder. */
export function buildServer(): Promise<string> {
  if (process.env.LOOPSCOPE_SERVER) return Promise.resolve(process.env.LOOPSCOPE_SERVER);
  built ??= runBuild(['server'], OUT_DIR).then(() => path.join(OUT_DIR, 'server.js'));
  return built;
}

export interface ClientOptions {
  folder?: string;
  settings?: Record<string, unknown>;
  /** Advertise `workspace/configuration` support (default true). */
  configuration?: boolean;
  initializationOptions?: unknown;
  /** Client capabilities to send instead of the VS Code-like defaults (e.g. a Neovim-like client). */
  capabilities?: Record<string, unknown>;
  /** Node options for the server process (e.g. --max-old-space-size=160, --expose-gc). */
  nodeArgs?: string[];
}

type Waiter = { uri: string; test: (p: PublishDiagnosticsParams) => boolean; resolve: (p: PublishDiagnosticsParams) => void };

export class LspClient {
  readonly logs: string[] = [];
  /** Methods the server asked to register dynamically (client/registerCapability). */
  readonly registrations: string[] = [];
  readonly latest = new Map<string, PublishDiagnosticsParams>();
  stderr = '';
  private waiters: Waiter[] = [];
  private indexWaiters: ((p: { files: number; skipped: number; ms: number }) => void)[] = [];
  private versions = new Map<string, number>();
  private texts = new Map<string, string>();
  private indexed: Promise<{ files: number; skipped: number; ms: number }>;
  private exited: Promise<number | null>;
  settings: Record<string, unknown>;

  private constructor(readonly proc: ChildProcess, readonly conn: MessageConnection, opts: ClientOptions) {
    this.settings = opts.settings ?? {};
    let resolveIndexed!: (v: { files: number; skipped: number; ms: number }) => void;
    this.indexed = new Promise((r) => (resolveIndexed = r));
    this.exited = new Promise((r) => proc.on('exit', (code) => r(code)));
    conn.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnosticsParams) => {
      this.latest.set(p.uri, p);
      const still: Waiter[] = [];
      for (const w of this.waiters) {
        if (w.uri === p.uri && w.test(p)) w.resolve(p);
        else still.push(w);
      }
      this.waiters = still;
    });
    conn.onNotification('loopscope/indexed', (p: { files: number; skipped: number; ms: number }) => {
      resolveIndexed(p);
      const waiters = this.indexWaiters;
      this.indexWaiters = [];
      for (const w of waiters) w(p);
    });
    conn.onNotification('window/logMessage', (p: { message: string }) => this.logs.push(p.message));
    conn.onRequest('workspace/configuration', (p: { items: { section?: string }[] }) => p.items.map((i) => (i.section === 'loopscope' ? this.settings : null)));
    conn.onRequest('client/registerCapability', (p: { registrations: { method: string }[] }) => {
      this.registrations.push(...p.registrations.map((r) => r.method));
      return null;
    });
    conn.onRequest('window/workDoneProgress/create', () => null);
    proc.stderr?.on('data', (d) => (this.stderr += String(d)));
  }

  static async start(opts: ClientOptions = {}): Promise<LspClient> {
    const server = await buildServer();
    const proc = spawn(process.execPath, [...(opts.nodeArgs ?? []), server, '--stdio'], { stdio: ['pipe', 'pipe', 'pipe'] });
    const conn = createMessageConnection(new StreamMessageReader(proc.stdout), new StreamMessageWriter(proc.stdin));
    const client = new LspClient(proc, conn, opts);
    conn.listen();
    const folderUri = opts.folder ? pathToFileURL(opts.folder).toString() : null;
    await conn.sendRequest('initialize', {
      processId: process.pid,
      rootUri: folderUri,
      workspaceFolders: folderUri ? [{ uri: folderUri, name: path.basename(opts.folder!) }] : null,
      initializationOptions: opts.initializationOptions,
      capabilities: opts.capabilities ?? {
        workspace: { configuration: opts.configuration !== false, didChangeWatchedFiles: { dynamicRegistration: true }, workspaceFolders: true },
        textDocument: { publishDiagnostics: { versionSupport: true }, codeAction: { codeActionLiteralSupport: { codeActionKind: { valueSet: ['quickfix', 'source.fixAll'] } } } },
      },
    });
    await conn.sendNotification('initialized', {});
    return client;
  }

  /** The next `loopscope/indexed` notification (e.g. after adding a workspace folder). */
  nextIndexed(): Promise<{ files: number; skipped: number; ms: number }> {
    return new Promise((r) => this.indexWaiters.push(r));
  }

  /** Resolves when the server has indexed the workspace folder(s). */
  waitIndexed(): Promise<{ files: number; skipped: number; ms: number }> {
    return this.indexed;
  }

  uriOf(file: string): string {
    return pathToFileURL(file).toString();
  }

  /** Next publish for `uri` satisfying `test` (checked against messages arriving from now on). */
  nextDiagnostics(uri: string, test: (p: PublishDiagnosticsParams) => boolean = () => true): Promise<PublishDiagnosticsParams> {
    return new Promise((resolve) => this.waiters.push({ uri, test, resolve }));
  }

  async open(file: string, text?: string): Promise<Diagnostic[]> {
    const uri = this.uriOf(file);
    const content = text ?? fs.readFileSync(file, 'utf8');
    this.versions.set(uri, 1);
    this.texts.set(uri, content);
    const wait = this.nextDiagnostics(uri, (p) => p.version === 1);
    await this.conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'python', version: 1, text: content } });
    return (await wait).diagnostics;
  }

  /** Applies edits (LSP semantics) and waits for diagnostics of the new version. */
  async edit(file: string, edits: TextEdit[]): Promise<Diagnostic[]> {
    const uri = this.uriOf(file);
    const version = (this.versions.get(uri) ?? 0) + 1;
    this.versions.set(uri, version);
    this.texts.set(uri, applyEdits(this.texts.get(uri) ?? '', edits));
    const wait = this.nextDiagnostics(uri, (p) => p.version === version);
    await this.conn.sendNotification('textDocument/didChange', {
      textDocument: { uri, version },
      contentChanges: edits.map((e) => ({ range: e.range, text: e.newText })),
    });
    return (await wait).diagnostics;
  }

  /** Sends a change without waiting (the caller waits on whatever it needs). */
  async sendChange(file: string, edits: TextEdit[]): Promise<number> {
    const uri = this.uriOf(file);
    const version = (this.versions.get(uri) ?? 0) + 1;
    this.versions.set(uri, version);
    this.texts.set(uri, applyEdits(this.texts.get(uri) ?? '', edits));
    await this.conn.sendNotification('textDocument/didChange', {
      textDocument: { uri, version },
      contentChanges: edits.map((e) => ({ range: e.range, text: e.newText })),
    });
    return version;
  }

  async close(file: string): Promise<void> {
    await this.conn.sendNotification('textDocument/didClose', { textDocument: { uri: this.uriOf(file) } });
  }

  text(file: string): string {
    return this.texts.get(this.uriOf(file)) ?? '';
  }

  async codeActions(file: string, range: Diagnostic['range'], diagnostics: Diagnostic[], only?: string[]): Promise<CodeAction[]> {
    return this.conn.sendRequest('textDocument/codeAction', {
      textDocument: { uri: this.uriOf(file) },
      range,
      context: { diagnostics, only },
    });
  }

  /** Applies a WorkspaceEdit for `file` through didChange (as an editor would) and returns fresh diagnostics. */
  async applyWorkspaceEdit(file: string, edit: WorkspaceEdit): Promise<Diagnostic[]> {
    const edits = edit.changes?.[this.uriOf(file)] ?? [];
    // One didChange per edit, last-in-document first, so earlier ranges stay valid.
    const sorted = [...edits].map((e, i) => ({ e, i })).sort((a, b) => cmpPos(b.e.range.start, a.e.range.start) || b.i - a.i).map((x) => x.e);
    return this.edit(file, sorted);
  }

  async changeConfiguration(settings: Record<string, unknown>): Promise<void> {
    this.settings = settings;
    await this.conn.sendNotification('workspace/didChangeConfiguration', { settings: { loopscope: settings } });
  }

  async stop(): Promise<number | null> {
    try {
      await this.conn.sendRequest('shutdown');
      await this.conn.sendNotification('exit');
    } catch {
      this.proc.kill();
    }
    const code = await this.exited;
    this.conn.dispose();
    return code;
  }

  get alive(): boolean {
    return this.proc.exitCode === null && !this.proc.killed;
  }
}

function cmpPos(a: { line: number; character: number }, b: { line: number; character: number }): number {
  return a.line - b.line || a.character - b.character;
}

/** Applies LSP edits sequentially (each against the result of the previous one). */
export function applyEdits(text: string, edits: TextEdit[]): string {
  let t = text;
  for (const e of edits) {
    const s = offsetAt(t, e.range.start);
    const en = offsetAt(t, e.range.end);
    t = t.slice(0, s) + e.newText + t.slice(en);
  }
  return t;
}

export function offsetAt(text: string, pos: { line: number; character: number }): number {
  let off = 0;
  for (let l = 0; l < pos.line; l++) {
    const nl = text.indexOf('\n', off);
    if (nl === -1) return text.length;
    off = nl + 1;
  }
  return Math.min(off + pos.character, text.length);
}
