// Coalesces bursts of work into at most one run per interval (leading edge, then one trailing
// run for anything that arrived meanwhile). The clock and timer are injected so tests drive it
// deterministically; the client passes Date.now/setTimeout.

export interface Scheduler {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realScheduler: Scheduler = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

export class Throttle {
  private lastRun = Number.NEGATIVE_INFINITY;
  private gapMs: number;
  private timer: unknown = undefined;
  private disposed = false;

  constructor(
    private readonly intervalMs: number,
    private readonly run: () => void,
    private readonly scheduler: Scheduler = realScheduler,
  ) {
    this.gapMs = intervalMs;
  }

  /**
   * Called from inside a run: make the next run wait at least `ms` (never less than the base
   * interval), so a run that made the UI do a lot of work is not followed by another at once.
   */
  stretchNext(ms: number): void {
    this.gapMs = Math.max(this.intervalMs, ms);
  }

  /** Requests a run; runs now if the last run is at least one interval ago, else once later. */
  trigger(): void {
    if (this.disposed || this.timer !== undefined) return;
    const wait = this.lastRun + this.gapMs - this.scheduler.now();
    if (wait <= 0) {
      this.fire();
    } else {
      this.timer = this.scheduler.setTimeout(() => {
        this.timer = undefined;
        this.fire();
      }, wait);
    }
  }

  /** Runs any pending work immediately (e.g. when the session pauses, so the view is exact). */
  flush(): void {
    if (this.timer === undefined || this.disposed) return;
    this.scheduler.clearTimeout(this.timer);
    this.timer = undefined;
    this.fire();
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer !== undefined) this.scheduler.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private fire(): void {
    this.lastRun = this.scheduler.now();
    this.gapMs = this.intervalMs;
    this.run();
  }
}
