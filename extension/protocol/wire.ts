// The runtime ⇄ debugger wire protocol v1 (docs/protocol.md §1), TypeScript side; mirror of
// runtime/loopscope/_wire.py. Owns the typed message/event unions, the validating decoder and
// the NDJSON line splitter. Bytes and messages only: no model, no sockets, no DAP.

import type { Frame, Location, WaitTarget, WaitKind, FindingKind } from './customDap';

export type { Frame, Location, WaitTarget, WaitKind, FindingKind };

export const PROTOCOL_VERSION = 1;
/** Longest accepted line (bytes, without the newline); longer is a protocol error. */
export const KNOWN_EVENT_KINDS: readonly string[] = [
  'loop.created', 'loop.closed', 'task.created', 'task.state', 'task.step', 'task.done', 'future.created',
  'future.done', 'loop.ticks', 'tick', 'finding', 'paused', 'resumed', 'stats', 'process.exit',
];
export const MAX_LINE_BYTES = 16 * 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// Messages

export interface Capabilities {
  tickControl?: boolean;
  callbackStepping?: boolean;
  awaitChains?: boolean;
  locals?: boolean;
  cancel?: boolean;
  eagerTasks?: boolean;
  /** The runtime honours the `pauseOn` option (holds the loop itself after a matching event). */
  pauseOn?: boolean;
  loopImplementations?: string[];
  [extra: string]: unknown;
}

export interface HelloMessage {
  type: 'hello';
  protocol: number;
  token?: string;
  pid: number;
  python: string;
  implementation: string;
  executable: string;
  argv: string[];
  cwd: string;
  startEpochMs: number;
  capabilities: Capabilities;
}

export interface AttachMessage { type: 'attach'; protocol: number; token: string; client?: string }

export interface WelcomeOptions {
  stopOnEntry?: boolean;
  blockingThresholdMs?: number;
  stepEvents?: boolean;
  flushIntervalMs?: number;
  maxFinishedTasks?: number;
  /** Exception-filter ids (`task-failed`, `stall`, …): the runtime holds the loop after such an event. */
  pauseOn?: string[];
}

export interface WelcomeMessage { type: 'welcome'; protocol: number; options?: WelcomeOptions }
export interface RefusedMessage { type: 'refused'; reason: string }
export interface EventsMessage { type: 'events'; seq: number; dropped: number; events: WireEvent[] }

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

// ---------------------------------------------------------------------------------------------
// Events

export interface WokenBy { task?: number; label: string }
export type LiveState = 'running' | 'ready' | 'waiting';
export type Outcome = 'result' | 'exception' | 'cancelled';
export type PauseReason = 'entry' | 'pause' | 'step-tick' | 'step-callback' | 'task-stepped' | 'exception' | 'finding';
/** Which `pauseOn` event made the runtime hold the loop (paused reason `exception` / `finding`). */
export interface PauseTrigger { filter: string; task: number | null; finding: number | null }

export interface LoopCreatedEvent { kind: 'loop.created'; ts: number; loop: number; thread: { id: number; name: string }; cls: string; tickControl: boolean }
export interface LoopClosedEvent { kind: 'loop.closed'; ts: number; loop: number }
export interface TaskCreatedEvent {
  kind: 'task.created'; ts: number; task: number; name: string; coro: string; site: Location | null;
  parent: number | null; loop: number; thread: number; eager: boolean;
}
export interface TaskStateEvent {
  kind: 'task.state'; ts: number; task: number; state: LiveState; steps: number; busyMs: number;
  waitingOn: WaitTarget | null; wokenBy: WokenBy | null; tick: number;
}
export interface TaskStepEvent {
  kind: 'task.step'; ts: number; task: number; tick: number; durationMs: number;
  wokenBy: WokenBy | null; waitingOn: WaitTarget | null;
}
export interface TaskDoneEvent {
  kind: 'task.done'; ts: number; task: number; outcome: Outcome; result: string | null;
  exception: { type: string; message: string; location: Location | null } | null;
  cancelledBy: { task: number | null; location: Location | null } | null;
  steps: number; busyMs: number;
  /** The latest wait the runtime observed (also when the task waited and ended within one batch). */
  lastWaitingOn?: WaitTarget | null;
}
export interface FutureCreatedEvent { kind: 'future.created'; ts: number; future: number; loop: number; label: string; site: Location | null; awaitedBy: number[] }
export interface FutureDoneEvent { kind: 'future.done'; ts: number; future: number; outcome: Outcome }
export interface LoopTicksEvent { kind: 'loop.ticks'; ts: number; loop: number; tick: number; count: number; ready: number; timers: number; selectMs: number }
export interface TickEvent { kind: 'tick'; ts: number; loop: number; tick: number; ready: number; timers: number; selectMs: number }
export interface FindingEvent {
  kind: 'finding'; ts: number; finding: number; findingKind: FindingKind; message: string;
  location: Location | null; task: number | null; durationMs: number | null;
  chains?: { task: number; frames: Frame[] }[];
}
export interface PausedEvent { kind: 'paused'; ts: number; loop: number; tick: number; reason: PauseReason; description: string; ran: WokenBy[]; trigger?: PauseTrigger }
export interface ResumedEvent { kind: 'resumed'; ts: number; loop: number }
export interface StatsEvent { kind: 'stats'; ts: number; tasksLive: number; tasksTotal: number; futuresLive: number; dropped: number; retainedFinished: number }
export interface ProcessExitEvent { kind: 'process.exit'; ts: number; code: number }
/** An event kind this debugger does not know; kept (and ignored) for forward compatibility. */
export interface UnknownEvent { kind: string; ts: number; [field: string]: unknown }

