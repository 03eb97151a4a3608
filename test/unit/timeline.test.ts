// The Timeline's model and layout on real runs: `loopscope run --trace/--report` on the worker pool
// and the blocking-sleep examples under the real runtime, loaded as a user opening those files
// would, then the lanes, steps, blocking slice, findings, collapse and hit-testing are checked.
// Also the session header line and where a bad interpreter setting is said to come from.

import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { examplePath } from '../examples/gallery';
import { CLI_JS, ROOT, buildBundles } from '../dap/build';
import { loadTimelineFile, TimelineFormatError } from '../../extension/views/timelineModel';
import type { TimelineSnapshot } from '../../extension/views/timelineData';
import { buildRows, laneOfStep, stepAt } from '../../extension/webview/layout';
import { sessionHeader } from '../../extension/views/sessionSummary';
import { parseTaskFilter } from '../../extension/views/taskFilter';
import { choosePython } from '../../extension/client/launchConfig';

const PYTHON = process.env.LOOPSCOPE_TEST_PYTHON ?? 'python3';
const tmp = mkdtempSync(path.join(os.tmpdir(), 'loopscope-timeline-'));

function run(example: string): Promise<{ trace: string; report: string }> {
  const trace = path.join(tmp, `${example}.trace.json`);
  const report = path.join(tmp, `${example}.report.json`);
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [CLI_JS, 'run', '--python', PYTHON, '--no-summary', '--trace', trace, '--report', report, '--', examplePath(example)],
      { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (b: Buffer) => { err += b.toString(); });
    p.on('close', (code) => (code === 0 ? resolve({ trace, report }) : reject(new Error(`loopscope run ${example} exited ${code}: ${err}`))));
  });
}

const snap = (file: string, filter: string | null = null): TimelineSnapshot =>
  loadTimelineFile(readFileSync(file, 'utf8'), path.basename(file)).snapshot({
    title: 't', status: 'file', header: '', filter: filter ? parseTaskFilter(filter) : null, blockingMs: 100,
  });

const laneNamed = (s: TimelineSnapshot, name: string): number => {
  const i = s.lanes.findIndex((l) => l.name === name);
  assert.ok(i >= 0, `no lane ${name}: ${s.lanes.map((l) => l.name).join(', ')}`);
  return i;
};

