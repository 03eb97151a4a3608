// Pure helpers behind the VS Code client: debug configuration resolution (F5 without launch.json,
// interpreter precedence, clear errors), status bar text and runtime findings → Problems data.

import { strict as assert } from 'node:assert';
import { resolveConfiguration, type ResolveContext } from '../../extension/client/launchConfig';
import { statusText, statusTooltip } from '../../extension/views/format';
import { findingToDiagnostic, type FindingContext } from '../../extension/views/findings';
import type { FindingRecord, TaskRecord } from '../../extension/protocol/customDap';
import { status, task } from './viewsFixtures';

const settings = { python: '', blockingThresholdMs: 100, justMyCode: true };
const pyFile = { path: '/proj/app.py', languageId: 'python', isUntitled: false };

function resolve(config: Record<string, unknown>, ctx: Partial<ResolveContext> = {}) {
  return resolveConfiguration(config, { settings, activeFile: pyFile, ...ctx });
}

describe('client: debug configuration', () => {
  it('F5 with no launch.json debugs the active Python file with settings filled in', () => {
    const r = resolve({});
    assert.ok('config' in r);
    assert.deepEqual(r.config, {
      type: 'loopscope', request: 'launch', name: 'Loopscope: Current File', program: '/proj/app.py',
      stopOnEntry: false, python: 'python3', blockingThresholdMs: 100, justMyCode: true,
      pythonSource: 'loopscope.python (none is set, so "python3" on PATH was used)',
    });
  });

  it('prefers launch.json, then loopscope.python, then the Python extension, then python3', () => {
    const base = { type: 'loopscope', request: 'launch', name: 'x', program: '/a.py' };
    const pick = (config: Record<string, unknown>, ctx: Partial<ResolveContext>) => {
      const r = resolve(config, ctx);
      assert.ok('config' in r);
      return r.config.python;
    };
    assert.equal(pick(base, {}), 'python3');
    assert.equal(pick(base, { pythonFromExtension: '/venv/bin/python' }), '/venv/bin/python');
    assert.equal(pick(base, { pythonFromExtension: '/venv/bin/python', settings: { ...settings, python: '/usr/bin/python3.12' } }), '/usr/bin/python3.12');
    assert.equal(pick({ ...base, python: '/opt/py' }, { pythonFromExtension: '/venv/bin/python' }), '/opt/py');
  });

  it('keeps explicit thresholds and takes the setting otherwise', () => {
    const r1 = resolve({ type: 'loopscope', request: 'launch', name: 'x', program: '/a.py', blockingThresholdMs: 25, justMyCode: false });
    assert.ok('config' in r1);
    assert.equal(r1.config.blockingThresholdMs, 25);
    assert.equal(r1.config.justMyCode, false);
    const r2 = resolve({ type: 'loopscope', request: 'launch', name: 'x', program: '/a.py' }, { settings: { ...settings, blockingThresholdMs: 250 } });
    assert.ok('config' in r2);
    assert.equal(r2.config.blockingThresholdMs, 250);
  });

  it('explains what is wrong instead of starting a doomed session', () => {
    const err = (config: Record<string, unknown>, ctx: Partial<ResolveContext> = {}) => {
      const r = resolve(config, ctx);
      assert.ok('error' in r, `expected an error for ${JSON.stringify(config)}`);
      return r.error;
    };
    assert.match(err({}, { activeFile: { path: '/proj/README.md', languageId: 'markdown', isUntitled: false } }), /Open a Python file/);
    assert.match(err({}, { activeFile: undefined }), /Open a Python file/);
    assert.match(err({}, { activeFile: { ...pyFile, isUntitled: true } }), /Save this Python file/);
    assert.match(err({ type: 'loopscope', request: 'launch', name: 'Run' }), /needs "program".*or "module"/);
    assert.match(err({ type: 'loopscope', request: 'launch', name: 'Run', program: '/a.py', module: 'm' }), /both "program" and "module"/);
    assert.match(err({ type: 'loopscope', request: 'launch', name: 'Run', program: '/a.py', args: '--x' }), /"args".*array of strings/);
    assert.match(err({ type: 'loopscope', request: 'attach', name: 'Att' }), /needs "port"/);
    assert.match(err({ type: 'loopscope', request: 'attach', name: 'Att', port: 70000 }), /needs "port"/);
    assert.match(err({ type: 'loopscope', request: 'restart', name: 'R' }), /"launch" or "attach"/);
  });

  it('fills attach defaults', () => {
    const r = resolve({ type: 'loopscope', request: 'attach', name: 'Att', port: 5679 });
    assert.ok('config' in r);
    assert.equal(r.config.host, '127.0.0.1');
    assert.equal(r.config.justMyCode, true);
    assert.equal(r.config.python, undefined);
  });
});

