// The runtime ⇄ debugger wire protocol v1 (docs/protocol.md §1), TypeScript side: the codec.
// Types, enum tables and field validators are generated from protocol/schema.json into
// wire.generated.ts (re-exported here); this file owns the message unions that need generics,
// the validating decoder with its error wording, and the NDJSON line splitter. No model, no DAP.

import {
  EVENT_FIELD_CHECKS, MAX_LINE_BYTES, MESSAGE_FIELD_CHECKS, REQUEST_ARG_CHECKS, RESPONSE_BODY_CHECKS, isObj,
  type AttachMessage, type ContinuedEvent, type EventsMessage, type HelloMessage, type KnownEvent, type OutputEvent, type RefusedMessage,
  type RequestArgs, type RequestCommand, type ResponseBodies, type StoppedEvent, type UnknownEvent, type WelcomeMessage,
  type WireEvent,
} from './wire.generated';

export * from './wire.generated';

// ---------------------------------------------------------------------------------------------
// Messages whose types need more than the schema says (a generic request, an ok/error response)

export interface RequestMessage<C extends RequestCommand = RequestCommand> {
  type: 'request';
  id: number;
  command: C;
  args?: RequestArgs[C];
}

export type ResponseMessage =
  | { type: 'response'; id: number; ok: true; body: Record<string, unknown> }
  | { type: 'response'; id: number; ok: false; error: string };

export type Message =
  | HelloMessage | AttachMessage | WelcomeMessage | RefusedMessage
  | EventsMessage | RequestMessage | ResponseMessage;

/** Names the line-debugger branches used before the schema existed (events are named by kind now). */
export type LineStoppedEvent = StoppedEvent;
export type LineContinuedEvent = ContinuedEvent;
export type RuntimeOutputEvent = OutputEvent;

// ---------------------------------------------------------------------------------------------
// Validation. Errors name the path to the offending field so a broken peer is easy to diagnose.

export class WireError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WireError';
  }
}

type Obj = Record<string, unknown>;

