# The recorder: task/loop/future registries and the outbound event pipeline. The loop thread only
# touches slot attributes and appends to lists here; wire dicts are built, coalesced and encoded on
# the writer thread (collect()), so a step costs a few attribute writes, not an allocation.
from __future__ import annotations

import collections
import itertools
import os
import sys
import threading
import time
import weakref
from typing import Any, Callable, Deque, Dict, List, Optional, Set, Tuple

from . import _inspect
from ._wire import DEFAULT_OPTIONS, PAUSE_ON_FILTERS

__all__ = ["Session", "TaskInfo", "info_of", "LoopState", "SESSION", "perf", "BATCH_TASKS", "MAX_PENDING_EVENTS", "MAX_STEP_LOG"]

perf = time.perf_counter

# Bound for pending discrete events (findings, control, step events); beyond it events are dropped
# and counted. Coalesced state (task.state, loop.ticks) is never dropped: it is recomputed.
MAX_PENDING_EVENTS = 50_000
# Bound for task creations/completions awaiting a flush; beyond it they are dropped (counted) but
# the task counters stay exact.
MAX_PENDING_TASKS = 20_000
# At most this many task records per batch, so a burst never builds one giant JSON line: 100k
# tasks made at once go out as many small messages (a flush sends a few, see _connection), each
# freed before the next is built, which keeps the writer's share of peak memory small.
BATCH_TASKS = 500
_BIG = 10 ** 60
# Ready (yielded) tasks per batch whose line is sent with their state: reading a suspended
# coroutine's line gives it a frame object (~170 bytes on 3.11+) for the rest of its life, which
# 100k tasks that each yielded once would pay in full. Waiting tasks always get their line.
YIELD_SITES_PER_BATCH = 125
# A task's first task.state waits this long (seconds) after its task.created was sent, unless a
# loop is held: a task that ends sooner is described by its created/done pair alone, which keeps
# the writer's share small for programs that spawn many short tasks. Its waits are still observed
# meanwhile.
STATE_DELAY = 0.25
# Finished tasks' entries in Session.dirty beyond which the loop thread drops them at once.
MAX_STALE_MARKS = 1_000
# Closed loops whose records are kept (for snapshots); older ones are forgotten.
KEEP_CLOSED_LOOPS = 16
# Bound for per-step/per-tick records (stepEvents only).
MAX_STEP_LOG = 100_000


class _Rare:
    """The fields a task seldom sets (who cancelled it, what it last waited on, eager): one object,
    made on the first write, so the others pay one empty slot."""

    __slots__ = ("eager", "cancel_by", "last_wait")

    def __init__(self) -> None:
        self.eager = False
        self.cancel_by: Optional[Dict[str, Any]] = None
        self.last_wait: Optional[Dict[str, Any]] = None


class _End:
    """How a task ended, made when it does: a live task pays one empty slot for it. (Memory
    peaks as tasks end, so this holds only what every ending has.)"""

    __slots__ = ("outcome", "result", "ended", "name")

    def __init__(self, outcome: str, result: Any, ended: float, name: Optional[str]) -> None:
        self.outcome = outcome  # "result" | "exception" | "cancelled"
        self.result = result
        self.ended = ended
        self.name = name  # its name when it ended (None: it was already gone)


_NO_RARE = _Rare()  # read-only stand-in: the defaults of a task that has set none of them


def _rare_field(name: str) -> Any:
    def get(self: "TaskInfo") -> Any:
        return getattr(self.rare or _NO_RARE, name)

    def put(self: "TaskInfo", value: Any) -> None:
        rare = self.rare
        if rare is None:
            rare = self.rare = _Rare()
        setattr(rare, name, value)

    return property(get, put)


# (site, coroutine name, loop id, parent id) shared by every task one parent creates at one line:
# tens of thousands of tasks from one call site cost one tuple, not four fields each.
_Origin = Tuple[Optional[Tuple[str, int]], str, int, Optional[int]]
_ORIGINS: Dict[_Origin, _Origin] = {}


def _origin(site: Optional[Tuple[str, int]], coro: str, loop: int, parent: Optional[int]) -> _Origin:
    return _inspect.shared(_ORIGINS, (site, coro, loop, parent))


class _Sent:
    """A batch of task.created events as seen by each task it announced (or dropped, when the
    pending queue was full): one object per batch stands in for per-task time and flag fields."""

    __slots__ = ("at", "dropped")

    def __init__(self, at: float, dropped: bool) -> None:
        self.at = at
        self.dropped = dropped


