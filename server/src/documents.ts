// Owns the open documents as the client sees them: URI <-> path, the latest version, and the
// edits not yet handed to the analysis. Nothing is kept per version: a full-text change replaces
// whatever was pending, so a burst of edits costs one string per document, not one per edit.
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { TextDocumentContentChangeEvent } from 'vscode-languageserver/node';
import type { TextChange } from './analysis/syntax';

/** Edits waiting to be applied: an optional full text, then incremental changes on top of it. */
export interface PendingEdits {
  fullText?: string;
  changes: TextChange[];
}

interface OpenDocument {
  path: string;
  version: number | undefined;
  pending: PendingEdits | undefined;
}

export function uriToPath(uri: string): string {
  if (!uri.startsWith('file:')) return uri;
  try {
    return fileURLToPath(uri);
  } catch {
    return uri;
  }
}

/** Clients that send every document get silence for non-Python ones. */
export function isPythonDocument(uri: string, languageId: string): boolean {
  return languageId === 'python' || /\.pyi?$/.test(uriToPath(uri));
}

export class DocumentStore {
  private readonly docs = new Map<string, OpenDocument>();
  private readonly uriByPath = new Map<string, string>();

  /** Starts tracking a document; its text is pending until taken. */
  open(uri: string, version: number | undefined, text: string): void {
    this.forget(uri);
    const p = uriToPath(uri);
    this.docs.set(uri, { path: p, version, pending: { fullText: text, changes: [] } });
    this.uriByPath.set(p, uri);
  }

  /** Records a didChange. Returns false for a document that is not open (the change is dropped). */
  change(uri: string, version: number | undefined, contentChanges: readonly TextDocumentContentChangeEvent[]): boolean {
    const doc = this.docs.get(uri);
    if (!doc) return false;
    doc.version = version;
    for (const c of contentChanges) {
      if ('range' in c) {
        doc.pending ??= { changes: [] };
        doc.pending.changes.push({
          range: { start: { row: c.range.start.line, column: c.range.start.character }, end: { row: c.range.end.line, column: c.range.end.character } },
          text: c.text,
        });
      } else {
        // A full text supersedes everything before it.
        doc.pending = { fullText: c.text, changes: [] };
      }
    }
    return true;
  }

  /** Stops tracking a document; returns its path when it was open. */
  close(uri: string): string | undefined {
    const doc = this.docs.get(uri);
    this.forget(uri);
    return doc?.path;
  }

  /** Hands over the pending edits (the store keeps none afterwards). */
  takePending(uri: string): PendingEdits | undefined {
    const doc = this.docs.get(uri);
    const pending = doc?.pending;
    if (doc) doc.pending = undefined;
    return pending;
  }

  hasPending(uri: string): boolean {
    return this.docs.get(uri)?.pending !== undefined;
  }

  isOpen(uri: string): boolean {
    return this.docs.has(uri);
  }

  version(uri: string): number | undefined {
    return this.docs.get(uri)?.version;
  }

  pathOf(uri: string): string {
    return this.docs.get(uri)?.path ?? uriToPath(uri);
  }

  /** The URI the client used for an open path, else a file URI. */
  uriOf(filePath: string): string {
    return this.uriByPath.get(filePath) ?? pathToFileURL(filePath).toString();
  }

  uris(): string[] {
    return [...this.docs.keys()];
  }

  private forget(uri: string): void {
    const doc = this.docs.get(uri);
    if (!doc) return;
    this.docs.delete(uri);
    if (this.uriByPath.get(doc.path) === uri) this.uriByPath.delete(doc.path);
  }
}
