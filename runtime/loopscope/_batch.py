# Batch building (writer thread): collect() swaps out what the loop threads left pending and
# builds one `events` message from it (task.created/state/done, futures, ticks, steps, findings,
# stats), capped per batch; the wire dicts of every event kind; discard() and resync().
from __future__ import annotations

import collections
import weakref
from typing import Any, Dict, List, Optional, Tuple

from . import _inspect
from ._records import LoopState, Sent, TaskInfo, info_of, perf
from ._registry import TaskRegistry
from ._state import COMPACT_MIN

__all__ = ["BatchBuilder", "BATCH_TASKS", "YIELD_SITES_PER_BATCH", "STATE_DELAY", "KEEP_CLOSED_LOOPS", "COMPACT_MIN",
           "SETTLE_BACKLOG", "BATCH_STEPS"]

# At most this many task records per batch, so a burst never builds one giant JSON line: 100k
# tasks made at once go out as many small messages (a flush sends a few, see _connection), each
# freed before the next is built, which keeps the writer's share of peak memory small.
BATCH_TASKS = 500
# Logged steps (`stepEvents`, the CLI's --trace) per batch; the rest wait for the next ones.
BATCH_STEPS = 4_000
# Ready (yielded) tasks per batch whose line is sent with their state: reading a suspended
# coroutine's line gives it a frame object (~170 bytes on 3.11+) for the rest of its life, which
# 100k tasks that each yielded once would pay in full. Waiting tasks always get their line.
YIELD_SITES_PER_BATCH = 125
# A task's first task.state waits this long (seconds) after its task.created was sent, unless a
# loop is held: a task that ends sooner is described by its created/done pair alone, which keeps
# the writer's share small for programs that spawn many short tasks. Its waits are still observed
# meanwhile.
STATE_DELAY = 0.25
# Closed loops whose records are kept (for snapshots); older ones are forgotten.
KEEP_CLOSED_LOOPS = 16
# Tasks waiting to be listed or to have their end sent beyond which the writer settles between
# flushes (see BatchBuilder.settle).
SETTLE_BACKLOG = 8_000


