# Task and future hooks: the create_task/create_future patches (creation site, parent, eager
# first steps), task names kept past an eager task's end, the hook on asyncio's registry of tasks
# where records live, executor futures (wrap_future), and task factories for loops that are not
# BaseEventLoop (uvloop). Each is made at install time with the session bound in its closure.
from __future__ import annotations

import asyncio
import asyncio.base_events as _base_events
import functools
import sys
import threading
import weakref
from typing import TYPE_CHECKING, Any, Callable, Dict, Optional

from . import _inspect
from ._callbacks import current_info
from ._origins import fallback_origin
from ._records import STATE_ATTR, TASK_TYPES, LoopState, charge_own, info_of, perf

if TYPE_CHECKING:
    from ._session import Session

__all__ = ["make_create_task", "make_create_future", "install_set_task_name", "install_registry", "install_wrap_future",
           "install_running_loop_hook", "current_task", "drop_own_frames"]

# The loop's LoopState, made (and attached) on first sight.
LoopStateFn = Callable[[Any], LoopState]

try:
    import _asyncio
except ImportError:  # pragma: no cover
    _asyncio = None
# The C accelerator's directly: one call instead of two on every task creation.
_c_current_task: Callable[[Any], Any] = getattr(_asyncio, "current_task", None) or asyncio.current_task


def current_task(loop: Any) -> Any:
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


def drop_own_frames(fut: Any) -> None:
    # Debug mode records where futures/tasks were created; keep that identical to a plain run.
    tb = getattr(fut, "_source_traceback", None)
    if tb:
        tb[:] = [f for f in tb if not f.filename.startswith(_inspect._LOOPSCOPE_DIR)]


def make_create_task(S: "Session", loop_state: LoopStateFn, o_create_task: Callable[..., Any]) -> Callable[..., Any]:
    """BaseEventLoop.create_task that registers the task with its creation site and parent."""
    TASKS = TASK_TYPES
    getframe = sys._getframe

    def create_task(self: Any, coro: Any, *args: Any, **kwargs: Any) -> Any:
        st = getattr(self, STATE_ATTR, None)
        if st is None:
            st = loop_state(self)
        factory = self._task_factory
        t0 = perf()
        try:
            task = o_create_task(self, coro, *args, **kwargs)
        except BaseException as e:  # a closed loop, a coroutine refused: asyncio's own traceback
            _inspect.drop_own_frame(e, create_task.__code__)
            raise
        t1 = perf()
        dt = t1 - t0  # an eager task's (3.12+) first step ran in here: the program's own time
        if self._debug:
            drop_own_frames(task)
        try:
            info = info_of(task)
            if info is None and not isinstance(task, TASKS):
                return task
            parent = current_task(self)
            pinfo = None
            if parent is not None and parent is not task:
                pinfo = info_of(parent)
                if pinfo is None and isinstance(parent, TASKS):
                    # An eager task creating children during its first step, before its own
                    # create_task call has returned: register it now, details follow.
                    pinfo = S.register_task(parent, st)
            site = _inspect.user_site(getframe(1))
            parent_id = pinfo.id if pinfo is not None else None
            if parent is None:  # made in a callback, a protocol handler, from another thread
                fsite, fparent = fallback_origin(getframe(1), coro, st.current_cb)
                site = site or fsite
                parent_id = fparent
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
        finally:
            charge_own(st, perf() - t1)
        return task

    return create_task


# Modules whose futures are not the user's (as _inspect.is_skipped_file, by module name).
_OWN_MODULES = ("asyncio.", "loopscope.")


