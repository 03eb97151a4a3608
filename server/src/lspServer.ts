// The language server's connection wiring: each LSP message is routed to the module that owns it
// (settings, documents, diagnostics scheduling, code actions, capabilities) and the Analyzer.
// Handlers for notifications only record state; analysis happens when the scheduler says so.
import { VERSION } from '../../extension/protocol/version';
import {
  CodeAction,
  CodeActionParams,
  Connection,
  DidChangeConfigurationParams,
  DidChangeTextDocumentParams,
  DidChangeWatchedFilesParams,
  DidCloseTextDocumentParams,
  DidOpenTextDocumentParams,
  FileChangeType,
  InitializeParams,
  InitializeResult,
  NotificationType,
  RequestType,
  WorkspaceFoldersChangeEvent,
} from 'vscode-languageserver/node';
import { Analyzer } from './analysis/analyzer';
import { ClientFeatures, clientFeatures, registerDynamic, serverCapabilities } from './capabilities';
import { codeActionsFor } from './codeActions';
import { DiagnosticsScheduler, skippedDiagnostic, toDiagnostics } from './diagnostics';
import { DocumentStore, isPythonDocument, uriToPath } from './documents';
import { MessageFraming } from './inputFraming';
import { collapseChanges, diffAsChange } from './textEdits';
import type { TextChange } from './analysis/syntax';
import { CONFIG_SECTION, SettingsStore } from './settings';

export { FIX_ALL_KIND } from './capabilities';
export { CONFIG_SECTION } from './settings';

/** Sent once the workspace folders are indexed (tests and clients can wait on it). */
export const IndexedNotification = new NotificationType<{ files: number; skipped: number; ms: number }>('loopscope/indexed');

/** The server process's memory (bytes); `gc: true` collects first when node runs with --expose-gc. */
export interface MemoryUsage {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  collected: boolean;
}
export const MemoryUsageRequest = new RequestType<{ gc?: boolean } | null, MemoryUsage, void>('loopscope/memoryUsage');

export interface LspServerOptions {
  /** Folder holding tree-sitter.wasm and tree-sitter-python.wasm (the bundle's own folder). */
  wasmDir?: string;
}

export class LspServer {
  private analyzer: Analyzer | undefined;
  private readonly ready: Promise<Analyzer>;
  private readonly documents = new DocumentStore();
  private readonly settings: SettingsStore;
  private readonly scheduler: DiagnosticsScheduler;
  private readonly framing = new MessageFraming();
  private features: ClientFeatures = clientFeatures({});
  private folders: string[] = [];
  private initOptions: unknown;

  constructor(private readonly connection: Connection, options: LspServerOptions = {}) {
    this.settings = new SettingsStore((m) => this.log(m));
    this.scheduler = new DiagnosticsScheduler((uri) => this.analyse(uri));
    this.ready = Analyzer.create({ wasmDir: options.wasmDir }).then((a) => {
      this.analyzer = a;
      // Documents opened while the grammar loaded are analysed now.
      this.scheduler.touch(this.documents.uris());
      return a;
    });
    this.ready.catch((err: unknown) => this.log(`could not load the Python grammar, so nothing is analysed: ${errorText(err)}`));
  }

  /** Routes every message and starts reading from the connection. */
  listen(): void {
    const c = this.connection;
    c.onInitialize((p) => this.initialize(p));
    c.onInitialized(() => this.background('initialization', this.initialized()));
    c.onShutdown(() => this.scheduler.dispose());
    c.onDidChangeConfiguration((p) => this.background('reading the settings', this.configurationChanged(p)));
    c.onDidOpenTextDocument((p) => this.opened(p));
    c.onDidChangeTextDocument((p) => this.changed(p));
    c.onDidCloseTextDocument((p) => this.background('closing a document', this.closed(p)));
    c.onDidChangeWatchedFiles((p) => this.background('re-reading changed files', this.watchedFilesChanged(p)));
    c.onCodeAction((p) => this.codeActions(p));
    c.onRequest(MemoryUsageRequest, (p) => memoryUsage(p?.gc === true));
    c.listen();
  }

  /**
   * Call for every chunk of raw input the connection reads: while a large message is still
   * arriving, analysing the previous version would only delay the next one.
   */
  noteInput(chunk: Uint8Array): void {
    this.scheduler.noteInput(this.framing.push(chunk));
  }

