// Facade over the analysis: owns open documents (incrementally re-parsed), the workspace index of
// files on disk, bounded folder indexing, `# noqa` filtering and fix computation. No LSP types here:
// the server maps offsets and severities itself.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Language } from 'web-tree-sitter';
import { fixAll, fixesFor, QuickFix, TextEdit } from './fixes';
import { FileContext } from './infer';
import { checkFile, Finding, RuleCache } from './rules';
import { ScopeCache } from './scopes';
import { ModuleSummary, summarise, SummaryCache } from './summary';
import { loadPython, PySource, TextChange } from './syntax';
import { moduleNameForPath, WorkspaceIndex } from './workspace';

export interface IndexLimits {
  /** Files larger than this are skipped (bytes). */
  maxFileBytes: number;
  /** Stop after this many files. */
  maxFiles: number;
}

export const DEFAULT_LIMITS: IndexLimits = { maxFileBytes: 1_000_000, maxFiles: 20_000 };

export interface SkippedFile {
  path: string;
  reason: 'too-large' | 'binary' | 'not-utf8' | 'unreadable' | 'too-many-files' | 'too-deep';
}

/** Why an open document is not analysed (shown to the user once). */
export type Unanalysable = { reason: 'too-large' | 'binary' | 'too-deep'; detail: string };

const TOO_DEEP: Unanalysable = { reason: 'too-deep', detail: 'the code is nested too deeply to analyse' };

/** Pathologically nested code (thousands of levels) exhausts the stack of the recursive walks. */
function isTooDeep(err: unknown): boolean {
  return err instanceof RangeError;
}

export interface SourceFile {
  path: string;
  text: string;
}

export interface ParsedFile extends SourceFile {
  src?: PySource;
  summary: ModuleSummary & { signature: string };
}

export interface FolderResults {
  results: { path: string; text: string; findings: Finding[] }[];
  skipped: SkippedFile[];
}

interface OpenDoc {
  source?: PySource;
  summaryCache: SummaryCache;
  scopeCache: ScopeCache;
  ruleCache: RuleCache;
  unanalysable?: Unanalysable;
  rawText?: string;
  summary?: ModuleSummary;
  ctx?: FileContext;
  findings?: Finding[];
}

const SKIP_DIRS = new Set(['.git', 'node_modules', '__pycache__', '.venv', 'venv', '.tox', '.mypy_cache', '.pytest_cache', 'site-packages', 'dist', 'build', '.hg', '.svn']);

export class Analyzer {
  readonly index = new WorkspaceIndex();
  private readonly docs = new Map<string, OpenDoc>();

  private constructor(private readonly language: Language, readonly limits: IndexLimits) {}

  static async create(options: { wasmDir?: string; limits?: Partial<IndexLimits> } = {}): Promise<Analyzer> {
    const lang = await loadPython(options.wasmDir);
    return new Analyzer(lang, { ...DEFAULT_LIMITS, ...options.limits });
  }

  /** Indexes every `.py` file under `folder` (summaries only), skipping what cannot be read safely. */
  async indexFolder(folder: string, onProgress?: (done: number) => void): Promise<{ files: number; skipped: SkippedFile[] }> {
    const skipped: SkippedFile[] = [];
    let files = 0;
    for await (const r of this.readFolder(folder, skipped)) {
      if (!this.indexText(r.path, r.text)) {
        skipped.push({ path: r.path, reason: 'too-deep' });
        continue;
      }
      files++;
      if (files % 200 === 0) {
        onProgress?.(files);
        // Let queued LSP requests run between batches.
        await new Promise((res) => setImmediate(res));
      }
    }
    return { files, skipped };
  }

  /**
   * Checks every Python file under `folder` in one pass (the command-line mode): each file is
   * parsed once, all are indexed first so cross-file calls resolve, then each is checked.
   */
  async checkFolder(folders: string | string[]): Promise<FolderResults> {
    const { files, skipped } = await this.readFolders(folders);
    const share = this.parseShare(files);
    try {
      const checked = this.checkShare(share.parsed);
      return { results: checked.results, skipped: [...skipped, ...share.skipped, ...checked.skipped] };
    } finally {
      for (const p of share.parsed) p.src?.dispose();
    }
  }

  /** Every readable Python file under the folders, in a stable order. */
  async readFolders(folders: string | string[]): Promise<{ files: SourceFile[]; skipped: SkippedFile[] }> {
    const skipped: SkippedFile[] = [];
    const files: SourceFile[] = [];
    for (const folder of typeof folders === 'string' ? [folders] : folders) {
      for await (const r of this.readFolder(folder, skipped)) files.push(r);
    }
    return { files, skipped };
  }