def make_create_future(S: "Session", o_create_future: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """BaseEventLoop.create_future that queues futures made by user code for announcement."""
    skip = _inspect._skip_cache
    is_skipped = _inspect.is_skipped_file
    getframe = sys._getframe
    # 3.12+: the caller's module without a frame object. Reading the caller's frame gives it one
    # (~190 bytes) for as long as it runs, and asyncio's own callers (Event.wait, Queue.get, sleep)
    # are suspended in it: every task waiting there would pay that for nothing.
    module_of: Optional[Callable[[int], Optional[str]]] = getattr(sys, "_getframemodulename", None)

    def create_future(self: Any) -> Any:
        try:
            fut = o_create_future(self)
        except BaseException as e:  # a loop class whose create_future refuses: its own traceback
            _inspect.drop_own_frame(e, create_future.__code__)
            raise
        if self._debug:
            drop_own_frames(fut)
        if module_of is not None:
            mod = module_of(1)
            if mod is not None and mod.startswith(_OWN_MODULES):
                return fut
        f = getframe(1)
        fn = f.f_code.co_filename
        s = skip.get(fn)
        if s is None:
            s = is_skipped(fn)
        if not s:
            st = getattr(self, STATE_ATTR, None)
            if st is not None:
                # Weak: a pending future (and the tasks it would wake) must stay collectable.
                S.new_futures.append((weakref.ref(fut), st, (fn, f.f_lineno)))
        return fut

    return create_future


def install_wrap_future(originals: Dict[str, Any]) -> None:
    """asyncio.wrap_future (run_in_executor's, looked up at each call) notes the asyncio future it
    makes, so a wait on it is an executor job even once it is done (_inspect.EXECUTOR_FUTURES)."""
    mod: Any = asyncio.futures
    o_wrap = originals["wrap_future"] = mod.wrap_future
    known = _inspect.EXECUTOR_FUTURES

    @functools.wraps(o_wrap)
    def wrap_future(future: Any, *, loop: Any = None) -> Any:
        new = o_wrap(future, loop=loop)
        if new is not future:  # an asyncio future passed in is returned as is
            try:
                known.add(new)
            except TypeError:
                pass
        return new

    for m in (mod, asyncio):
        if getattr(m, "wrap_future", None) is o_wrap:
            setattr(m, "wrap_future", wrap_future)


def install_set_task_name(originals: Dict[str, Any]) -> None:
    o_set_name = getattr(asyncio.tasks, "_set_task_name", None)
    if o_set_name is None:
        return
    originals["_set_task_name"] = o_set_name

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

    setattr(asyncio.tasks, "_set_task_name", _set_task_name)


def install_registry(S: "Session", originals: Dict[str, Any]) -> None:
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
    originals["_unregister_task"] = o_unregister

    def _unregister_task(task: Any) -> None:
        # A task taken out of the registry by hand takes its record along: hold that one apart.
        info = info_of(task)
        o_unregister(task)
        if info is not None:
            S.adopt(info)

    setattr(_unregister_task, "__wrapped__", o_unregister)
    for mod in (tasks_mod, asyncio):
        if getattr(mod, "_unregister_task", None) is o_unregister:
            setattr(mod, "_unregister_task", _unregister_task)


# --- loops that are not BaseEventLoop (uvloop) ----------------------------------------------

def install_running_loop_hook(S: "Session", originals: Dict[str, Any]) -> None:
    # uvloop binds asyncio._set_running_loop when it is imported; patching the package attribute
    # (asyncio's own loops use asyncio.events._set_running_loop) lets us see its loops start.
    o_set = originals["_set_running_loop"] = asyncio._set_running_loop

    def _set_running_loop(loop: Any) -> None:
        try:
            if loop is not None and not isinstance(loop, _base_events.BaseEventLoop):
                _adopt_foreign_loop(S, loop).run_frame = sys._getframe(1)
            elif loop is None:  # a loop stops: its run frame is let go
                for st in list(S.loops.values()):
                    if st.run_frame is not None and st.thread == threading.get_ident():
                        st.run_frame = None
        except Exception:
            pass
        o_set(loop)

    setattr(asyncio, "_set_running_loop", _set_running_loop)


def _adopt_foreign_loop(S: "Session", loop: Any) -> LoopState:
    if getattr(type(loop), "_loopscope_patched", False):  # its tasks are timed (see _foreign)
        from ._foreign import foreign_loop_state
        return foreign_loop_state(S, loop)
    for known in S.loops.values():
        if known.ref() is loop:
            return known
    st = S.new_loop(loop, tick_control=False)
    user_factory = loop.get_task_factory()

    def factory(lp: Any, coro: Any, **kwargs: Any) -> Any:
        if user_factory is not None:
            task = user_factory(lp, coro, **kwargs)
        else:
            task = asyncio.Task(coro, loop=lp, **kwargs)
        if isinstance(task, TASK_TYPES):
            parent = current_task(lp)
            pinfo = info_of(parent) if parent is not None else None
            S.register_task(task, st, None, _inspect.user_site(sys._getframe(1)),
                            pinfo.id if pinfo is not None else None)
            task.add_done_callback(done)
        return task

    def done(task: Any) -> None:
        info = info_of(task)
        if info is not None and not info.done:
            S.task_done(info, task)

    loop.set_task_factory(factory)
    return st