class TaskInfo(weakref.ref):
    """What is known of one task. It is itself the weak reference to the task (calling it gives the
    task, or None once it is gone), and it takes the place of asyncio's own weak reference in its
    registry of tasks (Session.adopt), which then holds it: 100k live tasks must stay cheap, so a
    task costs this one object and little else. It compares and hashes as a weak reference does
    (by the task; the hash is taken at once, so it outlives the task). `result` is the result (a
    number as is, to be repr()'d when sent; anything else as its safe repr) or, for an exception,
    its record."""

    __slots__ = ("id", "origin", "steps", "busy", "tick", "wake", "woken", "created",
                 "dirty", "end", "rare")

    def __new__(cls, tid: int, task: Any, origin: _Origin, gone: Any = None) -> "TaskInfo":
        return weakref.ref.__new__(cls, task, gone)

    def __init__(self, tid: int, task: Any, origin: _Origin, gone: Any = None) -> None:
        super().__init__(task, gone)
        hash(self)
        self.id = tid
        self.origin = origin  # (site, coroutine name, loop id, parent id), see _origin()
        self.steps = 0
        self.busy = 0.0
        self.tick = 0
        self.wake: Any = None    # who scheduled the next step: TaskInfo | str | None
        self.woken: Any = None   # who scheduled the latest step
        # When it was made (a float) until its task.created is sent or dropped; then that batch
        # (a _Sent shared by the batch: 100k tasks keep no float and no flag each for it).
        self.created: Any = perf()
        self.dirty = False  # listed in Session.dirty: its state goes with the next batch
        self.end: Optional[_End] = None
        self.rare: Optional[_Rare] = None

    eager = _rare_field("eager")
    cancel_by = _rare_field("cancel_by")
    # Latest WaitTarget observed (at a flush, or when it was cancelled mid-wait): a task that
    # waits and finishes within one batch still reports what it last waited on.
    last_wait = _rare_field("last_wait")

    @property
    def name(self) -> str:
        """The task's name as it is now (set_name() included), or as it was when it ended. Read
        from the task, not kept: 3.12+ names a task only when asked (a string per task)."""
        task = self()
        if task is not None:
            try:
                return task.get_name()
            except Exception:
                pass
        end = self.end
        if end is not None and end.name is not None:
            return end.name
        return "Task-%d" % self.id

    def place(self, site: Optional[Tuple[str, int]], parent: Optional[int]) -> None:
        """Where it was created, and by which task."""
        o = self.origin
        self.origin = _origin(site, o[1], o[2], parent)

    @property
    def site(self) -> Optional[Tuple[str, int]]:
        return self.origin[0]

    @property
    def coro(self) -> str:
        return self.origin[1]

    @property
    def loop(self) -> int:
        return self.origin[2]

    @property
    def parent(self) -> Optional[int]:
        return self.origin[3]

    @property
    def done(self) -> bool:
        return self.end is not None

    @property
    def announced(self) -> Optional[bool]:
        """False while its task.created waits to be sent, True once sent, None if dropped."""
        c = self.created
        if c.__class__ is float:
            return False
        return None if c.dropped else True

    @property
    def since(self) -> float:
        """When it was created, or else when its task.created was sent (or dropped)."""
        c = self.created
        return c if c.__class__ is float else c.at

    def unsend(self) -> None:
        """Announce it again (a new debugger): its batch's time stands for its creation."""
        self.created = self.since

    @property
    def outcome(self) -> str:
        """"" while pending."""
        end = self.end
        return "" if end is None else end.outcome

    @property
    def result(self) -> Any:
        end = self.end
        return None if end is None else end.result

    @property
    def ended(self) -> float:
        end = self.end
        return 0.0 if end is None else end.ended

    @property
    def exc(self) -> Optional[Dict[str, Any]]:
        return self.result if self.outcome == "exception" else None


