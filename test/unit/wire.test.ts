// Wire protocol conformance of the TypeScript decoder against the shared fixtures
// (test/fixtures/wire, generated from protocol/schema.json and also checked by the Python side),
// the drift check of everything scripts/gen-protocol.mjs generates, and the NDJSON line splitter.

import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  LineSplitter, WireError, decodeMessage, encodeMessage, validateResponseBody, PROTOCOL_VERSION,
  KNOWN_EVENT_KINDS, REQUEST_COMMANDS, PACKAGE_VERSION, FINDING_KINDS, type RequestCommand, type Message,
} from '../../extension/protocol/wire';
import { VERSION } from '../../extension/protocol/version';

const root = path.resolve(__dirname, '..', '..');
const dir = path.resolve(__dirname, '..', 'fixtures', 'wire');
interface SchemaFile { events: Record<string, unknown>; requests: Record<string, unknown>; enums: Record<string, { values: string[] }> }
const schema = JSON.parse(readFileSync(path.join(root, 'protocol', 'schema.json'), 'utf8')) as SchemaFile;
const valid = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
const invalid = readdirSync(path.join(dir, 'invalid')).filter((f) => f.endsWith('.json')).sort();
/** Fixture files are pretty-printed; on the wire each message is one line. */
const asLine = (file: string): string => JSON.stringify(JSON.parse(readFileSync(file, 'utf8')));

describe('wire protocol fixtures', () => {
  it('has fixtures to check', () => {
    assert.ok(valid.length >= 20, `only ${valid.length} valid fixtures`);
    assert.ok(invalid.length >= 10, `only ${invalid.length} invalid fixtures`);
  });

  for (const f of valid) {
    it(`decodes ${f}`, () => {
      const m = decodeMessage(asLine(path.join(dir, f)));
      const resp = /^response-(\w+)\.json$/.exec(f);
      if (resp && resp[1] !== 'error') {
        assert.equal(m.type, 'response');
        if (m.type === 'response' && m.ok) validateResponseBody(resp[1] as RequestCommand, m.body);
        else assert.fail('expected an ok response');
      }
      // What we decode re-encodes to the same message.
      assert.deepEqual(JSON.parse(encodeMessage(m)), JSON.parse(asLine(path.join(dir, f))));
    });
  }

  for (const f of invalid) {
    it(`rejects invalid/${f}`, () => {
      const text = readFileSync(path.join(dir, 'invalid', f), 'utf8');
      assert.throws(() => decodeMessage(text.trim().startsWith('{') || text.trim().startsWith('[') ? JSON.stringify(JSON.parse(text)) : text), WireError);
    });
  }

  it('together the fixtures cover every event kind and request of the schema', () => {
    const kinds = new Set<string>();
    const commands = new Set<string>();
    for (const f of valid) {
      const m = decodeMessage(asLine(path.join(dir, f)));
      if (m.type === 'events') for (const e of m.events) kinds.add(e.kind);
      if (m.type === 'request') commands.add(m.command);
    }
    const schemaKinds = Object.keys(schema.events);
    assert.deepEqual([...KNOWN_EVENT_KINDS], schemaKinds, 'the decoder knows exactly the schema\'s event kinds');
    for (const k of schemaKinds) {
      assert.ok(kinds.has(k), `no fixture carries a '${k}' event`);
      assert.ok(valid.includes(`event-${k}.json`), `no fixture event-${k}.json`);
    }
    assert.deepEqual([...REQUEST_COMMANDS], Object.keys(schema.requests));
    for (const c of Object.keys(schema.requests)) {
      assert.ok(commands.has(c), `no request fixture for '${c}'`);
      assert.ok(valid.includes(`response-${c}.json`), `no fixture response-${c}.json`);
    }
  });

  it('passes unknown event kinds through instead of rejecting the batch', () => {
    const m = decodeMessage('{"type":"events","seq":1,"dropped":0,"events":[{"kind":"future.thing","ts":1.5,"x":1}]}');
    assert.equal(m.type, 'events');
    if (m.type === 'events') assert.deepEqual(m.events[0], { kind: 'future.thing', ts: 1.5, x: 1 });
    assert.throws(() => decodeMessage('{"type":"events","seq":1,"dropped":0,"events":[{"kind":"future.thing"}]}'), /'ts'/);
  });

  it('names the offending field in errors', () => {
    assert.throws(
      () => decodeMessage('{"type":"events","seq":1,"dropped":0,"events":[{"kind":"task.state","ts":1,"task":"x"}]}'),
      /events\[0\] \(task\.state\): field 'task'/,
    );
    assert.throws(() => decodeMessage('{"type":'), /not valid JSON/);
  });

  it('rejects a response body that does not match the command asked', () => {
    assert.throws(() => validateResponseBody('cancelTask', { nope: 1 }), /cancelTask/);
  });

  it('speaks protocol 1', () => assert.equal(PROTOCOL_VERSION, 1));
});