function describe(v: unknown): string {
  if (v === undefined) return 'missing';
  const s = JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 57)}…` : s;
}

function fieldError(where: string, o: Obj, field: string): WireError {
  if (field.includes('|')) return new WireError(`${where}: exactly one of the fields ${field.split('|').map((f) => `'${f}'`).join(', ')} is required`);
  return new WireError(`${where}: field '${field}' is invalid (${describe(o[field])})`);
}

/** Validates one event object; unknown kinds (with `kind` and `ts`) pass through untouched. */
export function validateEvent(e: unknown, where = 'event'): WireEvent {
  if (!isObj(e)) throw new WireError(`${where}: not an object`);
  const kind = e.kind;
  if (typeof kind !== 'string') throw new WireError(`${where}: field 'kind' is invalid (${describe(kind)})`);
  if (!Number.isFinite(e.ts)) throw new WireError(`${where} (${kind}): field 'ts' is invalid (${describe(e.ts)})`);
  const check = EVENT_FIELD_CHECKS.get(kind);
  if (!check) return e as UnknownEvent;
  const bad = check(e);
  if (bad !== null) throw fieldError(`${where} (${kind})`, e, bad);
  return e as unknown as KnownEvent;
}

/** Validates an already-parsed message object. */
export function validateMessage(o: unknown): Message {
  if (!isObj(o)) throw new WireError('message is not a JSON object');
  const type = o.type;
  if (typeof type !== 'string') throw new WireError(`message: field 'type' is invalid (${describe(type)})`);
  const check = MESSAGE_FIELD_CHECKS.get(type);
  if (!check) throw new WireError(`message: unknown type ${describe(type)}`);
  const bad = check(o);
  if (bad !== null) throw fieldError(type, o, bad);
  if (type === 'request') {
    validateRequestArgs(o.command as string, o.args ?? {});
  } else if (type === 'events') {
    const events = o.events as unknown[];
    for (let i = 0; i < events.length; i++) events[i] = validateEvent(events[i], `events[${i}]`);
  } else if (type === 'response') {
    if (o.ok === true) {
      if (!isObj(o.body)) throw new WireError(`response ${o.id as number}: ok response needs an object 'body'`);
    } else if (typeof o.error !== 'string') {
      throw new WireError(`response ${o.id as number}: failed response needs a string 'error'`);
    }
  }
  return o as unknown as Message;
}

export function validateRequestArgs(command: string, args: unknown): void {
  const check = (REQUEST_ARG_CHECKS as Record<string, ((v: unknown) => boolean) | undefined>)[command];
  if (!check) throw new WireError(`request: unknown command ${describe(command)}`);
  if (!check(args)) throw new WireError(`request ${command}: invalid args (${describe(args)})`);
}

/** Responses do not name their command; the requester validates the body against what it asked. */
export function validateResponseBody<C extends RequestCommand>(command: C, body: unknown): ResponseBodies[C] {
  const check = (RESPONSE_BODY_CHECKS as Record<string, ((v: unknown) => boolean) | undefined>)[command];
  if (!check) throw new WireError(`response: unknown command ${describe(command)}`);
  if (!check(body)) throw new WireError(`response to ${command}: invalid body (${describe(body)})`);
  return body as ResponseBodies[C];
}

/** Parses and validates one NDJSON line; throws WireError with a clear reason. */
export function decodeMessage(line: string): Message {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch (err) {
    const snippet = line.length > 80 ? `${line.slice(0, 77)}…` : line;
    throw new WireError(`line is not valid JSON (${(err as Error).message}): ${snippet}`);
  }
  return validateMessage(parsed);
}

/** Serialises one message as an NDJSON line (JSON.stringify never emits raw newlines). */
export function encodeMessage(m: Message): string {
  return `${JSON.stringify(m)}\n`;
}

// ---------------------------------------------------------------------------------------------
// Framing

/**
 * Splits a byte stream into lines. Works on Buffers so a multi-byte UTF-8 character split across
 * chunks is never decoded half-way; enforces MAX_LINE_BYTES so a runaway peer cannot exhaust memory.
 */
export class LineSplitter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  constructor(private maxLineBytes = MAX_LINE_BYTES) {}

  /** Allows longer lines from here on: a peer gets the full MAX_LINE_BYTES once it has authenticated. */
  raiseLimit(maxLineBytes: number): void {
    this.maxLineBytes = Math.max(this.maxLineBytes, maxLineBytes);
  }

  /** Returns the complete lines in `chunk` (without `\n`, `\r\n` tolerated); throws WireError if a line is too long. */
  push(chunk: Buffer): string[] {
    const lines: string[] = [];
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(10, start);
      if (nl < 0) break;
      let line: Buffer;
      if (this.pendingBytes > 0) {
        this.pending.push(chunk.subarray(start, nl));
        line = Buffer.concat(this.pending);
        this.pending = [];
        this.pendingBytes = 0;
      } else {
        line = chunk.subarray(start, nl);
      }
      if (line.length > this.maxLineBytes) throw this.tooLong(line.length);
      let end = line.length;
      if (end > 0 && line[end - 1] === 13) end--;
      if (end > 0) lines.push(line.toString('utf8', 0, end));
      start = nl + 1;
    }
    if (start < chunk.length) {
      const rest = chunk.subarray(start);
      this.pendingBytes += rest.length;
      if (this.pendingBytes > this.maxLineBytes) throw this.tooLong(this.pendingBytes);
      // Copy: the caller's buffer may be reused by the stream.
      this.pending.push(Buffer.from(rest));
    }
    return lines;
  }

  /** Bytes received after the last newline (an incomplete line). */
  get bufferedBytes(): number {
    return this.pendingBytes;
  }

  private tooLong(n: number): WireError {
    return new WireError(`line of ${n} bytes exceeds the ${this.maxLineBytes}-byte limit`);
  }
}
