# asyncio instrumentation: class-level patches of BaseEventLoop (_run_once, create_task,
# create_future, call_soon, call_exception_handler, close) and Handle._run that feed the Session,
# the unawaited-coroutine warning hook, uvloop task-factory chaining, and the watchdog thread that
# samples blocking lines and confirms stalls. Hot paths do attribute writes only.
from __future__ import annotations

import asyncio
import asyncio.base_events as _base_events
import asyncio.events as _events
import os
import sys
import threading
import time
import types
import warnings
import weakref
from typing import Any, Dict, List, Optional

from . import _control, _inspect
from ._session import SESSION as S, LoopState, TaskInfo, info_of, perf

__all__ = ["install_patches", "installed", "ORIGINALS"]

_TASK_TYPES: tuple = (asyncio.Task,)
_py_task = getattr(asyncio.tasks, "_PyTask", None)
if _py_task is not None and _py_task is not asyncio.Task:
    _TASK_TYPES = (asyncio.Task, _py_task)

ORIGINALS: Dict[str, Any] = {}
_installed = False
_STATE = "_loopscope_state"
_user_origin_depth = [0]
_OUR_ORIGIN_DEPTH = 1
_STALL_DELAY = 1.0  # seconds a loop must sit idle before blocked tasks count as stalled


def installed() -> bool:
    return _installed


# What a handle's callback is, by type: not bound to a task (0), a task woken by something
# (1: C wakeup wrappers, builtin and Python bound methods), or a C task's own step wrapper (2),
# which only the task itself (a bare yield) or its creator (create_task, recorded there) schedules.
# Filled lazily; probing with a real Task would shift the user's "Task-N" name counter.
_CB_OTHER, _CB_WAKE, _CB_STEP = 0, 1, 2
_TASK_CB_NAMES = {"TaskStepMethWrapper": _CB_STEP, "TaskWakeupMethWrapper": _CB_WAKE}
_CB_KIND: Dict[type, int] = {types.MethodType: _CB_WAKE, types.BuiltinMethodType: _CB_WAKE,
                             types.FunctionType: _CB_OTHER}


def _maybe_task_cb(tcb: type) -> int:
    k = _CB_KIND.get(tcb)
    if k is None:
        k = _CB_KIND[tcb] = _TASK_CB_NAMES.get(tcb.__name__, _CB_OTHER)
    return k


def current_info(st: LoopState) -> Optional[TaskInfo]:
    """The task whose step is running on this loop (None between steps or for a plain callback)."""
    cb = st.current_cb
    if cb is None or not _maybe_task_cb(type(cb)):
        return None
    return info_of(cb.__self__)


def _loop_state(loop: Any) -> LoopState:
    st = S.new_loop(loop, tick_control=True)
    if S.options.get("stopOnEntry") and S.connected:
        st.mode = "entry"
    try:
        setattr(loop, _STATE, st)
    except Exception:  # a loop class with __slots__: observe nothing rather than break it
        pass
    return st


# --- hot paths ------------------------------------------------------------------------------

