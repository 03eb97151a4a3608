// The adapter's edge, without a process: which requests it answers and how it words a refusal of
// their arguments (extension/adapter/requestArgs.ts), and the DAP framing that lets one malformed
// message cost only itself (extension/adapter/framing.ts). The DAP fuzz found both wanting.

import { strict as assert } from 'node:assert';
import { DapFramer, MAX_HEADER_BYTES } from '../../extension/adapter/framing';
import { STANDARD_REQUEST_ARGS, describeValue, knownType, refusal } from '../../extension/adapter/requestArgs';
import { CUSTOM_REQUEST_ARGS } from '../../extension/protocol/customDap';

describe('adapter edge: request arguments', () => {
  it('understands every field type of the standard and the generated custom request tables', () => {
    for (const table of [STANDARD_REQUEST_ARGS, CUSTOM_REQUEST_ARGS]) {
      for (const [command, fields] of Object.entries(table)) {
        for (const [field, type] of Object.entries(fields)) assert.ok(knownType(type), `${command}.${field}: ${type}`);
      }
    }
  });

  it('accepts valid arguments, with or without optional fields', () => {
    assert.equal(refusal('stackTrace', { threadId: 3 }), null);
    assert.equal(refusal('stackTrace', { threadId: 3, startFrame: 0, levels: 20, format: { hex: true } }), null);
    assert.equal(refusal('setBreakpoints', { source: { path: '/a.py' }, breakpoints: [{ line: 3, condition: 'x' }] }), null);
    assert.equal(refusal('setBreakpoints', { source: { path: '/a.py' } }), null);
    assert.equal(refusal('pause', {}), null);
    assert.equal(refusal('loopscope/stepTick', {}), null);
    assert.equal(refusal('loopscope/cancelTask', { taskId: 4 }), null);
  });

  it('names the request, the field and what came for a missing or mistyped field (nested too)', () => {
    assert.deepEqual(refusal('stackTrace', {}), { id: 1015, message: `'stackTrace' needs "threadId" (a non-negative integer)` });
    assert.equal(refusal('stackTrace', { threadId: '3' })?.message, `'stackTrace' needs "threadId" to be a non-negative integer, not "3"`);
    assert.equal(refusal('setExceptionBreakpoints', { filters: 'raised' })?.message, `'setExceptionBreakpoints' needs "filters" to be a list of strings, not "raised"`);
    assert.equal(refusal('setExceptionBreakpoints', { filters: ['raised', 7] })?.message, `'setExceptionBreakpoints' needs "filters[1]" to be a string, not 7`);
    assert.equal(refusal('setFunctionBreakpoints', {})?.message, `'setFunctionBreakpoints' needs "breakpoints" (a list of objects)`);
    assert.equal(refusal('setBreakpoints', { source: { path: '/a.py' }, breakpoints: [{ line: 1 }, { line: -1 }] })?.message,
      `'setBreakpoints' needs "breakpoints[1].line" to be a non-negative integer, not -1`);
    assert.equal(refusal('setBreakpoints', { source: 'a.py' })?.message, `'setBreakpoints' needs "source" to be an object, not "a.py"`);
    assert.equal(refusal('loopscope/cancelTask', { taskId: -1 })?.message, `'loopscope/cancelTask' needs "taskId" to be a non-negative integer, not -1`);
    assert.equal(refusal('loopscope/exportTrace', { path: 5 })?.message, `'loopscope/exportTrace' needs "path" to be a string, not 5`);
  });

  it('refuses requests it does not handle, whatever their name is made of', () => {
    assert.deepEqual(refusal('frobnicate', {}), { id: 1014, message: `Loopscope does not support the request 'frobnicate'` });
    // The library's defaults would answer these with an empty success.
    for (const c of ['restart', 'source', 'completions', 'stepBack', 'goto', 'setExpression', 'modules']) assert.equal(refusal(c, {})?.id, 1014, c);
    assert.equal(refusal('{_stack}', {})?.message, `Loopscope does not support the request '{_stack}'`);
    for (const c of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) assert.equal(refusal(c, {})?.id, 1014, c);
    assert.equal(refusal(5, {})?.message, 'Loopscope does not support the request named 5');
    assert.equal(refusal({ name: 'threads' }, {})?.message, 'Loopscope does not support the request named {"name":"threads"}');
    assert.equal(refusal(undefined, {})?.message, 'Loopscope does not support the request without a "command"');
    assert.equal(refusal('x'.repeat(100_000), {})?.message, `Loopscope does not support the request '${'x'.repeat(77)}…'`);
  });

  it('describes any value briefly, even one too deep to serialise', () => {
    assert.equal(describeValue('y'.repeat(100)), `"${'y'.repeat(56)}…`);
    let deep: unknown = 0;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    assert.equal(describeValue(deep), 'a nested list');
  });
});

