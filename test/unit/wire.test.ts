// Wire protocol conformance of the TypeScript decoder against the shared fixtures
// (test/fixtures/wire, also checked by the Python side) plus the NDJSON line splitter.

import { strict as assert } from 'node:assert';
import { readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import {
  LineSplitter, WireError, decodeMessage, encodeMessage, validateResponseBody, PROTOCOL_VERSION,
  type RequestCommand, type Message,
} from '../../extension/protocol/wire';

const dir = path.resolve(__dirname, '..', 'fixtures', 'wire');
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

  it('together the fixtures cover every event kind the debugger understands', () => {
    const kinds = new Set<string>();
    for (const f of valid.filter((x) => x.startsWith('events-'))) {
      const m = decodeMessage(asLine(path.join(dir, f)));
      if (m.type === 'events') for (const e of m.events) kinds.add(e.kind);
    }
    for (const k of ['loop.created', 'loop.closed', 'task.created', 'task.state', 'task.step', 'task.done',
      'future.created', 'future.done', 'loop.ticks', 'tick', 'finding', 'paused', 'resumed', 'stats', 'process.exit']) {
      assert.ok(kinds.has(k), `no fixture carries a '${k}' event`);
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
