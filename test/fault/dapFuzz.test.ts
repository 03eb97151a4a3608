// DAP fuzz (issue 16): the real adapter, launched on a real asyncio program, gets a fixed budget of
// seeded random, mutated and hostile DAP messages (test/fault/dapFuzzCases.ts), then raw framing
// abuse on its stdin. Every request must be answered (success, or failure with a plain message), the
// adapter must stay up with a clean stderr, a normal session must still work afterwards, and the
// program must reach its own end (exit code 7, its output, its side file).
//   LOOPSCOPE_FUZZ_SEED (default 16) and LOOPSCOPE_FUZZ_BUDGET (default 1500 messages) replay a run.

import { strict as assert } from 'node:assert';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { SnapshotBody, UpdateEventBody } from '../../extension/protocol/customDap';
import { ROOT, buildBundles } from '../dap/build';
import { PYTHON, Session } from '../dap/helpers';
import { FIRST_SEQ, NOT_FUZZED, buildCases, type FuzzCase, type FuzzContext } from './dapFuzzCases';
import { RawDap, type RawResponse } from './rawDap';

const TARGET = path.join(ROOT, 'test', 'fault', 'programs', 'fuzz_target.py');
const SEED = Number(process.env.LOOPSCOPE_FUZZ_SEED ?? 16);
const BUDGET = Number(process.env.LOOPSCOPE_FUZZ_BUDGET ?? 1500);
/** Requests in flight at once: enough to race handlers against each other. */
const WINDOW = 8;
/** Longer than the adapter's own 10 s limit on a runtime request: an answer must come before this. */
const ANSWER_MS = 12_000;
const LOOP_THREAD = 1_000_000_000;
const REPLAY = `replay with LOOPSCOPE_FUZZ_SEED=${SEED} LOOPSCOPE_FUZZ_BUDGET=${BUDGET}`;

function adapterProcess(s: Session): ChildProcess {
  return (s.dc as unknown as { _adapterProcess: ChildProcess })._adapterProcess;
}

