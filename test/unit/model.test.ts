// The task model: ingestion of real protocol batches (the shared wire fixtures), parent/child,
// exact counts under bounded retention, coalesced change sets, and the report/trace built from it.

import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { decodeMessage, type EventsMessage, type WireEvent } from '../../extension/protocol/wire';
import { TaskModel } from '../../extension/model/taskModel';
import { buildReport, formatStatusLine, formatSummary, REPORT_SCHEMA } from '../../extension/model/report';
import { buildTrace } from '../../extension/model/trace';

const fixture = (name: string): EventsMessage => {
  const m = decodeMessage(JSON.stringify(JSON.parse(readFileSync(path.resolve(__dirname, '..', 'fixtures', 'wire', `${name}.json`), 'utf8'))));
  assert.equal(m.type, 'events');
  return m;
};

const created = (task: number, parent: number | null = null, name = `t${task}`): WireEvent =>
  ({ kind: 'task.created', ts: task, task, name, coro: 'work', site: { file: '/p/x.py', line: 10 + task }, parent, loop: 1, thread: 7, eager: false });
const done = (task: number, outcome: 'result' | 'exception' | 'cancelled' = 'result'): WireEvent =>
  ({ kind: 'task.done', ts: 100 + task, task, outcome, result: outcome === 'result' ? 'None' : null,
    exception: outcome === 'exception' ? { type: 'ValueError', message: 'boom', location: { file: '/p/x.py', line: 3 } } : null,
    cancelledBy: null, steps: 3, busyMs: 0.5, lastWaitingOn: null });
const run = (opts = {}): TaskModel => new TaskModel(opts);

