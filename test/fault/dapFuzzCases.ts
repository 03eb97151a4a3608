// The DAP fuzz's messages, generated up front from a seed (the same seed gives the same messages):
// every request Loopscope handles (standard DAP, the custom `loopscope/*` ones, a few it does not)
// with valid, mutated and hostile arguments, unknown commands and mangled envelopes. Pure data.

import type { CustomRequestName } from '../../extension/protocol/customDap';

/** mulberry32: a small, fast, seedable PRNG (32-bit state), good enough to pick cases. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }

  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  pick<T>(a: readonly T[]): T {
    return a[this.int(a.length)];
  }

  chance(p: number): boolean {
    return this.next() < p;
  }
}

/** What the templates need to know about the session under test. */
export interface FuzzContext {
  program: string;
  python: string;
  /** Where a second program launched by the fuzz would write (must never exist). */
  strayMarker: string;
  stopFile: string;
  /** An absolute path the fuzz may write a trace to. */
  tracePath: string;
}

export interface FuzzCase {
  /** The whole message body (usually a request object); the harness frames it. */
  body: unknown;
  /** Whether an answer is due (the body is a request). */
  answered: boolean;
  /** The request_seq the answer carries. */
  seq: unknown;
  /** The command, when it is a string (responses must echo it). */
  command: string | null;
  /** Short description for failure reports. */
  label: string;
}

const LOOP_THREAD = 1_000_000_000;
/** Ids that exist in a running session (task threads are task id + 1, loops live at 1e9 + loop id) and ids that cannot. */
const IDS: readonly unknown[] = [
  0, 1, 2, 3, 4, 5, 6, 8, LOOP_THREAD, LOOP_THREAD + 1, 2_000_000_000, -1, -2147483648, 2147483647, 2 ** 31, 2 ** 53,
  2 ** 64, 1e300, -1e300, 0.5, 1.5, '1', '', null, true, [], {}, [1], { id: 1 },
];
const LONG = 'x'.repeat(100_000);

function deep(levels: number): unknown {
  let v: unknown = 'bottom';
  for (let i = 0; i < levels; i++) v = i % 2 ? [v] : { v };
  return v;
}

/** Values of the wrong type, size or shape for almost any field. */
export const HOSTILE: readonly unknown[] = [
  ...IDS, false, 'x', LONG, '{_stack}', '{0} {_exception}', '%s%n', '\u0000', '\ud800', '\n\r\t', 'ß∂ƒ©', '../../etc/passwd',
  [null], ['a', 1, null], { nested: { deeper: { deepest: [1, { a: null }] } } }, deep(200), deep(3000),
  JSON.parse('{"__proto__": {"polluted": true}}') as unknown, { constructor: 'x', toString: 1, hasOwnProperty: null },
  Array.from({ length: 2000 }, (_, i) => i),
];

/** Strings for expressions, names, conditions: nothing that could call, assign or import in the program. */
const TEXT: readonly string[] = [
  '', ' ', 'n', 'q', 'stop', 'self', 'fz_x', 'n +', '1/0', '"unterminated', 'await asyncio.sleep(0)', '__builtins__',
  'x.y.z', '[*range]', 'lambda: 1', '{_stack}', '\u0000', '\ud800', 'ß∂ƒ', LONG, 'not a python expression at all',
];

type Template = (c: FuzzContext) => Record<string, unknown>;

