// Protocol generator, part 4: the shared fixtures (test/fixtures/wire/*.json, one per message
// example, event kind, request and response, plus invalid/) and the tables of docs/protocol.md
// between `<!-- generated:NAME -->` and `<!-- /generated:NAME -->` markers.

const json = (v) => `${JSON.stringify(v, null, 2)}\n`;
const suffix = (name) => (name === 'default' ? '' : `-${name}`);

/** Relative path (under test/fixtures/wire) → file text. */
export function emitFixtures(model) {
  const files = new Map();
  for (const m of model.messages) {
    for (const [name, ex] of Object.entries(m.examples)) files.set(`${m.type}${suffix(name)}.json`, json(ex));
  }
  model.events.forEach((e, i) => {
    files.set(`event-${e.kind}.json`, json({ type: 'events', seq: i + 1, dropped: 0, events: e.examples }));
  });
  for (const r of model.requests) {
    for (const [name, args] of Object.entries(r.examples)) {
      files.set(`request-${r.command}${suffix(name)}.json`, json({ type: 'request', id: 3, command: r.command, args }));
    }
    files.set(`response-${r.command}.json`, json({ type: 'response', id: 3, ok: true, body: r.response }));
  }
  for (const [name, v] of Object.entries(model.invalid)) files.set(`invalid/${name}.json`, json(v));
  return files;
}

const cell = (s) => String(s).replace(/\|/g, '\\|').replace(/\n/g, ' ');
const DOC_PRIMITIVE = { int: 'int', integer: 'integer', num: 'number', str: 'string', bool: 'bool', object: 'object', unknown: 'any' };
function typeText(t) {
  let s = DOC_PRIMITIVE[t.name] ?? t.name;
  for (let i = 0; i < t.array; i++) s = `${s}[]`;
  return cell(t.nullable ? `${s}|null` : s);
}
const fieldsText = (fields) => fields.map((f) => `\`${f.name}${f.optional ? '?' : ''}\` ${typeText(f.type)}`).join(', ') || '—';
const table = (head, rows) => [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)].join('\n');
const payloadText = (p) => (p.empty ? '`{}`' : p.ref ? p.ref.name : `{${fieldsText(p.shape.fields)}}${p.shape.exactlyOne ? ` (exactly one of ${p.shape.exactlyOne.map((n) => `\`${n}\``).join(', ')})` : ''}`);

/** Section name → markdown table. */
export function emitDocTables(model) {
  const shape = (n) => model.shapes.find((s) => s.name === n);
  return new Map([
    ['enums', table(['name', 'values', 'meaning'], model.enums.map((e) => [`\`${e.name}\``, e.values.map((v) => `\`${v}\``).join(', '), e.doc]))],
    ['options', table(['option', 'type', 'default', 'meaning'], shape('WelcomeOptions').fields.map((f) => [`\`${f.name}\``, typeText(f.type), `\`${JSON.stringify(f.default)}\``, f.doc]))],
    ['capabilities', table(['capability', 'type', 'meaning'], shape('Capabilities').fields.map((f) => [`\`${f.name}\``, typeText(f.type), f.doc]))],
    ['messages', table(['type', 'direction', 'fields', 'purpose'], model.messages.map((m) => [`\`${m.type}\``, m.direction, fieldsText(m.fields), m.doc]))],
    ['shapes', table(['shape', 'fields', 'notes'], model.shapes.filter((s) => s.name !== 'WelcomeOptions' && s.name !== 'Capabilities').map((s) => [`\`${s.name}\``, fieldsText(s.fields), s.doc]))],
    ['events', table(['kind', 'fields (besides `kind`, `ts`)', 'notes'], model.events.map((e) => [`\`${e.kind}\``, fieldsText(e.fields), e.doc]))],
    ['requests', table(['command', 'args', 'body', 'notes'], model.requests.map((r) => [`\`${r.command}\``, payloadText(r.args), payloadText(r.body), r.doc]))],
    ['dap-shapes', table(['record', 'fields', 'notes'], model.dap.shapes.map((s) => [`\`${s.name}\``, fieldsText(s.fields), s.doc]))],
    ['dap-messages', table(['message', 'arguments / body', 'response body', 'notes'], [
      ...model.dap.events.map((e) => [`event \`${e.event}\``, e.body.name, '—', e.doc ?? '']),
      ...model.dap.requests.map((r) => [`request \`${r.command}\``, payloadText(r.args), payloadText(r.body), r.doc]),
    ])],
  ]);
}

const begin = (name) => `<!-- generated:${name} (from protocol/schema.json; run \`npm run gen:protocol\`) -->`;
const end = (name) => `<!-- /generated:${name} -->`;

/** Extracts the text between each section's markers; a missing marker is reported by name. */
export function readDocSections(text, names) {
  const out = new Map();
  for (const name of names) {
    const a = text.indexOf(begin(name));
    const b = text.indexOf(end(name));
    if (a < 0 || b < a) throw new Error(`docs/protocol.md: markers for generated section "${name}" are missing (expected ${begin(name)} … ${end(name)})`);
    out.set(name, text.slice(a + begin(name).length + 1, b - 1));
  }
  return out;
}

export function writeDocSections(text, sections) {
  let out = text;
  for (const [name, body] of sections) {
    const a = out.indexOf(begin(name));
    const b = out.indexOf(end(name));
    if (a < 0 || b < a) throw new Error(`docs/protocol.md: markers for generated section "${name}" are missing (add a line ${begin(name)} and a line ${end(name)} where the table goes)`);
    out = `${out.slice(0, a + begin(name).length)}\n${body}\n${out.slice(b)}`;
  }
  return out;
}
