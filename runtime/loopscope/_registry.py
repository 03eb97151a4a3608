# The task registry: loops and tasks registered as they appear (loop thread), each task's record
# held in asyncio's own registry of tasks, the change list of tasks whose state must be sent, and
# how a task ends (finish, task_done, pauseOn triggers). Hot: attribute writes and list appends.
from __future__ import annotations

import threading
from typing import Any, List, Optional, Tuple

from . import _inspect
from ._records import End, LoopState, TaskInfo, info_of, intern_origin, perf
from ._state import SessionState

__all__ = ["TaskRegistry", "MAX_PENDING_TASKS", "MAX_STALE_MARKS", "COALESCE_BEHIND"]

# A task's life is never dropped. When more tasks wait for their task.created than the writer
# sends in one flush (8 batches of 500), a task that has ended before its turn is not sent on its own:
# it is counted in `unlisted` by loop, coroutine and outcome (a `tasks.unlisted` event), so the
# debugger's picture stays exact with the writer's work bounded. A failed task keeps its own
# record (its exception matters) until MAX_PENDING_TASKS are waiting.
COALESCE_BEHIND = 4_000
MAX_PENDING_TASKS = 20_000
# Finished tasks' entries in the change list (Session.dirty) beyond which the loop thread drops
# them at once.
MAX_STALE_MARKS = 1_000
_BIG = 10 ** 60


