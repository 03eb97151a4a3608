# Loops whose scheduler is not Python code (uvloop): there is no _run_once or Handle._run to time,
# so each task's coroutine is wrapped (StepTimer) and every send/throw into it is a step, timed and
# attributed like the ready loop's. The loop class's create_task, call_exception_handler and close
# are patched (uvloop.Loop is a Python subclass of its Cython loop) as the class is defined.
from __future__ import annotations

import asyncio
import asyncio.base_events as _base_events
import collections.abc
import sys
from types import FunctionType
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Tuple

from . import _inspect
from ._callbacks import CB_KIND, BlockingFn
from ._origins import code_parent, fallback_origin, note_code, tag_protocols
from ._records import STATE_ATTR, TASK_TYPES, LoopState, TaskInfo, info_of, perf

if TYPE_CHECKING:
    from ._findings import Findings
    from ._session import Session

__all__ = ["StepTimer", "install_foreign_loops", "foreign_loop_state"]

_PATCHED = "_loopscope_patched"


class StepTimer(collections.abc.Coroutine):  # type: ignore[type-arg]
    """A task's coroutine as the task sees it on a foreign loop: each send/throw is one step of
    the task (timed, counted, watched for blocking). Everything else reads the real coroutine
    (name, frames, cr_await) through __getattr__, so reprs, await chains and states are unchanged."""

    __slots__ = ("coro", "info", "st", "after", "fut")

    def __init__(self, coro: Any, st: LoopState, after: Callable[["StepTimer", float], None]) -> None:
        self.coro = coro
        self.info: Optional[TaskInfo] = None
        self.st = st
        self.after = after
        # The future its last step yielded (what it waits on): the task holds it as _fut_waiter,
        # but clears that before the step that ends the wait, where the wait is recorded.
        self.fut: Any = None

    def send(self, value: Any) -> Any:
        return self._step(self.coro.send, value)

    def throw(self, *args: Any) -> Any:
        return self._step(self.coro.throw, *args)

    def _step(self, resume: Callable[..., Any], *args: Any) -> Any:
        # One step of the coroutine, timed; what it yields is the future its task now waits on.
        if self.fut is not None:
            _wait_ended(self)
        st = self.st
        t0 = st.step_start = perf()
        st.current_cb = self
        try:
            r = resume(*args)
            if getattr(r, "_asyncio_future_blocking", None):
                self.fut = r
            return r
        finally:
            self.after(self, t0)

    def close(self) -> None:
        self.coro.close()

    def __await__(self) -> Any:
        return self.coro.__await__()

    @property
    def __self__(self) -> Any:  # current_info(): the task whose step is running
        info = self.info
        return info() if info is not None else None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.coro, name)

    def __repr__(self) -> str:
        return repr(self.coro)


def _wait_ended(w: StepTimer) -> None:
    # The foreign loop's counterpart of _callbacks.make_wait_ended: the step about to run ends the
    # wait on w.fut, and the await chain still shows it.
    fut, w.fut = w.fut, None
    info = w.info
    if info is None or _SESSION is None:
        return
    try:
        t = _inspect.wait_target_of(fut, w.coro, _SESSION)
    except Exception:
        return
    if t is not None and t["kind"] != "yield":
        info.last_wait = t


_SESSION: Any = None  # set by install_foreign_loops


CB_KIND[StepTimer] = 2  # a task's own step (see _callbacks.CB_KIND)
_inspect.WRAPPER_TYPES[StepTimer] = "coro"