/** Runs bytes through a framer; returns what it delivered and what it noted. */
function frame(...chunks: (string | Buffer)[]): { delivered: string[]; ignored: string[] } {
  const delivered: string[] = [];
  const ignored: string[] = [];
  const f = new DapFramer((json) => delivered.push(json), (note) => ignored.push(note));
  for (const c of chunks) f.push(Buffer.isBuffer(c) ? c : Buffer.from(c, 'utf8'));
  return { delivered, ignored };
}
const msg = (body: string): string => `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
const PROBE = '{"seq":9,"type":"request","command":"threads"}';

describe('adapter edge: DAP framing', () => {
  it('passes well-formed messages through, however the bytes are split', () => {
    const text = msg('{"a":"ä"}') + msg(PROBE);
    assert.deepEqual(frame(text).delivered, ['{"a":"ä"}', PROBE]);
    const bytes = Buffer.from(text);
    assert.deepEqual(frame(...[...bytes].map((b) => Buffer.from([b]))).delivered, ['{"a":"ä"}', PROBE]);
    assert.deepEqual(frame(`Content-Type: application/json\r\n${msg(PROBE)}`).delivered, [PROBE]);
    assert.deepEqual(frame(`content-length:${Buffer.byteLength(PROBE)}\r\n\r\n${PROBE}`).delivered, [PROBE]);
  });

  const cases: [string, string | Buffer, RegExp][] = [
    ['a body that is not JSON', msg('not json!'), /not JSON/],
    ['a JSON array', msg('[1,2,3]'), /not a JSON object: "\[1,2,3\]"/],
    ['JSON null', msg('null'), /not a JSON object: "null"/],
    ['invalid UTF-8', Buffer.concat([Buffer.from('Content-Length: 3\r\n\r\n'), Buffer.from([0xff, 0xfe, 0x7b])]), /not JSON/],
    ['a negative length', 'Content-Length: -5\r\n\r\n', /without a valid Content-Length/],
    ['a length that is no number, with a body', `Content-Length: abc\r\n\r\n${PROBE}`, /without a valid Content-Length/],
    ['no Content-Length', 'Content-Type: x\r\n\r\n{}', /without a valid Content-Length/],
    ['a length shorter than the body', `Content-Length: 5\r\n\r\n${PROBE}`, /not JSON/],
    ['a length beyond the limit', 'Content-Length: 99999999999\r\n\r\n{}', /99999999999 bytes \(the limit is/],
    ['a header of 1 MB', `X-Junk: ${'a'.repeat(1 << 20)}\r\n\r\n`, /not a DAP header|without a valid Content-Length/],
    ['200 KB without a header end', 'b'.repeat(200_000), /bytes that are not a DAP header/],
  ];
  for (const [name, bytes, note] of cases) {
    it(`drops ${name} with a note and delivers the next message`, () => {
      const r = frame(bytes, msg(PROBE));
      assert.deepEqual(r.delivered.at(-1), PROBE);
      assert.ok(r.ignored.some((n) => note.test(n)), r.ignored.join('\n'));
    });
  }

  it('holds at most MAX_HEADER_BYTES of garbage while waiting for a header end', () => {
    const f = new DapFramer(() => undefined, () => undefined);
    for (let i = 0; i < 100; i++) f.push(Buffer.alloc(16 * 1024, 0x61));
    assert.ok((f as unknown as { buf: Buffer }).buf.length <= MAX_HEADER_BYTES + 16 * 1024);
  });
});