  /** Notification work that finishes later: a failure is logged (a grammar that failed to load is logged once). */
  private background(what: string, work: Promise<void>): void {
    work.catch((err: unknown) => {
      if (!this.analyzer) return;
      this.log(`${what} failed: ${errorText(err)}`);
    });
  }

  private log(message: string): void {
    this.connection.console.log(`[loopscope] ${message}`);
  }

  private initialize(params: InitializeParams): InitializeResult {
    this.features = clientFeatures(params.capabilities);
    this.folders = (params.workspaceFolders ?? []).map((f) => uriToPath(f.uri));
    if (!this.folders.length && params.rootUri) this.folders = [uriToPath(params.rootUri)];
    this.initOptions = params.initializationOptions;
    if (this.initOptions !== undefined && this.initOptions !== null) this.settings.apply(this.initOptions, 'initializationOptions');
    return { capabilities: serverCapabilities(this.features), serverInfo: { name: 'loopscope', version: VERSION } };
  }

  private async initialized(): Promise<void> {
    void registerDynamic(this.connection, this.features, (m) => this.log(m));
    if (this.features.workspaceFolders) {
      // Announced statically in the initialize result, so this adds no dynamic registration.
      this.connection.workspace.onDidChangeWorkspaceFolders((e) => this.background('indexing workspace folders', this.foldersChanged(e)));
    }
    await this.ready;
    await this.readSettings();
    await this.indexFolders(this.folders);
  }

  private async readSettings(): Promise<void> {
    if (!this.features.configuration) return;
    try {
      const section: unknown = await this.connection.workspace.getConfiguration(CONFIG_SECTION);
      this.settings.apply(section, 'workspace/configuration');
    } catch (err) {
      // Without an answer the settings from initializationOptions stay in force.
      this.log(`could not read configuration: ${errorText(err)}`);
    }
  }

  private async configurationChanged(change: DidChangeConfigurationParams): Promise<void> {
    if (this.features.configuration) await this.readSettings();
    else this.settings.applyPush(change.settings);
    this.scheduler.touch(this.documents.uris());
  }

  private async foldersChanged({ added, removed }: WorkspaceFoldersChangeEvent): Promise<void> {
    const analyzer = await this.ready;
    for (const f of removed) {
      const dir = uriToPath(f.uri);
      this.folders = this.folders.filter((x) => x !== dir);
      analyzer.forgetFolder(dir);
    }
    const fresh = added.map((f) => uriToPath(f.uri));
    this.folders.push(...fresh);
    if (fresh.length) await this.indexFolders(fresh);
    else this.scheduler.touch(this.documents.uris());
  }

  private async indexFolders(list: string[]): Promise<void> {
    const analyzer = await this.ready;
    const t0 = Date.now();
    let files = 0;
    let skipped = 0;
    for (const folder of list) {
      try {
        const r = await analyzer.indexFolder(folder);
        files += r.files;
        skipped += r.skipped.length;
        for (const s of r.skipped.slice(0, 20)) this.log(`skipped ${s.path}: ${s.reason}`);
      } catch (err) {
        this.log(`indexing ${folder} failed: ${errorText(err)}`);
      }
    }
    const ms = Date.now() - t0;
    this.log(`indexed ${files} Python files in ${ms} ms (${skipped} skipped)`);
    void this.connection.sendNotification(IndexedNotification, { files, skipped, ms });
    // Definitions found by indexing can change open documents' results.
    this.scheduler.touch(this.documents.uris());
  }

  private opened({ textDocument }: DidOpenTextDocumentParams): void {
    if (!isPythonDocument(textDocument.uri, textDocument.languageId)) return;
    this.documents.open(textDocument.uri, textDocument.version, textDocument.text);
    this.scheduler.touch([textDocument.uri]);
  }

  private changed({ textDocument, contentChanges }: DidChangeTextDocumentParams): void {
    if (!this.documents.change(textDocument.uri, textDocument.version, contentChanges)) return;
    this.scheduler.touch([textDocument.uri]);
  }

