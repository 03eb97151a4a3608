// Protocol generator, part 2: the TypeScript outputs. extension/protocol/wire.generated.ts holds
// the wire types and straight-line validators (one function per shape, event, message and request;
// they return the name of the first bad field, the hand-written codec in wire.ts words the error);
// customDap.generated.ts holds the custom DAP types and each custom request's argument fields.

import { PRIMITIVES, dependencyOrder, enumTableName, upperSnake } from './gen-protocol-model.mjs';

const TS_PRIMITIVE = { int: 'number', integer: 'number', num: 'number', str: 'string', bool: 'boolean', object: 'Record<string, unknown>', unknown: 'unknown' };

export function tsType(t) {
  let s = TS_PRIMITIVE[t.name] ?? t.name;
  for (let i = 0; i < t.array; i++) s = `${s}[]`;
  return t.nullable ? `${s} | null` : s;
}

const PRIMITIVE_CHECK = {
  int: (x) => `isInt(${x})`, integer: (x) => `Number.isInteger(${x})`, num: (x) => `Number.isFinite(${x})`,
  str: (x) => `typeof ${x} === 'string'`, bool: (x) => `typeof ${x} === 'boolean'`, object: (x) => `isObj(${x})`,
};
const PRIMITIVE_FN = { int: 'isInt', integer: 'Number.isInteger', num: 'Number.isFinite', str: 'isStr', bool: 'isBool', object: 'isObj' };

/** A boolean expression that is true when `x` (an identifier) has type `t`; null for "anything". */
function tsCheck(t, x) {
  let c;
  if (t.array > 1) throw new Error(`nested arrays are not supported (${t.name})`);
  if (t.array === 1) {
    if (t.name === 'WireEvent') c = `Array.isArray(${x})`;
    else if (t.name === 'unknown') c = `Array.isArray(${x})`;
    else c = `isArrayOf(${x}, ${PRIMITIVE_FN[t.name] ?? `is${t.name}`})`;
  } else if (t.name === 'unknown') {
    return null;
  } else {
    c = PRIMITIVE_CHECK[t.name]?.(x) ?? `is${t.name}(${x})`;
  }
  return t.nullable ? `(${x} === null || ${c})` : c;
}

const prop = (o, n) => (/^[A-Za-z_$][\w$]*$/.test(n) ? `${o}.${n}` : `${o}[${JSON.stringify(n)}]`);

/** Body of a `(v: Obj) => string | null` checker: returns the first bad field's name. */
function fieldChecks(fields, exactlyOne) {
  const lines = [];
  if (fields.length > 1) lines.push('  let x: unknown;');
  for (const f of fields) {
    const c = tsCheck(f.type, 'x');
    lines.push(fields.length > 1 ? `  x = ${prop('v', f.name)};` : `  const x = ${prop('v', f.name)};`);
    if (c === null) lines.push(f.optional ? '' : `  if (x === undefined) return '${f.name}';`);
    else lines.push(f.optional ? `  if (x !== undefined && !(${c})) return '${f.name}';` : `  if (!(${c})) return '${f.name}';`);
  }
  if (exactlyOne) {
    const [a, b] = exactlyOne;
    lines.push(`  if ((v.${a} === undefined) === (v.${b} === undefined)) return '${a}|${b}';`);
  }
  lines.push('  return null;');
  return lines.filter(Boolean).join('\n');
}

const doc = (text, indent = '') => (text ? `${indent}/** ${text.replace(/\*\//g, '*\\/')} */\n` : '');

function fieldLines(fields, indent = '  ') {
  return fields.map((f) => `${doc(f.doc, indent)}${indent}${f.name}${f.optional ? '?' : ''}: ${tsType(f.type)};`).join('\n');
}

export function tsInterface(shape) {
  if (shape.exactlyOne) {
    const common = shape.fields.filter((f) => !shape.exactlyOne.includes(f.name));
    const alts = shape.exactlyOne.map((n) => {
      const f = shape.fields.find((g) => g.name === n);
      return `{ ${[{ ...f, optional: false }, ...common].map((g) => `${g.name}${g.optional ? '?' : ''}: ${tsType(g.type)}`).join('; ')} }`;
    });
    return `${doc(shape.doc)}export type ${shape.name} = ${alts.join(' | ')};`;
  }
  const open = shape.open ? '\n  [extra: string]: unknown;' : '';
  return `${doc(shape.doc)}export interface ${shape.name} {\n${fieldLines(shape.fields)}${open}\n}`;
}

function shapeValidator(shape) {
  return [
    `function bad${shape.name}(v: Obj): string | null {\n${fieldChecks(shape.fields, shape.exactlyOne)}\n}`,
    `export const is${shape.name} = (v: unknown): v is ${shape.name} => isObj(v) && bad${shape.name}(v) === null;`,
  ].join('\n');
}