describe('TaskModel', () => {
  it('counts tasks the runtime could not list one by one: exact totals and states, said in every view of them', () => {
    const m = run();
    m.ingest([created(1), created(2), done(1), done(2, 'exception')]);
    assert.deepEqual(m.samplingNotes(), []);
    m.ingest(fixture('event-tasks.unlisted').events);
    m.ingest([{ kind: 'tasks.unlisted', ts: 120, loop: 1, coro: 'fetch', outcome: 'cancelled', count: 7, steps: 7, busyMs: 0.25 }], 3);
    assert.equal(m.taskCount, 2 + 9850 + 7);
    assert.equal(m.unlistedCount, 9857);
    assert.deepEqual(m.endedCounts, { done: 1 + 9850, failed: 1, cancelled: 7 });
    assert.equal(m.tasks.size, 2, 'counted tasks are not listed');
    const notes = m.samplingNotes();
    assert.equal(notes.length, 2);
    assert.match(notes[0], /^9,857 short tasks were counted, not listed one by one: .*\(fetch\(\) done ×9,850, fetch\(\) cancelled ×7\)/);
    assert.match(notes[1], /^3 step-level events .* were dropped under load/);
    assert.deepEqual(m.status().sampling, notes);
    const report = buildReport(m, { exitCode: 0, timedOut: false, error: null, durationMs: 1, argv: [] });
    assert.deepEqual(report.taskStates, { pending: 0, done: 9851, failed: 1, cancelled: 7 });
    assert.equal(report.unlistedTasks, 9857);
    assert.deepEqual(report.unlisted.map((g) => [g.coro, g.outcome, g.count, g.steps]), [['fetch', 'result', 9850, 19700], ['fetch', 'cancelled', 7, 7]]);
    assert.deepEqual(report.sampling, notes);
    assert.match(formatSummary(report), /loopscope: 9,857 short tasks were counted, not listed one by one/);
    assert.deepEqual(buildTrace(m).otherData.sampling, notes);
  });

  it('ingests the task lifecycle fixture: states, parents, outcomes', () => {
    const m = run();
    m.ingest(fixture('events-task-lifecycle').events);
    const t1 = m.tasks.get(1);
    const t2 = m.tasks.get(2);
    assert.ok(t1 && t2);
    assert.equal(t2.parentId, 1);
    assert.deepEqual(m.children(1).map((t) => t.id), [2]);
    assert.equal(t2.state, 'done');
    assert.equal(t2.result, '42');
    assert.equal(t2.lastWaitingOn?.label, 'Queue.get', 'remembers what a finished task waited on');
    assert.equal(m.tasks.get(3)?.state, 'failed');
    assert.equal(m.tasks.get(3)?.exception?.type, 'ValueError');
    assert.equal(m.tasks.get(4)?.state, 'cancelled');
    assert.equal(m.tasks.get(1)?.state, 'running');
  });

  it("keeps a finished task's last wait from task.done when no task.state ever carried it", () => {
    const m = run();
    m.ingest(fixture('events-task-lifecycle').events);
    const t4 = m.tasks.get(4);
    assert.ok(t4);
    assert.equal(t4.waitingOn, null);
    assert.equal(t4.lastWaitingOn?.kind, 'queue.get');
    assert.equal(m.tasks.get(3)?.lastWaitingOn, null, 'no wait observed: null, not invented');
    const row = buildReport(m, { exitCode: 0, timedOut: false, error: null, durationMs: 1, argv: [] }).tasks.find((t) => t.id === 4);
    assert.equal(row?.lastWaitingOn?.label, 'Queue.get');
  });

  it('keeps every wait target kind from the waiting fixture', () => {
    const m = run();
    m.ingest(fixture('events-task-waiting').events);
    const kinds = new Set([...m.tasks.values()].map((t) => t.waitingOn?.kind));
    assert.ok(kinds.size >= 17, `only ${kinds.size} wait kinds kept`);
    assert.equal(m.tasks.get(12)?.waitingOn?.tasks?.length, 3);
  });

  it('says once, in the report, the summary and the status line, that a uvloop loop has no tick control', () => {
    const m = run();
    m.ingest(fixture('event-loop.created').events);
    const r = buildReport(m, { exitCode: 0, timedOut: false, error: null, durationMs: 1, argv: [] });
    assert.deepEqual(r.loops.map((l) => [l.id, l.cls, l.tickControl]),
      [[1, 'asyncio.unix_events._UnixSelectorEventLoop', true], [2, 'uvloop.Loop', false]]);
    assert.equal(r.limitations.length, 1);
    assert.match(r.limitations[0], /^loop 2 \(uvloop\.Loop\): .*ticks are not counted and tick stepping/);
    const text = formatSummary(r);
    assert.equal(text.split('\n').filter((l) => l.includes('ticks are not counted')).length, 1);
    assert.match(formatStatusLine(m, 5), /tick 0 \(no tick control\)/);
    const plain = run();
    plain.ingest(fixture('event-loop.created').events.filter((e) => e.kind === 'loop.created' && e.tickControl));
    assert.deepEqual(buildReport(plain, { exitCode: 0, timedOut: false, error: null, durationMs: 1, argv: [] }).limitations, []);
  });

  it('tracks pause state and the stop description from control events', () => {
    const m = run();
    m.ingest(fixture('events-loop-lifecycle').events.filter((e) => e.kind === 'loop.created'));
    m.ingest(fixture('events-control').events);
    const l = m.loops.get(1);
    assert.ok(l);
    assert.equal(l.paused, true);
    assert.equal(m.status().pauseDescription, 'paused at tick 46');
    assert.equal(m.status().tick, 46);
  });

  it('ignores unknown event kinds', () => {
    const m = run();
    const batch = fixture('events-unknown-kind');
    assert.doesNotThrow(() => m.ingest(batch.events));
  });

  it('never resurrects a finished task from a late state event', () => {
    const m = run();
    m.ingest([created(1), done(1)]);
    m.ingest([{ kind: 'task.state', ts: 200, task: 1, state: 'running', steps: 9, busyMs: 1, waitingOn: null, wokenBy: null, tick: 4 }]);
    assert.equal(m.tasks.get(1)?.state, 'done');
    assert.equal(m.status().tasksLive, 0);
  });

  it('evicts the oldest finished tasks beyond the retention limit but keeps counts exact', () => {
    const m = run({ maxFinishedTasks: 5 });
    const evs: WireEvent[] = [];
    for (let i = 1; i <= 50; i++) evs.push(created(i), done(i));
    evs.push(created(51));
    m.ingest(evs);
    assert.equal(m.tasks.size, 6, '5 finished + 1 live retained');
    assert.ok(m.tasks.has(51) && m.tasks.has(50) && !m.tasks.has(1));
    assert.equal(m.status().tasksTotal, 51);
    assert.equal(m.status().tasksLive, 1);
    const r = buildReport(m, { exitCode: 0, timedOut: false, error: null, durationMs: 1, argv: [] });
    assert.equal(r.taskCount, 51);
    assert.equal(r.tasksOmitted, 45);
  });

  it('produces coalesced change sets: a reset first, then only what changed', () => {
    const m = run();
    m.ingest([created(1), created(2, 1)]);
    const first = m.takeChanges();
    assert.ok(first);
    assert.equal(first.reset, true);
    assert.equal(first.tasks.length, 2);
    assert.equal(m.takeChanges(), null, 'nothing changed since');
    for (let i = 0; i < 100; i++) {
      m.ingest([{ kind: 'task.state', ts: i, task: 2, state: i % 2 ? 'ready' : 'waiting', steps: i, busyMs: i / 10, waitingOn: null, wokenBy: null, tick: i }]);
    }
    m.ingest([{ kind: 'future.created', ts: 1, future: 9, loop: 1, label: 'Future', site: null, awaitedBy: [2] }]);
    const next = m.takeChanges();
    assert.ok(next);
    assert.equal(next.reset, false);
    assert.equal(next.seq, first.seq + 1);
    assert.deepEqual(next.tasks.map((t) => [t.id, t.steps]), [[2, 99]], 'one record per task carrying the latest counters');
    assert.equal(next.futures.length, 1);
    m.ingest([{ kind: 'future.done', ts: 2, future: 9, outcome: 'result' }]);
    assert.deepEqual(m.takeChanges()?.removedFutures, [9]);
    m.requestReset();
    assert.equal(m.takeChanges()?.reset, true);
  });

  it('without change tracking (the CLI) keeps no change sets: every takeChanges() is a full reset of the same truth', () => {
    const m = run({ trackChanges: false, maxFinishedTasks: 3 });
    for (let i = 1; i <= 50; i++) {
      m.ingest([created(i), { kind: 'future.created', ts: i, future: 1000 + i, loop: 1, label: 'Future', site: null, awaitedBy: [i] }]);
      m.ingest([{ kind: 'future.done', ts: i, future: 1000 + i, outcome: 'result' }, done(i)]);
    }
    m.ingest([{ kind: 'finding', ts: 60, finding: 1, findingKind: 'blocking-call', message: 'blocked', location: null, task: null, durationMs: 200 }]);
    const a = m.takeChanges();
    const b = m.takeChanges();
    assert.ok(a && b);
    assert.equal(a.reset, true);
    assert.equal(b.reset, true, 'nothing was tracked, so a second call is no delta either');
    assert.deepEqual(a.removedTasks, [], 'the 47 evicted tasks were not remembered');
    assert.deepEqual(a.removedFutures, []);
    assert.deepEqual(a.tasks.map((t) => t.id), [48, 49, 50]);
    assert.equal(a.findings.length, 1, 'findings come from the retained list');
    assert.equal(m.taskCount, 50);
    assert.deepEqual(m.endedCounts, { done: 50, failed: 0, cancelled: 0 });
  });

  it('counts findings exactly and keeps them for the report', () => {
    const m = run({ maxFindings: 2 });
    const finding = (id: number): WireEvent => ({ kind: 'finding', ts: id, finding: id, findingKind: 'blocking-call', message: 'time.sleep blocked the loop for 300 ms', location: { file: '/p/x.py', line: 26 }, task: null, durationMs: 300 });
    m.ingest([finding(1), finding(2), finding(3)]);
    assert.equal(m.findingCount, 3);
    assert.equal(m.findings.length, 2);
    const r = buildReport(m, { exitCode: 0, timedOut: false, error: null, durationMs: 5, argv: ['x.py'] });
    assert.equal(r.schema, REPORT_SCHEMA);
    assert.equal(r.findingCounts['blocking-call'], 3);
    const text = formatSummary(r, { cwd: '/p' });
    assert.match(text, /blocking-call\s+x\.py:26/);
  });

  it('merges a runtime snapshot (attach, timeout) without losing what the stream said', () => {
    const m = run();
    m.ingest([created(1)]);
    const snap = decodeMessage(JSON.stringify(JSON.parse(readFileSync(path.resolve(__dirname, '..', 'fixtures', 'wire', 'response-snapshot.json'), 'utf8'))));
    assert.ok(snap.type === 'response' && snap.ok);
    m.applySnapshot(snap.body as never);
    assert.equal(m.tasks.get(2)?.name, 'worker-1');
    assert.equal(m.tasks.get(2)?.waitingOn?.kind, 'queue.get');
    assert.equal(m.loops.get(1)?.paused, true);
  });

  it('builds a report whose tasks carry the issue\'s fields', () => {
    const m = run();
    m.ingest(fixture('events-task-lifecycle').events);
    const r = buildReport(m, { exitCode: 1, timedOut: false, error: null, durationMs: 12, argv: ['x.py'] });
    const t = r.tasks.find((x) => x.id === 3);
    assert.ok(t);
    for (const k of ['id', 'name', 'coro', 'state', 'parentId', 'createdAt', 'loop', 'steps', 'busyMs', 'exception', 'waitingOn']) {
      assert.ok(k in t, `task lacks ${k}`);
    }
    assert.equal(t.state, 'failed');
    assert.deepEqual(t.exception, { type: 'ValueError', message: 'bad item 7' });
    assert.equal(r.tasks.find((x) => x.id === 1)?.state, 'pending');
  });

  it('the trace gives the exact tick count the report gives, and says how many markers are missing', () => {
    const m = run({ recordTrace: true });
    // Ten ticks ran (loop.ticks is exact); only four tick events survived a batch that dropped six.
    m.ingest([
      ...[1, 2, 3, 4].map((t): WireEvent => ({ kind: 'tick', ts: t, loop: 1, tick: t, ready: 0, timers: 0, selectMs: 0 })),
      { kind: 'loop.ticks', ts: 10, loop: 1, tick: 10, count: 10, ready: 0, timers: 0, selectMs: 0 },
    ], 6);
    const meta = buildTrace(m).otherData;
    assert.equal(meta.ticks, buildReport(m, { exitCode: 0, timedOut: false, error: null, durationMs: 1, argv: [] }).ticks);
    assert.equal(meta.ticks, 10);
    assert.equal(meta.ticksRecorded, 4);
    assert.match(String(meta.ticksMissing), /^6 of 10 ticks have no marker \(6 events dropped under load\)$/);
  });

  it('builds a trace with a track per task, step slices, wake flows and tick markers', () => {
    const m = run({ recordTrace: true });
    m.ingest([created(1), created(2),
      { kind: 'tick', ts: 1, loop: 1, tick: 1, ready: 1, timers: 0, selectMs: 0 },
      { kind: 'task.step', ts: 1.1, task: 1, tick: 1, durationMs: 0.2, wokenBy: null, waitingOn: null },
      { kind: 'tick', ts: 2, loop: 1, tick: 2, ready: 1, timers: 0, selectMs: 0 },
      { kind: 'task.step', ts: 2.1, task: 2, tick: 2, durationMs: 0.3, wokenBy: { task: 1, label: 'Task t1' }, waitingOn: null },
    ]);
    const tr = buildTrace(m);
    const slices = tr.traceEvents.filter((e) => e.ph === 'X' && e.cat === 'task.step');
    assert.deepEqual(slices.map((e) => e.tid), [1, 2]);
    assert.equal(slices[1].ts, 2100);
    // Each task also has a lifetime slice on its track that encloses its steps.
    const life = tr.traceEvents.filter((e) => e.ph === 'X' && e.cat === 'task.lifetime');
    assert.equal(life.length, 2);
    for (const st of slices) {
      const l = life.find((x) => x.tid === st.tid);
      assert.ok(l && l.ts <= st.ts && l.ts + (l.dur ?? 0) >= st.ts + (st.dur ?? 0), 'step nested in lifetime');
    }
    assert.equal(tr.traceEvents.filter((e) => e.ph === 'i' && e.cat === 'tick').length, 2);
    const s = tr.traceEvents.find((e) => e.ph === 's');
    const f = tr.traceEvents.find((e) => e.ph === 'f');
    assert.ok(s && f && s.id === f.id && s.tid === 1 && f.tid === 2);
    assert.ok(tr.traceEvents.some((e) => e.ph === 'M' && e.name === 'thread_name' && e.tid === 2));
  });

  it('counts the tasks ready to run in the status, from entry on (not the loop\'s last ready-queue length)', () => {
    const m = run();
    // At entry the loop has reported no tick yet, but the main task is scheduled.
    m.ingest([created(1)]);
    assert.equal(m.status().ready, 1);
    m.ingest([created(2, 1), created(3, 1),
      { kind: 'loop.ticks', ts: 5, loop: 1, tick: 1, count: 1, ready: 0, timers: 0, selectMs: 0 },
      { kind: 'task.state', ts: 6, task: 1, state: 'waiting', steps: 1, busyMs: 0, waitingOn: null, wokenBy: null, tick: 1 }]);
    assert.equal(m.status().ready, 2, 'the two new tasks are ready; the waiting parent is not');
    m.ingest([done(2), { kind: 'task.state', ts: 7, task: 3, state: 'waiting', steps: 1, busyMs: 0, waitingOn: null, wokenBy: null, tick: 2 }]);
    assert.equal(m.status().ready, 0);
    m.ingest([{ kind: 'task.state', ts: 8, task: 1, state: 'ready', steps: 1, busyMs: 0, waitingOn: null, wokenBy: null, tick: 3 }]);
    assert.equal(m.status().ready, 1);
  });
});
