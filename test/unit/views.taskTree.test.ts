// The Async Tasks view-model: grouping by loop, nesting by creator, futures under awaiters,
// the Finished group, filtering, stable ids and refreshes limited to the nodes that changed.

import { strict as assert } from 'node:assert';
import { TaskMirror } from '../../extension/views/taskMirror';
import { TaskTreeModel, type NodeId } from '../../extension/views/taskTree';
import { parseTaskFilter } from '../../extension/views/taskFilter';
import type { TaskRecord, UpdateEventBody } from '../../extension/protocol/customDap';
import { future, loop, task, update } from './viewsFixtures';

const NOW = 1_763_700_000_000;

function setup(first: Partial<UpdateEventBody>, options = {}): { mirror: TaskMirror; tree: TaskTreeModel; push(u: Partial<UpdateEventBody>): void } {
  const mirror = new TaskMirror();
  const tree = new TaskTreeModel(mirror, options);
  const push = (u: Partial<UpdateEventBody>): void => {
    const change = mirror.apply(update(u));
    if (change) tree.applyChange(change);
  };
  push({ reset: true, ...first });
  return { mirror, tree, push };
}

/** Renders the tree the way VS Code would fetch it: label [description] per expanded node. */
function render(tree: TaskTreeModel, parent?: NodeId, depth = 0, out: string[] = []): string[] {
  for (const id of tree.getChildren(parent)) {
    const item = tree.getItem(id, NOW)!;
    out.push(`${'  '.repeat(depth)}${item.label}${item.description ? ` [${item.description}]` : ''}`);
    if (item.collapsible !== 'none') render(tree, id, depth + 1, out);
  }
  return out;
}