export type KnownEvent =
  | LoopCreatedEvent | LoopClosedEvent | TaskCreatedEvent | TaskStateEvent | TaskStepEvent
  | TaskDoneEvent | FutureCreatedEvent | FutureDoneEvent | LoopTicksEvent | TickEvent
  | FindingEvent | PausedEvent | ResumedEvent | StatsEvent | ProcessExitEvent;
export type WireEvent = KnownEvent | UnknownEvent;
export type EventKind = KnownEvent['kind'];

// ---------------------------------------------------------------------------------------------
// Requests

export interface VariableEntry { name: string; value: string; type: string; ref: number }
export interface TaskSnapshot extends Partial<Omit<TaskCreatedEvent, 'kind'>>, Partial<Omit<TaskStateEvent, 'kind' | 'state'>> {
  task: number;
  state?: LiveState | 'done';
  outcome?: Outcome;
  result?: string | null;
  exception?: TaskDoneEvent['exception'];
  cancelledBy?: TaskDoneEvent['cancelledBy'];
  lastWaitingOn?: TaskDoneEvent['lastWaitingOn'];
}
export interface SnapshotResult {
  loops: (Partial<Omit<LoopCreatedEvent, 'kind'>> & { tick?: number; paused?: boolean; closed?: boolean })[];
  tasks: TaskSnapshot[];
  futures: Partial<Omit<FutureCreatedEvent, 'kind'>>[];
  stats: Partial<Omit<StatsEvent, 'kind'>>;
}

export interface RequestArgs {
  pause: { loop?: number };
  continue: { loop?: number };
  stepTick: { loop?: number };
  stepCallback: { loop?: number };
  runUntilTaskSteps: { task: number };
  cancelTask: { task: number; message?: string };
  snapshot: Record<string, never>;
  awaitChain: { task: number };
  variables: { frame: number } | { ref: number };
  setOptions: WelcomeOptions;
  evaluate: { frame: number; expression: string };
}
export interface ResponseBodies {
  pause: Record<string, never>;
  continue: Record<string, never>;
  stepTick: Record<string, never>;
  stepCallback: Record<string, never>;
  runUntilTaskSteps: Record<string, never>;
  cancelTask: { cancelled: boolean };
  snapshot: SnapshotResult;
  awaitChain: { frames: Frame[] };
  variables: { variables: VariableEntry[] };
  setOptions: Record<string, never>;
  evaluate: { value: string; type: string; ref: number };
}
export type RequestCommand = keyof RequestArgs;

// ---------------------------------------------------------------------------------------------
// Validation. Errors name the path to the offending field so a broken peer is easy to diagnose.

export class WireError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WireError';
  }
}