/** Why a failed response's message would not read as a sentence for a person, or null. */
function unreadable(m: unknown): string | null {
  if (typeof m !== 'string' || m.trim() === '') return 'no message';
  if (/\n\s+at |\.(?:js|ts):\d+/.test(m)) return 'a stack trace';
  if (/Cannot read propert|is not a function|is not iterable|\(reading '|\[object Object\]|Maximum call stack|Unexpected token/.test(m)) {
    return 'a JavaScript error meant for the developer';
  }
  return null;
}

function checkResponse(c: FuzzCase, r: RawResponse): string | null {
  if (typeof r.success !== 'boolean') return `${c.label}: response without a boolean success: ${JSON.stringify(r).slice(0, 200)}`;
  if (c.command !== null && r.command !== c.command) return `${c.label}: response names command ${JSON.stringify(r.command)?.slice(0, 60)}`;
  const why = r.success ? null : unreadable(r.message);
  return why ? `${c.label}: failed with ${why}: ${JSON.stringify(r.message)?.slice(0, 300)}` : null;
}

/** Sends every case, at most WINDOW awaiting their answer at once; returns the problems seen. */
async function fuzz(raw: RawDap, cases: FuzzCase[]): Promise<{ problems: string[]; answered: number; failed: number }> {
  const problems: string[] = [];
  let answered = 0;
  let failed = 0;
  const inflight = new Set<Promise<void>>();
  for (const c of cases) {
    if (!raw.alive) {
      problems.push(`the adapter died before ${c.label}`);
      break;
    }
    if (!c.answered) {
      raw.send(c.body);
      continue;
    }
    const p: Promise<void> = raw.response(c.seq, ANSWER_MS).then((r) => {
      answered++;
      if (r.success === false) failed++;
      const problem = checkResponse(c, r);
      if (problem) problems.push(problem);
    }, (err: Error) => { problems.push(`${c.label}: ${err.message}`); }).finally(() => inflight.delete(p));
    inflight.add(p);
    raw.send(c.body);
    while (inflight.size >= WINDOW) await Promise.race(inflight);
  }
  await Promise.all(inflight);
  for (const r of raw.unclaimed) {
    const seq = r.request_seq;
    if (!(Number.isInteger(seq) && (seq as number) < FIRST_SEQ)) problems.push(`an unexpected or second response to seq ${JSON.stringify(seq)}: ${JSON.stringify(r).slice(0, 200)}`);
  }
  return { problems, answered, failed };
}

/** The adapter's stderr lines that are not the notes it writes on purpose for ignored input. */
function unexpectedStderr(text: string): string[] {
  return text.split('\n').filter((l) => l.trim() !== '' && !/^loopscope adapter: ignored /.test(l));
}

interface Run {
  s: Session;
  stderr: () => string;
  side: string;
  stopFile: string;
  /** From here on, every stop is continued at once (the program must run to its end). */
  autoContinue: { on: boolean; holdPauses: boolean };
}

async function launchTarget(tmp: string, name: string): Promise<Run> {
  const s = await Session.start({ cwd: tmp });
  let stderr = '';
  adapterProcess(s).stderr?.on('data', (b: Buffer) => { stderr += b.toString(); });
  const side = path.join(tmp, `${name}-side`);
  const stopFile = path.join(tmp, `${name}-stop`);
  const run: Run = { s, stderr: () => stderr, side, stopFile, autoContinue: { on: false, holdPauses: false } };
  s.dc.on('stopped', (e: DebugProtocol.StoppedEvent) => {
    if (!run.autoContinue.on || (run.autoContinue.holdPauses && e.body.reason === 'pause')) return;
    s.dc.continueRequest({ threadId: e.body.threadId ?? LOOP_THREAD }).catch(() => undefined);
  });
  await s.launch({ program: TARGET, args: [side, stopFile] });
  await s.next('output', (e) => /started/.test((e.body as DebugProtocol.OutputEvent['body']).output));
  // The task picture comes in batches, behind the program's own output.
  await s.next('loopscope/update', (e) => (e.body as UpdateEventBody).tasks.some((t) => t.name === 'ticker'));
  return run;
}

/** After a failure: the adapter may be deaf, so it is killed (the program outlives it; the stop file ends it). */
function abandon(run: Run): void {
  adapterProcess(run.s).kill('SIGKILL');
}

/** The next event of `type` recorded after index `mark`. */
function nextAfter(s: Session, mark: number, type: string, pred: (e: DebugProtocol.Event) => boolean = () => true, timeoutMs = 15_000): Promise<DebugProtocol.Event> {
  return s.next(type, (e) => s.events.indexOf(e) >= mark && pred(e), timeoutMs);
}

/**
 * Breakpoints, filters and stops the fuzz left are cleared; then threads, a pause, stack traces and a
 * continue work as usual. Stops the fuzz armed may still arrive: all but pauses are continued at once.
 */
async function normalSession(run: Run): Promise<void> {
  const { s } = run;
  run.autoContinue = { on: true, holdPauses: true };
  await s.dc.setBreakpointsRequest({ source: { path: TARGET }, breakpoints: [] });
  await s.dc.setFunctionBreakpointsRequest({ breakpoints: [] });
  await s.dc.setExceptionBreakpointsRequest({ filters: [] });
  await s.dc.continueRequest({ threadId: LOOP_THREAD });
  const threads = (await s.dc.threadsRequest()).body.threads;
  const names = threads.map((t) => t.name).join(' | ');
  for (const name of ['event loop', 'producer', 'consumer-1', 'consumer-2', 'ticker']) assert.match(names, new RegExp(name), `threads after the fuzz: ${names}`);
  const loop = threads.find((t) => t.name.startsWith('event loop'))?.id ?? 0;
  const mark = s.events.length;
  await s.dc.pauseRequest({ threadId: loop });
  // A pause the fuzz asked for may hold the loop already: then this one has nothing to report.
  const held = (await s.custom<SnapshotBody>('loopscope/snapshot')).loops.some((l) => l.paused);
  const stop = held ? null : (await nextAfter(s, mark, 'stopped', (e) => (e as DebugProtocol.StoppedEvent).body.reason === 'pause')) as DebugProtocol.StoppedEvent;
  const top = await s.dc.stackTraceRequest({ threadId: stop?.body.threadId ?? loop });
  assert.ok(top.body.stackFrames.length > 0, 'no frame for the paused thread');
  const producer = threads.find((t) => t.name.startsWith('producer'));
  const frames = await s.dc.stackTraceRequest({ threadId: producer?.id ?? 0 });
  assert.match(frames.body.stackFrames.map((f) => f.name).join(' '), /producer\(\)/);
  run.autoContinue.holdPauses = false;
  await s.dc.continueRequest({ threadId: LOOP_THREAD });
}

/** Lets the program end (its stop file appears) and checks it ended on its own terms. */
async function programEnds(run: Run): Promise<void> {
  const { s } = run;
  run.autoContinue = { on: true, holdPauses: false };
  const mark = s.events.length;
  writeFileSync(run.stopFile, 'stop');
  const exited = (await nextAfter(s, mark, 'exited', () => true, 20_000)) as DebugProtocol.ExitedEvent;
  assert.equal(exited.body.exitCode, 7, `exit code; output: ${s.output().slice(-2000)}`);
  await nextAfter(s, mark, 'terminated');
  assert.equal(readFileSync(run.side, 'utf8'), 'finished');
  assert.match(s.output('stdout'), /started\n[^]*bye\n$/);
  await s.dc.disconnectRequest({});
  await s.dc.stop();
}

describe(`fault: DAP fuzz (seed ${SEED}, ${BUDGET} messages; ${REPLAY})`, function () {
  this.timeout(90_000);
  let tmp: string;
  before(async () => { await buildBundles(); tmp = mkdtempSync(path.join(os.tmpdir(), 'loopscope-dapfuzz-')); });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('answers every fuzzed request, stays up, still debugs, and the program reaches its own end', async () => {
    const run = await launchTarget(tmp, 'fuzz');
    const ctx: FuzzContext = { program: TARGET, python: PYTHON, strayMarker: path.join(tmp, 'stray'), stopFile: run.stopFile, tracePath: path.join(tmp, 'trace.json') };
    const cases = buildCases(SEED, BUDGET, ctx);
    const raw = new RawDap(adapterProcess(run.s));
    try {
      const { problems, answered, failed } = await fuzz(raw, cases);
      assert.deepEqual(problems.slice(0, 25), [], `${problems.length} problem(s) (${REPLAY}; not fuzzed: ${NOT_FUZZED.join(', ')})`);
      assert.ok(answered > BUDGET * 0.8 && failed > 0 && failed < answered, `answered ${answered}, failed ${failed}`);
      assert.ok(raw.alive, 'the adapter died');
      await normalSession(run);
      await programEnds(run);
      assert.equal(existsSync(ctx.strayMarker), false, 'the fuzz launched a second program');
      assert.deepEqual(unexpectedStderr(run.stderr()), [], REPLAY);
    } catch (err) {
      abandon(run);
      throw err;
    } finally {
      writeFileSync(run.stopFile, 'stop'); // a stray program, if any, ends too
    }
  });

  it('survives framing abuse on its stdin: each bad frame costs only itself', async () => {
    const run = await launchTarget(tmp, 'framing');
    const raw = new RawDap(adapterProcess(run.s));
    try {
      for (const [i, [name, bytes]] of FRAMING.entries()) {
        raw.write(bytes);
        const seq = 2_000_000 + i;
        const answer = raw.response(seq, 5000);
        raw.send({ seq, type: 'request', command: 'threads' });
        const r = await answer.catch((err: Error) => assert.fail(`after ${name}: ${err.message}`));
        assert.equal(r.success, true, `after ${name}: ${JSON.stringify(r)}`);
      }
      // The probe again, one byte per write.
      const answer = raw.response(2_999_999, 5000);
      for (const b of Buffer.from(frameOf({ seq: 2_999_999, type: 'request', command: 'threads' }))) raw.write(Buffer.from([b]));
      assert.equal((await answer).success, true);
      await programEnds(run);
      assert.deepEqual(unexpectedStderr(run.stderr()), []);
      assert.equal(run.stderr().split('\n').filter((l) => l.startsWith('loopscope adapter: ignored')).length >= FRAMING.length - 1, true, run.stderr());
    } catch (err) {
      abandon(run);
      throw err;
    } finally {
      writeFileSync(run.stopFile, 'stop');
    }
  });
});

const frameOf = (body: unknown): string => {
  const json = typeof body === 'string' ? body : JSON.stringify(body);
  return `Content-Length: ${Buffer.byteLength(json)}\r\n\r\n${json}`;
};
const PROBE = { seq: 7, type: 'request', command: 'threads' };

/**
 * Raw bytes written to the adapter's stdin, each followed by a probe that must be answered. A length
 * that is wrong but plausible (longer than the body, under the limit) is not here: it swallows what
 * follows up to that length, which no length-prefixed framing can tell from a slow sender.
 */
const FRAMING: [string, string | Buffer][] = [
  ['a body that is not JSON', frameOf('not json!')],
  ['a JSON array', frameOf('[1,2,3]')],
  ['JSON null', frameOf('null')],
  ['a JSON string', frameOf('"request"')],
  ['a body of invalid UTF-8', Buffer.concat([Buffer.from('Content-Length: 3\r\n\r\n'), Buffer.from([0xff, 0xfe, 0x7b])])],
  ['a negative Content-Length', 'Content-Length: -5\r\n\r\n'],
  ['a Content-Length that is no number, with a body', `Content-Length: abc\r\n\r\n${JSON.stringify(PROBE)}`],
  ['no Content-Length', 'Content-Type: application/json\r\n\r\n{}'],
  ['a Content-Length shorter than the body', `Content-Length: 5\r\n\r\n${JSON.stringify(PROBE)}`],
  ['a Content-Length beyond the limit', 'Content-Length: 99999999999\r\n\r\n{}'],
  ['a header of 1 MB', `X-Junk: ${'a'.repeat(1 << 20)}\r\n\r\n`],
  ['200 KB with no header end', 'b'.repeat(200_000)],
  ['NUL bytes', '\0\0\0\0\r\n\r\n'],
];

describe('fault: DAP requests the fuzz found answered wrongly (or not at all)', function () {
  this.timeout(60_000);
  let tmp: string;
  before(async () => { await buildBundles(); tmp = mkdtempSync(path.join(os.tmpdir(), 'loopscope-dapfuzz-')); });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('answers them in words during a session, and the program still reaches its own end', async () => {
    const run = await launchTarget(tmp, 'found');
    const { s } = run;
    const raw = new RawDap(adapterProcess(s));
    const refused = async (command: string, args: unknown, message: RegExp): Promise<void> => {
      const seq = 3_000_000 + Math.floor(Math.random() * 1e6);
      const answer = raw.response(seq, 5000);
      raw.send({ seq, type: 'request', command, arguments: args });
      const r = await answer;
      assert.equal(r.success, false, `${command}: ${JSON.stringify(r)}`);
      assert.match(String(r.message), message, command);
      assert.equal(unreadable(r.message), null, String(r.message));
    };
    try {
      // Was: the library's answer with a stack trace, and the filters left broken for the session.
      await refused('setExceptionBreakpoints', { filters: 'raised' }, /^'setExceptionBreakpoints' needs "filters" to be a list of strings, not "raised"$/);
      await s.dc.setExceptionBreakpointsRequest({ filters: ['stall'] });
      // Was: "args.breakpoints.map is not a function" and friends.
      await refused('setFunctionBreakpoints', { breakpoints: 'ticker' }, /needs "breakpoints" to be a list of objects, not "ticker"/);
      await refused('setBreakpoints', { source: { path: TARGET }, breakpoints: [{ line: 14 }, { line: 'x' }] }, /needs "breakpoints\[1\]\.line" to be a non-negative integer, not "x"/);
      await refused('stackTrace', { threadId: { id: 1 } }, /needs "threadId" to be a non-negative integer, not \{"id":1\}/);
      await refused('loopscope/cancelTask', { taskId: -1 }, /needs "taskId" to be a non-negative integer, not -1/);
      // Was: never answered (the library expands "{_…}" in a message and threw).
      await refused('{_stack}', {}, /^Loopscope does not support the request '\{_stack\}'$/);
      // Was: a made-up frame for a loop that does not exist.
      await refused('stackTrace', { threadId: LOOP_THREAD + 999 }, /^there is no thread 1000000999$/);
      // Was: an empty success from the library's default handlers.
      await refused('restart', {}, /^Loopscope does not support the request 'restart'$/);
      await refused('source', { sourceReference: 1 }, /^Loopscope does not support the request 'source'$/);
      // Was: written relative to the adapter's working directory.
      await refused('loopscope/exportTrace', { path: 'trace.json' }, /needs an absolute "path" to write the trace to, not "trace.json"/);
      assert.equal(existsSync(path.join(tmp, 'trace.json')), false);
      // Was: a second program started in the same session, and the launch never answered.
      const stray = path.join(tmp, 'found-stray');
      await refused('launch', { program: TARGET, args: [stray, run.stopFile], python: PYTHON }, /already started its program/);
      await normalSession(run);
      await programEnds(run);
      assert.equal(existsSync(stray), false, 'a second program ran');
      assert.deepEqual(unexpectedStderr(run.stderr()), []);
    } catch (err) {
      abandon(run);
      throw err;
    } finally {
      writeFileSync(run.stopFile, 'stop');
    }
  });

  it('answers an initialize without pathFormat (DAP\'s default is "path") and a launch error holding "{_…}"', async () => {
    const s = await Session.start({ cwd: tmp });
    try {
      const init = await s.dc.send('initialize', { adapterID: 'loopscope' });
      assert.equal(init.success, true);
      await s.dc.configurationDoneRequest();
      // Was: never answered (the braces in the message broke the library's formatting).
      await assert.rejects(s.dc.launchRequest({ program: path.join(tmp, '{_stack}.py'), python: PYTHON } as DebugProtocol.LaunchRequestArguments), /\{_stack\}\.py/);
    } finally {
      await s.close();
    }
  });
});

