# The run loop: BaseEventLoop._run_once regenerated from the running CPython's own source with
# the per-step bookkeeping inlined into its ready loop (deliberately one long generated function:
# no call per step), and the _run_once patch around it (tick counts, select time, control holds).
from __future__ import annotations

import asyncio.base_events as _base_events
import inspect
import threading
import weakref
from typing import TYPE_CHECKING, Any, Callable, Dict, Optional

from . import _inspect
from ._callbacks import CB_KIND, AfterFn, BlockingFn, StepFn, WaitEndedFn, maybe_task_cb
from ._records import STATE_ATTR, TASK_TYPES, LoopState, TaskInfo, info_of, perf
from ._watchdog import stall_candidate

if TYPE_CHECKING:
    from ._session import Session

__all__ = ["make_loop_state", "make_run_once", "make_run_once_patch"]

# The regenerated ready loop: (loop, its LoopState) -> None.
FastRunOnce = Callable[[Any, LoopState], None]

# Timing every handle through a Handle._run wrapper costs one extra Python call per step. Instead
# the running CPython's BaseEventLoop._run_once is compiled again from its own source with the
# bookkeeping inlined around `handle._run()`; asyncio's logic (selector, timers, debug mode) stays
# exactly that version's. The copy keeps the real file name and the real line number of every
# line a traceback can pass through (the two `handle._run()` calls, everything above the ready
# loop), so a KeyboardInterrupt or a debug-mode source traceback reads exactly as without
# Loopscope; its globals are asyncio.base_events' own dict, so patches of module names (tests
# mocking `logger`) still apply. Its caller is the _run_once wrapper below (make_run_once_patch),
# where frame walks (blocking lines, creation and cancel sites) stop as they did at the
# Handle._run wrapper.

# Replacement for the ready loop: (line offset from the first comment line above `ntodo = …`,
# text at the original indentation of that comment). Offsets 15 and 23 are where the original
# has its debug and normal `handle._run()`; the layout is used only if that holds.
_READY_LOOP = (
    (0, "ntodo = len(self._ready); _t0 = _rs = _perf(); _tick = _st.tick; _thr = _S.threshold; _log = _S.step_events"),
    (1, "for i in range(ntodo):"),
    (2, "    handle = self._ready.popleft()"),
    (3, "    if handle._cancelled: continue"),
    (4, "    _nd = not self._debug"),
    (5, "    if _nd:"),
    # A woken task's wait ends here: recorded before its step (see make_wait_ended), outside its
    # timed span. Then only what the watchdog (blocking line) and call_soon (who woke whom) read
    # while it runs; which task stepped is worked out once the step is over.
    (6, "        _cb = handle._callback; _k = _cb_kind_get(type(_cb))"),
    (7, "        if _k is None: _k = _maybe_task_cb(type(_cb))"),
    (8, "        if _k == 1: _wait_ended(_cb.__self__); _t0 = _perf()"),
    (9, "        _st.current_cb = _cb; _st.step_start = _t0"),
    (10, "        pass"),
    (11, "        pass"),
    (12, "    else:"),
    (13, "        _h = handle; handle = _DebugRun(_h, _st); self._current_handle = _h; t0 = self.time()"),
    (14, "        try:"),
    (15, "            handle._run()"),
    (16, "            handle = _h; dt = self.time() - t0"),
    (17, "            if dt >= self.slow_callback_duration:"),
    (18, "                logger.warning('Executing %s took %.3f seconds',"),
    (19, "                               _format_handle(handle), dt)"),
    (20, "        finally:"),
    (21, "            self._current_handle = None; handle = _NOOP; _t1 = _perf(); _rs += _t1 - _t0; _t0 = _t1"),
    (22, "    try:"),
    (23, "        handle._run()"),
    (24, "    finally:"),
    (25, "        if _nd:"),
    (26, "            _t1 = _perf(); _st.current_cb = None; _info = None"),
    (27, "            pass"),
    (28, "            if _k:"),
    # The task's record is its weak reference of our class: usually its only one (see adopt).
    (29, "                _task = _cb.__self__; _info = _getweakrefs(_task); _info = _info[0] if _info and _info[0].__class__ is _TaskInfo else _info_of(_task)"),
    (30, "                if _info is None and isinstance(_task, _TASKS): _info = _S.register_task(_task, _st)"),
    (31, "                if _info is not None:"),
    (32, "                    _info.woken = _info.wake; _info.wake = None; _info.steps += 1; _info.busy += _t1 - _t0; _info.tick = _tick"),
    (33, "                    if _task.done(): _S.task_done(_info, _task)"),
    (34, "                    elif not _info.dirty: _info.dirty = True; _dirty_add(_info)"),
    (35, "                    if _log: _S.log_step((_info, _tick, _t0, _t1 - _t0, _info.woken or (_info if _info.steps > 1 else None), None if _info.done else _wait_target(_task, _S)))"),
    (36, "            if _t1 - _t0 > _thr:"),
    (37, "                _st.step_start = 0.0; _blocking(_st, _info, _cb, _t1 - _t0, _t0)"),
    (38, "            if _st.mode is not None:  # held here, the step is over (not running, not blocking)"),
    (39, "                _st.step_start = 0.0; _control_after(_st, _info, _cb)"),
    (40, "                _h1 = _perf(); _rs += _h1 - _t1; _t1 = _h1  # a hold is nobody's busy time"),
    (41, "            _t0 = _t1; _cb = _task = _info = None  # next handle starts where this ended"),
    # Between handles nothing else runs, so the step markers are cleared once per tick; the
    # handles' total is the chained clock's span (minus holds and debug steps, counted apart).
    (42, "_st.step_start = 0.0; _st.current_cb = None; _st.handles_acc += _t0 - _rs"),
    (43, "handle = None  # Needed to break cycles when an exception occurs."),
)
_DEBUG_AT, _RUN_AT = 15, 23