const GENERATOR = path.join(root, 'scripts', 'gen-protocol.mjs');
const runGenerator = (args: string[]): { status: number | null; out: string } => {
  const r = spawnSync(process.execPath, [GENERATOR, ...args], { cwd: root, encoding: 'utf8' });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
};
const PYTHON = process.env.LOOPSCOPE_TEST_PYTHON ?? 'python3';

describe('protocol generation (protocol/schema.json → both sides, fixtures, docs)', function () {
  this.timeout(60_000);
  let tmp = '';
  before(() => { tmp = mkdtempSync(path.join(os.tmpdir(), 'loopscope-gen-')); });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('the generated files, fixtures and docs tables are what the schema generates', () => {
    const r = runGenerator(['--check']);
    assert.equal(r.status, 0, r.out);
  });

  it('a hand edit of a generated file or fixture fails the check, saying how to regenerate', () => {
    const out = path.join(tmp, 'edited');
    assert.equal(runGenerator(['--out', out]).status, 0);
    assert.equal(runGenerator(['--check', '--out', out]).status, 0);
    const fixture = path.join(out, 'test', 'fixtures', 'wire', 'event-tick.json');
    writeFileSync(fixture, readFileSync(fixture, 'utf8').replace('"selectMs": 0.02', '"selectMs": 0.03'));
    writeFileSync(path.join(out, 'test', 'fixtures', 'wire', 'hand-made.json'), '{}\n');
    const r = runGenerator(['--check', '--out', out]);
    assert.equal(r.status, 1);
    assert.match(r.out, /event-tick\.json differs/);
    assert.match(r.out, /hand-made\.json is not generated/);
    assert.match(r.out, /run `npm run gen:protocol`/);
  });

  it('adding an event kind and a field in the schema alone regenerates both sides', async () => {
    const s = JSON.parse(readFileSync(path.join(root, 'protocol', 'schema.json'), 'utf8')) as Record<string, Record<string, Record<string, unknown>>>;
    s.events['loop.slow'] = { fields: { lagMs: 'int' }, examples: [{ kind: 'loop.slow', ts: 1, lagMs: 2 }] };
    (s.shapes.Location.fields as Record<string, string>)['column?'] = 'int';
    const schemaFile = path.join(tmp, 'schema.json');
    writeFileSync(schemaFile, JSON.stringify(s));
    const out = path.join(tmp, 'modified');
    cpSync(path.join(root, 'docs'), path.join(out, 'docs'), { recursive: true });
    const r = runGenerator(['--schema', schemaFile, '--out', out]);
    assert.equal(r.status, 0, r.out);

    // TypeScript: the new kind is known and validated, the new field is typed and checked.
    const ts = readFileSync(path.join(out, 'extension', 'protocol', 'wire.generated.ts'), 'utf8');
    assert.match(ts, /export interface LoopSlowEvent \{\n {2}kind: 'loop\.slow';/);
    assert.match(ts, /export interface Location \{[^}]*column\?: number;/);
    const gen = await import(path.join(out, 'extension', 'protocol', 'wire.generated.ts')) as typeof import('../../extension/protocol/wire.generated');
    assert.ok(gen.KNOWN_EVENT_KINDS.includes('loop.slow'));
    assert.equal(gen.EVENT_FIELD_CHECKS.get('loop.slow')?.({ lagMs: 'x' }), 'lagMs');
    assert.equal(gen.isLocation({ file: '/a.py', line: 1, column: -1 }), false);

    // Python: the same, through the generated module loaded on its own.
    const py = spawnSync(PYTHON, ['-c', [
      'import importlib.util, sys',
      'spec = importlib.util.spec_from_file_location("ws", sys.argv[1]); m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)',
      'assert "loop.slow" in m.EVENT_KINDS',
      'try:\n    m.validate_event({"kind": "loop.slow", "ts": 1, "lagMs": "x"}); print("accepted")\nexcept m.WireError as e:\n    print(e)',
      'try:\n    m._s_location({"file": "/a.py", "line": 1, "column": -1}, "loc"); print("accepted")\nexcept m.WireError as e:\n    print(e)',
    ].join('\n'), path.join(out, 'runtime', 'loopscope', '_wire_schema.py')], { encoding: 'utf8' });
    assert.equal(py.status, 0, py.stderr);
    assert.match(py.stdout, /event\(loop\.slow\)\.lagMs: expected a non-negative integer/);
    assert.match(py.stdout, /loc\.column: expected a non-negative integer/);

    // Fixture, docs table and hash pin follow.
    const fixture = JSON.parse(readFileSync(path.join(out, 'test', 'fixtures', 'wire', 'event-loop.slow.json'), 'utf8')) as { events: unknown[] };
    assert.deepEqual(fixture.events, [{ kind: 'loop.slow', ts: 1, lagMs: 2 }]);
    assert.match(readFileSync(path.join(out, 'docs', 'protocol.md'), 'utf8'), /\| `loop\.slow` \| `lagMs` int \|/);
    const lock = (file: string): { schemaSha256: string } => JSON.parse(readFileSync(file, 'utf8')) as { schemaSha256: string };
    assert.notEqual(lock(path.join(out, 'protocol', 'generated.lock.json')).schemaSha256, lock(path.join(root, 'protocol', 'generated.lock.json')).schemaSha256);
  });

  it('a schema the generator cannot honour is refused with the spot named', () => {
    const s = JSON.parse(readFileSync(path.join(root, 'protocol', 'schema.json'), 'utf8')) as Record<string, Record<string, Record<string, unknown>>>;
    s.events['loop.slow'] = { fields: { lagMs: 'int' } };
    const schemaFile = path.join(tmp, 'no-example.json');
    writeFileSync(schemaFile, JSON.stringify(s));
    const r = runGenerator(['--schema', schemaFile, '--out', path.join(tmp, 'refused')]);
    assert.equal(r.status, 2);
    assert.match(r.out, /events\.loop\.slow: needs "examples" \(every kind gets a fixture\)/);
  });

  it('the version has one source: package.json', () => {
    const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
    assert.equal(PACKAGE_VERSION, pkg.version);
    assert.equal(VERSION, pkg.version);
  });

  it('finding kinds have one source: the schema', () => {
    assert.deepEqual([...FINDING_KINDS], schema.enums.FindingKind.values);
  });
});

describe('LineSplitter', () => {
  it('splits lines across arbitrary chunk boundaries, including inside a UTF-8 character', () => {
    const msgs: Message[] = [
      { type: 'refused', reason: 'héllo ✓ wörld' },
      { type: 'welcome', protocol: 1, options: { stopOnEntry: true } },
    ];
    const bytes = Buffer.from(msgs.map(encodeMessage).join(''));
    for (let cut = 1; cut < bytes.length; cut++) {
      const s = new LineSplitter();
      const lines = [...s.push(bytes.subarray(0, cut)), ...s.push(bytes.subarray(cut))];
      assert.deepEqual(lines.map(decodeMessage), msgs, `cut at ${cut}`);
      assert.equal(s.bufferedBytes, 0);
    }
  });

  it('tolerates CRLF and skips empty lines', () => {
    const s = new LineSplitter();
    assert.deepEqual(s.push(Buffer.from('{"a":1}\r\n\n{"b":2}\n')), ['{"a":1}', '{"b":2}']);
  });

  it('rejects a line longer than the limit, even before its newline arrives', () => {
    const s = new LineSplitter(10);
    assert.throws(() => s.push(Buffer.from('x'.repeat(11))), /exceeds the 10-byte limit/);
    const t = new LineSplitter(10);
    t.push(Buffer.from('x'.repeat(6)));
    assert.throws(() => t.push(Buffer.from('y'.repeat(6))), WireError);
  });
});
