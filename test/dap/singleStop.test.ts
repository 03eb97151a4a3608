// One stop, one `stopped` event: each tick step (loopscope/stepTick, and DAP `next` from a
// tick-boundary hold) is announced by exactly one DAP `stopped` event, so clients that pair a stop
// with each request keep step. Real adapter, real runtime, examples/worker_pool.py.

import { strict as assert } from 'node:assert';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { examplePath } from '../examples/gallery';
import { Session } from './helpers';

const TASK_THREADS_BELOW = 1_000_000_000; // loop threads are numbered from here up

/** Runs one step and returns every `stopped` event it produced. */
async function stepOnce(s: Session, step: () => Promise<unknown>): Promise<DebugProtocol.StoppedEvent[]> {
  const before = s.stoppedEvents().length;
  await step();
  await s.next('stopped');
  // Events the adapter sends with a stop precede its answer to a later request: after this round
  // trip every `stopped` event of this step has arrived.
  await s.dc.threadsRequest();
  return s.stoppedEvents().slice(before);
}

describe('one stopped event per step (DAP)', function () {
  this.timeout(120000);
  let s: Session;
  afterEach(async () => { await s?.close(); });

  it('loopscope/stepTick: one stopped event per tick, also when the stop focuses a task', async () => {
    s = await Session.start();
    await s.launch({ program: examplePath('worker_pool.py'), stopOnEntry: true });
    const entry = await s.stopped();
    const loopThread = entry.body.threadId as number;
    let onTask = 0;
    for (let i = 0; i < 15; i++) {
      const evs = await stepOnce(s, () => s.custom('loopscope/stepTick', { threadId: loopThread }));
      assert.equal(evs.length, 1, `tick step ${i + 1}: ${JSON.stringify(evs.map((e) => e.body))}`);
      assert.equal(evs[0].body.allThreadsStopped, true);
      assert.equal(evs[0].body.reason, 'step');
      if ((evs[0].body.threadId as number) < TASK_THREADS_BELOW) onTask++;
    }
    assert.ok(onTask > 0, 'no tick stop focused a task thread');
  });

  it('next from a tick-boundary hold: one stopped event per step', async () => {
    s = await Session.start();
    await s.launch({ program: examplePath('worker_pool.py'), stopOnEntry: true });
    const loopThread = (await s.stopped()).body.threadId as number;
    for (let i = 0; i < 3; i++) await stepOnce(s, () => s.custom('loopscope/stepTick', { threadId: loopThread }));
    // From the tick-boundary hold into a worker's next line, then on from each line stop.
    const worker = (await s.dc.threadsRequest()).body.threads.find((t) => /worker-\d/.test(t.name));
    assert.ok(worker, 'no worker thread after three ticks');
    let thread = worker.id;
    for (let i = 0; i < 6; i++) {
      const evs = await stepOnce(s, () => s.dc.nextRequest({ threadId: thread }));
      assert.equal(evs.length, 1, `next ${i + 1}: ${JSON.stringify(evs.map((e) => e.body))}`);
      thread = evs[0].body.threadId as number;
    }
  });
});
