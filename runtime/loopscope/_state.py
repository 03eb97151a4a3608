# The recorder's state: every field the session holds (options, counters, registries, pending
# batch lists, findings) declared in one place, so the registry and the batch builder that extend
# it read typed fields, plus ts() (a time on the wire's clock). Behaviour lives in the subclasses.
from __future__ import annotations

import collections
import itertools
import threading
import time
from typing import Any, Callable, Deque, Dict, FrozenSet, List, Optional, Set, Tuple

from ._records import LoopState, Sent, TaskInfo, perf
from ._wire import DEFAULT_OPTIONS

__all__ = ["SessionState", "COMPACT_MIN"]

# The announce queue is swept of counted entries once it is this long (and at doubling lengths
# beyond): each entry holds an ended task's record alive, so this bounds what they cost.
COMPACT_MIN = 16_000


class SessionState:
    """The fields of the process-wide recorder (see _session.Session, which composes the rest)."""

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
        # The writer's side of new_tasks: moved here by collect(), announced from the front.
        self.announce_queue: Deque[TaskInfo] = collections.deque()
        # Failed tasks that ended unannounced while the writer was behind, kept to be announced
        # with their exception (see _registry._behind): at most MAX_PENDING_TASKS of them.
        self.failed_waiting: Set[TaskInfo] = set()
        self.compact_at = COMPACT_MIN  # announce_queue length at which ended (counted) entries are swept out
        # Tasks counted instead of announced (see _registry.COALESCE_BEHIND): (loop, coroutine,
        # outcome) -> [count, steps, busy seconds], running totals; and what was sent of them.
        self.unlisted: Dict[Tuple[int, str, str], List[float]] = {}
        self.unlisted_sent: Dict[Tuple[int, str, str], List[float]] = {}
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
        self.slow_own_steps = 0  # steps over the threshold only through our own bookkeeping
        # What counted (never announced) tasks carry as TaskInfo.created: `announced` is None.
        self.coalesced_mark = Sent(perf(), True)
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
        # pauseOn filters in force, and the hook that holds the event's loop (the launcher sets it
        # to the controller's pause_on_event).
        self.pause_on: FrozenSet[str] = frozenset()
        self.on_trigger: Optional[Callable[[str, Optional[int], Optional[int], Optional[int], str], None]] = None

    def ts(self, t: Optional[float] = None) -> float:
        return round(((perf() if t is None else t) - self.start_perf) * 1000.0, 3)
