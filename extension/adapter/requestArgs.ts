// The edge of the adapter: which requests it answers and what their arguments must look like,
// checked before any handler runs. Standard DAP requests Loopscope implements are listed here in the
// schema's type syntax; the custom `loopscope/*` ones come generated from protocol/schema.json. A
// refusal names the request, the field and what arrived, in words for a person.

import { CUSTOM_REQUEST_ARGS, type CustomRequestName } from '../protocol/customDap';
import { isBool, isInt, isObj, isStr } from '../protocol/wire';

type Fields = Readonly<Record<string, string>>;

/** Objects nested in the standard requests' arguments (only the fields Loopscope reads). */
const SHAPES: Readonly<Record<string, Fields>> = {
  Source: { 'path?': 'str', 'name?': 'str', 'sourceReference?': 'int' },
  SourceBreakpoint: { line: 'int', 'column?': 'int', 'condition?': 'str', 'hitCondition?': 'str', 'logMessage?': 'str' },
  FunctionBreakpoint: { name: 'str', 'condition?': 'str', 'hitCondition?': 'str' },
};

/**
 * The standard requests Loopscope implements, with the fields it reads. The library would answer any
 * other standard request with an empty success, which claims something that did not happen.
 * launch/attach values are checked by checkLaunchValues/checkAttachValues, with their own wording.
 */
export const STANDARD_REQUEST_ARGS: Readonly<Record<string, Fields>> = {
  initialize: { 'adapterID?': 'str', 'linesStartAt1?': 'bool', 'columnsStartAt1?': 'bool', 'pathFormat?': 'str', 'supportsRunInTerminalRequest?': 'bool' },
  launch: {},
  attach: {},
  configurationDone: {},
  setBreakpoints: { source: 'Source', 'breakpoints?': 'SourceBreakpoint[]' },
  setFunctionBreakpoints: { breakpoints: 'FunctionBreakpoint[]' },
  setExceptionBreakpoints: { filters: 'str[]' },
  threads: {},
  stackTrace: { threadId: 'int', 'startFrame?': 'int', 'levels?': 'int' },
  scopes: { frameId: 'int' },
  variables: { variablesReference: 'int', 'start?': 'int', 'count?': 'int', 'filter?': 'str' },
  setVariable: { variablesReference: 'int', name: 'str', value: 'str' },
  evaluate: { expression: 'str', 'frameId?': 'int', 'context?': 'str' },
  // Without a (known) thread, pause holds every loop and continue releases everything.
  pause: { 'threadId?': 'int' },
  continue: { 'threadId?': 'int' },
  next: { threadId: 'int' },
  stepIn: { threadId: 'int' },
  stepOut: { threadId: 'int' },
  exceptionInfo: { threadId: 'int' },
  disconnect: { 'restart?': 'bool', 'terminateDebuggee?': 'bool', 'suspendDebuggee?': 'bool' },
  terminate: { 'restart?': 'bool' },
};

const PRIMITIVE: Readonly<Record<string, { check: (v: unknown) => boolean; one: string; many: string }>> = {
  int: { check: isInt, one: 'a non-negative integer', many: 'non-negative integers' },
  str: { check: isStr, one: 'a string', many: 'strings' },
  bool: { check: isBool, one: 'true or false', many: 'true/false values' },
  object: { check: isObj, one: 'an object', many: 'objects' },
};

export interface Refusal { id: number; message: string }

/** JSON of `v`, clipped: what arrived, for a message. */
export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  let s: string;
  try {
    s = JSON.stringify(v) ?? typeof v;
  } catch {
    s = Array.isArray(v) ? 'a nested list' : 'a nested object';
  }
  return s.length > 60 ? `${s.slice(0, 57)}…` : s;
}

/** True when the checker understands `type` (a primitive or a shape, `[]` and `|null` allowed). */
export function knownType(type: string): boolean {
  const name = /^(\w+)(?:\[\])?(?:\|null)?$/.exec(type)?.[1];
  return name !== undefined && (name in PRIMITIVE || name in SHAPES);
}

function words(type: string): string {
  const nullable = type.endsWith('|null');
  const base = nullable ? type.slice(0, -5) : type;
  const array = base.endsWith('[]');
  const p = PRIMITIVE[array ? base.slice(0, -2) : base];
  const text = array ? `a list of ${p?.many ?? 'objects'}` : p?.one ?? 'an object';
  return nullable ? `${text} or null` : text;
}

interface Bad { path: string; type: string; value: unknown }

/** The path of the first field of `v` that does not have `type`, with what it must be; null when it does. */
function badValue(v: unknown, type: string, where: string): Bad | null {
  if (type.endsWith('|null')) return v === null ? null : badValue(v, type.slice(0, -5), where);
  if (type.endsWith('[]')) {
    if (!Array.isArray(v)) return { path: where, type, value: v };
    for (let i = 0; i < v.length; i++) {
      const bad = badValue(v[i], type.slice(0, -2), `${where}[${i}]`);
      if (bad) return bad;
    }
    return null;
  }
  const primitive = PRIMITIVE[type];
  if (primitive) return primitive.check(v) ? null : { path: where, type, value: v };
  const shape = SHAPES[type];
  if (!shape) return null;
  if (!isObj(v)) return { path: where, type, value: v };
  return badFields(v, shape, `${where}.`);
}

function badFields(args: Record<string, unknown>, fields: Fields, prefix = ''): Bad | null {
  for (const [key, type] of Object.entries(fields)) {
    const optional = key.endsWith('?');
    const name = optional ? key.slice(0, -1) : key;
    const v = Object.hasOwn(args, name) ? args[name] : undefined;
    if (v === undefined && optional) continue;
    const bad = badValue(v, type, `${prefix}${name}`);
    if (bad) return bad;
  }
  return null;
}

function commandText(command: unknown): string {
  if (typeof command !== 'string') return command === undefined ? 'without a "command"' : `named ${describeValue(command)}`;
  return `'${command.length > 80 ? `${command.slice(0, 77)}…` : command}'`;
}

/**
 * Why the adapter refuses `command` with `args` before running any handler, or null. `args` is
 * already an object (dispatchRequest makes it one).
 */
export function refusal(command: unknown, args: Record<string, unknown>): Refusal | null {
  const fields = typeof command !== 'string' ? undefined
    : Object.hasOwn(STANDARD_REQUEST_ARGS, command) ? STANDARD_REQUEST_ARGS[command]
      : Object.hasOwn(CUSTOM_REQUEST_ARGS, command) ? CUSTOM_REQUEST_ARGS[command as CustomRequestName] : undefined;
  if (!fields) return { id: 1014, message: `Loopscope does not support the request ${commandText(command)}` };
  const bad = badFields(args, fields);
  if (!bad) return null;
  const got = bad.value;
  const what = got === undefined ? `needs "${bad.path}" (${words(bad.type)})` : `needs "${bad.path}" to be ${words(bad.type)}, not ${describeValue(got)}`;
  return { id: 1015, message: `${commandText(command)} ${what}` };
}