def install_patches() -> None:
    global _installed
    if _installed:
        return
    _installed = True
    BEL = _base_events.BaseEventLoop
    Handle = _events.Handle
    o_run = ORIGINALS["Handle._run"] = Handle._run
    o_run_once = ORIGINALS["_run_once"] = BEL._run_once
    o_create_task = ORIGINALS["create_task"] = BEL.create_task
    o_create_future = ORIGINALS["create_future"] = BEL.create_future
    o_call_soon = ORIGINALS["call_soon"] = BEL.call_soon
    o_exc = ORIGINALS["call_exception_handler"] = BEL.call_exception_handler
    o_close = ORIGINALS["close"] = BEL.close
    cb_kind = _CB_KIND
    maybe_task_cb = _maybe_task_cb
    TASKS = _TASK_TYPES
    skip = _inspect._skip_cache
    is_skipped = _inspect.is_skipped_file
    getframe = sys._getframe
    control_after = _control.after_callback
    control_boundary = _control.at_tick_boundary

    def _run(self: Any) -> None:
        # Fallback when _run_once cannot be regenerated (no asyncio source): wraps every handle.
        try:
            st = self._loop._loopscope_state
        except AttributeError:
            return o_run(self)
        if st.__class__ is not LoopState:  # e.g. a unittest.mock loop answers every attribute
            return o_run(self)
        return _step(self, st)

    def _step(self: Any, st: LoopState) -> None:
        # One handle, timed and attributed (debug-mode loops and the fallback path); the same
        # bookkeeping as the regenerated ready loop below.
        cb = self._callback
        st.current_cb = cb
        t0 = perf()
        st.step_start = t0
        try:
            o_run(self)
        finally:
            dt = perf() - t0
            st.step_start = 0.0
            st.current_cb = None
            st.handles_acc += dt
            info = task = None
            k = cb_kind.get(type(cb))
            if k is None:
                k = maybe_task_cb(type(cb))
            if k:
                task = cb.__self__
                info = info_of(task)
                if info is None and isinstance(task, TASKS):
                    info = S.register_task(task, st)
                if info is not None:
                    info.woken = info.wake
                    info.wake = None
                    S.stepped(info, task, dt, st.tick)
                    if S.step_events:
                        # What it waits on right after this step (opt-in, so the cost is accepted).
                        S.log_step((info, st.tick, t0, dt, info.woken or (info if info.steps > 1 else None),
                                    None if info.done else _inspect.wait_target(task, S)))
            if dt > S.threshold:
                _blocking(st, info, cb, dt, t0)
            if st.mode is not None:
                control_after(st, info, cb)
            # As asyncio's own Handle._run: on 3.12+ a traceback keeps this frame alive (f_back).
            self = cb = task = None

    fast = _make_run_once(_step)

    def _run_once(self: Any) -> None:
        st = getattr(self, _STATE, None)
        if st is None:
            st = _loop_state(self)
        if st.thread != threading.get_ident():
            _rebind_thread(st)
        if st.mode is not None:
            control_boundary(st, self)
        st.tick += 1
        st.ready = len(self._ready)
        if st.tasks_live > 0 and not st.ready:
            _stall_candidate(st, self)
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

    def create_task(self: Any, coro: Any, *args: Any, **kwargs: Any) -> Any:
        st = getattr(self, _STATE, None)
        if st is None:
            st = _loop_state(self)
        factory = self._task_factory
        if factory is None:
            task = o_create_task(self, coro, *args, **kwargs)
            dt = 0.0
        else:  # it may be eager (3.12+): its first step then runs in here, and is timed
            t0 = perf()
            task = o_create_task(self, coro, *args, **kwargs)
            dt = perf() - t0
        if self._debug:
            _drop_own_frames(task)
        try:
            info = info_of(task)
            if info is None and not isinstance(task, TASKS):
                return task
            parent = _current_task(self)
            pinfo = None
            if parent is not None and parent is not task:
                pinfo = info_of(parent)
                if pinfo is None and isinstance(parent, TASKS):
                    # An eager task creating children during its first step, before its own
                    # create_task call has returned: register it now, details follow.
                    pinfo = S.register_task(parent, st)
            site = _inspect.user_site(getframe(1))
            parent_id = pinfo.id if pinfo is not None else None
            if info is None:
                info = S.register_task(task, st, coro, site, parent_id)
            else:  # registered early (an eager parent)
                info.place(site, parent_id)
                S.adopt(info)  # in asyncio's registry now, unless it finished eagerly
            if info.wake is None and not info.steps:  # its first step was scheduled by its creator
                info.wake = pinfo or current_info(st) or (
                    getattr(st.current_cb, "__qualname__", None) if st.current_cb else None)
            if factory is not None and info.steps == 0 and _started(task):
                # 3.12+ eager task: its first step ran inside the factory call.
                info.eager = True
                S.stepped(info, task, dt, st.tick)
        except Exception:  # bookkeeping must never break task creation
            pass
        return task

    def create_future(self: Any) -> Any:
        fut = o_create_future(self)
        if self._debug:
            _drop_own_frames(fut)
        f = getframe(1)
        fn = f.f_code.co_filename
        s = skip.get(fn)
        if s is None:
            s = is_skipped(fn)
        if not s:
            st = getattr(self, _STATE, None)
            if st is not None:
                # Weak: a pending future (and the tasks it would wake) must stay collectable.
                S.new_futures.append((weakref.ref(fut), st, (fn, f.f_lineno)))
        return fut

    def call_soon(self: Any, callback: Any, *args: Any, context: Any = None) -> Any:
        # CPython's body (identical in 3.9-3.13) inlined, so the hook costs no extra call.
        self._check_closed()
        if self._debug:
            self._check_thread()
            self._check_callback(callback, "call_soon")
        handle = self._call_soon(callback, args, context)
        if handle._source_traceback:
            del handle._source_traceback[-1]
        k = cb_kind.get(type(callback))
        if k is None:
            k = maybe_task_cb(type(callback))
        if k == 1:  # a task woken by someone (k == 2, its own step: a yield, or its creation)
            _note_wake(self, callback, args)
        return handle

    def call_exception_handler(self: Any, context: Dict[str, Any]) -> Any:
        try:
            _exception_context(context)
        except Exception:
            pass
        return o_exc(self, context)

    def close(self: Any) -> Any:
        st = getattr(self, _STATE, None)
        if st is not None and not st.closed and not self.is_running():
            st.closed = True
            S.add_event({"kind": "loop.closed", "ts": S.ts(), "loop": st.id})
        return o_close(self)

    if fast is None:
        _run.__qualname__ = "Handle._run"
        _run.__wrapped__ = o_run  # type: ignore[attr-defined]
        Handle._run = _run
    for name, fn, orig in (("_run_once", _run_once, o_run_once), ("create_task", create_task, o_create_task),
                           ("create_future", create_future, o_create_future), ("call_soon", call_soon, o_call_soon),
                           ("call_exception_handler", call_exception_handler, o_exc), ("close", close, o_close)):
        fn.__qualname__ = "BaseEventLoop." + name
        fn.__doc__ = orig.__doc__
        fn.__wrapped__ = orig  # type: ignore[attr-defined]
        setattr(BEL, name, fn)
    o_set_name = getattr(asyncio.tasks, "_set_task_name", None)
    if o_set_name is not None:
        ORIGINALS["_set_task_name"] = o_set_name

        def _set_task_name(task: Any, name: Any) -> None:
            # 3.9-3.12 asyncio.create_task() names the task after loop.create_task() returns, by
            # which time an eager task may have ended: its record keeps the name it ended with.
            o_set_name(task, name)
            if name is not None:
                info = info_of(task)
                if info is not None and info.end is not None:
                    try:
                        info.end.name = task.get_name()
                    except Exception:
                        pass

        asyncio.tasks._set_task_name = _set_task_name  # type: ignore[attr-defined]
    _install_registry()
    _install_unawaited_hook()
    _install_running_loop_hook()
    _Watchdog().start()


