// View helpers: the filter language, Markdown tooltips with the await chain, where selecting a
// task opens the editor, and the refresh throttle (driven by a fake clock, no sleeps).

import { strict as assert } from 'node:assert';
import { FilterSyntaxError, parseTaskFilter } from '../../extension/views/taskFilter';
import { awaitChainText, formatRemaining, loopTooltip, suspensionLocation, taskTooltip } from '../../extension/views/format';
import { type Scheduler, Throttle } from '../../extension/views/throttle';
import type { Frame } from '../../extension/protocol/customDap';
import { loop, task } from './viewsFixtures';

const frames: Frame[] = [
  { id: 1, name: 'get', file: '/usr/lib/python3.11/asyncio/queues.py', line: 158, kind: 'coroutine', internal: true },
  { id: 2, name: 'worker', file: '/proj/pool.py', line: 21, kind: 'coroutine', internal: false },
  { id: 3, name: 'main', file: '/proj/pool.py', line: 40, kind: 'coroutine', internal: false },
];

describe('views: filter', () => {
  const t = task(1, { name: 'worker-1', coro: 'pool.worker', state: 'waiting' });
  it('matches free text against name or coroutine, case-insensitively', () => {
    assert.equal(parseTaskFilter('WORKER')!.matches(t), true);
    assert.equal(parseTaskFilter('pool.')!.matches(t), true);
    assert.equal(parseTaskFilter('main')!.matches(t), false);
    assert.equal(parseTaskFilter('   '), null);
  });
  it('supports name:, coro: and state: (lists and live/finished groups), all terms required', () => {
    assert.equal(parseTaskFilter('name:pool')!.matches(t), false);
    assert.equal(parseTaskFilter('coro:pool')!.matches(t), true);
    assert.equal(parseTaskFilter('state:waiting')!.matches(t), true);
    assert.equal(parseTaskFilter('state:ready,running')!.matches(t), false);
    assert.equal(parseTaskFilter('state:live')!.matches(t), true);
    assert.equal(parseTaskFilter('state:finished')!.matches(t), false);
    assert.equal(parseTaskFilter('worker state:ready')!.matches(t), false);
  });
  it('rejects unknown states with the list of valid ones', () => {
    assert.throws(() => parseTaskFilter('state:sleeping'), (e: unknown) =>
      e instanceof FilterSyntaxError && /Unknown state "sleeping".*waiting.*live, finished/.test(e.message));
    assert.throws(() => parseTaskFilter('name:'), /needs a value/);
  });
});

