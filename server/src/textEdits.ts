// Owns folding a run of incremental LSP edits into one replacement of the span they touched.
// The base text is never copied per edit: only the edited window is kept as a string, with its
// own line table, beside the untouched prefix and suffix of the base. A burst of 1,000 keystrokes
// then costs one incremental re-parse of a small span, not 1,000 copies and line scans of the file.
import type { TextChange } from './analysis/syntax';

export type OffsetChange = { start: number; end: number; text: string };

function lineStartsOf(text: string): number[] {
  const out: number[] = [];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) out.push(i + 1);
  return out;
}

/** First index in the sorted `starts` whose value is greater than `offset`. */
function upperBound(starts: readonly number[], offset: number): number {
  let lo = 0;
  let hi = starts.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (starts[mid] <= offset) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The base text with one edited window: base[0, prefix) + window + base[base.length - suffix, end). */
class WindowedText {
  private readonly baseStarts: number[];
  private prefix: number;
  private suffix: number;
  private window = '';
  private windowStarts: number[] = [];

  constructor(private readonly base: string) {
    this.baseStarts = [0, ...lineStartsOf(base)];
    this.prefix = base.length;
    this.suffix = 0;
  }

  get length(): number {
    return this.prefix + this.window.length + this.suffix;
  }

  /** The edit so far, in base coordinates. */
  result(): OffsetChange {
    return { start: this.prefix, end: this.base.length - this.suffix, text: this.window };
  }

  /** Same clamping as the parser's offsetAt: a column past the line end stops at the end. */
  offsetAt(row: number, column: number): number {
    const start = this.lineStart(row);
    if (start === undefined) return this.length;
    const next = this.lineStart(row + 1);
    const lineEnd = next === undefined ? this.length : next - 1;
    return Math.min(start + Math.max(0, column), Math.max(lineEnd, start));
  }

  replace(start: number, end: number, insert: string): void {
    // Before the first edit there is no window: it starts as exactly the edited span.
    const untouched = this.prefix === this.base.length && this.suffix === 0 && this.window === '';
    const from = untouched ? start : Math.min(this.prefix, start);
    const to = untouched ? end : Math.max(end, this.prefix + this.window.length);
    const window = this.slice(from, start) + insert + this.slice(end, to);
    this.suffix = this.length - to;
    this.prefix = from;
    this.window = window;
    this.windowStarts = lineStartsOf(window);
  }

  private lineStart(row: number): number | undefined {
    const inPrefix = upperBound(this.baseStarts, this.prefix);
    if (row < inPrefix) return this.baseStarts[row];
    const r = row - inPrefix;
    if (r < this.windowStarts.length) return this.prefix + this.windowStarts[r];
    const suffixAt = this.base.length - this.suffix;
    const i = upperBound(this.baseStarts, suffixAt) + (r - this.windowStarts.length);
    return i < this.baseStarts.length ? this.baseStarts[i] - suffixAt + this.prefix + this.window.length : undefined;
  }

  /** Text of [from, to) in current coordinates, assembled from the three parts. */
  private slice(from: number, to: number): string {
    if (to <= from) return '';
    const windowEnd = this.prefix + this.window.length;
    const shift = this.base.length - this.suffix - windowEnd;
    let out = '';
    if (from < this.prefix) out += this.base.slice(from, Math.min(to, this.prefix));
    if (to > this.prefix && from < windowEnd) out += this.window.slice(Math.max(from, this.prefix) - this.prefix, Math.min(to, windowEnd) - this.prefix);
    if (to > windowEnd) out += this.base.slice(Math.max(from, windowEnd) + shift, to + shift);
    return out;
  }
}

/**
 * Folds `changes` (each against the text left by the previous one) into one replacement of
 * `base`. Untouched text before the first and after the last edited position is left out, so the
 * parser can reuse everything around the span.
 */
export function collapseChanges(base: string, changes: readonly TextChange[]): OffsetChange {
  const doc = new WindowedText(base);
  for (const change of changes) {
    const c = 'range' in change
      ? { start: doc.offsetAt(change.range.start.row, change.range.start.column), end: doc.offsetAt(change.range.end.row, change.range.end.column), text: change.text }
      : change;
    doc.replace(Math.min(c.start, c.end), Math.max(c.start, c.end), c.text);
  }
  return doc.result();
}

/**
 * A full-text change as one replacement of `base`: the common prefix and suffix are left out, so
 * a client that sends whole documents still gets an incremental re-parse.
 */
export function diffAsChange(base: string, next: string): OffsetChange {
  const limit = Math.min(base.length, next.length);
  let prefix = 0;
  while (prefix < limit && base.charCodeAt(prefix) === next.charCodeAt(prefix)) prefix++;
  let suffix = 0;
  while (suffix < limit - prefix && base.charCodeAt(base.length - 1 - suffix) === next.charCodeAt(next.length - 1 - suffix)) suffix++;
  // Never split a surrogate pair between the kept and the replaced text.
  if (prefix > 0 && isHighSurrogate(base.charCodeAt(prefix - 1))) prefix--;
  if (suffix > 0 && isHighSurrogate(next.charCodeAt(next.length - 1 - suffix))) suffix--;
  return { start: prefix, end: base.length - suffix, text: next.slice(prefix, next.length - suffix) };
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}