  private async closed({ textDocument }: DidCloseTextDocumentParams): Promise<void> {
    const p = this.documents.close(textDocument.uri);
    this.scheduler.forget(textDocument.uri);
    if (p === undefined) return;
    void this.connection.sendDiagnostics({ uri: textDocument.uri, diagnostics: [] });
    const analyzer = await this.ready;
    // The document may have been opened again while waiting.
    if (this.documents.isOpen(textDocument.uri) || !analyzer.isOpen(p)) return;
    const before = analyzer.dependentsOf(p);
    analyzer.close(p);
    this.recheckDependents(analyzer, p, before);
  }

  private async watchedFilesChanged({ changes }: DidChangeWatchedFilesParams): Promise<void> {
    const analyzer = await this.ready;
    for (const c of changes) {
      const p = uriToPath(c.uri);
      if (!p.endsWith('.py')) continue;
      // Importers are found before the change too: a deleted module has none afterwards.
      const before = analyzer.dependentsOf(p);
      analyzer.fileChangedOnDisk(p, c.type === FileChangeType.Deleted);
      this.recheckDependents(analyzer, p, before);
    }
  }

  private async codeActions(params: CodeActionParams): Promise<CodeAction[]> {
    const analyzer = await this.ready;
    const uri = params.textDocument.uri;
    // Ranges refer to the latest version: apply what is pending (and publish it) first.
    this.scheduler.runNow(uri);
    this.applyPending(analyzer, uri);
    try {
      return codeActionsFor(analyzer, this.documents.pathOf(uri), params, this.settings.severities);
    } catch (err) {
      this.log(`code actions failed for ${uri}: ${errorText(err)}`);
      return [];
    }
  }

  /** Hands a document's pending edits to the analysis; importers are re-checked when its definitions changed. */
  private applyPending(analyzer: Analyzer, uri: string): void {
    const pending = this.documents.takePending(uri);
    if (!pending) return;
    const p = this.documents.pathOf(uri);
    const generation = analyzer.index.generation;
    try {
      const base = analyzer.text(p);
      if (pending.fullText !== undefined && base !== undefined) {
        // A full text for a parsed document becomes the edit it really is.
        analyzer.change(p, foldChanges(base, [diffAsChange(base, pending.fullText), ...pending.changes]));
      } else {
        if (pending.fullText !== undefined) analyzer.change(p, [], pending.fullText);
        if (pending.changes.length) analyzer.change(p, foldChanges(analyzer.text(p), pending.changes));
      }
    } catch (err) {
      this.log(`could not apply edits to ${p}: ${errorText(err)}`);
    }
    if (analyzer.index.generation !== generation) this.recheckDependents(analyzer, p);
  }

  private recheckDependents(analyzer: Analyzer, p: string, extra: string[] = []): void {
    const open = new Set(analyzer.openPaths());
    const deps = [...new Set([...analyzer.dependentsOf(p), ...extra])].filter((d) => open.has(d) && d !== p);
    if (deps.length) this.scheduler.touch(deps.map((d) => this.documents.uriOf(d)));
  }

  /** Brings one document up to date and publishes its diagnostics (called by the scheduler). */
  private analyse(uri: string): void {
    const analyzer = this.analyzer;
    if (!analyzer || !this.documents.isOpen(uri)) return;
    this.applyPending(analyzer, uri);
    const p = this.documents.pathOf(uri);
    if (!analyzer.isOpen(p)) return;
    let diagnostics = [skippedDiagnostic('the analysis failed (see the Loopscope output)')];
    try {
      const findings = analyzer.check(p);
      const bad = analyzer.unanalysable(p);
      const src = analyzer.source(p);
      if (bad) diagnostics = [skippedDiagnostic(bad.detail)];
      else diagnostics = src ? toDiagnostics(src, findings, this.settings.severities) : [];
    } catch (err) {
      this.log(`analysis failed for ${p}: ${errorText(err)}`);
    }
    void this.connection.sendDiagnostics({ uri, version: this.documents.version(uri), diagnostics });
  }
}

/** One re-parse for a run of edits; a document held as plain text takes them as they are. */
function foldChanges(base: string | undefined, changes: TextChange[]): TextChange[] {
  if (base === undefined || changes.length < 2) return changes;
  return [collapseChanges(base, changes)];
}

function memoryUsage(collect: boolean): MemoryUsage {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (collect && gc) gc();
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers, collected: collect && !!gc };
}

function errorText(err: unknown): string {
  return err instanceof Error ? (err.stack ?? err.message) : String(err);
}
