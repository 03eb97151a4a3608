// Owns code actions: quick fixes and a `# noqa` for each finding under the cursor or named in the
// request's diagnostics, and "fix all" (source.fixAll.loopscope), which is offered only when the
// client asks for that kind, so that it does not crowd the light bulb of every line.
import { CodeAction, CodeActionKind, CodeActionParams, Diagnostic, TextEdit } from 'vscode-languageserver/node';
import type { Analyzer } from './analysis/analyzer';
import type { Finding } from './analysis/rules';
import type { PySource } from './analysis/syntax';
import { FIX_ALL_KIND } from './capabilities';
import { DIAGNOSTIC_SOURCE, rangeOf, toDiagnostic } from './diagnostics';
import { Severities } from './settings';

/** True when `kind` is one of the requested kinds or a sub-kind of one (LSP's hierarchy). */
export function kindRequested(only: readonly string[], kind: string): boolean {
  return only.some((o) => kind === o || kind.startsWith(o + '.'));
}

export function codeActionsFor(analyzer: Analyzer, filePath: string, params: CodeActionParams, severities: Severities): CodeAction[] {
  const src = analyzer.source(filePath);
  if (!src) return [];
  const uri = params.textDocument.uri;
  const only = params.context.only;
  const actions: CodeAction[] = [];
  // Without `only` the client shows a light bulb: quick fixes, but no source action.
  if (!only || kindRequested(only, CodeActionKind.QuickFix)) actions.push(...quickFixes(analyzer, filePath, src, params, severities));
  if (only && kindRequested(only, FIX_ALL_KIND)) {
    const edits = analyzer.fixAll(filePath, (code) => severities[code] !== 'off');
    if (edits.length) {
      actions.push({ title: 'Fix all Loopscope problems in this file', kind: FIX_ALL_KIND, edit: { changes: { [uri]: edits.map((e) => toTextEdit(src, e)) } } });
    }
  }
  return actions;
}

type FindingFixes = ReturnType<Analyzer['fixesAt']>[number];

/**
 * The findings whose fixes are offered: those the range touches, and those the client names in
 * `context.diagnostics`. Neovim sends the cursor as an empty range with every diagnostic of the
 * cursor's line, wherever the cursor is on it (and 0.7 gives their columns in bytes), so a named
 * diagnostic is matched to a finding by line, code and message, not by columns.
 */
function findingsAsked(analyzer: Analyzer, filePath: string, src: PySource, params: CodeActionParams): FindingFixes[] {
  const start = src.offsetAt(params.range.start.line, params.range.start.character);
  const end = src.offsetAt(params.range.end.line, params.range.end.character);
  const asked = analyzer.fixesAt(filePath, start, end);
  for (const named of params.context.diagnostics ?? []) {
    if (named.source !== DIAGNOSTIC_SOURCE) continue;
    const row = named.range.start.line;
    const onLine = analyzer.fixesAt(filePath, src.offsetAt(row, 0), src.offsetAt(row, src.lineText(row).length));
    for (const candidate of onLine) {
      const isNamed = namesFinding(named, candidate.finding, src.pointAt(candidate.finding.start).row);
      if (isNamed && !asked.some((a) => sameFinding(a.finding, candidate.finding))) asked.push(candidate);
    }
  }
  return asked.sort((a, b) => a.finding.start - b.finding.start);
}

function namesFinding(diagnostic: Diagnostic, finding: Finding, findingRow: number): boolean {
  return diagnostic.range.start.line === findingRow && diagnostic.code === finding.code && diagnostic.message === finding.message;
}

function sameFinding(a: Finding, b: Finding): boolean {
  return a.start === b.start && a.end === b.end && a.code === b.code;
}

function quickFixes(analyzer: Analyzer, filePath: string, src: PySource, params: CodeActionParams, severities: Severities): CodeAction[] {
  const uri = params.textDocument.uri;
  const actions: CodeAction[] = [];
  for (const { finding, fixes } of findingsAsked(analyzer, filePath, src, params)) {
    const diagnostic = toDiagnostic(src, finding, severities);
    if (!diagnostic) continue;
    for (const fix of fixes) {
      actions.push({
        title: fix.title,
        kind: CodeActionKind.QuickFix,
        diagnostics: [diagnostic],
        isPreferred: fix.preferred,
        edit: { changes: { [uri]: fix.edits.map((e) => toTextEdit(src, e)) } },
      });
    }
    const row = src.pointAt(finding.start).row;
    const line = src.lineText(row);
    if (/#\s*noqa/i.test(line)) continue;
    const at = src.offsetAt(row, line.length);
    actions.push({
      title: `Ignore \`${finding.code}\` on this line`,
      kind: CodeActionKind.QuickFix,
      diagnostics: [diagnostic],
      edit: { changes: { [uri]: [toTextEdit(src, { start: at, end: at, newText: `  # noqa: ${finding.code}` })] } },
    });
  }
  return actions;
}

function toTextEdit(src: PySource, e: { start: number; end: number; newText: string }): TextEdit {
  return { range: rangeOf(src, e.start, e.end), newText: e.newText };
}