  /** Parses and indexes files; trees are kept for the check while they fit a budget. */
  parseShare(files: readonly SourceFile[]): { parsed: ParsedFile[]; skipped: SkippedFile[] } {
    // Beyond the budget files are parsed twice so memory stays bounded on large trees (the whole
    // standard library, say).
    const KEEP_CHARS = 8_000_000;
    let kept = 0;
    const parsed: ParsedFile[] = [];
    const skipped: SkippedFile[] = [];
    for (const r of files) {
      let src: PySource | undefined;
      let summary: ModuleSummary & { signature: string };
      try {
        src = PySource.create(this.language, r.text);
        const { name, isPackage } = moduleNameForPath(r.path);
        summary = summarise(src.root, r.text, name, isPackage);
      } catch (err) {
        src?.dispose();
        if (!isTooDeep(err)) throw err;
        skipped.push({ path: r.path, reason: 'too-deep' });
        continue;
      }
      this.index.set(r.path, summary);
      if (kept + r.text.length <= KEEP_CHARS) {
        kept += r.text.length;
        parsed.push({ path: r.path, text: r.text, src, summary });
      } else {
        src.dispose();
        parsed.push({ path: r.path, text: r.text, summary });
      }
    }
    return { parsed, skipped };
  }

  /** Modules summarised elsewhere (another thread), so calls into them resolve here too. */
  adoptSummaries(items: readonly { path: string; summary: ModuleSummary & { signature: string } }[]): void {
    for (const it of items) this.index.set(it.path, it.summary);
  }

  /** Checks parsed files against the whole index; releases each tree once checked. */
  checkShare(parsed: ParsedFile[]): FolderResults {
    const results: FolderResults['results'] = [];
    const skipped: SkippedFile[] = [];
    for (const p of parsed) {
      let src: PySource | undefined;
      try {
        src = p.src ?? PySource.create(this.language, p.text);
        results.push({ path: p.path, text: p.text, findings: applyNoqa(checkFile(new FileContext(src.root, src.text, p.summary, this.index)), src) });
      } catch (err) {
        if (!isTooDeep(err)) throw err;
        skipped.push({ path: p.path, reason: 'too-deep' });
      } finally {
        src?.dispose();
        p.src = undefined;
      }
    }
    return { results, skipped };
  }

