// Owns when documents are analysed and how findings become LSP diagnostics. Changes only mark a
// document dirty; analysis runs once the message queue has gone quiet, so a burst of didChange
// is analysed once, for its last version, instead of once per version.
import { Diagnostic, DiagnosticSeverity, Range } from 'vscode-languageserver/node';
import type { Finding } from './analysis/rules';
import type { PySource } from './analysis/syntax';
import { lspSeverity, Severities } from './settings';

/** The `source` of every diagnostic the server publishes. */
export const DIAGNOSTIC_SOURCE = 'loopscope';

export function rangeOf(src: PySource, start: number, end: number): Range {
  const s = src.pointAt(start);
  const e = src.pointAt(end);
  return { start: { line: s.row, character: s.column }, end: { line: e.row, character: e.column } };
}

/** One finding as a diagnostic, or undefined when its rule is switched off. */
export function toDiagnostic(src: PySource, finding: Finding, severities: Severities): Diagnostic | undefined {
  const severity = lspSeverity(severities, finding.code);
  if (severity === undefined) return undefined;
  return { range: rangeOf(src, finding.start, finding.end), severity, code: finding.code, source: DIAGNOSTIC_SOURCE, message: finding.message };
}

export function toDiagnostics(src: PySource, findings: readonly Finding[], severities: Severities): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const f of findings) {
    const d = toDiagnostic(src, f, severities);
    if (d) out.push(d);
  }
  return out;
}

/** The one diagnostic of a document the analysis declined (too large, binary, too deep). */
export function skippedDiagnostic(detail: string): Diagnostic {
  return {
    range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
    severity: DiagnosticSeverity.Information,
    source: DIAGNOSTIC_SOURCE,
    code: 'file-skipped',
    message: `Loopscope did not analyse this file: ${detail}.`,
  };
}

/** Longest wait for a message whose bytes stopped arriving halfway. */
const MAX_MID_MESSAGE_WAIT_MS = 1000;
/** Longest wait for input to settle before analysing an expensive document. */
const MAX_SETTLE_MS = 200;

/**
 * Runs `analyse` for dirty documents, one per turn, once input has gone quiet. The JSON-RPC layer
 * handles one queued message per turn, so while a burst is still queued every turn brings a change
 * and analysis waits; the first quiet turns after it analyse the latest text only. Two quiet turns
 * are required because a message read in the poll phase is handled after an immediate queued in
 * the turn before. Raw input counts too (`noteInput`): a large message arrives over several turns,
 * and a client can pause between writes, so during a burst (a change that came soon after the one
 * before) an expensive document also waits for input to be quiet for half its last analysis time
 * (at most 200 ms): the wait costs less than analysing a version about to be replaced. An isolated
 * change, and any change to a cheap document, is analysed at once.
 */
export class DiagnosticsScheduler {
  private readonly dirty = new Set<string>();
  private readonly costMs = new Map<string, number>();
  private activity = 0;
  private seenActivity = 0;
  private quiet = 0;
  private lastInputAt = 0;
  private lastTouchAt = -Infinity;
  private previousTouchAt = -Infinity;
  private midMessage = false;
  private armed: NodeJS.Immediate | NodeJS.Timeout | undefined;
  private armedTimed = false;
  private disposed = false;

  constructor(
    private readonly analyse: (uri: string) => void,
    private readonly quietTurns = 2,
  ) {}

  /** Marks documents for analysis; any call counts as activity and restarts the wait. */
  touch(uris: Iterable<string>): void {
    for (const u of uris) this.dirty.add(u);
    this.previousTouchAt = this.lastTouchAt;
    this.lastTouchAt = performance.now();
    this.activity++;
    this.arm();
  }

  /** Raw input arrived; `midMessage` when it ended inside a message. */
  noteInput(midMessage: boolean): void {
    this.activity++;
    this.lastInputAt = performance.now();
    this.midMessage = midMessage;
    this.arm();
  }

  /** Drops a document (closed): it will not be analysed. */
  forget(uri: string): void {
    this.dirty.delete(uri);
    this.costMs.delete(uri);
  }

  isDirty(uri: string): boolean {
    return this.dirty.has(uri);
  }

  /** Analyses one dirty document now (a request needs its current state). */
  runNow(uri: string): void {
    if (this.dirty.delete(uri)) this.run(uri);
  }

  dispose(): void {
    this.disposed = true;
    this.disarm();
    this.dirty.clear();
  }

  private run(uri: string): void {
    const t0 = performance.now();
    this.analyse(uri);
    this.costMs.set(uri, performance.now() - t0);
  }

  private arm(delayMs = 0): void {
    if (this.disposed || this.dirty.size === 0) return;
    // A timed wait gives way to the next turn when new activity comes in.
    if (this.armed && delayMs === 0 && this.armedTimed) this.disarm();
    if (this.armed) return;
    this.armedTimed = delayMs > 0;
    this.armed = delayMs > 0 ? setTimeout(this.tick, delayMs) : setImmediate(this.tick);
  }

  private disarm(): void {
    if (this.armed) {
      clearTimeout(this.armed as NodeJS.Timeout);
      clearImmediate(this.armed as NodeJS.Immediate);
    }
    this.armed = undefined;
  }

  private readonly tick = (): void => {
    this.armed = undefined;
    if (this.activity !== this.seenActivity) {
      this.seenActivity = this.activity;
      this.quiet = 0;
    } else {
      this.quiet++;
    }
    if (this.quiet < this.quietTurns) return this.arm();
    const [uri] = this.dirty;
    const wait = this.settleMs(uri) - (performance.now() - this.lastInputAt);
    if (wait > 0) return this.arm(Math.ceil(wait));
    // One document per turn, so messages that arrive meanwhile are not held up by the others.
    this.dirty.delete(uri);
    this.run(uri);
    this.arm();
  };

  private settleMs(uri: string): number {
    if (this.midMessage) return MAX_MID_MESSAGE_WAIT_MS;
    const settle = Math.min((this.costMs.get(uri) ?? 0) / 2, MAX_SETTLE_MS);
    // An isolated change (none shortly before it) is analysed at once: only bursts wait.
    return this.lastTouchAt - this.previousTouchAt >= settle ? 0 : settle;
  }
}
