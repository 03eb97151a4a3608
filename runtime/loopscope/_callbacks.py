# Callback hooks: what a handle's callback is (a task's wakeup, its own step, or a plain
# callback), the call_soon patch that records who woke a task (and who cancelled it), and the
# one-handle step used by debug-mode loops and the Handle._run fallback. Hooks are made at install
# time with the session bound in their closures: hot paths read locals, never a module global.
from __future__ import annotations

import sys
import types
from typing import TYPE_CHECKING, Any, Callable, Dict, Optional, Tuple

from . import _inspect
from ._origins import callback_parent, note_callback
from ._records import TASK_TYPES, LoopState, TaskInfo, charge_own, info_of, perf

if TYPE_CHECKING:
    from ._session import Session

__all__ = ["CB_KIND", "maybe_task_cb", "current_info", "make_call_soon", "make_handle_hooks", "make_wait_ended",
           "make_call_at"]

# What a handle's callback is, by type: not bound to a task (0), a task woken by something
# (1: C wakeup wrappers, builtin and Python bound methods), or a C task's own step wrapper (2),
# which only the task itself (a bare yield) or its creator (create_task, recorded there) schedules.
# Filled lazily; probing with a real Task would shift the user's "Task-N" name counter.
_CB_OTHER, _CB_WAKE, _CB_STEP = 0, 1, 2
_TASK_CB_NAMES = {"TaskStepMethWrapper": _CB_STEP, "TaskWakeupMethWrapper": _CB_WAKE}
CB_KIND: Dict[type, int] = {types.MethodType: _CB_WAKE, types.BuiltinMethodType: _CB_WAKE,
                            types.FunctionType: _CB_OTHER}

# (handle, loop state) -> None: runs one handle timed and attributed.
StepFn = Callable[[Any, LoopState], None]
# (loop state, task record or None, callback, duration, start) -> None: reports a blocking step.
BlockingFn = Callable[[LoopState, Optional[TaskInfo], Any, float, float], None]
# (loop state, task record or None, callback) -> None: Controller.after_callback (_control).
AfterFn = Callable[[LoopState, Optional[TaskInfo], Any], None]
# (the object a wakeup callback is bound to) -> None: records the wait that is ending.
WaitEndedFn = Callable[[Any], None]


def maybe_task_cb(tcb: type) -> int:
    k = CB_KIND.get(tcb)
    if k is None:
        k = CB_KIND[tcb] = _TASK_CB_NAMES.get(tcb.__name__, _CB_OTHER)
    return k


def current_info(st: LoopState) -> Optional[TaskInfo]:
    """The task whose step is running on this loop (None between steps or for a plain callback)."""
    cb = st.current_cb
    if cb is None or not maybe_task_cb(type(cb)):
        return None
    return info_of(cb.__self__)


def make_call_soon(S: "Session", o_call_soon: Callable[..., Any]) -> Callable[..., Any]:
    """BaseEventLoop.call_soon that notes who woke a task (see _note_wake)."""
    cb_kind = CB_KIND

    def call_soon(self: Any, callback: Any, *args: Any, context: Any = None) -> Any:
        # CPython's body (identical in 3.9-3.13) inlined, so the hook costs no extra call.
        refused = False
        try:
            self._check_closed()
            if self._debug:
                self._check_thread()
                self._check_callback(callback, "call_soon")
        except BaseException:
            refused = True
        if refused:
            # The checks have no side effects: asyncio's own call_soon raises the same error, with
            # the traceback a plain run prints (its frame, not this one; outside the except, so
            # not chained to the first one).
            try:
                return o_call_soon(self, callback, *args, context=context)
            except BaseException as e:
                _inspect.drop_own_frame(e, call_soon.__code__)
                raise
        handle = self._call_soon(callback, args, context)
        if handle._source_traceback:
            del handle._source_traceback[-1]
        k = cb_kind.get(type(callback))
        if k is None:
            k = maybe_task_cb(type(callback))
        if k == 1:  # a task woken by someone (k == 2, its own step: a yield, or its creation)
            _note_wake(self, callback, args)
        elif k == 0:
            note_scheduler(self, callback)
        return handle

    note_scheduler = make_note_scheduler()

    def _note_wake(loop: Any, callback: Any, args: Tuple[Any, ...]) -> None:
        info = info_of(callback.__self__)
        if info is None:
            return
        try:
            st = loop._loopscope_state
        except AttributeError:
            return
        if st.__class__ is not LoopState:
            return
        t0 = perf()
        try:
            _note_wake_of(st, info, args)
        finally:
            charge_own(st, perf() - t0)

    def _note_wake_of(st: LoopState, info: TaskInfo, args: Tuple[Any, ...]) -> None:
        cur = current_info(st)
        if cur is not None:
            info.wake = cur
        elif st.current_cb is not None:
            info.wake = getattr(st.current_cb, "__qualname__", None) or "callback"
        if cur is not info:
            # Woken by someone else: its state changed (waiting -> ready) without a step of its
            # own, so it must be re-sent or a held loop would still show it waiting.
            S.mark(info)
        if args and cur is not info and info.cancel_by is None:
            try:
                if args[0].cancelled():
                    info.cancel_by = _cancel_site(cur, st, sys._getframe(3))
            except Exception:
                pass

    return call_soon


