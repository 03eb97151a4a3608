// A minimal typed event source (one instance per event kind, in the style of vscode.Event), so
// domain objects expose typed notifications instead of emit(string, ...any[]).

export type Listener<T> = (value: T) => void;
export interface Disposable { dispose(): void }

export class Emitter<T> {
  private listeners: Listener<T>[] = [];

  /** Subscribes; returns a handle that unsubscribes. */
  on(fn: Listener<T>): Disposable {
    this.listeners.push(fn);
    return { dispose: () => { this.listeners = this.listeners.filter((l) => l !== fn); } };
  }

  /** Resolves with the first value that satisfies `pred`. */
  wait(pred: (v: T) => boolean = () => true): Promise<T> {
    return new Promise((resolve) => {
      const d = this.on((v) => {
        if (pred(v)) {
          d.dispose();
          resolve(v);
        }
      });
    });
  }

  fire(value: T): void {
    for (const l of this.listeners) l(value);
  }
}