def _debug_run_class(step: StepFn) -> type:
    class _DebugRun:
        """Debug-mode stand-in for the handle at asyncio's own `handle._run()` line: runs the real
        handle timed and attributed, inside asyncio's slow-callback timing."""

        __slots__ = ("h", "st")

        def __init__(self, h: Any, st: LoopState) -> None:
            self.h = h
            self.st = st

        def _run(self) -> None:
            try:
                step(self.h, self.st)
            finally:
                self.h = None  # a 3.12+ traceback keeps this frame (f_back): it must not hold the task

    return _DebugRun


class _NoopHandle:
    __slots__ = ()

    def _run(self) -> None:
        pass


def make_run_once(S: "Session", step: StepFn, blocking: BlockingFn, control_after: AfterFn,
                  wait_ended: WaitEndedFn) -> Optional[FastRunOnce]:
    """The regenerated _run_once (see above), or None when this CPython's source is not the
    layout it was made for (then every handle goes through Handle._run, see _callbacks)."""
    original: Any = _base_events.BaseEventLoop
    try:
        lines, first = inspect.getsourcelines(original._run_once)
        filename = inspect.getsourcefile(original._run_once)
    except (OSError, TypeError):
        return None
    if not lines or not filename or lines[0].strip() != "def _run_once(self):" or first < 2:
        return None
    strip = [ln.strip() for ln in lines]
    calls = [i for i, t in enumerate(strip) if t == "handle._run()"]
    starts = [i for i, t in enumerate(strip) if t == "ntodo = len(self._ready)"]
    if len(calls) != 2 or len(starts) != 1:
        return None
    c = starts[0]
    while c > 0 and strip[c - 1].startswith("#"):
        c -= 1
    if calls[0] - c != _DEBUG_AT or calls[1] - c != _RUN_AT or len(lines) - c > len(_READY_LOOP):
        return None
    if strip[c + 6:] != [t.strip() for t in _ORIGINAL_READY_LOOP]:
        return None  # a CPython whose ready loop differs from the one this layout was made for
    ind = lines[c][:len(lines[c]) - len(lines[c].lstrip())]
    head = lines[0].replace("def _run_once(self):", "def _run_once(self, _st):")
    body = [head] + lines[1:c] + [ind + t + "\n" for _o, t in _READY_LOOP]
    names = ("_perf", "_cb_kind_get", "_maybe_task_cb", "_getweakrefs", "_TaskInfo", "_info_of", "_TASKS", "_S",
             "_wait_target", "_blocking", "_control_after", "_DebugRun", "_NOOP", "_dirty_add", "_wait_ended")
    # The nested def lands on the original first line, so every kept line keeps its number.
    src = "\n" * (first - 2) + "def _make(%s):\n" % ", ".join(names) + "".join(body) + "    return _run_once\n"
    try:
        code = compile(src, filename, "exec")
        ns: Dict[str, Any] = {}
        exec(code, _base_events.__dict__, ns)
        fn = ns["_make"](perf, CB_KIND.get, maybe_task_cb, weakref.getweakrefs, TaskInfo, info_of, TASK_TYPES,
                         S, _inspect.wait_target, blocking, control_after, _debug_run_class(step), _NoopHandle(),
                         S.dirty.append, wait_ended)
    except Exception:
        return None
    if fn.__code__.co_firstlineno != first:
        return None
    return fn