class LoopState:
    """Per-loop bookkeeping, stored on the loop object as `_loopscope_state`."""

    __slots__ = (
        "id", "ref", "thread", "thread_name", "cls", "tick_control", "tick", "ticks_sent", "ready",
        "timers", "select_acc", "tick_start", "handles_acc", "current_cb",
        "step_start", "sampled_seq", "sample", "mode", "until", "held", "cond", "ran",
        "stall_tick", "stall_since", "stall_reported", "closed", "announced", "tasks_live",
        "dirty_ticks", "pause_reason", "trigger", "stall_key", "__weakref__",
    )

    def __init__(self, lid: int, loop: Any, tick_control: bool = True) -> None:
        self.id = lid
        self.ref = weakref.ref(loop)
        t = threading.current_thread()
        self.thread = threading.get_ident()
        self.thread_name = t.name
        c = type(loop)
        self.cls = c.__module__ + "." + c.__qualname__
        self.tick_control = tick_control
        self.tick = 0
        self.ticks_sent = 0
        self.ready = 0
        self.timers = 0
        self.select_acc = 0.0
        self.tick_start = 0.0
        self.handles_acc = 0.0
        # The callback of the step running now (None between steps): its task, if it has one, is
        # the running task.
        self.current_cb: Any = None
        self.step_start = 0.0
        self.sampled_seq = -1.0  # step_start of the step the sample belongs to
        self.sample: Optional[Tuple[str, int]] = None
        # Control: mode is None when free-running; see _control.py for the state machine.
        self.mode: Optional[str] = None
        self.until: Optional[TaskInfo] = None
        self.held = False
        self.cond = threading.Condition(threading.Lock())
        self.ran: Optional[List[Dict[str, Any]]] = None
        self.stall_tick = -1
        self.stall_since = 0.0
        self.stall_reported = -1
        self.stall_key: Any = None  # (task id, steps) of the last reported stall's stuck tasks
        self.closed = False
        self.announced = False
        self.tasks_live = 0
        self.dirty_ticks = False
        self.pause_reason = ""
        # pauseOn: (reason, description, trigger) of the event that asked to hold this loop.
        self.trigger: Optional[Tuple[str, str, Dict[str, Any]]] = None