  private async *readFolder(folder: string, skipped: SkippedFile[]): AsyncGenerator<{ path: string; text: string }> {
    let files = 0;
    const stack = [folder];
    while (stack.length) {
      const dir = stack.pop()!;
      let entries: fs.Dirent[];
      try {
        entries = await fs.promises.readdir(dir, { withFileTypes: true });
      } catch {
        continue;
      }
      entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      for (const e of entries) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) {
          if (!SKIP_DIRS.has(e.name) && !e.name.startsWith('.')) stack.push(p);
          continue;
        }
        if (!e.isFile() || !/\.pyi?$/.test(e.name)) continue;
        if (this.docs.has(p)) continue;
        if (files >= this.limits.maxFiles) {
          skipped.push({ path: p, reason: 'too-many-files' });
          continue;
        }
        const r = await readPythonFile(p, this.limits.maxFileBytes);
        if ('reason' in r) {
          skipped.push({ path: p, reason: r.reason });
          continue;
        }
        files++;
        yield { path: p, text: r.text };
      }
    }
  }

  /** Indexes a file's definitions without keeping its tree; false when it cannot be analysed. */
  indexText(filePath: string, text: string): boolean {
    let src: PySource | undefined;
    try {
      src = PySource.create(this.language, text);
      const { name, isPackage } = moduleNameForPath(filePath);
      this.index.set(filePath, summarise(src.root, text, name, isPackage));
      return true;
    } catch (err) {
      if (!isTooDeep(err)) throw err;
      return false;
    } finally {
      src?.dispose();
    }
  }

  isOpen(filePath: string): boolean {
    return this.docs.has(filePath);
  }

  openPaths(): string[] {
    return [...this.docs.keys()];
  }

  open(filePath: string, text: string): void {
    this.close(filePath, false);
    const doc: OpenDoc = { summaryCache: new WeakMap(), scopeCache: new WeakMap(), ruleCache: new WeakMap() };
    const bad = unanalysable(text, this.limits.maxFileBytes);
    if (bad) {
      doc.unanalysable = bad;
      doc.rawText = text;
    } else {
      try {
        doc.source = PySource.create(this.language, text);
      } catch (err) {
        if (!isTooDeep(err)) throw err;
        doc.unanalysable = TOO_DEEP;
        doc.rawText = text;
      }
    }
    this.docs.set(filePath, doc);
    this.guard(filePath, doc, () => this.refreshSummary(filePath, doc));
  }

  change(filePath: string, changes: readonly TextChange[], fullText?: string): void {
    const doc = this.docs.get(filePath);
    if (!doc) {
      if (fullText !== undefined) this.open(filePath, fullText);
      return;
    }
    if (fullText !== undefined || !doc.source) {
      // Full replacement, or a document we only hold as plain text (too large / binary) until it becomes analysable.
      this.open(filePath, fullText ?? applyPlain(doc.rawText ?? '', changes));
      return;
    }
    try {
      doc.source.applyChanges(changes);
    } catch (err) {
      if (!isTooDeep(err)) throw err;
      this.open(filePath, doc.source.text);
      return;
    }
    if (unanalysable(doc.source.text, this.limits.maxFileBytes)) {
      this.open(filePath, doc.source.text);
      return;
    }
    this.guard(filePath, doc, () => this.refreshSummary(filePath, doc));
  }

  /** Runs an analysis step; too-deep code turns the document into a plain-text one. */
  private guard<T>(filePath: string, doc: OpenDoc, step: () => T): T | undefined {
    try {
      return step();
    } catch (err) {
      if (!isTooDeep(err)) throw err;
      doc.rawText = doc.source?.text ?? doc.rawText;
      doc.source?.dispose();
      doc.source = undefined;
      doc.summary = undefined;
      doc.unanalysable = TOO_DEEP;
      this.index.remove(filePath);
      return undefined;
    }
  }

  close(filePath: string, reindexFromDisk = true): void {
    const doc = this.docs.get(filePath);
    if (!doc) return;
    doc.source?.dispose();
    this.docs.delete(filePath);
    if (!reindexFromDisk) return;
    this.index.remove(filePath);
    try {
      const r = decodeUtf8(fs.readFileSync(filePath), this.limits.maxFileBytes);
      if ('text' in r) this.indexText(filePath, r.text);
    } catch {
      // Deleted or unreadable: it simply leaves the index.
    }
  }

  /** A workspace folder was removed: its closed files leave the index. */
  forgetFolder(folder: string): void {
    const prefix = folder.endsWith(path.sep) ? folder : folder + path.sep;
    for (const file of [...this.index.files.values()]) {
      if (file.startsWith(prefix) && !this.docs.has(file)) this.index.remove(file);
    }
  }

  /** A file changed on disk (not open): refresh its summary. */
  fileChangedOnDisk(filePath: string, deleted: boolean): void {
    if (this.docs.has(filePath)) return;
    this.index.remove(filePath);
    if (deleted) return;
    try {
      const r = decodeUtf8(fs.readFileSync(filePath), this.limits.maxFileBytes);
      if ('text' in r) this.indexText(filePath, r.text);
    } catch {
      // Unreadable files are left out of the index.
    }
  }

  text(filePath: string): string | undefined {
    return this.docs.get(filePath)?.source?.text;
  }

  source(filePath: string): PySource | undefined {
    return this.docs.get(filePath)?.source;
  }

  unanalysable(filePath: string): Unanalysable | undefined {
    return this.docs.get(filePath)?.unanalysable;
  }

  /** Findings for an open document, `# noqa` already applied. */
  check(filePath: string): Finding[] {
    const doc = this.docs.get(filePath);
    if (!doc?.source || !doc.summary) return [];
    const src = doc.source;
    const summary = doc.summary;
    const findings = this.guard(filePath, doc, () => {
      const ctx = new FileContext(src.root, src.text, summary, this.index, doc.scopeCache);
      doc.ctx = ctx;
      return applyNoqa(checkFile(ctx, doc.ruleCache, ctx.environmentKey()), src);
    });
    doc.findings = findings;
    return findings ?? [];
  }

  /** Fixes for findings of an open document that overlap [start, end]. */
  fixesAt(filePath: string, start: number, end: number): { finding: Finding; fixes: QuickFix[] }[] {
    const doc = this.docs.get(filePath);
    if (!doc?.ctx || !doc.findings) this.check(filePath);
    const d = this.docs.get(filePath);
    if (!d?.ctx || !d.findings) return [];
    return d.findings
      .filter((f) => f.start <= end && f.end >= start)
      .map((finding) => ({ finding, fixes: fixesFor(d.ctx!, finding) }));
  }

  fixAll(filePath: string, include: (code: Finding['code']) => boolean = () => true): TextEdit[] {
    const findings = this.check(filePath).filter((f) => include(f.code));
    const d = this.docs.get(filePath);
    return d?.ctx ? fixAll(d.ctx, findings) : [];
  }

  /** One-shot analysis of a text (audits, benchmarks): indexes it, checks it, keeps nothing else. */
  analyzeText(filePath: string, text: string): Finding[] {
    const bad = unanalysable(text, this.limits.maxFileBytes);
    if (bad) return [];
    let src: PySource | undefined;
    try {
      src = PySource.create(this.language, text);
      const { name, isPackage } = moduleNameForPath(filePath);
      const summary = summarise(src.root, text, name, isPackage);
      this.index.set(filePath, summary);
      return applyNoqa(checkFile(new FileContext(src.root, text, summary, this.index)), src);
    } catch (err) {
      if (!isTooDeep(err)) throw err;
      return [];
    } finally {
      src?.dispose();
    }
  }

  dependentsOf(filePath: string): string[] {
    return this.index.dependentsOf(filePath);
  }

  private refreshSummary(filePath: string, doc: OpenDoc): void {
    doc.ctx = undefined;
    doc.findings = undefined;
    if (!doc.source) {
      this.index.remove(filePath);
      doc.summary = undefined;
      return;
    }
    const { name, isPackage } = moduleNameForPath(filePath);
    doc.summary = summarise(doc.source.root, doc.source.text, name, isPackage, doc.summaryCache);
    this.index.set(filePath, doc.summary);
  }
}