# --- _run_once regenerated from this interpreter's own source ------------------------------------
#
# Timing every handle through a Handle._run wrapper costs one extra Python call per step. Instead
# the running CPython's BaseEventLoop._run_once is compiled again from its own source with the
# bookkeeping inlined around `handle._run()`; asyncio's logic (selector, timers, debug mode) stays
# exactly that version's. The copy keeps the real file name and the real line number of every
# line a traceback can pass through (the two `handle._run()` calls, everything above the ready
# loop), so a KeyboardInterrupt or a debug-mode source traceback reads exactly as without
# Loopscope; its globals are asyncio.base_events' own dict, so patches of module names (tests
# mocking `logger`) still apply. Its caller is the _run_once wrapper in this file, where frame
# walks (blocking lines, creation and cancel sites) stop as they did at the Handle._run wrapper.

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
    # Only what the watchdog (blocking line) and call_soon (who woke whom) read while it runs;
    # which task stepped is worked out once the step is over.
    (6, "        _cb = handle._callback; _st.current_cb = _cb; _st.step_start = _t0"),
    (7, "        pass"),
    (8, "        pass"),
    (9, "        pass"),
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
    (26, "            _t1 = _perf(); _st.current_cb = None; _info = None; _k = _cb_kind_get(type(_cb))"),
    (27, "            if _k is None: _k = _maybe_task_cb(type(_cb))"),
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


class _DebugRun:
    """Debug-mode stand-in for the handle at asyncio's own `handle._run()` line: runs the real
    handle timed and attributed, inside asyncio's slow-callback timing."""

    __slots__ = ("h", "st")

    def __init__(self, h: Any, st: LoopState) -> None:
        self.h = h
        self.st = st

    def _run(self) -> None:
        try:
            _DEBUG_STEP[0](self.h, self.st)
        finally:
            self.h = None  # a 3.12+ traceback keeps this frame (f_back): it must not hold the task