type Obj = Record<string, unknown>;
type Check = (v: unknown) => boolean;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStr: Check = (v) => typeof v === 'string';
const isNum: Check = (v) => typeof v === 'number' && Number.isFinite(v);
// Ids, counts, lines and codes are non-negative integers on the wire (as _wire.py checks them).
const isInt: Check = (v) => Number.isInteger(v) && (v as number) >= 0;
const isBool: Check = (v) => typeof v === 'boolean';
const nullable = (c: Check): Check => (v) => v === null || c(v);
const arrayOf = (c: Check): Check => (v) => Array.isArray(v) && v.every(c);
const oneOf = (...vals: string[]): Check => (v) => typeof v === 'string' && vals.includes(v);

const isLocation: Check = (v) => isObj(v) && isStr(v.file) && isInt(v.line);
const WAIT_KINDS: WaitKind[] = [
  'sleep', 'task', 'gather', 'future', 'queue.get', 'queue.put', 'lock', 'event', 'condition',
  'semaphore', 'stream.read', 'stream.write', 'socket.read', 'socket.write', 'subprocess',
  'executor', 'yield', 'other',
];
const isWaitTarget: Check = (v) =>
  isObj(v) && oneOf(...WAIT_KINDS)(v.kind) && isStr(v.label) &&
  (v.detail === undefined || isStr(v.detail)) &&
  (v.untilEpochMs === undefined || isNum(v.untilEpochMs)) &&
  (v.task === undefined || isInt(v.task)) &&
  (v.tasks === undefined || arrayOf(isInt)(v.tasks)) &&
  (v.future === undefined || isInt(v.future)) &&
  (v.site === undefined || v.site === null || isLocation(v.site));
const isWokenBy: Check = (v) => isObj(v) && isStr(v.label) && (v.task === undefined || isInt(v.task));
const isFrame: Check = (v) =>
  isObj(v) && isInt(v.id) && isStr(v.name) && isStr(v.file) && isInt(v.line) &&
  oneOf('coroutine', 'async_generator', 'generator', 'function')(v.kind) && isBool(v.internal);
const isException: Check = (v) =>
  isObj(v) && isStr(v.type) && isStr(v.message) && (v.location === null || isLocation(v.location));
const isCancelledBy: Check = (v) =>
  isObj(v) && (v.task === null || isInt(v.task)) && (v.location === null || isLocation(v.location)) &&
  (v.label === undefined || isStr(v.label));
const isThread: Check = (v) => isObj(v) && isInt(v.id) && isStr(v.name);
const isChains: Check = arrayOf((c) => isObj(c) && isInt(c.task) && arrayOf(isFrame)(c.frames));
const OUTCOMES = ['result', 'exception', 'cancelled'];

// The protocol version may be any integer (a peer must be able to say "2" and be refused politely).
const isProtocol: Check = (v) => Number.isInteger(v);
const objOf = (fields: Record<string, Check>): Check => {
  const compiled = Object.entries(fields).map(([k, c]) => [k.replace(/\?$/, ''), k.endsWith('?'), c] as const);
  return (v) => isObj(v) && compiled.every(([k, opt, c]) => (v[k] === undefined ? opt : c(v[k])));
};
const isOptions = objOf({
  'stopOnEntry?': isBool, 'blockingThresholdMs?': isNum, 'stepEvents?': isBool, 'flushIntervalMs?': isNum,
  'maxFinishedTasks?': isInt, 'pauseOn?': arrayOf(isStr),
});
const isCapabilities = objOf({
  'tickControl?': isBool, 'callbackStepping?': isBool, 'awaitChains?': isBool, 'locals?': isBool,
  'cancel?': isBool, 'eagerTasks?': isBool, 'loopImplementations?': arrayOf(isStr), 'pauseOn?': isBool,
});

/** Field name → check; a `?` suffix marks an optional field. */
type Schema = Record<string, Check>;

