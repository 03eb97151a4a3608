// A raw DAP peer on the real adapter process's stdio, beside the DebugClient: writes any bytes or
// any JSON body (framed or not) to the adapter's stdin, and routes every response the adapter
// writes by its request_seq (whatever its JSON type), so a request with a mangled seq is still seen.

import type { ChildProcess } from 'node:child_process';

export interface RawResponse {
  type: 'response';
  request_seq?: unknown;
  command?: unknown;
  success?: unknown;
  message?: unknown;
  body?: unknown;
}

/** The key a response is filed under: the JSON text of its request_seq ("undefined" when absent). */
export const seqKey = (seq: unknown): string => (seq === undefined ? 'undefined' : JSON.stringify(seq));

export class RawDap {
  private buf = Buffer.alloc(0);
  private length = -1;
  private readonly waiting = new Map<string, (r: RawResponse) => void>();
  /** Responses nobody waited for (a late answer, or one to a seq we did not expect). */
  readonly unclaimed: RawResponse[] = [];
  private exited: string | null = null;
  private readonly onExit: ((why: string) => void)[] = [];

  constructor(private readonly proc: ChildProcess) {
    proc.stdout?.on('data', (b: Buffer) => this.onData(b));
    proc.once('exit', (code, signal) => {
      this.exited = `the adapter exited (code ${code}, signal ${signal})`;
      for (const f of this.onExit.splice(0)) f(this.exited);
    });
  }

  get alive(): boolean {
    return this.exited === null;
  }

  /** Writes raw bytes to the adapter's stdin. */
  write(bytes: Buffer | string): void {
    this.proc.stdin?.write(bytes);
  }

  /** Writes `body` (serialised as JSON unless it is already a string) with a correct header. */
  send(body: unknown): void {
    const json = typeof body === 'string' ? body : JSON.stringify(body);
    this.write(`Content-Length: ${Buffer.byteLength(json, 'utf8')}\r\n\r\n${json}`);
  }

  /** Resolves with the response whose request_seq is `seq`; rejects after `timeoutMs` or if the adapter exits. */
  response(seq: unknown, timeoutMs: number): Promise<RawResponse> {
    const key = seqKey(seq);
    if (this.waiting.has(key)) throw new Error(`already waiting for a response to seq ${key}`);
    return new Promise((resolve, reject) => {
      if (this.exited) {
        reject(new Error(this.exited));
        return;
      }
      const timer = setTimeout(() => {
        this.waiting.delete(key);
        reject(new Error(`no response to seq ${key} within ${timeoutMs} ms`));
      }, timeoutMs);
      const exit = (why: string): void => { clearTimeout(timer); reject(new Error(why)); };
      this.onExit.push(exit);
      this.waiting.set(key, (r) => {
        clearTimeout(timer);
        this.onExit.splice(this.onExit.indexOf(exit), 1);
        resolve(r);
      });
    });
  }

  private onData(chunk: Buffer): void {
    this.buf = Buffer.concat([this.buf, chunk]);
    for (;;) {
      if (this.length < 0) {
        const end = this.buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const m = /Content-Length: (\d+)/.exec(this.buf.toString('latin1', 0, end));
        if (!m) throw new Error(`the adapter wrote a header without Content-Length: ${this.buf.toString('utf8', 0, end)}`);
        this.length = Number(m[1]);
        this.buf = this.buf.subarray(end + 4);
      }
      if (this.buf.length < this.length) return;
      const body = this.buf.toString('utf8', 0, this.length);
      this.buf = this.buf.subarray(this.length);
      this.length = -1;
      this.dispatch(JSON.parse(body) as { type?: unknown });
    }
  }

  private dispatch(msg: { type?: unknown }): void {
    if (msg.type !== 'response') return;
    const r = msg as RawResponse;
    const key = seqKey(r.request_seq);
    const w = this.waiting.get(key);
    if (!w) {
      this.unclaimed.push(r);
      return;
    }
    this.waiting.delete(key);
    w(r);
  }
}