class _NoopHandle:
    __slots__ = ()

    def _run(self) -> None:
        pass


_DEBUG_STEP: List[Any] = [None]


def _make_run_once(step: Any) -> Any:
    import inspect
    try:
        lines, first = inspect.getsourcelines(_base_events.BaseEventLoop._run_once)
        filename = inspect.getsourcefile(_base_events.BaseEventLoop._run_once)
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
             "_wait_target", "_blocking", "_control_after", "_DebugRun", "_NOOP", "_dirty_add")
    # The nested def lands on the original first line, so every kept line keeps its number.
    src = "\n" * (first - 2) + "def _make(%s):\n" % ", ".join(names) + "".join(body) + "    return _run_once\n"
    try:
        code = compile(src, filename, "exec")
        ns: Dict[str, Any] = {}
        exec(code, _base_events.__dict__, ns)
        fn = ns["_make"](perf, _CB_KIND.get, _maybe_task_cb, weakref.getweakrefs, TaskInfo, info_of, _TASK_TYPES,
                         S, _inspect.wait_target, _blocking, _control.after_callback, _DebugRun, _NoopHandle(),
                         S.dirty.append)
    except Exception:
        return None
    if fn.__code__.co_firstlineno != first:
        return None
    _DEBUG_STEP[0] = step
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


try:  # the C accelerator directly: one call instead of two on every task creation
    from _asyncio import current_task as _c_current_task
except ImportError:  # pragma: no cover
    _c_current_task = asyncio.current_task


def _current_task(loop: Any) -> Any:
    try:
        return _c_current_task(loop)
    except Exception:
        return None


def _started(task: Any) -> bool:
    if task.done():
        return True
    coro = task.get_coro()
    if coro is None:
        return True
    try:
        return _inspect.inspect.getcoroutinestate(coro) != "CORO_CREATED"
    except Exception:
        return False


def _drop_own_frames(fut: Any) -> None:
    # Debug mode records where futures/tasks were created; keep that identical to a plain run.
    tb = getattr(fut, "_source_traceback", None)
    if tb:
        tb[:] = [f for f in tb if not f.filename.startswith(_inspect._LOOPSCOPE_DIR)]


def _rebind_thread(st: LoopState) -> None:
    # A loop created in one thread and first run in another: report the running thread.
    st.thread = S.loop_threads[st.id] = threading.get_ident()
    st.thread_name = threading.current_thread().name
    st.announced = False


def _note_wake(loop: Any, callback: Any, args: tuple) -> None:
    info = info_of(callback.__self__)
    if info is None:
        return
    try:
        st = loop._loopscope_state
    except AttributeError:
        return
    if st.__class__ is not LoopState:
        return
    cur = current_info(st)
    if cur is not None:
        info.wake = cur
    elif st.current_cb is not None:
        info.wake = getattr(st.current_cb, "__qualname__", None) or "callback"
    if cur is not info:
        # Woken by someone else: its state changed (waiting -> ready) without a step of its own,
        # so it must be re-sent or a held loop would still show it waiting.
        S.mark(info)
    if args and cur is not info and info.cancel_by is None:
        try:
            if args[0].cancelled():
                info.cancel_by = _cancel_site(cur, st, sys._getframe(2))
                # Its last wait, while the await chain still exists (rare path).
                lw = _inspect.wait_target(callback.__self__, S, cancelled=True)
                if lw is not None and lw["kind"] != "yield":
                    info.last_wait = lw
        except Exception:
            pass


def _cancel_site(cur: Optional[TaskInfo], st: LoopState, frame: Any) -> Dict[str, Any]:
    loc = None
    f = frame
    while f is not None:
        fn = f.f_code.co_filename
        if fn.startswith(_inspect._LOOPSCOPE_DIR):
            break  # reached the handle that is running: the canceller was asyncio machinery
        if not _inspect.is_skipped_file(fn):
            loc = {"file": fn, "line": f.f_lineno}
            break
        f = f.f_back
    by: Dict[str, Any] = {"task": cur.id if cur is not None else None, "location": loc}
    if cur is None and st.current_cb is not None:
        by["label"] = getattr(st.current_cb, "__qualname__", None) or "callback"
    return by


