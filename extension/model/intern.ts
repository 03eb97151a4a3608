// Sharing of the values many task records repeat (creation sites, coroutine names, what they waited
// on): each wire event arrives with its own copies, and 100,000 retained tasks would otherwise keep
// 100,000 copies of one `{file, line}`. Bounded: a table that fills is started afresh.

import type { Location, WaitTarget } from '../protocol/wire';

/** Distinct values kept per table before it is started afresh (programs have far fewer sites). */
const MAX_ENTRIES = 50_000;

export class Interner {
  private readonly strings = new Map<string, string>();
  private readonly sites = new Map<string, Location>();
  private readonly waits = new Map<string, WaitTarget>();

  string(s: string): string {
    const known = this.strings.get(s);
    if (known !== undefined) return known;
    if (this.strings.size >= MAX_ENTRIES) this.strings.clear();
    this.strings.set(s, s);
    return s;
  }

  site(loc: Location | null): Location | null {
    if (loc === null) return null;
    const key = `${loc.line}:${loc.file}`;
    const known = this.sites.get(key);
    if (known !== undefined) return known;
    if (this.sites.size >= MAX_ENTRIES) this.sites.clear();
    const shared: Location = { file: this.string(loc.file), line: loc.line };
    this.sites.set(key, shared);
    return shared;
  }

  /** The same wait as a shared object when it names no task, future or time of its own. */
  wait(w: WaitTarget | null): WaitTarget | null {
    if (w === null) return null;
    const specific = w.untilEpochMs !== undefined || w.task !== undefined || w.tasks !== undefined ||
      w.future !== undefined || w.detail !== undefined;
    if (specific) {
      const copy: WaitTarget = { ...w, label: this.string(w.label) };
      if (w.site) copy.site = this.site(w.site) ?? undefined;
      return copy;
    }
    const key = `${w.kind}\u0000${w.label}\u0000${w.site ? `${w.site.line}:${w.site.file}` : ''}`;
    const known = this.waits.get(key);
    if (known !== undefined) return known;
    if (this.waits.size >= MAX_ENTRIES) this.waits.clear();
    const shared: WaitTarget = { kind: w.kind, label: this.string(w.label) };
    if (w.site) shared.site = this.site(w.site) ?? undefined;
    this.waits.set(key, shared);
    return shared;
  }
}