function enumBlock(e, withCheck) {
  const table = enumTableName(e.name);
  const lines = [
    `${doc(e.doc)}export type ${e.name} = ${e.values.map((v) => `'${v}'`).join(' | ')};`,
    `export const ${table}: readonly ${e.name}[] = [${e.values.map((v) => `'${v}'`).join(', ')}];`,
  ];
  if (withCheck) {
    lines.push(`const ${upperSnake(e.name)}_SET: ReadonlySet<unknown> = new Set(${table});`);
    lines.push(`export const is${e.name} = (v: unknown): v is ${e.name} => ${upperSnake(e.name)}_SET.has(v);`);
  }
  return lines.join('\n');
}

const PREAMBLE = `type Obj = Record<string, unknown>;
/** A field checker: the name of the first field that does not conform, or null. */
export type FieldCheck = (v: Obj) => string | null;
export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
// Ids, counts, lines and codes are non-negative integers on the wire.
export const isInt = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0;
export const isStr = (v: unknown): v is string => typeof v === 'string';
export const isBool = (v: unknown): v is boolean => typeof v === 'boolean';
function isArrayOf(v: unknown, check: (e: unknown) => boolean): boolean {
  if (!Array.isArray(v)) return false;
  for (let i = 0; i < v.length; i++) if (!check(v[i])) return false;
  return true;
}`;

function payloadType(p) {
  if (p.empty) return 'Record<string, never>';
  if (p.ref) return tsType(p.ref);
  return p.shape.name;
}
const payloadCheck = (p) => (p.empty ? 'isObj' : p.ref ? `is${p.ref.name}` : `is${p.shape.name}`);

function eventsBlock(model) {
  const out = [];
  for (const e of model.events) {
    out.push(`${doc(e.doc)}export interface ${e.typeName} {\n  kind: '${e.kind}';\n  ts: number;\n${fieldLines(e.fields)}\n}`);
    out.push(`function bad${e.typeName}(v: Obj): string | null {\n${fieldChecks(e.fields)}\n}`);
  }
  out.push('/** An event kind this debugger does not know; kept (and ignored) for forward compatibility. */');
  out.push('export interface UnknownEvent { kind: string; ts: number; [field: string]: unknown }');
  out.push(`export type KnownEvent =\n  | ${model.events.map((e) => e.typeName).join('\n  | ')};`);
  out.push('export type WireEvent = KnownEvent | UnknownEvent;');
  out.push("export type EventKind = KnownEvent['kind'];");
  out.push(`export const KNOWN_EVENT_KINDS: readonly string[] = [${model.events.map((e) => `'${e.kind}'`).join(', ')}];`);
  out.push(`/** Event kind → field checker (kind and ts are checked by the codec). */\nexport const EVENT_FIELD_CHECKS: ReadonlyMap<string, FieldCheck> = new Map<string, FieldCheck>([\n${model.events.map((e) => `  ['${e.kind}', bad${e.typeName}],`).join('\n')}\n]);`);
  return out.join('\n\n');
}

function messagesBlock(model) {
  const out = [];
  for (const m of model.messages) {
    if (!m.handTyped) out.push(`${doc(m.doc)}export interface ${m.name} {\n  type: '${m.type}';\n${fieldLines(m.fields)}\n}`);
    out.push(`function bad${m.name}(v: Obj): string | null {\n${fieldChecks(m.fields)}\n}`);
  }
  out.push(`/** Message type → field checker (the codec adds the per-type rules: events, args, ok/error). */\nexport const MESSAGE_FIELD_CHECKS: ReadonlyMap<string, FieldCheck> = new Map<string, FieldCheck>([\n${model.messages.map((m) => `  ['${m.type}', bad${m.name}],`).join('\n')}\n]);`);
  return out.join('\n\n');
}

function requestsBlock(model) {
  const out = [];
  // Every request has <Command>Args and <Command>Body (an alias when the schema names a shape or
  // says {}), except where that name is a custom DAP record's (the DAP SnapshotBody).
  const dapNames = new Set(model.dap.shapes.map((s) => s.name));
  for (const r of model.requests) {
    for (const [p, name] of [[r.args, r.argsName], [r.body, r.bodyName]]) {
      if (p.shape) out.push(tsInterface(p.shape), shapeValidator(p.shape));
      else if (!dapNames.has(name)) out.push(`export type ${name} = ${payloadType(p)};`);
    }
  }
  const line = (r, p) => `  ${r.command}: ${payloadType(p)};`;
  out.push(`export interface RequestArgs {\n${model.requests.map((r) => line(r, r.args)).join('\n')}\n}`);
  out.push(`export interface ResponseBodies {\n${model.requests.map((r) => line(r, r.body)).join('\n')}\n}`);
  out.push('export type RequestCommand = keyof RequestArgs;');
  out.push(`export const REQUEST_COMMANDS: readonly RequestCommand[] = [${model.requests.map((r) => `'${r.command}'`).join(', ')}];`);
  const table = (name, pick) => `export const ${name}: Readonly<Record<RequestCommand, (v: unknown) => boolean>> = {\n${model.requests.map((r) => `  ${r.command}: ${payloadCheck(pick(r))},`).join('\n')}\n};`;
  out.push(table('REQUEST_ARG_CHECKS', (r) => r.args), table('RESPONSE_BODY_CHECKS', (r) => r.body));
  return out.join('\n\n');
}