const EVENT_SCHEMAS: Record<EventKind, Schema> = {
  'loop.created': {
    loop: isInt, thread: isThread, cls: isStr, tickControl: isBool, 'callbackStepping?': isBool,
  },
  'loop.closed': { loop: isInt },
  'task.created': {
    task: isInt, name: isStr, coro: isStr, site: nullable(isLocation), parent: nullable(isInt),
    loop: isInt, thread: isInt, eager: isBool,
  },
  'task.state': {
    task: isInt, state: oneOf('running', 'ready', 'waiting'), steps: isInt, busyMs: isNum,
    waitingOn: nullable(isWaitTarget), wokenBy: nullable(isWokenBy), tick: isInt,
  },
  'task.step': {
    task: isInt, tick: isInt, durationMs: isNum, wokenBy: nullable(isWokenBy), waitingOn: nullable(isWaitTarget),
  },
  'task.done': {
    task: isInt, outcome: oneOf(...OUTCOMES), result: nullable(isStr), exception: nullable(isException),
    cancelledBy: nullable(isCancelledBy), steps: isInt, busyMs: isNum, 'lastWaitingOn?': nullable(isWaitTarget),
  },
  'future.created': { future: isInt, loop: isInt, label: isStr, site: nullable(isLocation), awaitedBy: arrayOf(isInt) },
  'future.done': { future: isInt, outcome: oneOf(...OUTCOMES) },
  'loop.ticks': { loop: isInt, tick: isInt, count: isInt, ready: isInt, timers: isInt, selectMs: isNum },
  tick: { loop: isInt, tick: isInt, ready: isInt, timers: isInt, selectMs: isNum },
  finding: {
    finding: isInt,
    findingKind: oneOf('never-awaited', 'blocking-call', 'unretrieved-exception', 'destroyed-pending', 'stall'),
    message: isStr, location: nullable(isLocation), task: nullable(isInt), durationMs: nullable(isNum),
    'chains?': isChains,
  },
  paused: {
    loop: isInt, tick: isInt, reason: oneOf('entry', 'pause', 'step-tick', 'step-callback', 'task-stepped', 'exception', 'finding'),
    description: isStr, ran: arrayOf(isWokenBy), 'trigger?': objOf({ filter: isStr, task: nullable(isInt), finding: nullable(isInt) }),
  },
  resumed: { loop: isInt },
  stats: { tasksLive: isInt, tasksTotal: isInt, futuresLive: isInt, dropped: isInt, retainedFinished: isInt },
  'process.exit': { code: isInt },
};

const MESSAGE_SCHEMAS: Record<Message['type'], Schema> = {
  hello: {
    protocol: isProtocol, 'token?': isStr, pid: isInt, python: isStr, implementation: isStr, executable: isStr,
    argv: arrayOf(isStr), cwd: isStr, startEpochMs: isNum, capabilities: isCapabilities,
  },
  attach: { protocol: isProtocol, token: isStr, 'client?': isStr },
  welcome: { protocol: isProtocol, 'options?': isOptions },
  refused: { reason: isStr },
  events: { seq: isInt, dropped: isInt, events: Array.isArray },
  request: { id: isInt, command: isStr, 'args?': isObj },
  response: { id: isInt, ok: isBool, 'body?': isObj, 'error?': isStr },
};

// Precompiled (name, optional, check) triples: decoding is on the hot path of every batch.
type Compiled = [string, boolean, Check][];
const compile = (s: Schema): Compiled =>
  Object.entries(s).map(([k, c]) => (k.endsWith('?') ? [k.slice(0, -1), true, c] : [k, false, c]));
const EVENT_COMPILED = new Map<string, Compiled>(
  Object.entries(EVENT_SCHEMAS).map(([k, s]) => [k, compile(s)]),
);
const MESSAGE_COMPILED = new Map<string, Compiled>(
  Object.entries(MESSAGE_SCHEMAS).map(([k, s]) => [k, compile(s)]),
);

