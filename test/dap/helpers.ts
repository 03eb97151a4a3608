// DAP test harness: a DebugClient on the real bundled adapter (node dist/adapter.js) plus an
// event recorder, so tests wait on events that may already have arrived instead of racing them.

import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { ADAPTER_JS, buildBundles } from './build';

export const PYTHON = process.env.LOOPSCOPE_TEST_PYTHON ?? 'python3';
const RECORDED = ['stopped', 'continued', 'output', 'exited', 'terminated', 'loopscope/update', 'thread'];

export class Session {
  readonly dc: DebugClient;
  readonly events: DebugProtocol.Event[] = [];
  private waiters: { type: string; pred: (e: DebugProtocol.Event) => boolean; from: number; resolve: (e: DebugProtocol.Event) => void }[] = [];
  /** Index of the first event not yet consumed by next(). */
  private cursor = new Map<string, number>();

  private constructor(cwd: string | undefined) {
    this.dc = new DebugClient('node', ADAPTER_JS, 'loopscope', cwd !== undefined ? { cwd } : undefined, process.env.LOOPSCOPE_ADAPTER_STDERR === '1');
    this.dc.defaultTimeout = 15000;
  }

  /** `cwd`: the adapter's working directory (default: this process's). */
  static async start(options: { cwd?: string } = {}): Promise<Session> {
    await buildBundles();
    const s = new Session(options.cwd);
    await s.dc.start();
    for (const type of RECORDED) s.dc.on(type, (e: DebugProtocol.Event) => s.record(e));
    return s;
  }

  /** Initialize, then launch (the adapter waits for configurationDone before starting the program). */
  async launch(args: Record<string, unknown>): Promise<DebugProtocol.LaunchResponse> {
    const init = await this.dc.initializeRequest({ adapterID: 'loopscope', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path' });
    void init;
    const [, resp] = await Promise.all([this.dc.configurationDoneRequest(), this.dc.launchRequest({ python: PYTHON, ...args } as DebugProtocol.LaunchRequestArguments)]);
    return resp;
  }

  async launchWithFilters(args: Record<string, unknown>, filters: string[]): Promise<void> {
    await this.dc.initializeRequest({ adapterID: 'loopscope', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path' });
    await this.dc.setExceptionBreakpointsRequest({ filters });
    await Promise.all([this.dc.configurationDoneRequest(), this.dc.launchRequest({ python: PYTHON, ...args } as DebugProtocol.LaunchRequestArguments)]);
  }

  /** The next event of `type` (matching `pred`) after the previously consumed one; waits if needed. */
  next(type: string, pred: (e: DebugProtocol.Event) => boolean = () => true, timeoutMs = 15000): Promise<DebugProtocol.Event> {
    const from = this.cursor.get(type) ?? 0;
    for (let i = from; i < this.events.length; i++) {
      const e = this.events[i];
      if (e.event === type && pred(e)) {
        this.cursor.set(type, i + 1);
        return Promise.resolve(e);
      }
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        const seen = this.events.filter((e) => e.event === type).map((e) => JSON.stringify(e.body).slice(0, 200));
        reject(new Error(`no matching '${type}' event within ${timeoutMs} ms; saw ${seen.length}: ${seen.slice(-5).join(' | ')}\noutput: ${this.output().slice(-1500)}`));
      }, timeoutMs);
      const waiter = { type, pred, from: this.events.length, resolve: (e: DebugProtocol.Event) => { clearTimeout(timer); resolve(e); } };
      this.waiters.push(waiter);
    });
  }

  /** The next stop (each stop is one `stopped` event, see test/dap/singleStop.test.ts). */
  async stopped(pred: (e: DebugProtocol.StoppedEvent) => boolean = () => true, timeoutMs?: number): Promise<DebugProtocol.StoppedEvent> {
    return (await this.next('stopped', (e) => pred(e as DebugProtocol.StoppedEvent), timeoutMs)) as DebugProtocol.StoppedEvent;
  }

  /** Every stopped event so far, in order. */
  stoppedEvents(): DebugProtocol.StoppedEvent[] {
    return this.events.filter((e) => e.event === 'stopped') as DebugProtocol.StoppedEvent[];
  }

  output(category?: string): string {
    return this.events.filter((e) => e.event === 'output' && (!category || (e.body as DebugProtocol.OutputEvent['body']).category === category)).map((e) => (e.body as DebugProtocol.OutputEvent['body']).output).join('');
  }

  async custom<T>(command: string, args: Record<string, unknown> = {}): Promise<T> {
    const r = await this.dc.customRequest(command, args);
    return r.body as T;
  }

  async close(): Promise<void> {
    await this.dc.disconnectRequest({ terminateDebuggee: true }).catch(() => undefined);
    await this.dc.stop();
  }

  private record(e: DebugProtocol.Event): void {
    const idx = this.events.push(e) - 1;
    for (const w of [...this.waiters]) {
      if (w.type === e.event && w.pred(e)) {
        this.waiters = this.waiters.filter((x) => x !== w);
        this.cursor.set(w.type, idx + 1);
        w.resolve(e);
        break;
      }
    }
  }
}
