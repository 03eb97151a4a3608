// Runtime findings → the Problems panel ("Loopscope (runtime)"): one diagnostic per finding at
// its file:line, kept after the program ends so the user can read them, cleared when a new
// Loopscope session starts. The wording comes from views/findings.ts.

import * as vscode from 'vscode';
import type { FindingRecord } from '../protocol/customDap';
import { type DiagnosticData, findingMessage, findingToDiagnostic, type Severity } from '../views/findings';
import type { LoopscopeSession, LoopscopeSessions } from './sessions';

export const RUNTIME_SOURCE = 'Loopscope (runtime)';

const SEVERITY: Record<Severity, vscode.DiagnosticSeverity> = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  information: vscode.DiagnosticSeverity.Information,
};

export function toDiagnostic(d: DiagnosticData): vscode.Diagnostic {
  const line = d.line - 1;
  const diag = new vscode.Diagnostic(new vscode.Range(line, 0, line, Number.MAX_SAFE_INTEGER), d.message, SEVERITY[d.severity]);
  diag.source = RUNTIME_SOURCE;
  diag.code = d.code;
  diag.relatedInformation = d.related.map((r) => new vscode.DiagnosticRelatedInformation(
    new vscode.Location(vscode.Uri.file(r.file), new vscode.Position(r.line - 1, 0)), r.message));
  return diag;
}

export class FindingsDiagnostics implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection(RUNTIME_SOURCE);
  /** Findings of the latest session, by id (updates upsert; a new session starts empty). */
  private findings = new Map<number, { finding: FindingRecord; session: LoopscopeSession }>();
  private readonly disposables: vscode.Disposable[] = [];

  constructor(sessions: LoopscopeSessions, private readonly log: vscode.OutputChannel) {
    this.disposables.push(
      this.collection,
      sessions.onDidStart(() => this.clear()),
      sessions.onDidUpdate(({ session, change }) => {
        if (change.findings.length === 0) return;
        for (const finding of change.findings) this.findings.set(finding.id, { finding, session });
        this.render();
      }),
    );
  }

  clear(): void {
    this.findings.clear();
    this.collection.clear();
  }

  private render(): void {
    const byFile = new Map<string, vscode.Diagnostic[]>();
    for (const { finding, session } of this.findings.values()) {
      const ctx = { blockingThresholdMs: session.blockingThresholdMs, task: (id: number) => session.mirror.tasks.get(id) };
      const data = findingToDiagnostic(finding, ctx);
      if (!data) {
        this.log.appendLine(`[runtime finding without a source location] ${finding.kind}: ${findingMessage(finding, ctx)}`);
        continue;
      }
      let list = byFile.get(data.file);
      if (!list) byFile.set(data.file, (list = []));
      list.push(toDiagnostic(data));
    }
    this.collection.clear();
    for (const [file, diags] of byFile) this.collection.set(vscode.Uri.file(file), diags);
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