/** Applies edits to a string without parsing it (for documents held as plain text). */
function applyPlain(text: string, changes: readonly TextChange[]): string {
  let t = text;
  for (const c of changes) {
    let start: number;
    let end: number;
    if ('range' in c) {
      const at = (row: number, column: number) => {
        let off = 0;
        for (let r = 0; r < row; r++) {
          const nl = t.indexOf('\n', off);
          if (nl === -1) return t.length;
          off = nl + 1;
        }
        return Math.min(off + column, t.length);
      };
      start = at(c.range.start.row, c.range.start.column);
      end = at(c.range.end.row, c.range.end.column);
    } else {
      start = c.start;
      end = c.end;
    }
    t = t.slice(0, start) + c.text + t.slice(end);
  }
  return t;
}

/** Codes of other linters for the same problems, so existing `# noqa` comments keep working. */
const EQUIVALENT_CODES: Record<string, Finding['code']> = {
  ruf006: 'dangling-task', // ruff: store a reference to the return value of asyncio.create_task
  async210: 'blocking-call-in-async', // flake8-async: blocking HTTP call
  async211: 'blocking-call-in-async',
  async220: 'blocking-call-in-async', // flake8-async: blocking subprocess call
  async221: 'blocking-call-in-async',
  async222: 'blocking-call-in-async',
  async250: 'blocking-call-in-async', // flake8-async: blocking input()
  async251: 'blocking-call-in-async', // flake8-async: time.sleep()
};

const NOQA = /#\s*noqa\b(?::\s*([\w-]+(?:\s*,\s*[\w-]+)*))?/i;

function applyNoqa(findings: Finding[], src: PySource): Finding[] {
  return findings.filter((f) => {
    const line = src.lineText(src.pointAt(f.start).row);
    const m = NOQA.exec(line);
    if (!m) return true;
    if (!m[1]) return false;
    const codes = m[1].split(',').map((s) => s.trim().toLowerCase());
    return !codes.some((c) => c === f.code || EQUIVALENT_CODES[c] === f.code);
  });
}

function unanalysable(text: string, maxBytes: number): Unanalysable | undefined {
  if (text.length > maxBytes) return { reason: 'too-large', detail: `${text.length} characters exceeds the ${maxBytes} limit` };
  const nul = text.indexOf('\0');
  if (nul !== -1 && nul < 65536) return { reason: 'binary', detail: 'the file contains NUL bytes' };
  return undefined;
}

function decodeUtf8(buf: Buffer, maxBytes: number): { text: string } | { reason: SkippedFile['reason'] } {
  if (buf.length > maxBytes) return { reason: 'too-large' };
  if (buf.subarray(0, 65536).includes(0)) return { reason: 'binary' };
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(buf) };
  } catch {
    return { reason: 'not-utf8' };
  }
}

async function readPythonFile(p: string, maxBytes: number): Promise<{ text: string } | { reason: SkippedFile['reason'] }> {
  try {
    const st = await fs.promises.stat(p);
    if (st.size > maxBytes) return { reason: 'too-large' };
    return decodeUtf8(await fs.promises.readFile(p), maxBytes);
  } catch {
    return { reason: 'unreadable' };
  }
}