def _blocking(st: LoopState, info: Optional[TaskInfo], cb: Any, dt: float, start: float) -> None:
    loc = None
    if st.sampled_seq == start and st.sample is not None:
        loc = {"file": st.sample[0], "line": st.sample[1]}
    if info is not None:
        what = "Task %s" % info.name
        if loc is None:
            task = info()
            if task is not None and not task.done():
                t = _inspect.wait_target(task, S)
                if t and "site" in t:
                    loc = t["site"]
    else:
        what = "callback %s" % (getattr(cb, "__qualname__", None) or type(cb).__name__)
        code = getattr(cb, "__code__", None) or getattr(getattr(cb, "__func__", None), "__code__", None)
        if loc is None and code is not None:
            loc = {"file": code.co_filename, "line": code.co_firstlineno}
    ms = dt * 1000.0
    S.add_finding("blocking-call", "%s blocked the event loop for %.0f ms" % (what, ms), loc,
                  info.id if info is not None else None, ms, loop=st.id)


def _stall_candidate(st: LoopState, loop: Any) -> None:
    sel = getattr(loop, "_selector", None)
    try:
        n = len(sel.get_map()) if sel is not None else 0
    except Exception:
        return
    if n <= 1:  # only the loop's own self-pipe
        st.stall_tick = st.tick
        st.stall_since = perf()


_PRIMITIVE_KINDS = {"lock", "event", "condition", "semaphore", "queue.get", "queue.put"}
_EXTERNAL_KINDS = {"executor", "subprocess", "socket.read", "socket.write", "stream.read", "stream.write"}


def _confirm_stall(st: LoopState) -> None:
    """The loop has sat idle (nothing ready, no I/O besides its self-pipe) for _STALL_DELAY.
    Report the tasks blocked on asyncio primitives, and the tasks awaiting those, unless some
    task waits on something outside the loop (a thread, a process) that could still act."""
    st.stall_reported = st.stall_tick
    waits = []
    for info in S.live():
        if info.loop != st.id:
            continue
        task = info()
        if task is None or task.done():
            continue
        target = _inspect.wait_target(task, S)
        if target is None:
            return  # ready to run after all
        if target["kind"] in _EXTERNAL_KINDS:
            return
        waits.append((info, task, target))
    stuck = {i.id for i, _t, w in waits if w["kind"] in _PRIMITIVE_KINDS}
    changed = True
    while changed:  # tasks awaiting stuck tasks are stuck too
        changed = False
        for i, _t, w in waits:
            if i.id in stuck:
                continue
            deps = [w["task"]] if w["kind"] == "task" and "task" in w else w.get("tasks", []) if w["kind"] == "gather" else []
            if deps and all(d in stuck for d in deps):
                stuck.add(i.id)
                changed = True
    tasks = [(i, t, w) for i, t, w in waits if i.id in stuck]
    if not tasks:
        return
    # Ticks alone are not progress (a debugger's pause wakes the loop): report the same stall
    # again only once one of its tasks has stepped.
    key = frozenset((i.id, i.steps) for i, _t, _w in tasks)
    if key == st.stall_key:
        return
    st.stall_key = key
    reg = _inspect.FrameRegistry()
    chains = []
    loc = None
    for info, task, target in tasks:
        chains.append({"task": info.id, "frames": reg.chain(task)})
        if loc is None and target["kind"] in _PRIMITIVE_KINDS:
            loc = target.get("site")
    names = ", ".join("%s (%s)" % (i.name, w["label"]) for i, _t, w in tasks[:5])
    more = "" if len(tasks) <= 5 else " and %d more" % (len(tasks) - 5)
    S.add_finding("stall", "event loop %d stalled for %.1f s: %d task(s) wait on each other or on "
                  "primitives nothing is going to release: %s%s" % (
                      st.id, perf() - st.stall_since, len(tasks), names, more), loc, None, None, chains,
                  loop=st.id)


