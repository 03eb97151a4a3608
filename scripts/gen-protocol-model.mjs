// Protocol generator, part 1: reads protocol/schema.json into a resolved model (type expressions
// parsed, shape includes expanded, request args/bodies named) that the TypeScript, Python, fixture
// and docs emitters share. Rejects a schema it cannot honour with a message naming the spot.

export const PRIMITIVES = new Set(['int', 'integer', 'num', 'str', 'bool', 'object', 'unknown']);
/** Special names the emitters know: the events of a batch are checked one by one by the codec. */
export const SPECIAL = new Set(['WireEvent']);

export class SchemaError extends Error {}

export const pascal = (s) => s.split(/[^A-Za-z0-9]+/).filter(Boolean).map((w) => w[0].toUpperCase() + w.slice(1)).join('');
export const upperSnake = (s) => s.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
/** `WaitKind` → `WAIT_KINDS` (the table of an enum's values, same name on both sides). */
export const enumTableName = (name) => upperSnake(name).replace(/Y$/, 'IE') + 'S';
export const eventTypeName = (kind) => `${pascal(kind)}Event`;

/** Parses `Name`, `Name[]`, `Name|null`, `Name[]|null` into {name, array, nullable}. */
export function parseType(text, where) {
  const m = /^([A-Za-z][A-Za-z0-9]*)((?:\[\])*)(\|null)?$/.exec(text);
  if (!m) throw new SchemaError(`${where}: cannot read type "${text}" (expected Name, Name[], Name|null)`);
  return { name: m[1], array: m[2].length / 2, nullable: Boolean(m[3]) };
}

/** A fields object {"name": "Type", "opt?": "Type"} → [{name, optional, type}]. */
function parseFields(fields, where) {
  return Object.entries(fields).map(([key, t]) => {
    if (typeof t !== 'string') throw new SchemaError(`${where}.${key}: a field's type is a string like "int|null"`);
    const optional = key.endsWith('?');
    const name = optional ? key.slice(0, -1) : key;
    return { name, optional, type: parseType(t, `${where}.${name}`) };
  });
}

function resolveIncludes(shape, name, schema) {
  const out = new Map();
  const add = (refs, makeOptional) => {
    for (const ref of refs ?? []) {
      const m = /^event:(.+)$/.exec(ref);
      const ev = m && schema.events[m[1]];
      if (!ev) throw new SchemaError(`shapes.${name}: include "${ref}" names no event`);
      for (const f of parseFields(ev.fields, `events.${m[1]}`)) {
        if (makeOptional && out.has(f.name)) continue;
        out.set(f.name, makeOptional ? { ...f, optional: true } : f);
      }
    }
  };
  add(shape.include, false);
  add(shape.includeOptional, true);
  for (const f of parseFields(shape.fields ?? {}, `shapes.${name}`)) out.set(f.name, f);
  return [...out.values()];
}

/** An args/body spec: "ShapeName" (a reference), {} (empty) or inline fields (a named shape). */
function payload(spec, typeName, where, extra = {}) {
  if (typeof spec === 'string') return { ref: parseType(spec, where) };
  if (!spec || typeof spec !== 'object') throw new SchemaError(`${where}: expected a shape name or a fields object`);
  if (Object.keys(spec).length === 0) return { empty: true };
  return { shape: { name: typeName, fields: parseFields(spec, where), ...extra } };
}

function buildRequests(schema) {
  return Object.entries(schema.requests).map(([command, r]) => {
    const where = `requests.${command}`;
    if (!r.examples || Object.keys(r.examples).length === 0) throw new SchemaError(`${where}: needs "examples" (every request gets a fixture)`);
    if (r.response === undefined) throw new SchemaError(`${where}: needs a "response" example body`);
    const extra = r.exactlyOne ? { exactlyOne: r.exactlyOne } : {};
    return {
      command, doc: r.doc ?? '', examples: r.examples, response: r.response,
      argsName: `${pascal(command)}Args`, bodyName: `${pascal(command)}Body`,
      args: payload(r.args, `${pascal(command)}Args`, `${where}.args`, extra),
      body: payload(r.body, `${pascal(command)}Body`, `${where}.body`),
    };
  });
}

