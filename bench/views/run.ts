// Async Tasks view-model benchmark (run: `npx tsx bench/views/run.ts`; writes bench/results/views.json).
// With 10,000 tasks it measures, in one run, what VS Code would do on a live update: a full
// rebuild and re-render of the tree versus the incremental path (apply the update, take the
// refresh set, re-fetch only refreshed parents' children and items), and reports the ratio.

import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { TaskRecord, UpdateEventBody } from '../../extension/protocol/customDap';
import { TaskMirror } from '../../extension/views/taskMirror';
import { TaskTreeModel, type NodeId } from '../../extension/views/taskTree';

const TASKS = 10_000;
const REPS = 30;
const NOW = Date.now();

function taskRecord(id: number, extra: Partial<TaskRecord> = {}): TaskRecord {
  return {
    id, name: `worker-${id}`, coro: 'worker', state: 'waiting', parentId: id === 1 ? null : 1 + (id % 50),
    createdAt: { file: '/proj/app.py', line: 30 }, loop: 1, thread: 1, steps: 1, busyMs: 0.1,
    waitingOn: { kind: 'queue.get', label: 'Queue.get' }, wokenBy: null, exception: null, result: null,
    cancelledBy: null, eager: false, doneAt: null, ...extra,
  };
}

let seq = 0;
function body(tasks: TaskRecord[], reset = false): UpdateEventBody {
  return {
    seq: ++seq, reset, loops: reset ? [{ id: 1, thread: { id: 1, name: 'MainThread' }, cls: 'asyncio.SelectorEventLoop', tickControl: true, tick: seq, ready: 0, timers: 0, paused: false, closed: false }] : [],
    tasks, futures: [], removedFutures: [], findings: [],
    status: { tick: seq, tasksLive: TASKS, tasksTotal: TASKS, ready: 0, paused: false, pauseDescription: null, dropped: 0, sampling: [] },
  };
}

/** What VS Code does for a refreshed node: getTreeItem for it and, if expanded, for its subtree. */
function render(tree: TaskTreeModel, parent: NodeId | undefined): number {
  let items = 0;
  for (const id of tree.getChildren(parent)) {
    const item = tree.getItem(id, NOW)!;
    items++;
    if (item.collapsible === 'expanded') items += render(tree, id);
  }
  return items;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

const initial = Array.from({ length: TASKS }, (_, i) => taskRecord(i + 1));
const mirror = new TaskMirror();
const tree = new TaskTreeModel(mirror);
tree.applyChange(mirror.apply(body(initial, true))!);
const fullItems = render(tree, undefined);
tree.takeRefresh();

const full: number[] = [];
const incremental: number[] = [];
let incrementalItems = 0;
for (let rep = 0; rep < REPS; rep++) {
  // 10 tasks change state per update, as a busy program does between two 100 ms refreshes.
  const changed = Array.from({ length: 10 }, (_, i) => taskRecord(100 + rep * 10 + i, { state: rep % 2 ? 'ready' : 'running', waitingOn: null }));

  let t0 = performance.now();
  const change = mirror.apply(body(changed))!;
  tree.applyChange(change);
  const refresh = tree.takeRefresh();
  let items = 0;
  if (refresh?.kind === 'nodes') {
    for (const id of refresh.nodes) {
      const item = tree.getItem(id, NOW)!;
      items += 1 + (item.collapsible === 'expanded' ? render(tree, id) : 0);
    }
  } else if (refresh) {
    items = render(tree, undefined);
  }
  incremental.push(performance.now() - t0);
  incrementalItems = Math.max(incrementalItems, items);

  t0 = performance.now();
  const fresh = new TaskTreeModel(mirror);
  render(fresh, undefined);
  full.push(performance.now() - t0);
}

const result = {
  benchmark: 'views: Async Tasks view-model with 10,000 tasks',
  tasks: TASKS,
  repetitions: REPS,
  treeItemsInFullRender: fullItems,
  maxTreeItemsPerIncrementalRefresh: incrementalItems,
  medianMs: { fullRebuildAndRender: +median(full).toFixed(3), incrementalUpdateAndRefresh: +median(incremental).toFixed(3) },
  ratioFullOverIncremental: +(median(full) / median(incremental)).toFixed(1),
  node: process.version,
};
const out = path.join(__dirname, '..', 'results', 'views.json');
mkdirSync(path.dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
console.log(JSON.stringify(result, null, 2));