def _exception_context(ctx: Dict[str, Any]) -> None:
    msg = ctx.get("message") or ""
    if msg.endswith("exception was never retrieved"):
        exc = ctx.get("exception")
        fut = ctx.get("future")
        info = S.task_info(fut) if fut is not None else None
        label = "Task %s" % info.name if info is not None else _inspect.future_label(fut)
        raised = _inspect.raise_location(exc) if isinstance(exc, BaseException) else None
        text = "%s: exception was never retrieved: %s" % (label, _inspect.safe_repr(exc, 200))
        if raised is not None:
            text += " raised at %s:%d" % (os.path.basename(raised["file"]), raised["line"])
        # The fix belongs where the task was created (await it / keep and check it); the
        # raising line stays in the message.
        site = info.site if info is not None else None
        loc = {"file": site[0], "line": site[1]} if site is not None else raised
        S.add_finding("unretrieved-exception", text, loc, info.id if info is not None else None)
    elif msg.startswith("Task was destroyed but it is pending"):
        task = ctx.get("task")
        info = S.task_info(task) if task is not None else None
        loc = None
        try:
            chain, _leaf = _inspect.coro_chain(task.get_coro())
            for _c, f, _k in reversed(chain):
                if not _inspect.is_internal_file(f.f_code.co_filename):
                    loc = {"file": f.f_code.co_filename, "line": f.f_lineno}
                    break
        except Exception:
            pass
        if loc is None:  # the coroutine was finalised first (a reference cycle): its definition
            code = getattr(getattr(task, "_coro", None), "cr_code", None)
            if code is not None:
                loc = {"file": code.co_filename, "line": code.co_firstlineno}
        if info is None:
            name = _inspect.future_label(task)
        else:  # its record may be gone already (a reference cycle): ask the task itself
            try:
                name = task.get_name()
            except Exception:
                name = info.name
        S.add_finding("destroyed-pending", "Task %s was destroyed but it is pending" % name.replace("Task ", "", 1)
                      if info is None else "Task %s was destroyed but it is pending" % name,
                      loc, info.id if info is not None else None)


# --- never-awaited coroutines -----------------------------------------------------------------

def _install_registry() -> None:
    # Task records live in asyncio's own registry of tasks (see Session.adopt): the WeakSet that
    # the C accelerator and asyncio.tasks share (_all_tasks up to 3.11, _scheduled_tasks since).
    tasks_mod = asyncio.tasks
    reg = getattr(tasks_mod, "_scheduled_tasks", None)
    if reg is None:
        reg = getattr(tasks_mod, "_all_tasks", None)
    if not isinstance(reg, weakref.WeakSet):
        return
    S.set_registry(reg)
    o_unregister = getattr(tasks_mod, "_unregister_task", None)
    if o_unregister is None:
        return
    ORIGINALS["_unregister_task"] = o_unregister

    def _unregister_task(task: Any) -> None:
        # A task taken out of the registry by hand takes its record along: hold that one apart.
        info = info_of(task)
        o_unregister(task)
        if info is not None:
            S.adopt(info)

    _unregister_task.__wrapped__ = o_unregister  # type: ignore[attr-defined]
    for mod in (tasks_mod, asyncio):
        if getattr(mod, "_unregister_task", None) is o_unregister:
            setattr(mod, "_unregister_task", _unregister_task)


def _install_unawaited_hook() -> None:
    o_set = ORIGINALS["set_depth"] = sys.set_coroutine_origin_tracking_depth
    o_get = ORIGINALS["get_depth"] = sys.get_coroutine_origin_tracking_depth
    _user_origin_depth[0] = o_get()

    def set_coroutine_origin_tracking_depth(depth: int) -> None:
        o_set(max(depth, _OUR_ORIGIN_DEPTH))  # validates like the original (raises on < 0)
        _user_origin_depth[0] = depth

    def get_coroutine_origin_tracking_depth() -> int:
        return _user_origin_depth[0]

    set_coroutine_origin_tracking_depth.__doc__ = o_set.__doc__
    get_coroutine_origin_tracking_depth.__doc__ = o_get.__doc__
    o_set(max(_user_origin_depth[0], _OUR_ORIGIN_DEPTH))
    sys.set_coroutine_origin_tracking_depth = set_coroutine_origin_tracking_depth
    sys.get_coroutine_origin_tracking_depth = get_coroutine_origin_tracking_depth
    ORIGINALS["warn_unawaited"] = getattr(warnings, "_warn_unawaited_coroutine", None)
    warnings._warn_unawaited_coroutine = _warn_unawaited_coroutine  # type: ignore[attr-defined]