def make_note_scheduler() -> Callable[[Any, Any], None]:
    """(loop, callback) -> None: remembers which task scheduled a user callback (the task whose
    step runs, or the task that scheduled the callback running now), so a task the callback
    creates gets it as its parent (_origins). asyncio's own callbacks are skipped at the cost of
    one attribute read: they are most of the callbacks, and they create no user tasks."""
    skipped = ("asyncio.", "loopscope.")

    def note_scheduler(loop: Any, callback: Any) -> None:
        mod = getattr(callback, "__module__", None)
        if mod is not None and mod.startswith(skipped):
            return
        try:
            st = loop._loopscope_state
        except AttributeError:
            return
        if st.__class__ is not LoopState or st.current_cb is None:
            return
        cur = current_info(st)
        parent = cur.id if cur is not None else callback_parent(st.current_cb)
        if parent is not None:
            note_callback(callback, parent)

    return note_scheduler


def make_call_at(o_call_at: Callable[..., Any]) -> Callable[..., Any]:
    """BaseEventLoop.call_at (call_later's too) that notes who scheduled a user callback. Not
    inlined like call_soon (its body differs across 3.9-3.13), so debug mode's record of where a
    timer was made drops this frame, as asyncio drops its own call_at."""
    note_scheduler = make_note_scheduler()
    own = _inspect._LOOPSCOPE_DIR

    def call_at(self: Any, when: Any, callback: Any, *args: Any, context: Any = None) -> Any:
        try:
            handle = o_call_at(self, when, callback, *args, context=context)
        except BaseException as e:  # a closed loop, a bad callback: asyncio's own traceback
            _inspect.drop_own_frame(e, call_at.__code__)
            raise
        tb = handle._source_traceback
        if tb:
            tb[:] = [f for f in tb if not f.filename.startswith(own)]
        note_scheduler(self, callback)
        return handle

    return call_at


def make_wait_ended(S: "Session") -> WaitEndedFn:
    """What runs just before a woken task's step: its wait is ending, and its await chain still
    shows what it waited on, so that wait is recorded now (TaskInfo.last_wait) rather than
    sampled by a later flush: a finished task's last wait is then the same in every run. Called
    outside the task's timed step, so the walk is nobody's busy time (and never a blocking call)."""
    wait_target = _inspect.wait_target

    def wait_ended(task: Any) -> None:
        info = info_of(task)
        if info is None or getattr(task, "_fut_waiter", None) is None:
            return  # not a task, or not waiting on a future (a first step, a yield)
        w = wait_target(task, S, ending=True)
        if w is not None and w["kind"] != "yield":
            info.last_wait = w

    return wait_ended


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


def make_handle_hooks(S: "Session", o_run: Callable[[Any], None], blocking: BlockingFn,
                      control_after: AfterFn, wait_ended: WaitEndedFn) -> Tuple[Callable[[Any], None], StepFn]:
    """Handle._run (the fallback when _run_once cannot be regenerated) and the one-handle step it
    and debug-mode loops use: the same bookkeeping as the regenerated ready loop (_runloop)."""
    cb_kind = CB_KIND
    TASKS = TASK_TYPES

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
        # bookkeeping as the regenerated ready loop.
        cb = self._callback
        k = cb_kind.get(type(cb))
        if k is None:
            k = maybe_task_cb(type(cb))
        if k == 1:
            wait_ended(cb.__self__)
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
                blocking(st, info, cb, dt, t0)
            if st.mode is not None:
                control_after(st, info, cb)
            # As asyncio's own Handle._run: on 3.12+ a traceback keeps this frame alive (f_back).
            self = cb = task = None

    return _run, _step