class Session:
    """Process-wide recorder. One instance (SESSION); the sink decides where batches go."""

    def __init__(self) -> None:
        self.options: Dict[str, Any] = dict(DEFAULT_OPTIONS)
        self.max_finished = int(DEFAULT_OPTIONS["maxFinishedTasks"])
        self.threshold = 0.1
        self.step_events = False
        self.start_perf = perf()
        self.start_epoch_ms = time.time() * 1000.0
        self._task_ids = itertools.count(1)
        self._loop_ids = itertools.count(1)
        self.next_future = 0
        self._finding_ids = itertools.count(1)
        self.tasks_total = 0
        # Every task object still alive has its TaskInfo in asyncio's own registry of tasks (a
        # WeakSet's set of weak references, see adopt()), or else in `orphans`; info_of() finds it
        # from the task. Live (not finished) tasks are counted: find() scans, as only requests
        # look tasks up.
        self.registry: Optional[Set[Any]] = None  # asyncio's WeakSet.data, set by the patches
        self._registry_remove: Optional[Callable[[Any], None]] = None
        self.orphans: Set[TaskInfo] = set()
        self.live_count = 0
        self.loop_threads: Dict[int, int] = {}  # every loop's thread, kept after the loop is pruned
        self.finished: "collections.OrderedDict[int, TaskInfo]" = collections.OrderedDict()
        self.recently_dead: "collections.OrderedDict[int, TaskInfo]" = collections.OrderedDict()  # by hash
        self.loops: Dict[int, LoopState] = {}
        # Pending for the next batch (swapped out by collect()). `dirty` lists each task whose
        # state changed once (its `dirty` flag says it is listed; a finished task clears the
        # flag and is skipped): a list, as 100k tasks stepping between two flushes must not
        # build a set; it is drained in place, as loop threads hold its bound `append`.
        self.new_tasks: List[TaskInfo] = []
        self.dirty: List[TaskInfo] = []
        self.dirty_stale = 0  # entries in `dirty` of tasks finished since they were listed
        # Taking entries out of `dirty` (appending needs no lock). Not reentrant on purpose: a
        # weakref callback that runs (GC) while this thread takes entries out must not edit it.
        self._marks_lock = threading.Lock()
        self.done_tasks: List[TaskInfo] = []
        self.new_futures: List[Tuple[Any, Any, Optional[Tuple[str, int]]]] = []
        self.events: Deque[Any] = collections.deque()
        self.step_log: Deque[Tuple[Any, ...]] = collections.deque()
        # Futures announced to the debugger: fid -> (weakref, loop id); addr -> fid for lookups.
        self.futures: Dict[int, Tuple[Any, int, int]] = {}
        self.future_ids: Dict[int, int] = {}
        self.future_waiters: Dict[int, List[int]] = {}
        self.future_sites: Dict[int, Optional[Tuple[str, int]]] = {}
        self.dropped_total = 0
        self.dropped_since = 0
        # What tasks dropped from the pending queue carry (see TaskInfo.created): renewed with
        # each batch, so their age is still known to a batch.
        self.dropped_batch = _Sent(perf(), True)
        self.seq = 0
        self.last_stats: Tuple[int, ...] = ()
        self.last_stats_at = 0.0
        self.lock = threading.RLock()  # guards collect() vs flush-on-exit
        self.kick = threading.Event()
        self.sink: Optional[Callable[[Dict[str, Any]], None]] = None
        self.connected = False
        self.exit_code: Optional[int] = None
        self.findings: List[Dict[str, Any]] = []  # kept for resync after a reconnect
        self.on_resume: List[Callable[[], None]] = []
        # pauseOn filters in force, and the hook (set by _control) that holds the event's loop.
        self.pause_on: frozenset = frozenset()
        self.on_trigger: Optional[Callable[[str, Optional[int], Optional[int], Optional[int], str], None]] = None
        self._gone_cb = self._task_gone  # one bound method for every task's record

    # --- options ------------------------------------------------------------------------------
    def set_options(self, opts: Dict[str, Any]) -> None:
        for k, v in opts.items():
            if k in DEFAULT_OPTIONS and v is not None:
                self.options[k] = v
        self.threshold = float(self.options["blockingThresholdMs"]) / 1000.0
        self.step_events = bool(self.options["stepEvents"])
        self.pause_on = frozenset(f for f in (self.options.get("pauseOn") or ()) if f in PAUSE_ON_FILTERS)
        self.trim_finished()

    def ts(self, t: Optional[float] = None) -> float:
        return round(((perf() if t is None else t) - self.start_perf) * 1000.0, 3)

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
        info = TaskInfo(tid, task, _origin(site, name, st.id if st is not None else 0, parent), self._gone_cb)
        self.adopt(info)
        self.live_count += 1
        if st is not None:
            st.tasks_live += 1
        if len(self.new_tasks) < MAX_PENDING_TASKS:
            self.new_tasks.append(info)
        else:  # its task.created (and later task.done) are dropped; counts stay exact
            info.created = self.dropped_batch
            self.dropped_since += 1
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
        info.end = _End(outcome, result, perf(), name)
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
        if len(fin) > self.max_finished:
            self.trim_finished()
        if info.announced is None:
            self.dropped_since += 1
        else:  # bounded by the tasks announced or waiting to be announced
            self.done_tasks.append(info)
        if self.pause_on and outcome != "result":
            self._pause_on_task(info, outcome)

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

    def log_step(self, rec: Tuple[Any, ...]) -> None:
        if len(self.step_log) < MAX_STEP_LOG:
            self.step_log.append(rec)
        else:
            self.dropped_since += 1

    def add_event(self, ev: Dict[str, Any], urgent: bool = False) -> None:
        if len(self.events) >= MAX_PENDING_EVENTS:
            self.dropped_since += 1
        else:
            self.events.append(ev)
        if urgent:
            self.kick.set()

    def add_finding(self, kind: str, message: str, location: Optional[Dict[str, Any]],
                    task: Optional[int] = None, duration_ms: Optional[float] = None,
                    chains: Optional[List[Dict[str, Any]]] = None, loop: Optional[int] = None) -> Dict[str, Any]:
        fid = next(self._finding_ids)  # no lock: the loop thread never waits for the writer
        ev: Dict[str, Any] = {
            "kind": "finding", "ts": self.ts(), "finding": fid, "findingKind": kind,
            "message": message, "location": location, "task": task,
            "durationMs": None if duration_ms is None else round(duration_ms, 3),
        }
        if chains is not None:
            ev["chains"] = chains
        if len(self.findings) < 1000:
            self.findings.append(ev)
        self.add_event(ev, urgent=True)
        if kind in self.pause_on and self.on_trigger is not None:
            if loop is None and task is not None:
                info = self.find(task)
                loop = info.loop if info is not None else None
            self.on_trigger(kind, loop, task, fid, message)
        return ev

    # --- collect (writer thread) --------------------------------------------------------------
    def collect(self) -> Optional[Dict[str, Any]]:
        """Swap out everything pending and build one `events` batch (None when nothing changed)."""
        with self.lock:
            return self._collect()

    def _collect(self) -> Optional[Dict[str, Any]]:
        new_tasks, self.new_tasks = self.new_tasks, []
        # Drain only what was listed: a task listed in between stays for the next batch (and one
        # listed again in between is covered, as its state is read after this).
        dirty = self._take_marks()
        listed = self.dirty
        done, self.done_tasks = self.done_tasks, []
        new_futs, self.new_futures = self.new_futures, []
        events = self.events
        misc: List[Any] = []
        while events:
            misc.append(events.popleft())
        steps: List[Tuple[Any, ...]] = []
        log = self.step_log
        while log:
            steps.append(log.popleft())
        out: List[Dict[str, Any]] = []
        now = perf()
        this_batch = _Sent(now, False)
        self.dropped_batch = _Sent(now, True)
        ts = self.ts(now)
        for st in list(self.loops.values()):
            if not st.announced:
                st.announced = True
                out.append(self.loop_created_event(st, ts))
        deferred: List[TaskInfo] = []
        if len(new_tasks) > BATCH_TASKS:
            deferred = new_tasks[BATCH_TASKS:]
            new_tasks = new_tasks[:BATCH_TASKS]
        for info in new_tasks:
            st = self.loops.get(info.loop)
            if st is not None and st.step_start and info.since >= st.step_start:
                # Created by the step still running: asyncio.create_task() names the task only
                # after creating it, so announce it once that step is over.
                deferred.append(info)
                continue
            out.append(self.task_created_event(info))
            info.created = this_batch
        if deferred:
            self.new_tasks[:0] = deferred
        self._collect_futures(new_futs, out, ts)
        # Capped like task.created: 100k tasks stepping in one tick must not build one giant
        # line (and its dicts) at once; the rest stay dirty and go out in the next batches.
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
        for rec in steps:
            out.append(self._step_event(rec))
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
        for st in list(self.loops.values()):
            if st.dirty_ticks:
                st.dirty_ticks = False
                sel = st.select_acc
                st.select_acc -= sel
                out.append({"kind": "loop.ticks", "ts": ts, "loop": st.id, "tick": st.tick,
                             "count": st.tick - st.ticks_sent, "ready": st.ready,
                             "timers": st.timers, "selectMs": round(sel * 1000.0, 3)})
                st.ticks_sent = st.tick
        self._prune_loops()
        out.extend(misc)
        dropped = self.dropped_since
        self.dropped_since = 0
        self.dropped_total += dropped
        stats = (self.live_count, self.tasks_total, len(self.futures), self.dropped_total,
                 len(self.finished))
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
                "retainedFinished": len(self.finished)}

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
        fut = entry[0]() if entry else None
        if fut is None:
            return None
        return {"future": fid, "loop": entry[1], "label": _inspect.future_label(fut),
                "site": _loc(self.future_sites.get(fid)),
                "awaitedBy": self.awaited_by(fut)}

    def discard(self) -> None:
        """No consumer: drop everything pending (state is still tracked for a later attach)."""
        with self.lock:
            self.new_tasks = []
            for info in self._take_marks():
                info.dirty = False
            self.done_tasks = []
            self.new_futures = []
            self.events.clear()
            self.step_log.clear()
            self.dropped_since = 0

    def resync(self) -> None:
        """After a (re)connect: announce everything live again, as if new."""
        with self.lock:
            for st in self.loops.values():
                st.announced = False
                st.dirty_ticks = True
            self.new_tasks = self.live()
            for i in self.new_tasks:
                i.unsend()
            for info in self._take_marks():
                info.dirty = False
            for info in self.new_tasks:
                self.mark(info)
            self.done_tasks = []
            self.events.clear()
            self.step_log.clear()
            self.futures.clear()
            self.future_ids.clear()
            self.future_waiters.clear()
            self.future_sites.clear()
            for f in self.findings:
                self.events.append(f)
            self.last_stats = ()


_getweakrefs = weakref.getweakrefs


def info_of(task: Any) -> Optional[TaskInfo]:
    """The record of a live task (its weak reference of our class), or None."""
    for ref in _getweakrefs(task):
        if ref.__class__ is TaskInfo:
            return ref
    return None


def _loc(site: Optional[Tuple[str, int]]) -> Optional[Dict[str, Any]]:
    return None if site is None else {"file": site[0], "line": site[1]}


SESSION = Session()