describe('timeline: model and layout on real runs', function () {
  this.timeout(60_000);
  let pool: { trace: string; report: string };
  let blocking: { trace: string; report: string };

  before(async () => {
    await buildBundles();
    [pool, blocking] = await Promise.all([run('worker_pool.py'), run('blocking_sleep.py')]);
  });

  it('a --trace file gives a lane per worker under main, each with its steps in time order', () => {
    const s = snap(pool.trace);
    const main = laneNamed(s, 'Task-1');
    for (const name of ['worker-1', 'worker-2', 'worker-3', 'producer']) {
      const i = laneNamed(s, name);
      assert.equal(s.lanes[i].parent, s.lanes[main].task);
      assert.equal(s.lanes[i].depth, s.lanes[main].depth + 1);
      const n = s.laneStepStart[i + 1] - s.laneStepStart[i];
      assert.ok(n >= 3, `${name} has ${n} steps`);
      for (let k = s.laneStepStart[i] + 1; k < s.laneStepStart[i + 1]; k++) assert.ok(s.stepTs[k] >= s.stepTs[k - 1]);
      assert.ok(s.lanes[i].start <= s.stepTs[s.laneStepStart[i]] + 0.01, `${name} starts after its first step`);
    }
    assert.ok(s.ticks.length > 10, 'ticks form the ruler');
    assert.ok(s.endMs > s.startMs);
  });

  it('hit-testing finds the step under a time, and its lane from the step index', () => {
    const s = snap(pool.trace);
    const i = laneNamed(s, 'worker-2');
    const k = s.laneStepStart[i] + 1;
    assert.equal(stepAt(s, i, s.stepTs[k] + s.stepDur[k] / 2, 0), k);
    assert.equal(laneOfStep(s, k), i);
    const gapMid = (s.stepTs[k] + s.stepDur[k] + s.stepTs[k + 1]) / 2;
    assert.equal(stepAt(s, i, gapMid, 0), null, 'a wait is not a step');
  });

  it('collapsing the main task hides its children; a collapsed loop hides every lane', () => {
    const s = snap(pool.trace);
    const main = s.lanes[laneNamed(s, 'Task-1')].task;
    const all = buildRows(s, new Set(), new Set());
    assert.equal(all.filter((r) => r.kind === 'lane').length, s.lanes.length);
    const folded = buildRows(s, new Set(), new Set([main]));
    assert.ok(!folded.some((r) => r.kind === 'lane' && s.lanes[r.lane].name === 'worker-1'));
    assert.ok(folded.some((r) => r.kind === 'lane' && s.lanes[r.lane].name === 'Task-1'));
    assert.deepEqual(buildRows(s, new Set([s.lanes[0].loop]), new Set()).map((r) => r.kind), ['loop']);
  });

  it('the Async Tasks filter keeps matches and their ancestors', () => {
    const s = snap(pool.trace, 'worker-2');
    assert.deepEqual(s.lanes.map((l) => l.name), ['Task-1', 'worker-2']);
    assert.equal(s.filter, 'worker-2');
    assert.ok(s.filteredOut >= 4);
  });

  it('the blocking time.sleep step stands out and carries the blocking-call finding', () => {
    const s = snap(blocking.trace);
    const i = laneNamed(s, 'refresh-cache');
    let longest = s.laneStepStart[i];
    for (let k = longest; k < s.laneStepStart[i + 1]; k++) if (s.stepDur[k] > s.stepDur[longest]) longest = k;
    assert.ok(s.stepDur[longest] >= 290, `longest refresh-cache step is ${s.stepDur[longest]} ms`);
    // A trace has no findings; the report of the same run does, and places them on the lane.
    const r = snap(blocking.report);
    const f = r.findings.find((x) => x.kind === 'blocking-call');
    assert.ok(f, `no blocking-call finding: ${JSON.stringify(r.findings)}`);
    assert.equal(r.lanes[f.lane].name, 'refresh-cache');
  });

  it('a --report file gives lanes with lifetimes, states, last waits and a note that steps need --trace', () => {
    const s = snap(pool.report);
    const w = s.lanes[laneNamed(s, 'worker-1')];
    assert.equal(w.state, 'cancelled');
    assert.ok(w.end !== null && w.end > w.start, `worker-1 lifetime ${w.start} → ${w.end}`);
    assert.match(w.waitLabel ?? '', /Queue\.get/);
    assert.equal(s.laneStepStart[s.lanes.length], 0);
    assert.match(s.note ?? '', /--trace/);
  });

  it('a file that is neither says which file and what was expected', () => {
    assert.throws(() => loadTimelineFile('{"hello": 1}', 'out/x.json'), (e: unknown) =>
      e instanceof TimelineFormatError && /out\/x\.json is not a Chrome trace/.test(e.message));
    assert.throws(() => loadTimelineFile('{"schema": "other"}', 'r.json'), /r\.json is not a Loopscope report/);
    assert.throws(() => loadTimelineFile('{nope', 'bad.json'), /bad\.json is not valid JSON/);
  });
});

describe('timeline: header line and configuration sources', () => {
  it('says how an ended session ended, and what a running one is doing', () => {
    assert.equal(sessionHeader({ ended: true, exitCode: 0, durationMs: 1021.5, tasks: 5, findings: 1, paused: false, tick: 9 }),
      'Exited with code 0 after 1.02 s · 5 tasks · 1 finding');
    assert.equal(sessionHeader({ ended: false, exitCode: null, durationMs: 5, tasks: 1, findings: 0, paused: true, tick: 1234 }),
      'Paused · tick 1,234 · 1 task · 0 findings');
  });

  it('names where the interpreter came from', () => {
    const settings = { python: '', blockingThresholdMs: 100, justMyCode: true };
    assert.match(choosePython('/x/py', { settings }, 'Dev').source, /"python" in launch configuration "Dev"/);
    assert.match(choosePython(undefined, { settings: { ...settings, python: '/bad', pythonScope: 'User settings' } }, 'Dev').source,
      /loopscope\.python in your User settings/);
    assert.match(choosePython('', { settings, pythonFromExtension: '/venv/bin/python' }, 'Dev').source, /Python extension/);
    assert.match(choosePython('', { settings }, 'Dev').source, /python3" on PATH/);
  });
});