function settingsShape(name, section, open) {
  const fields = Object.entries(section).map(([key, o]) => ({ name: key, optional: true, type: parseType(o.type, `${name}.${key}`), doc: o.doc, default: o.default }));
  return { name, fields, open };
}

/** The whole resolved model. */
export function buildModel(schema, version) {
  const enums = Object.entries(schema.enums).map(([name, e]) => ({ name, values: e.values, doc: e.doc ?? '', dap: Boolean(e.dap) }));
  const shapes = Object.entries(schema.shapes).map(([name, s]) => ({ name, doc: s.doc ?? '', fields: resolveIncludes(s, name, schema) }));
  shapes.push(settingsShape('WelcomeOptions', schema.options, false), settingsShape('Capabilities', schema.capabilities, true));
  // A kind's examples: those in the `events` message examples (scenario batches), then its own.
  const batches = Object.values(schema.messages.events?.examples ?? {}).flatMap((m) => m.events ?? []);
  const events = Object.entries(schema.events).map(([kind, e]) => {
    const examples = [...batches.filter((x) => x.kind === kind), ...(e.examples ?? [])];
    if (examples.length === 0) throw new SchemaError(`events.${kind}: needs "examples" (every kind gets a fixture), here or in an events message example`);
    return { kind, typeName: eventTypeName(kind), doc: e.doc ?? '', fields: parseFields(e.fields, `events.${kind}`), examples };
  });
  const messages = Object.entries(schema.messages).map(([type, m]) => ({ type, ...m, fields: parseFields(m.fields, `messages.${type}`), examples: m.examples ?? {} }));
  const requests = buildRequests(schema);
  const dap = {
    shapes: Object.entries(schema.dap.shapes).map(([name, s]) => ({ name, doc: s.doc ?? '', fields: resolveIncludes(s, name, schema) })),
    events: Object.entries(schema.dap.events).map(([event, e]) => ({ event, ...e, body: parseType(e.body, `dap.events.${event}`) })),
    requests: Object.entries(schema.dap.requests).map(([command, r]) => ({
      command, doc: r.doc ?? '',
      args: payload(r.args, '', `dap.requests.${command}.args`), body: payload(r.body, '', `dap.requests.${command}.body`),
    })),
  };
  const model = { protocol: schema.protocol, maxLineBytes: schema.maxLineBytes, preAuth: schema.preAuth, version, enums, shapes, events, messages, requests, dap, options: schema.options, invalid: schema.invalid ?? {} };
  checkReferences(model);
  return model;
}

function checkReferences(model) {
  const known = new Set([...PRIMITIVES, ...SPECIAL, ...model.enums.map((e) => e.name), ...model.shapes.map((s) => s.name), ...model.dap.shapes.map((s) => s.name)]);
  const visit = (fields, where) => {
    for (const f of fields) if (!known.has(f.type.name)) throw new SchemaError(`${where}.${f.name}: unknown type "${f.type.name}"`);
  };
  for (const s of [...model.shapes, ...model.dap.shapes]) visit(s.fields, `shapes.${s.name}`);
  for (const e of model.events) visit(e.fields, `events.${e.kind}`);
  for (const m of model.messages) visit(m.fields, `messages.${m.type}`);
  for (const r of model.requests) {
    for (const p of [r.args, r.body]) {
      if (p.shape) visit(p.shape.fields, `requests.${r.command}`);
      if (p.ref && !known.has(p.ref.name)) throw new SchemaError(`requests.${r.command}: unknown type "${p.ref.name}"`);
    }
  }
}

/** Shapes in an order where every shape comes after the shapes its fields use (Python needs it). */
export function dependencyOrder(shapes) {
  const byName = new Map(shapes.map((s) => [s.name, s]));
  const done = new Set();
  const out = [];
  const visit = (s) => {
    if (done.has(s.name)) return;
    done.add(s.name);
    for (const f of s.fields) if (byName.has(f.type.name)) visit(byName.get(f.type.name));
    out.push(s);
  };
  shapes.forEach(visit);
  return out;
}