describe('views: tooltip and navigation', () => {
  const t = task(7, {
    name: 'worker_1', coro: 'worker', parentId: 1, state: 'waiting', steps: 3, busyMs: 1.25,
    createdAt: { file: '/proj/pool.py', line: 35 },
    waitingOn: { kind: 'queue.get', label: 'Queue.get', detail: 'Queue maxsize=0 qsize=0' },
  });
  const parent = task(1, { name: 'main' });
  const lookup = (id: number) => (id === 1 ? parent : undefined);

  it('shows creation site, what it waits on and the user frames of the await chain', () => {
    const md = taskTooltip(t, lookup, 0, { frames });
    assert.match(md, /^\*\*worker\\_1\*\* · `worker` · waiting/);
    assert.match(md, /Waiting on \*\*Queue\\\.get\*\* \(Queue maxsize=0 qsize=0\)/);
    assert.match(md, /Created by \*\*main\*\* at \[pool\\\.py:35\]\(file:\/\/\/proj\/pool\.py#L35\)/);
    assert.match(md, /1\. `worker` \[pool\\\.py:21\]\(file:\/\/\/proj\/pool\.py#L21\)\n2\. `main`/);
    assert.match(md, /1 asyncio\/library frame hidden/);
    assert.doesNotMatch(md, /queues\.py/);
  });

  it('says why the await chain is missing', () => {
    assert.match(taskTooltip(t, lookup, 0, { error: 'connection closed' }), /Await chain unavailable: connection closed/);
    assert.doesNotMatch(taskTooltip(t, lookup, 0, undefined), /Await chain/);
  });

  it('opens the innermost non-internal frame, else the wait site, else the creation site', () => {
    assert.deepEqual(suspensionLocation(t, frames), { file: '/proj/pool.py', line: 21 });
    assert.deepEqual(suspensionLocation(t, [frames[0]]), { file: frames[0].file, line: 158 });
    const withSite = { ...t, waitingOn: { kind: 'sleep' as const, label: 'sleep 1 s', site: { file: '/proj/x.py', line: 3 } } };
    assert.deepEqual(suspensionLocation(withSite, []), { file: '/proj/x.py', line: 3 });
    assert.deepEqual(suspensionLocation(t, undefined), { file: '/proj/pool.py', line: 35 });
  });

  it('puts live loop counters in the loop tooltip and warns when ticks cannot be stepped', () => {
    const md = loopTooltip(loop(1, { tick: 12345, ready: 3, timers: 1, paused: true }), 1);
    assert.match(md, /paused · tick 12,345 · 3 ready · 1 timer$/);
    assert.match(loopTooltip(loop(2, { tickControl: false, cls: 'uvloop.Loop' }), 2), /Tick stepping is not available/);
  });

  it('copies the await chain as plain text', () => {
    assert.equal(awaitChainText(t, frames), [
      'Task worker_1 (worker) — waiting, waiting on Queue.get',
      '  at get (/usr/lib/python3.11/asyncio/queues.py:158) [internal]',
      '  at worker (/proj/pool.py:21)',
      '  at main (/proj/pool.py:40)',
    ].join('\n'));
  });
});

describe('views: sleep countdown', () => {
  it('shows the time left with a precision that fits it (a 0.02 s sleep is not "0.1 s")', () => {
    assert.equal(formatRemaining(20), '0.02 s left');
    assert.equal(formatRemaining(4), '< 0.01 s left');
    assert.equal(formatRemaining(300), '0.3 s left');
    assert.equal(formatRemaining(1234), '1.3 s left');
    assert.equal(formatRemaining(2000), '2 s left');
    assert.equal(formatRemaining(42_100), '43 s left');
    assert.equal(formatRemaining(125_000), '2 min 5 s left');
    assert.equal(formatRemaining(180_000), '3 min left');
    assert.equal(formatRemaining(3_900_000), '1 h 5 min left');
    assert.equal(formatRemaining(0), 'due');
    assert.equal(formatRemaining(-30), 'due');
  });
});

describe('views: refresh throttle', () => {
  class FakeClock implements Scheduler {
    time = 0;
    private timers: { at: number; fn: () => void; id: number }[] = [];
    private nextId = 0;
    now(): number { return this.time; }
    setTimeout(fn: () => void, ms: number): unknown { const id = ++this.nextId; this.timers.push({ at: this.time + ms, fn, id }); return id; }
    clearTimeout(h: unknown): void { this.timers = this.timers.filter((t) => t.id !== h); }
    advance(ms: number): void {
      const end = this.time + ms;
      for (;;) {
        this.timers.sort((a, b) => a.at - b.at);
        const next = this.timers[0];
        if (!next || next.at > end) break;
        this.timers.shift();
        this.time = next.at;
        next.fn();
      }
      this.time = end;
    }
  }

  it('runs at most once per 100 ms however many updates arrive, and never loses the last one', () => {
    const clock = new FakeClock();
    const runs: number[] = [];
    const throttle = new Throttle(100, () => runs.push(clock.time), clock);
    // 20 updates per second for one second (the adapter's maximum rate), plus bursts.
    for (let t = 0; t < 1000; t += 50) {
      clock.advance(t - clock.time);
      throttle.trigger();
      throttle.trigger();
    }
    clock.advance(1000);
    assert.ok(runs.length <= 11, `ran ${runs.length} times`);
    for (let i = 1; i < runs.length; i++) assert.ok(runs[i] - runs[i - 1] >= 100);
    assert.ok(runs[runs.length - 1] >= 950, 'the update at t=950 is rendered');
  });

  it('waits longer after a run that asked for a longer gap, then returns to the base interval', () => {
    const clock = new FakeClock();
    const runs: number[] = [];
    let stretch = 1000;
    const throttle = new Throttle(100, () => { runs.push(clock.time); throttle.stretchNext(stretch); stretch = 0; }, clock);
    throttle.trigger();
    clock.advance(150);
    throttle.trigger();
    clock.advance(2000);
    throttle.trigger();
    clock.advance(50);
    throttle.trigger();
    clock.advance(500);
    assert.deepEqual(runs, [0, 1000, 2150, 2250]);
  });

  it('flush renders pending work at once; dispose cancels it', () => {
    const clock = new FakeClock();
    let runs = 0;
    const throttle = new Throttle(100, () => runs++, clock);
    throttle.trigger();
    throttle.trigger();
    assert.equal(runs, 1);
    throttle.flush();
    assert.equal(runs, 2);
    throttle.trigger();
    throttle.dispose();
    clock.advance(500);
    assert.equal(runs, 2);
  });
});