def make_close(S: "Session", o_close: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """A loop's close() that reports `loop.closed` once (asyncio's loops and uvloop's)."""
    def close(self: Any) -> Any:
        st = getattr(self, STATE_ATTR, None)
        if st is not None and not st.closed and not self.is_running():
            st.closed = True
            S.add_event({"kind": "loop.closed", "ts": S.ts(), "loop": st.id})
        try:
            return o_close(self)
        except BaseException as e:  # closing a running loop: asyncio's own traceback
            _inspect.drop_own_frame(e, close.__code__)
            raise

    return close

def foreign_loop_state(S: "Session", loop: Any) -> LoopState:
    st = getattr(loop, STATE_ATTR, None)
    if st is None:
        st = S.new_loop(loop, tick_control=False)
        try:
            setattr(loop, STATE_ATTR, st)
        except Exception:
            pass
    return st


def _make_after(S: "Session", blocking: BlockingFn) -> Callable[[StepTimer, float], None]:
    def after(w: StepTimer, t0: float) -> None:
        t1 = perf()
        st = w.st
        st.step_start = 0.0
        st.current_cb = None
        info = w.info
        if info is None:
            return
        dt = t1 - t0
        st.handles_acc += dt
        info.steps += 1
        info.busy += dt
        S.mark(info)  # done (StopIteration) is seen by the task's done callback, after this
        if dt > S.threshold:
            blocking(st, info, w, dt, t0)

    return after


def creation_origin(loop: Any, st: LoopState, frame: Any, coro: Any) -> Tuple[Optional[Tuple[str, int]], Optional[int]]:
    """(creation line, parent task id) of a task made on a loop whose scheduler is C. In a task's
    step: the line and that task. Elsewhere (a callback, a protocol, another thread, all run by
    C): the line up to the frame that started the loop, and what _origins knows of the coroutine,
    the callback or the server on the stack."""
    parent = asyncio.current_task(loop) if loop.is_running() else None
    pinfo = info_of(parent) if parent is not None else None
    if pinfo is not None:
        return _inspect.user_site(frame), pinfo.id
    site = _inspect.user_site_above(frame, st.run_frame)
    fsite, fparent = fallback_origin(frame, coro, None)
    if fparent is None:
        fparent = code_parent(frame, st.run_frame)
    return site or fsite, fparent


def _make_create_task(S: "Session", o_create_task: Callable[..., Any], after: Callable[[StepTimer, float], None]
                      ) -> Callable[..., Any]:
    getframe = sys._getframe

    def done(task: Any) -> None:
        info = info_of(task)
        if info is not None and not info.done:
            S.task_done(info, task)

    def create_task(self: Any, coro: Any, *args: Any, **kwargs: Any) -> Any:
        w: Optional[StepTimer] = None
        try:
            if asyncio.iscoroutine(coro):
                w = StepTimer(coro, foreign_loop_state(S, self), after)
        except Exception:
            pass
        task = o_create_task(self, w if w is not None else coro, *args, **kwargs)
        if w is None or not isinstance(task, TASK_TYPES):
            return task
        st = w.st
        try:
            site, parent = creation_origin(self, st, getframe(1), coro)
            info = S.register_task(task, st, coro, site, parent)
            w.info = info
            task.add_done_callback(done)
        except Exception:  # bookkeeping must never break task creation
            pass
        return task

    return create_task


def _make_scheduling(o_call: Callable[..., Any]) -> Callable[..., Any]:
    """call_later / call_at noting a plain function's scheduler (see note_code); not asyncio's
    own (asyncio.sleep's timer)."""
    getframe = sys._getframe
    skipped = _inspect.is_skipped_file

    def call_timed(self: Any, when: Any, callback: Any, *args: Any, context: Any = None) -> Any:
        if type(callback) is FunctionType and not skipped(callback.__code__.co_filename):
            try:
                st = getattr(self, STATE_ATTR, None)
                note_code(callback, getframe(1), st.run_frame if st is not None else None)
            except Exception:
                pass
        return o_call(self, when, callback, *args, context=context)

    return call_timed


def _make_serving(o_create: Callable[..., Any]) -> Callable[..., Any]:
    """create_server / create_unix_server whose protocols carry the caller's line and task."""
    getframe = sys._getframe

    def create(self: Any, protocol_factory: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            protocol_factory = tag_protocols(protocol_factory, getframe(1))
        except Exception:
            pass
        return o_create(self, protocol_factory, *args, **kwargs)

    return create


def _patches(S: "Session", cls: Any, findings: "Findings") -> List[Tuple[str, Callable[..., Any]]]:
    after = _make_after(S, findings.blocking)
    out: List[Tuple[str, Callable[..., Any]]] = [
        ("create_task", _make_create_task(S, cls.create_task, after)),
        ("call_exception_handler", findings.wrap_exception_handler(cls.call_exception_handler)),
        ("close", make_close(S, cls.close)),
    ]
    # Not call_soon: every C Task step is scheduled through it, and a Python wrapper there costs
    # a fifth more per step. A task created in a call_soon callback keeps its line, not a parent.
    for name in ("call_later", "call_at"):
        if hasattr(cls, name):
            out.append((name, _make_scheduling(getattr(cls, name))))
    for name in ("create_server", "create_unix_server"):
        if hasattr(cls, name):
            out.append((name, _make_serving(getattr(cls, name))))
    return out


def patch_loop_class(S: "Session", cls: Any, findings: "Findings") -> None:
    """Patch a loop class that is not a BaseEventLoop (uvloop.Loop): its tasks are timed by
    StepTimer, its exception handler feeds findings, its close is announced."""
    if issubclass(cls, _base_events.BaseEventLoop) or cls.__dict__.get(_PATCHED) or not hasattr(cls, "create_task"):
        return
    if any(getattr(b, _PATCHED, False) for b in cls.__mro__[1:]):
        return  # its base is patched already
    try:
        for name, fn in _patches(S, cls, findings):
            orig = getattr(cls, name)
            fn.__qualname__ = cls.__qualname__ + "." + name
            fn.__name__ = name
            fn.__doc__ = getattr(orig, "__doc__", None)
            setattr(fn, "__wrapped__", orig)
            setattr(cls, name, fn)
        setattr(cls, _PATCHED, True)
    except (TypeError, AttributeError):  # an extension type: the running-loop hook still sees it
        pass


def install_foreign_loops(S: "Session", findings: "Findings", originals: Dict[str, Any]) -> None:
    """Loop classes defined from now on (uvloop imported later) are patched as they are defined;
    uvloop.Loop is patched now if uvloop is imported already."""
    global _SESSION
    _SESSION = S
    ael: Any = asyncio.AbstractEventLoop
    o_init_subclass = ael.__dict__.get("__init_subclass__")
    originals["AbstractEventLoop.__init_subclass__"] = o_init_subclass

    def __init_subclass__(cls: Any, **kwargs: Any) -> None:
        if o_init_subclass is not None:
            o_init_subclass.__func__(cls, **kwargs)
        else:
            super(ael, cls).__init_subclass__(**kwargs)
        patch_loop_class(S, cls, findings)

    ael.__init_subclass__ = classmethod(__init_subclass__)
    uv = sys.modules.get("uvloop")
    if uv is not None and isinstance(getattr(uv, "Loop", None), type):
        patch_loop_class(S, uv.Loop, findings)
