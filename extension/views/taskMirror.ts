// The extension's mirror of one session's task model, fed only by `loopscope/update` events and
// `loopscope/snapshot` answers (docs/protocol.md §2). It reports what changed per update so the
// tree view-model can refresh just the affected nodes. Pure: no vscode import.

import type {
  FindingRecord, FutureRecord, LoopRecord, SnapshotBody, StatusRecord, TaskRecord, UpdateEventBody,
} from '../protocol/customDap';

export interface RecordChange<T> { prev: T | undefined; next: T }

/** What one applied update changed; `reset` means consumers must rebuild from the mirror. */
export interface MirrorChange {
  reset: boolean;
  loops: RecordChange<LoopRecord>[];
  tasks: RecordChange<TaskRecord>[];
  removedTasks: TaskRecord[];
  futures: RecordChange<FutureRecord>[];
  removedFutures: FutureRecord[];
  findings: FindingRecord[];
  statusChanged: boolean;
}

// One definition of "finished", the task model's; re-exported for the view code.
export { isFinished } from '../model/taskModel';

export class TaskMirror {
  readonly loops = new Map<number, LoopRecord>();
  readonly tasks = new Map<number, TaskRecord>();
  readonly futures = new Map<number, FutureRecord>();
  readonly findings = new Map<number, FindingRecord>();
  status: StatusRecord | null = null;
  /** Sequence number of the last applied update; older or duplicate updates are ignored. */
  lastSeq = -1;

  apply(update: UpdateEventBody): MirrorChange | null {
    if (!update.reset && update.seq <= this.lastSeq) return null;
    this.lastSeq = update.seq;
    if (update.reset) this.clear();
    const change: MirrorChange = {
      reset: update.reset, loops: [], tasks: [], removedTasks: [], futures: [], removedFutures: [],
      findings: [], statusChanged: false,
    };
    for (const loop of update.loops ?? []) {
      change.loops.push({ prev: this.loops.get(loop.id), next: loop });
      this.loops.set(loop.id, loop);
    }
    for (const task of update.tasks ?? []) {
      change.tasks.push({ prev: this.tasks.get(task.id), next: task });
      this.tasks.set(task.id, task);
    }
    for (const id of update.removedTasks ?? []) {
      const prev = this.tasks.get(id);
      if (prev) { this.tasks.delete(id); change.removedTasks.push(prev); }
    }
    for (const fut of update.futures ?? []) {
      change.futures.push({ prev: this.futures.get(fut.id), next: fut });
      this.futures.set(fut.id, fut);
    }
    for (const id of update.removedFutures ?? []) {
      const prev = this.futures.get(id);
      if (prev) { this.futures.delete(id); change.removedFutures.push(prev); }
    }
    for (const f of update.findings ?? []) {
      change.findings.push(f);
      this.findings.set(f.id, f);
    }
    if (update.status && !sameStatus(this.status, update.status)) {
      this.status = update.status;
      change.statusChanged = true;
    }
    return change;
  }

  /** A snapshot answer replaces everything, exactly like an update with `reset: true`. */
  applySnapshot(snapshot: SnapshotBody): MirrorChange {
    const change = this.apply({
      seq: this.lastSeq + 1, reset: true, loops: snapshot.loops, tasks: snapshot.tasks,
      futures: snapshot.futures, removedFutures: [], findings: snapshot.findings, status: snapshot.status,
    });
    return change!;
  }

  private clear(): void {
    this.loops.clear();
    this.tasks.clear();
    this.futures.clear();
    this.findings.clear();
    this.status = null;
  }
}

function sameStatus(a: StatusRecord | null, b: StatusRecord): boolean {
  return !!a && a.tick === b.tick && a.tasksLive === b.tasksLive && a.tasksTotal === b.tasksTotal
    && a.ready === b.ready && a.paused === b.paused && a.pauseDescription === b.pauseDescription
    && a.dropped === b.dropped && a.sampling.join('\n') === b.sampling.join('\n');
}