describe('client: status bar text', () => {
  it('shows tick, live tasks and ready count with thousands separators', () => {
    assert.equal(statusText(status({ tick: 1234, tasksLive: 12, ready: 3 })), 'Loopscope: tick 1,234 · 12 tasks · 3 ready');
    assert.equal(statusText(status({ tick: 1, tasksLive: 1, ready: 0 })), 'Loopscope: tick 1 · 1 task · 0 ready');
    // uvloop: no silent "tick 0"
    assert.equal(statusText(status({ tick: 0, tasksLive: 2, ready: 0 }), true), 'Loopscope: no tick control · 2 tasks · 0 ready');
    assert.match(statusTooltip(status({ tick: 0, tasksLive: 2, ready: 0 }), true), /ticks are not counted and tick stepping is unavailable/);
  });

  it('makes the paused state visible', () => {
    const paused = status({ tick: 42, tasksLive: 5, ready: 2, paused: true, pauseDescription: 'tick 42: ran worker-1' });
    assert.equal(statusText(paused), '$(debug-pause) Loopscope: tick 42 · 5 tasks · 2 ready');
    assert.match(statusTooltip(paused), /^Paused: tick 42: ran worker-1/);
    const sampled = status({ tasksLive: 3, dropped: 1500, sampling: ['9,850 short tasks were counted, not listed one by one', '1,500 step-level events were dropped under load'] });
    assert.equal(statusText(sampled), 'Loopscope: tick 0 · 3 tasks · 0 ready · sampled');
    assert.match(statusTooltip(sampled), /9,850 short tasks were counted, not listed one by one\n1,500 step-level events were dropped/);
    assert.match(statusText(null), /connecting/);
  });
});

describe('client: runtime findings → Problems', () => {
  const tasks = new Map<number, TaskRecord>([[7, task(7, { name: 'worker-2', createdAt: { file: '/proj/app.py', line: 40 } })]]);
  const ctx: FindingContext = { blockingThresholdMs: 100, task: (id) => tasks.get(id) };
  const finding = (extra: Partial<FindingRecord>): FindingRecord => ({
    id: 1, kind: 'blocking-call', message: '', location: { file: '/proj/app.py', line: 12 }, taskId: null, durationMs: null, ...extra,
  });

  it('says how long a blocking call held the loop against the threshold', () => {
    const d = findingToDiagnostic(finding({ durationMs: 312.4, message: 'time.sleep(0.3)' }), ctx)!;
    assert.equal(d.file, '/proj/app.py');
    assert.equal(d.line, 12);
    assert.equal(d.severity, 'warning');
    assert.equal(d.code, 'blocking-call');
    assert.equal(d.message, 'Blocking call held the event loop for 312 ms (threshold 100 ms): time.sleep(0.3)');
  });

  it('does not repeat the runtime wording when it already says the same', () => {
    const d = findingToDiagnostic(finding({ durationMs: 1500, message: 'Blocking call held the event loop for 1500 ms' }), ctx)!;
    assert.equal(d.message, 'Blocking call held the event loop for 1,500 ms (threshold 100 ms)');
  });

  it('leaves out a runtime sentence that restates the duration, and names the task once', () => {
    const d = findingToDiagnostic(finding({ durationMs: 300.2, taskId: 7, message: 'Task worker-2 blocked the event loop for 300 ms' }), ctx)!;
    assert.equal(d.message, 'Blocking call held the event loop for 300 ms (threshold 100 ms) [task worker-2]');
  });

  it('keeps the runtime message for never-awaited coroutines and unretrieved exceptions', () => {
    const na = findingToDiagnostic(finding({ kind: 'never-awaited', message: "coroutine 'fetch' was never awaited" }), ctx)!;
    assert.equal(na.message, "coroutine 'fetch' was never awaited");
    const ue = findingToDiagnostic(finding({ kind: 'unretrieved-exception', message: 'Task exception was never retrieved: ValueError: boom', taskId: 7 }), ctx)!;
    assert.equal(ue.severity, 'error');
    assert.equal(ue.message, 'Task exception was never retrieved: ValueError: boom [task worker-2]');
    assert.deepEqual(ue.related, [{ file: '/proj/app.py', line: 40, message: 'task worker-2 was created here' }]);
  });

  it('places a finding without a location at its task creation site, or nowhere', () => {
    const d = findingToDiagnostic(finding({ kind: 'destroyed-pending', location: null, taskId: 7 }), ctx)!;
    assert.equal(d.line, 40);
    assert.match(d.message, /destroyed while still pending/);
    assert.equal(findingToDiagnostic(finding({ location: null }), ctx), null);
  });

  it('links every stuck task of a stall to where it waits', () => {
    const d = findingToDiagnostic(finding({
      kind: 'stall', durationMs: 2000, message: '', location: { file: '/proj/app.py', line: 5 },
      chains: [{ task: 7, frames: [
        { id: 1, name: 'wait', file: '/usr/lib/python3.11/asyncio/locks.py', line: 210, kind: 'coroutine', internal: true },
        { id: 2, name: 'consumer', file: '/proj/app.py', line: 33, kind: 'coroutine', internal: false },
      ] }],
    }), ctx)!;
    assert.equal(d.message, 'The event loop stalled for 2,000 ms: every task is waiting and nothing can wake them');
    assert.deepEqual(d.related, [{ file: '/proj/app.py', line: 33, message: 'worker-2 is stuck in consumer (app.py:33)' }]);
  });
});