# The original ready loop (3.9-3.13), from `ntodo = …` on; a different one keeps the wrapper path.
_ORIGINAL_READY_LOOP = (
    "ntodo = len(self._ready)",
    "for i in range(ntodo):",
    "handle = self._ready.popleft()",
    "if handle._cancelled:",
    "continue",
    "if self._debug:",
    "try:",
    "self._current_handle = handle",
    "t0 = self.time()",
    "handle._run()",
    "dt = self.time() - t0",
    "if dt >= self.slow_callback_duration:",
    "logger.warning('Executing %s took %.3f seconds',",
    "_format_handle(handle), dt)",
    "finally:",
    "self._current_handle = None",
    "else:",
    "handle._run()",
    "handle = None  # Needed to break cycles when an exception occurs.",
)


def make_loop_state(S: "Session") -> Callable[[Any], LoopState]:
    """The LoopState a BaseEventLoop gets on first sight (attached to it as STATE_ATTR)."""

    def loop_state(loop: Any) -> LoopState:
        st = S.new_loop(loop, tick_control=True)
        if S.options.get("stopOnEntry") and S.connected:
            st.mode = "entry"
        try:
            setattr(loop, STATE_ATTR, st)
        except Exception:  # a loop class with __slots__: observe nothing rather than break it
            pass
        return st

    return loop_state


def make_run_once_patch(S: "Session", loop_state: Callable[[Any], LoopState], fast: Optional[FastRunOnce],
                        o_run_once: Callable[[Any], None],
                        control_boundary: Callable[[LoopState, Any], None]) -> Callable[[Any], None]:
    """BaseEventLoop._run_once: one tick, counted and timed, held at its boundary when asked,
    running the regenerated ready loop (`fast`) or else asyncio's own (handles then go through
    the Handle._run patch)."""

    def _rebind_thread(st: LoopState) -> None:
        # A loop created in one thread and first run in another: report the running thread.
        st.thread = S.loop_threads[st.id] = threading.get_ident()
        st.thread_name = threading.current_thread().name
        st.announced = False

    def _run_once(self: Any) -> None:
        st = getattr(self, STATE_ATTR, None)
        if st is None:
            st = loop_state(self)
        if st.thread != threading.get_ident():
            _rebind_thread(st)
        if st.mode is not None:
            control_boundary(st, self)
        st.tick += 1
        st.ready = len(self._ready)
        if st.tasks_live > 0 and not st.ready:
            stall_candidate(st, self)
        st.handles_acc = 0.0
        t0 = perf()
        try:
            if fast is not None:
                fast(self, st)
            else:
                o_run_once(self)
        finally:
            st.step_start = 0.0  # also when a KeyboardInterrupt left the ready loop mid-way
            st.current_cb = None
            total = perf() - t0
            sel = total - st.handles_acc
            if sel > 0:
                st.select_acc += sel
            st.timers = len(self._scheduled)
            st.dirty_ticks = True
            if S.step_events:
                S.log_step((st, st.tick, st.ready, st.timers, sel if sel > 0 else 0.0))

    return _run_once
