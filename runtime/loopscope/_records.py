# Task and loop records: TaskInfo (a task's record, itself the task's weak reference), the
# shared origin tuples and batch markers it points to, LoopState (per-loop bookkeeping stored on
# the loop), and info_of() to find a task's record. Plain data: no session, no I/O.
from __future__ import annotations

import asyncio
import threading
import time
import weakref
from typing import Any, Callable, Dict, List, Optional, Tuple

from . import _inspect

__all__ = ["TaskInfo", "LoopState", "charge_own", "own_time", "Origin", "Sent", "End", "intern_origin", "info_of", "perf", "STATE_ATTR",
           "TASK_TYPES"]

perf = time.perf_counter

# The attribute of a loop object that holds its LoopState.
STATE_ATTR = "_loopscope_state"

# What counts as a task: asyncio.Task, and the pure-Python Task when it is a different class.
TASK_TYPES: Tuple[type, ...] = (asyncio.Task,)
_py_task = getattr(asyncio.tasks, "_PyTask", None)
if _py_task is not None and _py_task is not asyncio.Task:
    TASK_TYPES = (asyncio.Task, _py_task)


class _Rare:
    """The fields a task seldom sets (who cancelled it, what it last waited on, eager): one object,
    made on the first write, so the others pay one empty slot."""

    __slots__ = ("eager", "cancel_by", "last_wait")

    def __init__(self) -> None:
        self.eager = False
        self.cancel_by: Optional[Dict[str, Any]] = None
        self.last_wait: Optional[Dict[str, Any]] = None


class End:
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
Origin = Tuple[Optional[Tuple[str, int]], str, int, Optional[int]]
ORIGINS: Dict[Origin, Origin] = {}


def intern_origin(site: Optional[Tuple[str, int]], coro: str, loop: int, parent: Optional[int]) -> Origin:
    return _inspect.shared(ORIGINS, (site, coro, loop, parent))


class Sent:
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

    def __new__(cls, tid: int, task: Any, origin: Origin, gone: Any = None) -> "TaskInfo":
        return weakref.ref.__new__(cls, task, gone)

    def __init__(self, tid: int, task: Any, origin: Origin, gone: Any = None) -> None:
        # weakref.ref.__init__ would only check again the arguments __new__ took.
        hash(self)
        self.id = tid
        self.origin = origin  # (site, coroutine name, loop id, parent id), see intern_origin()
        self.steps = 0
        self.busy = 0.0
        self.tick = 0
        self.wake: Any = None    # who scheduled the next step: TaskInfo | str | None
        self.woken: Any = None   # who scheduled the latest step
        # When it was made (a float) until its task.created is sent or dropped; then that batch
        # (a Sent shared by the batch: 100k tasks keep no float and no flag each for it).
        self.created: Any = perf()
        self.dirty = False  # listed in Session.dirty: its state goes with the next batch
        self.end: Optional[End] = None
        self.rare: Optional[_Rare] = None

    eager = _rare_field("eager")
    cancel_by = _rare_field("cancel_by")
    # Its last WaitTarget that was not a yield, recorded as that wait ended (the task woken or
    # cancelled, see _callbacks.make_wait_ended): exact, not whatever a flush happened to see.
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
        self.origin = intern_origin(site, o[1], o[2], parent)

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
        "step_start", "own", "own_seq", "sampled_seq", "sample", "mode", "until", "held", "cond", "ran",
        "stall_tick", "stall_since", "stall_timer", "stall_reported", "closed", "announced", "tasks_live",
        "dirty_ticks", "pause_reason", "trigger", "stall_key", "run_frame", "__weakref__",
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
        # A loop whose scheduler is C (uvloop): the Python frame that called run_forever, while it
        # runs. A walk for a creation line stops there: the frames below are the caller of
        # run(), not the callback that ran (see _foreign.creation_origin).
        self.run_frame: Any = None
        self.step_start = 0.0
        # Loopscope's own time inside the step that started at own_seq (its hooks' bookkeeping):
        # not the program's, so it never makes a step a blocking call (see charge_own).
        self.own = 0.0
        self.own_seq = -1.0
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
        # When (perf clock) the loop's earliest timer falls due, as seen when the stall candidate was marked.
        self.stall_timer: Optional[float] = None
        self.stall_reported = -1
        self.stall_key: Any = None  # (task id, steps) of the last reported stall's stuck tasks
        self.closed = False
        self.announced = False
        self.tasks_live = 0
        self.dirty_ticks = False
        self.pause_reason = ""
        # pauseOn: (reason, description, trigger) of the event that asked to hold this loop.
        self.trigger: Optional[Tuple[str, str, Dict[str, Any]]] = None


# Typed as answering Any: the loop below tells our records apart by their exact class.
_getweakrefs: Callable[[Any], List[Any]] = weakref.getweakrefs


def info_of(task: Any) -> Optional[TaskInfo]:
    """The record of a live task (its weak reference of our class), or None."""
    for ref in _getweakrefs(task):
        if ref.__class__ is TaskInfo:
            return ref
    return None


def charge_own(st: LoopState, spent: float) -> None:
    """Counts `spent` seconds of Loopscope's own work (a hook's bookkeeping) against the step
    running on the loop now; the first charge of a step starts its count afresh."""
    if st.own_seq != st.step_start:
        st.own_seq = st.step_start
        st.own = spent
    else:
        st.own += spent


def own_time(st: LoopState, start: float) -> float:
    """Loopscope's own time inside the step that started at `start`."""
    return st.own if st.own_seq == start else 0.0
