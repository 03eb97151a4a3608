// Wires the analysis to LSP: document sync (incremental), pushed diagnostics, quick fixes and
// "fix all" code actions, `loopscope.rules.<code>.severity` configuration, workspace indexing and
// re-checking importers. Handlers only translate between LSP shapes and the Analyzer.
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  CodeAction,
  CodeActionKind,
  CodeActionParams,
  Connection,
  Diagnostic,
  DiagnosticSeverity,
  DidChangeConfigurationNotification,
  DidChangeWatchedFilesNotification,
  FileChangeType,
  InitializeParams,
  InitializeResult,
  NotificationType,
  Range,
  TextDocumentSyncKind,
  TextEdit,
} from 'vscode-languageserver/node';
import { Analyzer } from './analysis/analyzer';
import { Finding, RULE_CODES, RuleCode } from './analysis/rules';
import { PySource } from './analysis/syntax';

export const FIX_ALL_KIND = 'source.fixAll.loopscope';
export const CONFIG_SECTION = 'loopscope';

/** Sent once the workspace folders are indexed (tests and clients can wait on it). */
export const IndexedNotification = new NotificationType<{ files: number; skipped: number; ms: number }>('loopscope/indexed');

type Severity = 'error' | 'warning' | 'information' | 'hint' | 'off';
const DEFAULT_SEVERITY: Record<RuleCode, Severity> = {
  'never-awaited': 'warning',
  'coroutine-in-condition': 'warning',
  'coroutine-misused': 'error',
  'dangling-task': 'warning',
  'blocking-call-in-async': 'warning',
};
const SEVERITY: Record<Exclude<Severity, 'off'>, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  information: DiagnosticSeverity.Information,
  hint: DiagnosticSeverity.Hint,
};

interface Settings {
  rules?: Partial<Record<string, { severity?: string }>>;
}