class BatchBuilder(TaskRegistry):
    """What the writer thread sends: batches of events built from the pending lists."""

    def collect(self) -> Optional[Dict[str, Any]]:
        """Swap out everything pending and build one `events` batch (None when nothing changed)."""
        with self.lock:
            return self._collect()

    def _collect(self) -> Optional[Dict[str, Any]]:
        self.announce_queue.extend(take_all(self.new_tasks))
        # Drain only what was listed: a task listed in between stays for the next batch (and one
        # listed again in between is covered, as its state is read after this).
        dirty = self._take_marks()
        done = take_all(self.done_tasks)
        new_futs = take_all(self.new_futures)
        events = self.events
        misc: List[Any] = []
        while events:
            misc.append(events.popleft())
        steps: List[Tuple[Any, ...]] = []
        log = self.step_log
        # Capped like tasks: 100,000 logged steps in one batch made a line over the wire's limit,
        # and that whole batch (the task.created and task.done in it too) was lost.
        while log and len(steps) < BATCH_STEPS:
            steps.append(log.popleft())
        out: List[Dict[str, Any]] = []
        now = perf()
        this_batch = Sent(now, False)
        ts = self.ts(now)
        for st in list(self.loops.values()):
            if not st.announced:
                st.announced = True
                out.append(self.loop_created_event(st, ts))
        done = self._count_unannounced(done)
        self._add_created(out, this_batch)
        self._collect_futures(new_futs, out, ts)
        self._add_states(dirty, out, ts)
        for rec in steps:
            out.append(self._step_event(rec))
        self._add_done(done, out)
        self._add_unlisted(out, ts)
        self._add_ticks(out, ts)
        self._prune_loops()
        out.extend(misc)
        return self._seal(out, ts)

    def settle(self) -> None:
        """Between flushes, while the writer holds back to keep its share of the GIL: tasks that
        ended unannounced are counted now and their records let go, so the debuggee's memory does
        not grow with the task rate times the writer's pause. Nothing is sent or built here."""
        with self.lock:
            self.announce_queue.extend(take_all(self.new_tasks))
            done = take_all(self.done_tasks)
            keep = self._count_unannounced(done)
            if keep:
                self.done_tasks[:0] = keep
            self._compact_announce_queue()

    def _compact_announce_queue(self) -> None:
        # Counted (ended) entries swept out at doubling lengths: O(1) per entry overall.
        queue = self.announce_queue
        if len(queue) > self.compact_at:
            self.announce_queue = collections.deque(i for i in queue if i.announced is False)
            self.compact_at = max(COMPACT_MIN, 2 * len(self.announce_queue))

    def _add_created(self, out: List[Dict[str, Any]], this_batch: Sent) -> None:
        # task.created for at most BATCH_TASKS tasks from the front of the queue; entries of tasks
        # counted instead (ended while waiting, see _registry._coalesce) are passed over for free.
        self._compact_announce_queue()
        queue = self.announce_queue
        deferred: List[TaskInfo] = []
        failed_waiting = self.failed_waiting
        sent = 0
        while queue and sent < BATCH_TASKS:
            info = queue.popleft()
            if info.announced is not False:
                continue
            st = self.loops.get(info.loop)
            if st is not None and st.step_start and info.since >= st.step_start:
                # Created by the step still running: asyncio.create_task() names the task only
                # after creating it, so announce it once that step is over.
                deferred.append(info)
                continue
            out.append(self.task_created_event(info))
            info.created = this_batch
            sent += 1
            if failed_waiting:
                failed_waiting.discard(info)
        if deferred:
            queue.extendleft(reversed(deferred))

    def unlisted_behind(self) -> bool:
        """Counts not sent yet."""
        sent = self.unlisted_sent
        return any(t[0] != sent.get(k, (0,))[0] for k, t in list(self.unlisted.items()))

    def _add_unlisted(self, out: List[Dict[str, Any]], ts: float) -> None:
        # What was counted since the last batch, per (loop, coroutine, outcome): running totals
        # less what was sent, so a loop thread adding meanwhile loses nothing.
        sent_all = self.unlisted_sent
        for key, totals in list(self.unlisted.items()):
            count, steps, busy = totals[0], totals[1], totals[2]
            sent = sent_all.get(key)
            if sent is None:
                sent = sent_all[key] = [0, 0, 0.0]
            if count == sent[0]:
                continue
            out.append({"kind": "tasks.unlisted", "ts": ts, "loop": key[0], "coro": key[1],
                        "outcome": key[2], "count": int(count - sent[0]), "steps": int(steps - sent[1]),
                        "busyMs": round((busy - sent[2]) * 1000.0, 3)})
            sent[0], sent[1], sent[2] = count, steps, busy

    def _add_states(self, dirty: List[TaskInfo], out: List[Dict[str, Any]], ts: float) -> None:
        # Capped like task.created: 100k tasks stepping in one tick must not build one giant
        # line (and its dicts) at once; the rest stay dirty and go out in the next batches.
        listed = self.dirty
        sent = 0
        sites = YIELD_SITES_PER_BATCH
        # Held, the debugger shows every task as it is: no state waits then.
        young = None if any(st.held for st in list(self.loops.values())) else perf() - STATE_DELAY
        keep = listed.append
        for i, info in enumerate(dirty):
            if not info.dirty:  # finished since, or listed twice
                continue
            if sent >= BATCH_TASKS:
                listed.extend(dirty[i:])  # still flagged
                break
            if info.announced is False:
                # Its task.created is still queued (capped or deferred): a state must never reach
                # the debugger before the task it describes, so it waits for a later batch.
                keep(info)
                continue
            if young is not None and info.since > young and not info.done:
                self._note_wait(info)
                keep(info)  # still flagged: its state goes once it is old enough
                continue
            # Unflagged before its state is read: a step after this lists it again.
            info.dirty = False
            if not info.done:
                ev = self.task_state_event(info, ts, sites > 0)
                out.append(ev)
                sent += 1
                w = ev["waitingOn"]
                if w is not None and w["kind"] == "yield" and "site" in w:
                    sites -= 1

    def _count_unannounced(self, done: List[TaskInfo]) -> List[TaskInfo]:
        """Tasks that ended before their task.created went out, while the writer is behind, are
        counted (tasks.unlisted) and leave the list; the rest of it is returned."""
        if not done or not self._behind("result"):
            return done
        keep: List[TaskInfo] = []
        for info in done:
            if info.announced is False and self._behind(info.outcome):
                self._coalesce(info, info.outcome)
            else:
                if info.announced is False and info.outcome == "exception":
                    self.failed_waiting.add(info)
                keep.append(info)
        return keep

    def _add_done(self, done: List[TaskInfo], out: List[Dict[str, Any]]) -> None:
        # task.done for at most BATCH_TASKS tasks, and only once their task.created has gone.
        late: List[TaskInfo] = []
        rest: List[TaskInfo] = []
        if len(done) > BATCH_TASKS:
            rest = done[BATCH_TASKS:]
            done = done[:BATCH_TASKS]
        for info in done:
            if info.announced:
                out.append(self.task_done_event(info))
            elif info.announced is False:  # its task.created goes out in a later batch
                late.append(info)
        late.extend(rest)
        if late:
            self.done_tasks[:0] = late

    def _add_ticks(self, out: List[Dict[str, Any]], ts: float) -> None:
        for st in list(self.loops.values()):
            if st.dirty_ticks:
                st.dirty_ticks = False
                sel = st.select_acc
                st.select_acc -= sel
                out.append({"kind": "loop.ticks", "ts": ts, "loop": st.id, "tick": st.tick,
                             "count": st.tick - st.ticks_sent, "ready": st.ready,
                             "timers": st.timers, "selectMs": round(sel * 1000.0, 3)})
                st.ticks_sent = st.tick

    def _seal(self, out: List[Dict[str, Any]], ts: float) -> Optional[Dict[str, Any]]:
        # Drop counts and (when they changed, at most every 0.25 s) stats close the batch.
        dropped = self.dropped_since
        self.dropped_since = 0
        self.dropped_total += dropped
        stats = (self.live_count, self.tasks_total, len(self.futures), self.dropped_total,
                 len(self.finished), self.slow_own_steps)
        now = perf()
        if stats != self.last_stats and (now - self.last_stats_at > 0.25 or not out):
            self.last_stats = stats
            self.last_stats_at = now
            out.append(self.stats_event(ts))
        if not out and not dropped:
            return None
        self.seq += 1
        return {"type": "events", "seq": self.seq, "dropped": dropped, "events": out}

    def _note_wait(self, info: TaskInfo) -> None:
        # What a task too young for a state waits on, kept for its task.done (lastWaitingOn);
        # a task waiting on no future (a yield) is skipped, as that is no wait.
        if getattr(info(), "_fut_waiter", None) is not None:
            w = _inspect.wait_target(info, self)
            if w is not None and w["kind"] != "yield":
                info.last_wait = w

    def _prune_loops(self) -> None:
        # A closed loop's record is only worth keeping while something may still refer to it
        # (its live tasks, a held thread) or for a recent snapshot; 4,000 asyncio.run() calls
        # must not leave 4,000 records for every flush to walk.
        gone = [st for st in self.loops.values()
                if st.closed and st.announced and not st.dirty_ticks and not st.held
                and (st.tasks_live <= 0 or st.ref() is None)]
        for st in gone[:len(gone) - KEEP_CLOSED_LOOPS]:
            self.loops.pop(st.id, None)

    def stats_event(self, ts: float) -> Dict[str, Any]:
        return {"kind": "stats", "ts": ts, "tasksLive": self.live_count, "tasksTotal": self.tasks_total,
                "futuresLive": len(self.futures), "dropped": self.dropped_total,
                "retainedFinished": len(self.finished), "slowOwnSteps": self.slow_own_steps}

    def loop_created_event(self, st: LoopState, ts: float) -> Dict[str, Any]:
        return {"kind": "loop.created", "ts": ts, "loop": st.id,
                "thread": {"id": st.thread, "name": st.thread_name}, "cls": st.cls,
                "tickControl": st.tick_control, "callbackStepping": st.tick_control}

    def task_created_event(self, info: TaskInfo) -> Dict[str, Any]:
        return {"kind": "task.created", "ts": self.ts(info.since), "task": info.id,
                "name": info.name, "coro": info.coro, "site": _loc(info.site), "parent": info.parent,
                "loop": info.loop, "thread": self.loop_threads.get(info.loop, 0), "eager": info.eager}

    def task_state_fields(self, info: TaskInfo, yield_site: bool = True) -> Dict[str, Any]:
        # The task itself is not held here (see wait_target): `info` is its weak reference.
        st = self.loops.get(info.loop)
        alive = info() is not None
        if not alive:
            state, waiting = "ready", None
        elif st is not None and getattr(st.current_cb, "__self__", None) is info():
            state, waiting = "running", None
        else:
            waiting = _inspect.wait_target(info, self, yield_site=yield_site)
            if waiting is None or waiting["kind"] == "yield":
                state = "ready"
            else:
                state = "waiting"
                info.last_wait = waiting
        return {"task": info.id, "state": state, "steps": info.steps,
                "busyMs": round(info.busy * 1000.0, 3), "waitingOn": waiting,
                "wokenBy": self.woken_by(info, state == "ready"), "tick": info.tick}

    def woken_by(self, info: TaskInfo, ready: bool) -> Optional[Dict[str, Any]]:
        # A ready task's next step is already scheduled: name whoever scheduled it (`wake`), not
        # whoever woke its previous step (`woken`, e.g. its creator), or "woken by" would lag a
        # step. A step nobody is recorded for was scheduled by the task itself (a bare yield):
        # call_soon records only wakes by others, create_task the creator of a first step.
        if ready:
            w = info.wake if info.wake is not None else (info if info.steps else None)
        else:
            w = info.woken if info.woken is not None or info.steps < 2 else info
        return self.waker(w, info)

    def task_state_event(self, info: TaskInfo, ts: float, yield_site: bool = True) -> Dict[str, Any]:
        ev = self.task_state_fields(info, yield_site)
        ev["kind"] = "task.state"
        ev["ts"] = ts
        return ev

    def waker(self, w: Any, me: Optional[TaskInfo] = None) -> Optional[Dict[str, Any]]:
        if w is None:
            return None
        if isinstance(w, TaskInfo):
            if w is me:
                return {"task": w.id, "label": "yield"}
            return {"task": w.id, "label": "Task " + w.name}
        label = str(w)
        if label.endswith("_set_result_unless_cancelled"):
            label = "timer"
        return {"label": label}

    def _step_event(self, rec: Tuple[Any, ...]) -> Dict[str, Any]:
        if isinstance(rec[0], LoopState):
            st, tick, ready, timers, sel = rec
            return {"kind": "tick", "ts": self.ts(), "loop": st.id, "tick": tick, "ready": ready,
                    "timers": timers, "selectMs": round(sel * 1000.0, 3)}
        info, tick, t0, dt, woken, waiting = rec
        return {"kind": "task.step", "ts": self.ts(t0), "task": info.id, "tick": tick,
                "durationMs": round(dt * 1000.0, 4), "wokenBy": self.waker(woken, info),
                "waitingOn": waiting}

    def task_done_fields(self, info: TaskInfo) -> Dict[str, Any]:
        r = info.result if info.outcome == "result" else None
        return {"task": info.id, "outcome": info.outcome, "result": r if r is None or type(r) is str else repr(r),
                "exception": info.exc, "cancelledBy": info.cancel_by if info.outcome == "cancelled" else None,
                "steps": info.steps, "busyMs": round(info.busy * 1000.0, 3),
                "lastWaitingOn": info.last_wait}

    def task_done_event(self, info: TaskInfo) -> Dict[str, Any]:
        ev = self.task_done_fields(info)
        ev["kind"] = "task.done"
        ev["ts"] = self.ts(info.ended)
        return ev

    def _collect_futures(self, new_futs: List[Tuple[Any, Any, Any]], out: List[Dict[str, Any]],
                         ts: float) -> None:
        for fid, (ref, _lid, addr) in list(self.futures.items()):
            fut = ref()
            if fut is not None and not fut.done():
                waiters = self.awaited_by(fut)
                if waiters != self.future_waiters.get(fid):
                    self.future_waiters[fid] = waiters
                    rec = self.future_record(fid)
                    if rec is not None:
                        rec["kind"] = "future.created"
                        rec["ts"] = ts
                        out.append(rec)
                continue
            outcome = "cancelled" if fut is None or fut.cancelled() else (
                "exception" if getattr(fut, "_exception", None) is not None else "result")
            del self.futures[fid]
            self.future_ids.pop(addr, None)
            self.future_waiters.pop(fid, None)
            self.future_sites.pop(fid, None)
            out.append({"kind": "future.done", "ts": ts, "future": fid, "outcome": outcome})
        for ref, st, site in new_futs:
            fut = ref()
            if fut is None or fut.done():
                continue
            self.next_future += 1
            fid = self.next_future
            self.futures[fid] = (weakref.ref(fut), st.id, id(fut))
            self.future_ids[id(fut)] = fid
            self.future_sites[fid] = site
            waiters = self.future_waiters[fid] = self.awaited_by(fut)
            out.append({"kind": "future.created", "ts": ts, "future": fid, "loop": st.id,
                        "label": _inspect.future_label(fut), "site": _loc(site),
                        "awaitedBy": waiters})

    def awaited_by(self, fut: Any) -> List[int]:
        ids: List[int] = []
        try:
            cbs = fut._callbacks or ()
        except Exception:
            return ids
        for cb in cbs:
            fn = cb[0] if isinstance(cb, tuple) else cb
            owner = getattr(fn, "__self__", None)
            info = info_of(owner) if owner is not None else None
            if info is not None:
                ids.append(info.id)
        return ids

    def future_record(self, fid: int) -> Optional[Dict[str, Any]]:
        entry = self.futures.get(fid)
        if entry is None:
            return None
        fut = entry[0]()
        if fut is None:
            return None
        return {"future": fid, "loop": entry[1], "label": _inspect.future_label(fut),
                "site": _loc(self.future_sites.get(fid)),
                "awaitedBy": self.awaited_by(fut)}

    def settle_unannounced(self) -> None:
        """The program ended and the final drain ran out of time: each task still waiting for its
        task.created that has ended is counted (tasks.unlisted) instead; live ones stay queued."""
        with self.lock:
            self.announce_queue.extend(take_all(self.new_tasks))
            keep: "collections.deque[TaskInfo]" = collections.deque()
            for info in self.announce_queue:
                if info.announced is not False:
                    continue
                if info.done:
                    self._coalesce(info, info.outcome)
                else:
                    keep.append(info)
            self.announce_queue = keep
            self.failed_waiting.clear()

    def discard(self) -> None:
        """No consumer: drop everything pending (state is still tracked for a later attach)."""
        with self.lock:
            del self.new_tasks[:]
            self.announce_queue.clear()
            for info in self._take_marks():
                info.dirty = False
            del self.done_tasks[:]
            del self.new_futures[:]
            self.events.clear()
            self.step_log.clear()
            self.dropped_since = 0

    def resync(self) -> None:
        """After a (re)connect: announce everything live again, as if new."""
        with self.lock:
            for st in self.loops.values():
                st.announced = False
                st.dirty_ticks = True
            self.new_tasks[:] = self.live()
            self.announce_queue.clear()
            self.unlisted_sent = {}  # a new debugger hears every count from the start
            for i in self.new_tasks:
                i.unsend()
            for info in self._take_marks():
                info.dirty = False
            for info in self.new_tasks:
                self.mark(info)
            del self.done_tasks[:]
            self.events.clear()
            self.step_log.clear()
            self.futures.clear()
            self.future_ids.clear()
            self.future_waiters.clear()
            self.future_sites.clear()
            for f in self.findings:
                self.events.append(f)
            self.last_stats = ()


def take_all(items: List[Any]) -> List[Any]:
    """Everything in `items` now, taken out in place. Loop threads append to these very list
    objects: swapping in a new list could lose an append that had already read the old one (a task
    never announced, or announced and never told to have ended)."""
    n = len(items)
    taken = items[:n]
    del items[:n]
    return taken


def _loc(site: Optional[Tuple[str, int]]) -> Optional[Dict[str, Any]]:
    return None if site is None else {"file": site[0], "line": site[1]}
