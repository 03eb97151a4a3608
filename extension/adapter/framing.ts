// DAP framing for a client the adapter cannot trust: reads `Content-Length` frames from the raw
// input and passes on only well-formed frames that hold a JSON object. A malformed header, a wrong
// length or a body that is not a JSON object costs that message (with a note), never the session.

import { PassThrough, type Readable } from 'node:stream';

/** Longest message accepted (bytes); a longer declared length is treated as a broken header. */
export const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;
/** Bytes held while looking for the end of a header; beyond, all but a short tail is dropped. */
export const MAX_HEADER_BYTES = 64 * 1024;
/** A tail kept when dropping header garbage: it may be the start of the next real header. */
const KEEP = 64;
const HEADER_END = Buffer.from('\r\n\r\n');
/** Header lines ("Name: value\r\n"), the only thing allowed before Content-Length in a header. */
const HEADER_LINES = /^(?:[\w-]+:[^\r\n]*\r\n)*$/;

const clip = (s: string): string => JSON.stringify(s.length > 80 ? `${s.slice(0, 77)}…` : s);

export class DapFramer {
  private buf: Buffer = Buffer.alloc(0);
  private length = -1;

  /** `deliver` gets the JSON text of each good message; `ignored` a note about each bad one. */
  constructor(private readonly deliver: (json: string) => void, private readonly ignored: (note: string) => void) {}

  push(chunk: Buffer): void {
    this.buf = this.buf.length > 0 ? Buffer.concat([this.buf, chunk]) : chunk;
    for (;;) {
      if (this.length < 0) {
        const header = this.readHeader();
        if (header === 'more') return;
        if (header === 'skipped') continue;
      }
      if (this.buf.length < this.length) return;
      const body = this.buf.toString('utf8', 0, this.length);
      this.buf = this.buf.subarray(this.length);
      this.length = -1;
      this.check(body);
    }
  }

  /**
   * Reads one header block. A frame cut short (or declared too short) leaves the rest of its body in
   * front of the next header: the block's last Content-Length is the next good frame's.
   */
  private readHeader(): 'more' | 'skipped' | 'read' {
    const end = this.buf.indexOf(HEADER_END);
    if (end < 0) {
      if (this.buf.length > MAX_HEADER_BYTES) {
        this.ignored(`${this.buf.length - KEEP} bytes that are not a DAP header`);
        this.buf = Buffer.from(this.buf.subarray(this.buf.length - KEEP));
      }
      return 'more';
    }
    const block = this.buf.toString('latin1', 0, end);
    this.buf = this.buf.subarray(end + HEADER_END.length);
    const m = [...block.matchAll(/Content-Length:[ \t]*(\d+)[ \t]*(?:\r\n|$)/gi)].at(-1);
    if (!m) {
      this.ignored(`a DAP header without a valid Content-Length: ${clip(block)}`);
      return 'skipped';
    }
    const before = block.slice(0, m.index);
    if (!HEADER_LINES.test(before)) this.ignored(`${before.length} bytes before a DAP header: ${clip(before)}`);
    const length = Number(m[1]);
    if (length > MAX_MESSAGE_BYTES) {
      this.ignored(`a DAP message of ${m[1]} bytes (the limit is ${MAX_MESSAGE_BYTES})`);
      return 'skipped';
    }
    this.length = length;
    return 'read';
  }

  private check(body: string): void {
    let v: unknown;
    try {
      v = JSON.parse(body);
    } catch (err) {
      this.ignored(`a DAP message that is not JSON (${(err as Error).message}): ${clip(body)}`);
      return;
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v)) {
      this.ignored(`a DAP message that is not a JSON object: ${clip(body)}`);
      return;
    }
    this.deliver(body);
  }
}

/** `input` re-framed: a stream of well-formed frames, each holding one JSON object. */
export function framedInput(input: Readable, ignored: (note: string) => void): Readable {
  const out = new PassThrough();
  const framer = new DapFramer((json) => out.write(`Content-Length: ${Buffer.byteLength(json, 'utf8')}\r\n\r\n${json}`, 'utf8'), ignored);
  input.on('data', (chunk: Buffer) => framer.push(chunk));
  input.once('end', () => out.end());
  input.once('error', (err) => out.destroy(err));
  return out;
}