export function startServer(connection: Connection, wasmDir: string | undefined): void {
  let analyzer: Analyzer | undefined;
  const ready = Analyzer.create({ wasmDir }).then((a) => (analyzer = a));
  const uriToPath = new Map<string, string>();
  const pathToUri = new Map<string, string>();
  const versions = new Map<string, number | undefined>();
  let severities: Record<RuleCode, Severity> = { ...DEFAULT_SEVERITY };
  let hasConfigurationCapability = false;
  let hasWatchCapability = false;
  let hasWorkspaceFoldersCapability = false;
  let folders: string[] = [];
  let initSettings: Settings | undefined;
  const pending = new Set<string>();
  let flushScheduled = false;

  const log = (msg: string) => connection.console.log(`[loopscope] ${msg}`);

  const toPath = (uri: string): string => {
    let p = uriToPath.get(uri);
    if (!p) {
      try {
        p = uri.startsWith('file:') ? fileURLToPath(uri) : uri;
      } catch {
        p = uri;
      }
      uriToPath.set(uri, p);
      pathToUri.set(p, uri);
    }
    return p;
  };
  const toUri = (p: string): string => pathToUri.get(p) ?? pathToFileURL(p).toString();

  const schedule = (uris: Iterable<string>) => {
    for (const u of uris) pending.add(u);
    if (flushScheduled) return;
    flushScheduled = true;
    // Coalesce a burst of didChange messages that arrived together into one check per file.
    setImmediate(() => {
      flushScheduled = false;
      const batch = [...pending];
      pending.clear();
      for (const uri of batch) publish(uri);
    });
  };

  const rangeOf = (src: PySource, start: number, end: number): Range => {
    const s = src.pointAt(start);
    const e = src.pointAt(end);
    return { start: { line: s.row, character: s.column }, end: { line: e.row, character: e.column } };
  };

  const toDiagnostic = (src: PySource, f: Finding): Diagnostic | undefined => {
    const sev = severities[f.code] ?? 'warning';
    if (sev === 'off') return undefined;
    return { range: rangeOf(src, f.start, f.end), severity: SEVERITY[sev], code: f.code, source: 'loopscope', message: f.message };
  };

  const publish = (uri: string) => {
    if (!analyzer) return;
    const p = toPath(uri);
    if (!analyzer.isOpen(p)) return;
    const version = versions.get(uri);
    let diagnostics: Diagnostic[] = [];
    try {
      const findings = analyzer.check(p);
      const bad = analyzer.unanalysable(p);
      const src = analyzer.source(p);
      if (bad) {
        diagnostics = [{
          range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
          severity: DiagnosticSeverity.Information,
          source: 'loopscope',
          code: 'file-skipped',
          message: `Loopscope did not analyse this file: ${bad.detail}.`,
        }];
      } else if (src) {
        for (const f of findings) {
          const d = toDiagnostic(src, f);
          if (d) diagnostics.push(d);
        }
      }
    } catch (err) {
      log(`analysis failed for ${p}: ${(err as Error).stack ?? err}`);
    }
    void connection.sendDiagnostics({ uri, version, diagnostics });
  };

  const recheckDependents = (p: string, extra: string[] = []) => {
    if (!analyzer) return;
    const open = new Set(analyzer.openPaths());
    const deps = [...new Set([...analyzer.dependentsOf(p), ...extra])].filter((d) => open.has(d) && d !== p);
    schedule(deps.map(toUri));
  };

  const readSettings = async () => {
    // Without workspace/configuration, initializationOptions stay in force until a push arrives.
    let s: Settings | undefined = initSettings;
    if (hasConfigurationCapability) {
      try {
        s = (await connection.workspace.getConfiguration(CONFIG_SECTION)) as Settings | undefined;
      } catch (err) {
        log(`could not read configuration: ${(err as Error).message}`);
      }
    }
    applySettings(s);
  };

  const applySettings = (s: Settings | undefined) => {
    const next: Record<RuleCode, Severity> = { ...DEFAULT_SEVERITY };
    for (const code of RULE_CODES) {
      const v = s?.rules?.[code]?.severity;
      if (v === undefined) continue;
      const norm = String(v).toLowerCase();
      if (norm === 'error' || norm === 'warning' || norm === 'information' || norm === 'hint' || norm === 'off') next[code] = norm;
      else if (norm === 'info') next[code] = 'information';
      else log(`ignoring loopscope.rules.${code}.severity = ${JSON.stringify(v)} (expected error|warning|information|hint|off)`);
    }
    severities = next;
  };

  connection.onInitialize((params: InitializeParams): InitializeResult => {
    hasConfigurationCapability = !!params.capabilities.workspace?.configuration;
    hasWatchCapability = !!params.capabilities.workspace?.didChangeWatchedFiles?.dynamicRegistration;
    hasWorkspaceFoldersCapability = !!params.capabilities.workspace?.workspaceFolders;
    folders = (params.workspaceFolders ?? []).map((f) => toPath(f.uri));
    if (!folders.length && params.rootUri) folders = [toPath(params.rootUri)];
    initSettings = params.initializationOptions as Settings | undefined;
    if (initSettings?.rules) applySettings(initSettings);
    return {
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix, FIX_ALL_KIND] },
        workspace: { workspaceFolders: { supported: true, changeNotifications: true } },
      },
      serverInfo: { name: 'loopscope', version: '0.1.0' },
    };
  });

  connection.onInitialized(async () => {
    if (hasConfigurationCapability) {
      void connection.client.register(DidChangeConfigurationNotification.type, { section: CONFIG_SECTION }).catch(() => undefined);
    }
    if (hasWatchCapability) {
      void connection.client.register(DidChangeWatchedFilesNotification.type, { watchers: [{ globPattern: '**/*.py' }] }).catch(() => undefined);
    }
    if (hasWorkspaceFoldersCapability) {
      connection.workspace.onDidChangeWorkspaceFolders(async ({ added, removed }) => {
        await ready;
        for (const f of removed) {
          const dir = toPath(f.uri);
          folders = folders.filter((x) => x !== dir);
          analyzer!.forgetFolder(dir);
        }
        const fresh = added.map((f) => toPath(f.uri));
        folders.push(...fresh);
        if (fresh.length) await indexFolders(fresh);
        else schedule(analyzer!.openPaths().map(toUri));
      });
    }
    await ready;
    await readSettings();
    await indexFolders(folders);
  });

  const indexFolders = async (list: string[]) => {
    const t0 = Date.now();
    let files = 0;
    let skipped = 0;
    for (const folder of list) {
      try {
        const r = await analyzer!.indexFolder(folder);
        files += r.files;
        skipped += r.skipped.length;
        for (const s of r.skipped.slice(0, 20)) log(`skipped ${s.path}: ${s.reason}`);
      } catch (err) {
        log(`indexing ${folder} failed: ${(err as Error).message}`);
      }
    }
    const ms = Date.now() - t0;
    log(`indexed ${files} Python files in ${ms} ms (${skipped} skipped)`);
    void connection.sendNotification(IndexedNotification, { files, skipped, ms });
    // Definitions found by indexing can change open documents' results.
    schedule(analyzer!.openPaths().map(toUri));
  };

  connection.onDidChangeConfiguration(async (change) => {
    if (hasConfigurationCapability) await readSettings();
    else {
      initSettings = (change.settings as Record<string, Settings> | undefined)?.[CONFIG_SECTION];
      applySettings(initSettings);
    }
    if (analyzer) schedule(analyzer.openPaths().map(toUri));
  });

  connection.onDidOpenTextDocument(async ({ textDocument }) => {
    await ready;
    const p = toPath(textDocument.uri);
    // Clients that send every document get silence for non-Python ones.
    if (textDocument.languageId !== 'python' && !/\.pyi?$/.test(p)) return;
    versions.set(textDocument.uri, textDocument.version);
    try {
      analyzer!.open(p, textDocument.text);
    } catch (err) {
      log(`could not parse ${p}: ${(err as Error).message}`);
    }
    schedule([textDocument.uri]);
    recheckDependents(p);
  });

  connection.onDidChangeTextDocument(async ({ textDocument, contentChanges }) => {
    await ready;
    const p = toPath(textDocument.uri);
    versions.set(textDocument.uri, textDocument.version);
    const generation = analyzer!.index.generation;
    try {
      for (const c of contentChanges) {
        if ('range' in c) {
          analyzer!.change(p, [{ range: { start: { row: c.range.start.line, column: c.range.start.character }, end: { row: c.range.end.line, column: c.range.end.character } }, text: c.text }]);
        } else {
          analyzer!.change(p, [], c.text);
        }
      }
    } catch (err) {
      log(`could not apply edit to ${p}: ${(err as Error).message}`);
    }
    schedule([textDocument.uri]);
    // Importers only need a re-check when this module's definitions or imports changed.
    if (analyzer!.index.generation !== generation) recheckDependents(p);
  });

  connection.onDidCloseTextDocument(async ({ textDocument }) => {
    await ready;
    const p = toPath(textDocument.uri);
    const before = analyzer!.dependentsOf(p);
    analyzer!.close(p);
    versions.delete(textDocument.uri);
    void connection.sendDiagnostics({ uri: textDocument.uri, diagnostics: [] });
    recheckDependents(p, before);
  });

  connection.onDidChangeWatchedFiles(async ({ changes }) => {
    await ready;
    for (const c of changes) {
      const p = toPath(c.uri);
      if (!p.endsWith('.py')) continue;
      // Importers are found before the change too: a deleted module has none afterwards.
      const before = analyzer!.dependentsOf(p);
      analyzer!.fileChangedOnDisk(p, c.type === FileChangeType.Deleted);
      recheckDependents(p, before);
    }
  });

  connection.onCodeAction(async (params: CodeActionParams): Promise<CodeAction[]> => {
    await ready;
    const p = toPath(params.textDocument.uri);
    const src = analyzer!.source(p);
    if (!src) return [];
    const uri = params.textDocument.uri;
    const only = params.context.only;
    const wants = (kind: string) => !only || only.some((o) => kind === o || kind.startsWith(o + '.'));
    const toEdit = (e: { start: number; end: number; newText: string }): TextEdit => ({ range: rangeOf(src, e.start, e.end), newText: e.newText });
    const actions: CodeAction[] = [];
    try {
      if (wants(CodeActionKind.QuickFix)) {
        const start = src.offsetAt(params.range.start.line, params.range.start.character);
        const end = src.offsetAt(params.range.end.line, params.range.end.character);
        for (const { finding, fixes } of analyzer!.fixesAt(p, start, end)) {
          const diagnostic = toDiagnostic(src, finding);
          if (!diagnostic) continue;
          for (const fix of fixes) {
            actions.push({
              title: fix.title,
              kind: CodeActionKind.QuickFix,
              diagnostics: [diagnostic],
              isPreferred: fix.preferred,
              edit: { changes: { [uri]: fix.edits.map(toEdit) } },
            });
          }
          const row = src.pointAt(finding.start).row;
          const line = src.lineText(row);
          if (!/#\s*noqa/i.test(line)) {
            const at = src.offsetAt(row, line.length);
            actions.push({
              title: `Ignore \`${finding.code}\` on this line`,
              kind: CodeActionKind.QuickFix,
              diagnostics: [diagnostic],
              edit: { changes: { [uri]: [toEdit({ start: at, end: at, newText: `  # noqa: ${finding.code}` })] } },
            });
          }
        }
      }
      if (wants(FIX_ALL_KIND)) {
        const edits = analyzer!.fixAll(p, (code) => severities[code] !== 'off');
        if (edits.length) {
          actions.push({ title: 'Fix all Loopscope problems in this file', kind: FIX_ALL_KIND, edit: { changes: { [uri]: edits.map(toEdit) } } });
        }
      }
    } catch (err) {
      log(`code actions failed for ${p}: ${(err as Error).message}`);
    }
    return actions;
  });

  connection.listen();
}