describe('views: task tree', () => {
  it('groups tasks by event loop and nests them under the task that created them', () => {
    const { tree } = setup({
      loops: [loop(1), loop(2, { thread: { id: 2, name: 'worker-thread' } })],
      tasks: [
        task(1, { name: 'main', state: 'running' }),
        task(2, { name: 'producer', parentId: 1, waitingOn: { kind: 'queue.put', label: 'Queue.put' } }),
        task(3, { name: 'consumer', parentId: 1, waitingOn: { kind: 'queue.get', label: 'Queue.get' } }),
        task(4, { name: 'fetch', parentId: 3, waitingOn: { kind: 'socket.read', label: 'socket read' } }),
        task(5, { name: 'side', loop: 2, state: 'ready' }),
      ],
    });
    assert.deepEqual(render(tree), [
      'Event loop 1 · MainThread [running · _UnixSelectorEventLoop]',
      '  main [running]',
      '    producer [Queue.put]',
      '    consumer [Queue.get]',
      '      fetch [socket read]',
      'Event loop 2 · worker-thread [running · _UnixSelectorEventLoop]',
      '  side [ready]',
    ]);
    assert.equal(tree.getParent('task:4'), 'task:3');
    assert.equal(tree.getParent('task:1'), 'loop:1');
    assert.equal(tree.getParent('loop:1'), undefined);
  });

  it('describes what a task waits on, with the time left for sleeps', () => {
    const { tree } = setup({
      loops: [loop(1)],
      tasks: [
        task(1, { name: 'sleeper', waitingOn: { kind: 'sleep', label: 'sleep 0.5 s', untilEpochMs: NOW + 300 } }),
        task(2, { name: 'joiner', waitingOn: { kind: 'task', label: 'Task worker-2', task: 3 } }),
        task(3, { name: 'late', waitingOn: { kind: 'sleep', label: 'sleep 1 s', untilEpochMs: NOW - 5 } }),
      ],
    });
    assert.equal(tree.getItem('task:1', NOW)!.description, 'sleep · 0.3 s left');
    assert.equal(tree.getItem('task:1', NOW)!.icon.id, 'clock');
    assert.equal(tree.getItem('task:1', NOW + 250)!.description, 'sleep · 0.05 s left');
    assert.equal(tree.getItem('task:2', NOW)!.description, 'Task worker-2');
    assert.equal(tree.getItem('task:2', NOW)!.icon.id, 'watch');
    assert.equal(tree.getItem('task:3', NOW)!.description, 'sleep · due');
  });

  it('lists sleeping rows whose countdown ages by itself, up to a limit', () => {
    const { tree, push } = setup({
      loops: [loop(1)],
      tasks: [
        task(1, { waitingOn: { kind: 'sleep', label: 'sleep 5 s', untilEpochMs: NOW + 5000 } }),
        task(2, { waitingOn: { kind: 'sleep', label: 'sleep 1 s', untilEpochMs: NOW - 5000 } }),
        task(3, { waitingOn: { kind: 'queue.get', label: 'Queue.get' } }),
      ],
    });
    assert.deepEqual(tree.sleepingRows(NOW, 100), ['task:1']);
    assert.equal(tree.sleepingRows(NOW, 1), null);
    push({ tasks: [task(1, { state: 'ready' })] });
    assert.deepEqual(tree.sleepingRows(NOW, 100), []);
  });

  it('shows pending futures under every task awaiting them, and unawaited ones under their loop', () => {
    const { tree, push } = setup({
      loops: [loop(1)],
      tasks: [task(1, { name: 'a' }), task(2, { name: 'b' })],
      futures: [future(10, [1, 2], { label: 'Future<read>' }), future(11, [], { label: 'orphan' })],
    });
    assert.deepEqual(tree.getChildren('task:1'), ['future:10@1']);
    assert.deepEqual(tree.getChildren('task:2'), ['future:10@2']);
    assert.ok(tree.getChildren('loop:1').includes('future:11'));
    assert.equal(tree.getItem('future:10@2', NOW)!.label, 'Future<read>');
    assert.equal(tree.getItem('task:1', NOW)!.collapsible, 'expanded');
    push({ removedFutures: [10] });
    assert.deepEqual(tree.getChildren('task:1'), []);
    assert.equal(tree.getItem('task:1', NOW)!.collapsible, 'none');
  });

  it('moves finished tasks to a collapsed "Finished (N)" group with their outcome, newest first', () => {
    const { tree, push } = setup({
      loops: [loop(1)],
      tasks: [task(1, { name: 'main', state: 'running' }), task(2, { name: 'ok', parentId: 1 }),
        task(3, { name: 'bad', parentId: 1 }), task(4, { name: 'stopped', parentId: 1 })],
    });
    push({
      tasks: [
        task(2, { name: 'ok', parentId: 1, state: 'done', result: '42', doneAt: 10 }),
        task(3, { name: 'bad', parentId: 1, state: 'failed', doneAt: 20, exception: { type: 'ValueError', message: 'boom' } }),
        task(4, { name: 'stopped', parentId: 1, state: 'cancelled', doneAt: 30, cancelledBy: { task: 1, location: null } }),
      ],
    });
    assert.deepEqual(tree.getChildren('loop:1'), ['task:1', 'finished:1']);
    const group = tree.getItem('finished:1', NOW)!;
    assert.equal(group.label, 'Finished (3)');
    assert.equal(group.collapsible, 'collapsed');
    assert.deepEqual(render(tree, 'finished:1'), ['stopped [cancelled by main]', 'bad [ValueError: boom]', 'ok [done → 42]']);
    assert.deepEqual(
      ['task:2', 'task:3', 'task:4'].map((id) => tree.getItem(id, NOW)!.icon.id), ['pass', 'error', 'circle-slash']);
    assert.equal(tree.getItem('task:2', NOW)!.contextValue, 'task.finished');
    assert.equal(tree.getItem('task:1', NOW)!.contextValue, 'task.live');
  });

  it('re-homes live children at the loop when their creator finishes', () => {
    const { tree, push } = setup({
      loops: [loop(1)],
      tasks: [task(1, { name: 'spawner' }), task(2, { name: 'orphan', parentId: 1 })],
    });
    assert.equal(tree.getParent('task:2'), 'task:1');
    push({ tasks: [task(1, { name: 'spawner', state: 'done', doneAt: 5 })] });
    assert.equal(tree.getParent('task:2'), 'loop:1');
    assert.equal(tree.getParent('task:1'), 'finished:1');
    assert.deepEqual(tree.getChildren('task:1'), []);
  });

  it('reports task rows that just got their first child, so the client can expand them', () => {
    const { tree, push } = setup({ loops: [loop(1)], tasks: [task(1, { name: 'main' })] });
    assert.deepEqual(tree.takeNewParents(), []);
    assert.equal(tree.getItem('task:1', NOW)!.collapsible, 'none');
    push({ tasks: [task(2, { parentId: 1 }), task(3, { parentId: 1 })] });
    assert.deepEqual(tree.takeNewParents(), ['task:1']);
    assert.equal(tree.getItem('task:1', NOW)!.collapsible, 'expanded');
    push({ tasks: [task(4, { parentId: 1 })] });
    assert.deepEqual(tree.takeNewParents(), []);
  });

  it('nests a child that arrived before its creator once the creator shows up', () => {
    const { tree, push } = setup({ loops: [loop(1)], tasks: [task(5, { name: 'child', parentId: 4 })] });
    assert.equal(tree.getParent('task:5'), 'loop:1');
    push({ tasks: [task(4, { name: 'parent' })] });
    assert.equal(tree.getParent('task:5'), 'task:4');
  });

  it('keeps node ids stable across updates and only names changed nodes for refresh', () => {
    const { tree, push } = setup({
      loops: [loop(1)],
      tasks: [task(1, { name: 'main' }), task(2, { name: 'w1', parentId: 1 }), task(3, { name: 'w2', parentId: 1 })],
    });
    render(tree);
    assert.deepEqual(tree.takeRefresh(), { kind: 'all' });
    assert.equal(tree.takeRefresh(), null);

    // Counters only (steps/busy) are tooltip material: no refresh at all.
    push({ tasks: [task(2, { name: 'w1', parentId: 1, steps: 9, busyMs: 3 })] });
    assert.equal(tree.takeRefresh(), null);

    // A state change refreshes that task's row only, under the same id.
    push({ tasks: [task(3, { name: 'w2', parentId: 1, state: 'ready' })] });
    assert.deepEqual(tree.takeRefresh(), { kind: 'nodes', nodes: ['task:3'] });
    assert.equal(tree.getItem('task:3', NOW)!.id, 'task:3');

    // A new child refreshes its parent (which covers the parent's row and children).
    push({ tasks: [task(4, { name: 'w3', parentId: 1 }), task(2, { name: 'w1', parentId: 1, state: 'running' })] });
    assert.deepEqual(tree.takeRefresh(), { kind: 'nodes', nodes: ['task:1'] });

    // A pause changes the loop row; tick counts do not.
    push({ loops: [loop(1, { tick: 50 })] });
    assert.equal(tree.takeRefresh(), null);
    push({ loops: [loop(1, { tick: 51, paused: true })] });
    assert.deepEqual(tree.takeRefresh(), { kind: 'nodes', nodes: ['loop:1'] });
    assert.equal(tree.getItem('loop:1', NOW)!.icon.id, 'debug-pause');
  });

  it('with 10,000 tasks, one change rebuilds only the affected parents, not the whole tree', () => {
    const tasks: TaskRecord[] = [task(1, { name: 'main', state: 'waiting' }), task(20_000, { state: 'done', doneAt: 0 })];
    for (let i = 2; i <= 10_001; i++) {
      tasks.push(task(i, { name: `worker-${i}`, parentId: i % 2 === 0 ? 1 : null, coro: 'worker',
        waitingOn: { kind: 'queue.get', label: 'Queue.get' } }));
    }
    const { tree, push } = setup({ loops: [loop(1)], tasks });
    render(tree);
    tree.takeRefresh();
    assert.equal(tree.getChildren('task:1').length, 5_000);
    assert.equal(tree.getChildren('loop:1').length, 5_002);
    const builds = tree.childArrayBuilds;
    const rootChildren = tree.getChildren('loop:1');

    push({ tasks: [task(5_000, { name: 'worker-5000', parentId: 1, coro: 'worker', state: 'done', doneAt: 1 })] });
    const refresh = tree.takeRefresh();
    // The task left main's children and joined the Finished group: those two, nothing else.
    assert.deepEqual(refresh, { kind: 'nodes', nodes: ['finished:1', 'task:1'] });
    // VS Code re-fetches children of refreshed nodes only; every other parent keeps its array.
    tree.builtParents.length = 0;
    render(tree);
    render(tree, 'finished:1');
    assert.deepEqual([...tree.builtParents].sort(), ['finished:1', 'task:1']);
    assert.equal(tree.childArrayBuilds, builds + 2);
    assert.equal(tree.getChildren('loop:1'), rootChildren);
    assert.equal(tree.getChildren('task:1').length, 4_999);

    push({ tasks: [task(7_001, { name: 'worker-7001', coro: 'worker', state: 'running' })] });
    assert.deepEqual(tree.takeRefresh(), { kind: 'nodes', nodes: ['task:7001'] });
    tree.builtParents.length = 0;
    tree.getChildren('loop:1');
    tree.getChildren('task:1');
    assert.deepEqual(tree.builtParents, []);
  });

  it('refreshes a parent instead of many changed siblings, and everything past a limit', () => {
    const kids = Array.from({ length: 100 }, (_, i) => task(i + 2, { parentId: 1 }));
    const { tree, push } = setup({ loops: [loop(1)], tasks: [task(1, { name: 'main' }), ...kids] }, { siblingLimit: 10, maxNodes: 20 });
    tree.takeRefresh();
    push({ tasks: kids.slice(0, 5).map((k) => ({ ...k, state: 'ready' as const })) });
    const five = tree.takeRefresh();
    assert.deepEqual(five, { kind: 'nodes', nodes: ['task:2', 'task:3', 'task:4', 'task:5', 'task:6'] });
    assert.equal(tree.refreshCost(five), 5);
    push({ tasks: kids.slice(0, 50).map((k) => ({ ...k, state: 'running' as const })) });
    const many = tree.takeRefresh();
    assert.deepEqual(many, { kind: 'nodes', nodes: ['task:1'] });
    assert.equal(tree.refreshCost(many), 101);

    const roots = Array.from({ length: 30 }, (_, i) => task(200 + i));
    push({ tasks: roots });
    tree.takeRefresh();
    push({ tasks: roots.slice(0, 15).map((r) => ({ ...r, state: 'ready' as const })) });
    assert.deepEqual(tree.takeRefresh(), { kind: 'nodes', nodes: ['loop:1'] });
  });

  it('filters by name, coroutine or state and lists matches flat', () => {
    const { tree, push } = setup({
      loops: [loop(1)],
      tasks: [task(1, { name: 'main', coro: 'main' }), task(2, { name: 'worker-1', coro: 'worker', parentId: 1, state: 'ready' }),
        task(3, { name: 'worker-2', coro: 'worker', parentId: 1 }), task(4, { name: 'beat', coro: 'heartbeat', parentId: 1 }),
        task(5, { name: 'old', coro: 'worker', state: 'done', doneAt: 1 })],
      futures: [future(9, [3])],
    });
    tree.setFilter(parseTaskFilter('worker'));
    assert.deepEqual(tree.getChildren('loop:1'), ['task:2', 'task:3', 'finished:1']);
    assert.deepEqual(tree.getChildren('task:3'), ['future:9@3']);
    assert.equal(tree.shownTaskCount, 3);
    assert.equal(tree.totalTaskCount, 5);

    tree.setFilter(parseTaskFilter('state:waiting'));
    assert.deepEqual(tree.getChildren('loop:1'), ['task:1', 'task:3', 'task:4']);
    tree.setFilter(parseTaskFilter('coro:heart'));
    assert.deepEqual(tree.getChildren('loop:1'), ['task:4']);
    tree.setFilter(parseTaskFilter('worker state:finished'));
    assert.deepEqual(tree.getChildren('loop:1'), ['finished:1']);

    // A task entering the filter shows up; one leaving it disappears.
    tree.setFilter(parseTaskFilter('state:ready'));
    tree.takeRefresh();
    push({ tasks: [task(3, { name: 'worker-2', coro: 'worker', parentId: 1, state: 'ready' }),
      task(2, { name: 'worker-1', coro: 'worker', parentId: 1, state: 'running' })] });
    assert.deepEqual(tree.getChildren('loop:1'), ['task:3']);

    tree.setFilter(null);
    assert.equal(tree.getParent('task:3'), 'task:1');
    assert.deepEqual(tree.takeRefresh(), { kind: 'all' });
  });

  it('caps the Finished group and says how many older tasks are not listed', () => {
    const tasks = Array.from({ length: 12 }, (_, i) => task(i + 1, { name: `t${i + 1}`, state: 'done', doneAt: i }));
    const { tree } = setup({ loops: [loop(1)], tasks }, { finishedLimit: 10 });
    const children = tree.getChildren('finished:1');
    assert.equal(children.length, 11);
    assert.equal(children[0], 'task:12');
    assert.equal(children[10], 'more:1');
    assert.equal(tree.getItem('more:1', NOW)!.label, '2 older finished tasks not listed');
    assert.equal(tree.getParent('more:1'), 'finished:1');
  });

  it('drops everything on reset and tolerates evicted tasks', () => {
    const { tree, push, mirror } = setup({ loops: [loop(1)], tasks: [task(1), task(2, { state: 'done', doneAt: 1 })] });
    push({ removedTasks: [2] });
    assert.equal(tree.getItem('finished:1', NOW), undefined);
    assert.deepEqual(tree.getChildren('loop:1'), ['task:1']);
    push({ reset: true, loops: [loop(3)], tasks: [task(7, { loop: 3 })] });
    assert.deepEqual(tree.getChildren(), ['loop:3']);
    assert.equal(mirror.tasks.size, 1);
    assert.deepEqual(tree.takeRefresh(), { kind: 'all' });
  });

  it('ignores stale or duplicate updates', () => {
    const mirror = new TaskMirror();
    assert.ok(mirror.apply(update({ reset: true, seq: 100, tasks: [task(1)] })));
    assert.equal(mirror.apply(update({ seq: 100, tasks: [task(2)] })), null);
    assert.equal(mirror.tasks.size, 1);
  });
});