function describe(v: unknown): string {
  if (v === undefined) return 'missing';
  const s = JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 57)}…` : s;
}

function checkFields(o: Obj, schema: Compiled, where: string): void {
  for (const [name, optional, check] of schema) {
    const v = o[name];
    if (v === undefined && optional) continue;
    if (!check(v)) throw new WireError(`${where}: field '${name}' is invalid (${describe(v)})`);
  }
}

/** Validates one event object; unknown kinds (with `kind` and `ts`) pass through untouched. */
export function validateEvent(e: unknown, where = 'event'): WireEvent {
  if (!isObj(e)) throw new WireError(`${where}: not an object`);
  const kind = e.kind;
  if (typeof kind !== 'string') throw new WireError(`${where}: field 'kind' is invalid (${describe(kind)})`);
  if (!isNum(e.ts)) throw new WireError(`${where} (${kind}): field 'ts' is invalid (${describe(e.ts)})`);
  const schema = EVENT_COMPILED.get(kind);
  if (!schema) return e as UnknownEvent;
  checkFields(e, schema, `${where} (${kind})`);
  return e as unknown as KnownEvent;
}

/** Validates an already-parsed message object. */
export function validateMessage(o: unknown): Message {
  if (!isObj(o)) throw new WireError('message is not a JSON object');
  const type = o.type;
  if (typeof type !== 'string') throw new WireError(`message: field 'type' is invalid (${describe(type)})`);
  const schema = MESSAGE_COMPILED.get(type);
  if (!schema) throw new WireError(`message: unknown type ${describe(type)}`);
  checkFields(o, schema, type);
  if (type === 'request') {
    validateRequestArgs(o.command as string, o.args ?? {});
  } else if (type === 'events') {
    const events = o.events as unknown[];
    for (let i = 0; i < events.length; i++) events[i] = validateEvent(events[i], `events[${i}]`);
  } else if (type === 'response') {
    if (o.ok === true) {
      if (!isObj(o.body)) throw new WireError(`response ${o.id as number}: ok response needs an object 'body'`);
    } else if (!isStr(o.error)) {
      throw new WireError(`response ${o.id as number}: failed response needs a string 'error'`);
    }
  }
  return o as unknown as Message;
}

const optLoop = objOf({ 'loop?': isInt });
const REQUEST_ARG_CHECKS: Record<RequestCommand, Check> = {
  pause: optLoop, continue: optLoop, stepTick: optLoop, stepCallback: optLoop,
  runUntilTaskSteps: objOf({ task: isInt }),
  cancelTask: objOf({ task: isInt, 'message?': isStr }),
  snapshot: isObj,
  awaitChain: objOf({ task: isInt }),
  variables: (v) => objOf({ 'frame?': isInt, 'ref?': isInt })(v) && ((v as Obj).frame === undefined) !== ((v as Obj).ref === undefined),
  setOptions: isOptions,
  evaluate: objOf({ frame: isInt, expression: isStr }),
};

export function validateRequestArgs(command: string, args: unknown): void {
  const check = (REQUEST_ARG_CHECKS as Record<string, Check | undefined>)[command];
  if (!check) throw new WireError(`request: unknown command ${describe(command)}`);
  if (!check(args)) throw new WireError(`request ${command}: invalid args (${describe(args)})`);
}

const TASK_CREATED_FIELDS = EVENT_SCHEMAS['task.created'];
const { state: _state, ...TASK_STATE_FIELDS } = EVENT_SCHEMAS['task.state'];
const TASK_DONE_OPTIONAL = Object.fromEntries(
  Object.entries(EVENT_SCHEMAS['task.done']).filter(([k]) => !['task', 'steps', 'busyMs'].includes(k)).map(([k, c]) => [`${k.replace(/\?$/, '')}?`, c]),
);
const isTaskSnapshot = objOf({ ...TASK_CREATED_FIELDS, ...TASK_STATE_FIELDS, state: oneOf('running', 'ready', 'waiting', 'done'), ...TASK_DONE_OPTIONAL });
const isLoopSnapshot = objOf({ ...EVENT_SCHEMAS['loop.created'], tick: isInt, paused: isBool, closed: isBool });
const empty = isObj;
const RESPONSE_BODY_CHECKS: Record<RequestCommand, Check> = {
  pause: empty, continue: empty, stepTick: empty, stepCallback: empty, runUntilTaskSteps: empty, setOptions: empty,
  cancelTask: objOf({ cancelled: isBool }),
  snapshot: objOf({
    loops: arrayOf(isLoopSnapshot), tasks: arrayOf(isTaskSnapshot),
    futures: arrayOf(objOf(EVENT_SCHEMAS['future.created'])), stats: objOf(EVENT_SCHEMAS.stats),
  }),
  awaitChain: objOf({ frames: arrayOf(isFrame) }),
  variables: objOf({ variables: arrayOf(objOf({ name: isStr, value: isStr, type: isStr, ref: isInt })) }),
  evaluate: objOf({ value: isStr, type: isStr, ref: isInt }),
};

/** Responses do not name their command; the requester validates the body against what it asked. */
export function validateResponseBody<C extends RequestCommand>(command: C, body: unknown): ResponseBodies[C] {
  const check = (RESPONSE_BODY_CHECKS as Record<string, Check | undefined>)[command];
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

  constructor(private readonly maxLineBytes = MAX_LINE_BYTES) {}

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