/** One valid request per command; the fuzz sends them as they are, mutated, or replaced. */
export const STANDARD_TEMPLATES: Readonly<Record<string, Template>> = {
  initialize: () => ({ clientID: 'fuzz', adapterID: 'loopscope', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path' }),
  // A second launch must be refused: if one ran, the stray marker would be written.
  launch: (c) => ({ program: c.program, args: [c.strayMarker, c.stopFile], python: c.python }),
  attach: () => ({ host: '127.0.0.1', port: 1, token: 'fuzz' }),
  configurationDone: () => ({}),
  setBreakpoints: (c) => ({ source: { path: c.program }, breakpoints: [{ line: 14 }, { line: 24, condition: 'seen > 2' }, { line: 32, logMessage: 'tick {stop}' }] }),
  setFunctionBreakpoints: () => ({ breakpoints: [{ name: 'ticker' }, { name: 'consumer', hitCondition: '3' }] }),
  setExceptionBreakpoints: () => ({ filters: ['raised', 'uncaught', 'task-failed', 'stall'] }),
  threads: () => ({}),
  stackTrace: () => ({ threadId: 2, startFrame: 0, levels: 20 }),
  scopes: () => ({ frameId: 1 }),
  variables: () => ({ variablesReference: 2, start: 0, count: 10 }),
  setVariable: () => ({ variablesReference: 2, name: 'fz_x', value: '1' }),
  evaluate: () => ({ expression: 'n', frameId: 1, context: 'watch' }),
  continue: () => ({ threadId: LOOP_THREAD }),
  pause: () => ({ threadId: LOOP_THREAD }),
  next: () => ({ threadId: 2 }),
  stepIn: () => ({ threadId: 3 }),
  stepOut: () => ({ threadId: 4 }),
  exceptionInfo: () => ({ threadId: 2 }),
  // Requests Loopscope does not offer (no capability says so): answered all the same.
  restart: () => ({}),
  source: () => ({ sourceReference: 1 }),
  completions: () => ({ text: 'n', column: 1 }),
  stepBack: () => ({ threadId: 2 }),
  goto: () => ({ threadId: 2, targetId: 1 }),
  loadedSources: () => ({}),
  modules: () => ({}),
  setExpression: () => ({ expression: 'n', value: '1' }),
  cancel: () => ({ requestId: 1 }),
  dataBreakpointInfo: () => ({ name: 'n' }),
  readMemory: () => ({ memoryReference: '0', count: 16 }),
};

/** Keyed by CustomRequestName: a new custom request fails to compile here until the fuzz covers it. */
export const CUSTOM_TEMPLATES: Readonly<Record<CustomRequestName, Template>> = {
  'loopscope/snapshot': () => ({}),
  // Never a real task: cancelling the program's own task is an honoured request that changes its end.
  'loopscope/cancelTask': () => ({ taskId: 1_000_003 }),
  'loopscope/runUntilTaskSteps': () => ({ taskId: 2 }),
  'loopscope/stepTick': () => ({ threadId: LOOP_THREAD }),
  'loopscope/stepCallback': () => ({ threadId: 3 }),
  'loopscope/pauseLoop': () => ({}),
  'loopscope/continueLoop': () => ({}),
  'loopscope/exportTrace': (c) => ({ path: c.tracePath }),
  'loopscope/awaitChain': () => ({ taskId: 1 }),
  'loopscope/focusTask': () => ({ taskId: 2 }),
};

/** `disconnect` and `terminate` end the program by design; the test sends them at the end. */
export const NOT_FUZZED = ['disconnect', 'terminate'];

const UNKNOWN_COMMANDS: readonly string[] = [
  'frobnicate', '', ' ', 'Threads', 'threads ', 'loopscope/', 'loopscope/unknown', 'LOOPSCOPE/SNAPSHOT', '__proto__',
  'constructor', 'toString', 'hasOwnProperty', '{_stack}', 'runInTerminal', 'startDebugging', LONG, '\u0000', 'ß',
];

/** Field values a mutation may put in: hostile values, text, and values of the right type but wrong meaning. */
function hostileValue(r: Rng): unknown {
  return r.chance(0.25) ? r.pick(TEXT) : r.pick(HOSTILE);
}

/** A deep-enough copy of a template (its values are plain JSON). */
const copy = (o: Record<string, unknown>): Record<string, unknown> => JSON.parse(JSON.stringify(o)) as Record<string, unknown>;

/** Mutates one field of a valid argument object: dropped, retyped, nested, or a neighbour added. */
export function mutateArgs(r: Rng, args: Record<string, unknown>, ctx: FuzzContext): unknown {
  const out = copy(args);
  const keys = Object.keys(out);
  const key = keys.length > 0 ? r.pick(keys) : 'x';
  switch (r.int(8)) {
    case 0: delete out[key]; return out;
    case 1: out[key] = hostileValue(r); return out;
    case 2: out[key] = { value: out[key] }; return out;
    case 3: out[key] = [out[key]]; return out;
    case 4: out[r.pick(['extra', 'threadId', 'frameId', 'variablesReference', 'taskId', '__proto__'])] = hostileValue(r); return out;
    case 5: return mutateArray(r, out, ctx);
    case 6: return r.pick(HOSTILE);
    default:
      for (const k of keys) if (r.chance(0.5)) out[k] = hostileValue(r);
      return out;
  }
}

/** Array fields (breakpoints, filters, args): an element replaced, multiplied or emptied. */
function mutateArray(r: Rng, out: Record<string, unknown>, ctx: FuzzContext): unknown {
  const key = Object.keys(out).find((k) => Array.isArray(out[k]));
  if (!key) {
    out.breakpoints = [hostileValue(r)];
    return out;
  }
  const a = out[key] as unknown[];
  switch (r.int(4)) {
    case 0: if (a.length > 0) a[r.int(a.length)] = hostileValue(r); break;
    case 1: out[key] = Array.from({ length: 500 }, (_, i) => a[i % Math.max(1, a.length)] ?? i); break;
    case 2: out[key] = []; break;
    default: a.unshift({ line: hostileValue(r), name: hostileValue(r), condition: hostileValue(r), source: { path: ctx.tracePath } });
  }
  return out;
}

/** Envelope damage on a request: seq, type, command or arguments of the wrong kind, or a batch. */
function mangleEnvelope(r: Rng, req: Record<string, unknown>, n: number): FuzzCase {
  const label = (what: string): string => `#${n} ${String(req.command).slice(0, 40)} with ${what}`;
  const command = typeof req.command === 'string' ? req.command : null;
  switch (r.int(6)) {
    case 0: {
      const seq = r.pick([String(n), -n, n + 0.5, `s${n}`]);
      return { body: { ...req, seq }, answered: true, seq, command, label: label(`seq ${JSON.stringify(seq)}`) };
    }
    case 1: {
      const type = r.pick(['event', 'response', 'Request', 5, null, undefined]);
      return { body: { ...req, type }, answered: false, seq: null, command, label: label(`type ${String(type)}`) };
    }
    case 2: {
      const cmd = r.pick([5, null, undefined, { name: 'threads' }, ['threads'], true]);
      return { body: { ...req, command: cmd }, answered: true, seq: n, command: null, label: label(`command ${JSON.stringify(cmd)}`) };
    }
    case 3: {
      const args = r.pick([[1, 2], 'threadId=1', 42, null, true, [{ threadId: 1 }]]);
      return { body: { ...req, arguments: args }, answered: true, seq: n, command, label: label(`arguments ${JSON.stringify(args)}`) };
    }
    case 4: return { body: [req, { ...req, seq: n + 0.25 }], answered: false, seq: null, command, label: label('the request inside an array') };
    default: return { body: r.pick([null, 0, 'request', true, {}]), answered: false, seq: null, command: null, label: `#${n} a bare JSON value` };
  }
}

/**
 * The fuzz tests the adapter, not what a debugger may rightly do to a program: a cancelTask never
 * names a real task, and setVariable never assigns to a name the program uses (only `fz_…` ones).
 */
function harmless(command: string, args: unknown): unknown {
  if (typeof args !== 'object' || args === null || Array.isArray(args)) return args;
  const a = args as Record<string, unknown>;
  if (command === 'loopscope/cancelTask' && Number.isInteger(a.taskId) && (a.taskId as number) >= 0 && (a.taskId as number) < 1_000_000) a.taskId = (a.taskId as number) + 1_000_000;
  if (command === 'setVariable' && typeof a.name === 'string' && /^[A-Za-z_]\w*$/.test(a.name) && !a.name.startsWith('fz_')) a.name = `fz_${a.name}`;
  return args;
}

/** The seq of fuzz requests starts here, far from the DebugClient's own sequence. */
export const FIRST_SEQ = 1_000_000;

/** `budget` messages for `seed`: 45% valid, 35% mutated, 8% hostile arguments, 6% unknown commands, 6% mangled envelopes. */
export function buildCases(seed: number, budget: number, ctx: FuzzContext): FuzzCase[] {
  const r = new Rng(seed);
  const templates: [string, Template][] = [...Object.entries(STANDARD_TEMPLATES), ...Object.entries(CUSTOM_TEMPLATES)];
  const out: FuzzCase[] = [];
  for (let i = 0; i < budget; i++) {
    const n = FIRST_SEQ + i;
    const [command, template] = r.pick(templates);
    const roll = r.next();
    let req: Record<string, unknown>;
    if (roll < 0.06) {
      req = { seq: n, type: 'request', command: r.pick(UNKNOWN_COMMANDS), arguments: r.chance(0.5) ? template(ctx) : hostileValue(r) };
    } else if (roll < 0.14) {
      req = { seq: n, type: 'request', command, arguments: hostileValue(r) };
    } else if (roll < 0.49) {
      req = { seq: n, type: 'request', command, arguments: mutateArgs(r, template(ctx), ctx) };
    } else {
      req = { seq: n, type: 'request', command, arguments: template(ctx) };
    }
    req.arguments = harmless(command, req.arguments);
    if (roll > 0.94) {
      out.push(mangleEnvelope(r, req, n));
      continue;
    }
    const what = roll < 0.06 ? 'unknown command' : roll < 0.14 ? 'hostile arguments' : roll < 0.49 ? 'mutated arguments' : 'valid arguments';
    out.push({ body: req, answered: true, seq: n, command: req.command as string, label: `#${n} ${(req.command as string).slice(0, 40)} (${what})` });
  }
  return out;
}