class TaskRegistry(SessionState):
    """Registration and ending of loops and tasks, and the change list (see SessionState)."""

    def __init__(self) -> None:
        super().__init__()
        self._gone_cb = self._task_gone  # one bound method for every task's record

    # --- registration (loop thread) -----------------------------------------------------------
    def new_loop(self, loop: Any, tick_control: bool = True) -> LoopState:
        st = LoopState(next(self._loop_ids), loop, tick_control)
        self.loops[st.id] = st
        self.loop_threads[st.id] = st.thread
        return st

    def set_registry(self, weak_set: Any) -> None:
        """asyncio's registry of tasks (the WeakSet behind all_tasks()): adopt() puts each task's
        TaskInfo there in place of asyncio's own weak reference."""
        self.registry = weak_set.data
        self._registry_remove = weak_set._remove

    def adopt(self, info: TaskInfo) -> None:
        """Hold `info` where asyncio holds its weak reference to the task, replacing that one (same
        task, same hash, equal: all_tasks() and _unregister_task() see no difference), so a task
        costs one weak reference, not two, and no index entry. A task not (yet) in the registry
        (an eager task inside its first step, a task unregistered by hand) is held in `orphans`;
        create_task() and _unregister_task() call this again when that changes."""
        reg = self.registry
        if reg is not None and info in reg:
            reg.discard(info)
            reg.add(info)
            self.orphans.discard(info)
        elif not info.done and info() is not None:
            self.orphans.add(info)

    def records(self) -> List[TaskInfo]:
        """Every record of a task object still alive (a scan: requests, stalls, resyncs)."""
        reg = self.registry
        out = [i for i in (list(reg) if reg is not None else ()) if i.__class__ is TaskInfo]
        out.extend(list(self.orphans))
        return out

    def live(self) -> List[TaskInfo]:
        """Every task not finished yet."""
        return [i for i in self.records() if not i.done]

    def find(self, tid: int) -> Optional[TaskInfo]:
        info = self.finished.get(tid)
        if info is not None:
            return info
        for info in self.records():
            if info.id == tid:
                return info
        return None

    def register_task(self, task: Any, st: Optional[LoopState], coro: Any = None,
                      site: Optional[Tuple[str, int]] = None, parent: Optional[int] = None) -> TaskInfo:
        tid = next(self._task_ids)  # atomic: loops in several threads register concurrently
        if tid > self.tasks_total:
            self.tasks_total = tid
        if st is None:
            self.loop_threads.setdefault(0, threading.get_ident())
        if coro is None and not task.done():  # 3.12.1 crashes on get_coro() of a finished eager task
            coro = task.get_coro() if hasattr(task, "get_coro") else None
        name = getattr(coro, "__qualname__", None) or type(coro).__name__
        info = TaskInfo(tid, task, intern_origin(site, name, st.id if st is not None else 0, parent), self._gone_cb)
        self.adopt(info)
        self.live_count += 1
        if st is not None:
            st.tasks_live += 1
        self.new_tasks.append(info)
        return info

    def _task_gone(self, info: TaskInfo) -> None:
        # Weakref callback: the task object died (pending tasks never finish otherwise). It takes
        # the place of asyncio's own callback too: leave its registry (the WeakSet defers that
        # while an all_tasks() iterates it).
        remove = self._registry_remove
        if remove is not None:
            remove(info)
        self._forget(info)

    def _forget(self, info: TaskInfo) -> None:
        self.orphans.discard(info)
        if not info.done or info.outcome == "exception":
            # Its finaliser may still report it (destroyed pending / exception never retrieved);
            # in a reference cycle the weakref callback runs first, so keep it findable briefly
            # (by hash: a weak reference's hash is its task's, kept after the task is gone).
            self.recently_dead[hash(info)] = info
            if len(self.recently_dead) > 1000:
                self.recently_dead.popitem(last=False)
        if not info.done:
            info.cancel_by = info.cancel_by or {
                "task": None, "location": None, "label": "destroyed while pending"}
            self.finish(info, "cancelled")

    def stepped(self, info: TaskInfo, task: Any, dt: float, tick: int) -> None:
        """A step of `task` that took `dt` ended in `tick` (the regenerated ready loop inlines this)."""
        info.steps += 1
        info.busy += dt
        info.tick = tick
        if task.done():
            self.task_done(info, task)
        else:
            self.mark(info)

    def _drop_stale_marks(self) -> None:
        # Finished tasks still listed in `dirty` would keep their records until the next flush
        # (a churning program finishes tens of thousands in between): list only the rest. Not
        # while entries are being taken out; then that drops them anyway. Other threads may
        # append meanwhile (loops in other threads; this may run in a weakref callback), so the
        # kept ones go back in one step.
        if self._marks_lock.acquire(blocking=False):
            try:
                self.dirty[:0] = [i for i in self._drain_marks() if i.dirty]
            finally:
                self._marks_lock.release()

    def _take_marks(self) -> List[TaskInfo]:
        """Everything `dirty` lists now, taken out (what is appended meanwhile stays)."""
        with self._marks_lock:
            return self._drain_marks()

    def _drain_marks(self) -> List[TaskInfo]:
        # Under _marks_lock. Only what is listed now: appends from other threads land after it.
        listed = self.dirty
        n = len(listed)
        taken = listed[:n]
        del listed[:n]
        self.dirty_stale = 0
        return taken

    def mark(self, info: TaskInfo) -> None:
        """Its state changed: send it with the next batch."""
        if not info.dirty:
            info.dirty = True
            self.dirty.append(info)

    def task_info(self, task: Any) -> Optional[TaskInfo]:
        info = info_of(task)
        if info is None:
            try:
                info = self.recently_dead.get(hash(task))
            except TypeError:
                return None
        return info

    def finish(self, info: TaskInfo, outcome: str, result: Any = None) -> None:
        if info.end is not None:
            return
        task = info()
        name = None
        if task is not None:
            try:
                name = task.get_name()
            except Exception:
                pass
        info.end = End(outcome, result, perf(), name)
        self.live_count -= 1
        if info.dirty:  # a finished task gets no task.state (collect() skips its entry)
            info.dirty = False
            stale = self.dirty_stale = self.dirty_stale + 1
            # Only once they are most of the list, so each entry is copied O(1) times overall.
            if stale > MAX_STALE_MARKS and stale * 2 > len(self.dirty):
                self._drop_stale_marks()
        st = self.loops.get(info.loop)
        if st is not None:
            st.tasks_live -= 1
        fin = self.finished
        fin[info.id] = info
        if len(fin) > self.max_finished:  # one in, one out (trim_finished applies a new limit)
            fin.popitem(last=False)
        # Bounded by the tasks announced or waiting to be announced; the writer counts those that
        # never will be (see _batch._count_unannounced).
        self.done_tasks.append(info)
        if self.pause_on and outcome != "result":
            self._pause_on_task(info, outcome)

    def _behind(self, outcome: str) -> bool:
        # A failed task's exception matters: its record waits for its turn, unless that many
        # failed records already wait (memory stays bounded whatever the failure rate).
        if outcome == "exception":
            return len(self.failed_waiting) >= MAX_PENDING_TASKS
        return len(self.new_tasks) + len(self.announce_queue) > COALESCE_BEHIND

    def _coalesce(self, info: TaskInfo, outcome: str) -> None:
        """`info` ended before its task.created went out, with the writer behind: count it instead.
        Writer thread only, under the lock: it alone turns a task's `announced` from False."""
        info.created = self.coalesced_mark
        key = (info.loop, info.coro, outcome)
        totals = self.unlisted.get(key)
        if totals is None:
            self.unlisted[key] = [1, info.steps, info.busy]
        else:
            totals[0] += 1
            totals[1] += info.steps
            totals[2] += info.busy

    def _pause_on_task(self, info: TaskInfo, outcome: str) -> None:
        filt = "task-failed" if outcome == "exception" else "task-cancelled"
        hook = self.on_trigger
        if filt not in self.pause_on or hook is None:
            return
        if filt == "task-failed":
            exc = info.result or {}
            msg = exc.get("message") or ""
            desc = "Task %s failed: %s%s" % (info.name, exc.get("type", "exception"), ": " + msg if msg else "")
        else:
            desc = "Task %s was cancelled" % info.name
        hook(filt, info.loop, info.id, None, desc)

    def trim_finished(self) -> None:
        limit = self.max_finished = max(0, int(self.options["maxFinishedTasks"]))
        fin = self.finished
        while len(fin) > limit:
            fin.popitem(last=False)

    def task_done(self, info: TaskInfo, task: Any) -> None:
        """Record how a finished task ended, without marking its exception as retrieved."""
        if task.cancelled():
            self.finish(info, "cancelled")
            return
        exc = getattr(task, "_exception", None)
        if exc is not None:
            self.finish(info, "exception", {"type": type(exc).__qualname__, "message": _inspect.safe_str(exc),
                                            "location": _inspect.raise_location(exc)})
            return
        try:
            r = task.result()
        except BaseException:  # pragma: no cover - done and neither cancelled nor failed
            r = None
        if r is None:
            pass
        elif type(r) is int or type(r) is bool or type(r) is float:  # fast path: most results
            # Kept as is (shared with the program, no string per task) and repr()'d when sent.
            r = r if -_BIG < r < _BIG else _inspect.result_repr(r, 200)
        else:
            r = _inspect.result_repr(r, 200)  # never runs a user __repr__
        self.finish(info, "result", r)