const HEADER = (what) => `// GENERATED by scripts/gen-protocol.mjs from protocol/schema.json: do not edit by hand.
// ${what} Change the schema and run \`npm run gen:protocol\`; test/unit/wire.test.ts
// fails while this file differs from what the generator writes.`;

export function emitWireTs(model, schemaHash) {
  const wireShapes = dependencyOrder(model.shapes);
  const defaults = Object.entries(model.options).map(([k, o]) => `  ${k}: ${JSON.stringify(o.default)},`).join('\n');
  return [
    HEADER('Wire protocol types and validators (the codec is wire.ts).'),
    [
      `export const PROTOCOL_VERSION = ${model.protocol};`,
      '/** Longest accepted line (bytes, without the newline); longer is a protocol error. */',
      `export const MAX_LINE_BYTES = ${model.maxLineBytes};`,
      '/** What a listener buffers for a peer that has not authenticated yet (bytes), and how many such peers at once. */',
      `export const PREAUTH_MAX_BYTES = ${model.preAuth.maxBytes};`,
      `export const PREAUTH_MAX_CONNECTIONS = ${model.preAuth.maxConnections};`,
      "/** package.json's version when this file was generated (bundles get it from build.mjs's define). */",
      `export const PACKAGE_VERSION = '${model.version}';`,
      `export const SCHEMA_SHA256 = '${schemaHash}';`,
    ].join('\n'),
    PREAMBLE,
    ...model.enums.filter((e) => !e.dap).map((e) => enumBlock(e, true)),
    ...wireShapes.map((s) => `${tsInterface(s)}\n${shapeValidator(s)}`),
    `export const DEFAULT_OPTIONS: Readonly<Required<WelcomeOptions>> = {\n${defaults}\n};`,
    eventsBlock(model),
    messagesBlock(model),
    requestsBlock(model),
  ].join('\n\n') + '\n';
}

function referencedNames(fieldsLists) {
  const names = new Set();
  for (const fields of fieldsLists) for (const f of fields) if (!PRIMITIVES.has(f.type.name)) names.add(f.type.name);
  return names;
}

function dapPayload(p) {
  if (p.empty) return 'Record<string, never>';
  if (p.ref) return tsType(p.ref);
  return `{ ${p.shape.fields.map((f) => `${f.name}${f.optional ? '?' : ''}: ${tsType(f.type)}`).join('; ')} }`;
}

export function emitDapTs(model) {
  const local = new Set([...model.dap.shapes.map((s) => s.name), ...model.enums.filter((e) => e.dap).map((e) => e.name)]);
  const payloadFields = model.dap.requests.flatMap((r) => [r.args, r.body].filter((p) => p.shape).map((p) => p.shape.fields));
  const used = referencedNames([...model.dap.shapes.map((s) => s.fields), ...payloadFields]);
  const imports = [...used].filter((n) => !local.has(n)).sort();
  const events = model.dap.events;
  return [
    HEADER('Custom DAP types (adapter ⇄ extension).'),
    `import type { ${imports.join(', ')} } from './wire.generated';`,
    ...model.enums.filter((e) => e.dap).map((e) => enumBlock(e, false)),
    ...model.dap.shapes.map((s) => tsInterface(s)),
    ...events.map((e) => `${doc(e.doc)}export const ${e.const} = '${e.event}';`),
    `/** Custom event name → body. */\nexport interface CustomEvents {\n${events.map((e) => `  '${e.event}': ${tsType(e.body)};`).join('\n')}\n}`,
    `/** Custom request name → [arguments, response body]. */\nexport interface CustomRequests {\n${model.dap.requests.map((r) => `  '${r.command}': [${dapPayload(r.args)}, ${dapPayload(r.body)}];`).join('\n')}\n}`,
    'export type CustomRequestName = keyof CustomRequests;',
    customArgsTable(model.dap.requests),
  ].join('\n\n') + '\n';
}

/** The schema's argument fields of each custom request, as data the adapter checks requests against. */
function customArgsTable(requests) {
  const typeText = (t) => `${t.name}${'[]'.repeat(t.array)}${t.nullable ? '|null' : ''}`;
  const row = (r) => {
    if (r.args.ref) throw new Error(`dap.requests.${r.command}.args: give the fields inline (or {}), not a shape name`);
    const fields = r.args.empty ? [] : r.args.shape.fields;
    return `  '${r.command}': { ${fields.map((f) => `'${f.name}${f.optional ? '?' : ''}': '${typeText(f.type)}'`).join(', ')} },`.replace('{  }', '{}');
  };
  return [
    '/** Custom request name → its argument fields in the schema\'s type syntax (`name?` optional; `int` a non-negative integer). */',
    `export const CUSTOM_REQUEST_ARGS: Readonly<Record<CustomRequestName, Readonly<Record<string, string>>>> = {\n${requests.map(row).join('\n')}\n};`,
  ].join('\n');
}