def _warn_unawaited_coroutine(coro: Any) -> None:
    # Same text and stack level as CPython's warnings._warn_unawaited_coroutine (identical in
    # 3.9-3.13); the origin part is shown only if the user asked for origin tracking.
    origin = coro.cr_origin
    try:
        loc = {"file": origin[0][0], "line": origin[0][1]} if origin else None
        S.add_finding("never-awaited", "coroutine '%s' was never awaited" % coro.__qualname__, loc)
    except Exception:
        pass
    depth = _user_origin_depth[0]
    msg_lines = [
        f"coroutine '{coro.__qualname__}' was never awaited\n"
    ]
    if origin is not None and depth > 0:
        import linecache, traceback

        def extract() -> Any:
            for filename, lineno, funcname in reversed(origin[:depth]):
                line = linecache.getline(filename, lineno)
                yield (filename, lineno, funcname, line)
        msg_lines.append("Coroutine created at (most recent call last)\n")
        msg_lines += traceback.format_list(list(extract()))
    msg = "".join(msg_lines).rstrip("\n")
    warnings.warn(msg, category=RuntimeWarning, stacklevel=2, source=coro)


_warn_unawaited_coroutine.__name__ = "_warn_unawaited_coroutine"
_warn_unawaited_coroutine.__qualname__ = "_warn_unawaited_coroutine"


# --- loops that are not BaseEventLoop (uvloop) ----------------------------------------------

def _install_running_loop_hook() -> None:
    # uvloop binds asyncio._set_running_loop when it is imported; patching the package attribute
    # (asyncio's own loops use asyncio.events._set_running_loop) lets us see its loops start.
    o_set = ORIGINALS["_set_running_loop"] = asyncio._set_running_loop

    def _set_running_loop(loop: Any) -> None:
        if loop is not None and not isinstance(loop, _base_events.BaseEventLoop):
            try:
                _adopt_foreign_loop(loop)
            except Exception:
                pass
        o_set(loop)

    asyncio._set_running_loop = _set_running_loop  # type: ignore[assignment]


def _adopt_foreign_loop(loop: Any) -> None:
    for st in S.loops.values():
        if st.ref() is loop:
            return
    st = S.new_loop(loop, tick_control=False)
    user_factory = loop.get_task_factory()

    def factory(lp: Any, coro: Any, **kwargs: Any) -> Any:
        if user_factory is not None:
            task = user_factory(lp, coro, **kwargs)
        else:
            task = asyncio.Task(coro, loop=lp, **kwargs)
        if isinstance(task, _TASK_TYPES):
            parent = _current_task(lp)
            pinfo = info_of(parent) if parent is not None else None
            S.register_task(task, st, None, _inspect.user_site(sys._getframe(1)),
                            pinfo.id if pinfo is not None else None)
            task.add_done_callback(_foreign_done)
        return task

    loop.set_task_factory(factory)


def _foreign_done(task: Any) -> None:
    info = info_of(task)
    if info is not None and not info.done:
        S.task_done(info, task)


# --- watchdog -------------------------------------------------------------------------------

class _Watchdog(threading.Thread):
    """Samples the loop thread's frames while a step runs long, and confirms stalls."""

    def __init__(self) -> None:
        super().__init__(name="loopscope-watchdog", daemon=True)

    def run(self) -> None:
        while True:
            thr = S.threshold
            interval = min(0.05, max(0.005, thr / 4.0))
            time.sleep(interval)
            try:
                self.tick(thr)
            except Exception:
                pass

    def tick(self, thr: float) -> None:
        now = perf()
        frames = None
        for st in list(S.loops.values()):
            if st.closed:
                continue
            start = st.step_start
            if start and now - start >= thr * 0.5:
                if frames is None:
                    frames = sys._current_frames()
                f = frames.get(st.thread)
                loc = _blocking_line(f)
                if loc is not None and st.step_start == start:
                    st.sample = loc
                    st.sampled_seq = start
            if (st.stall_tick == st.tick and st.stall_reported != st.stall_tick and not st.held
                    and st.step_start == 0.0 and now - st.stall_since >= _STALL_DELAY and st.tasks_live > 0):
                _confirm_stall(st)


def _blocking_line(f: Any) -> Optional[tuple]:
    # Innermost frame that is user code; stop at loopscope's own handle wrapper.
    while f is not None:
        fn = f.f_code.co_filename
        if fn.startswith(_inspect._LOOPSCOPE_DIR):
            return None
        if not _inspect.is_internal_file(fn):
            return (fn, f.f_lineno)
        f = f.f_back
    return None
