# Origins of tasks created where no task runs (a callback, a protocol handler, another thread):
# the asyncio Server remembers the line and task that started it (Server.__init__ patch),
# run_coroutine_threadsafe its calling line and task per coroutine, and a user callback the task
# that scheduled it (note_callback, from call_soon/call_at); create_task falls back to these when
# its own frame walk finds no user line or no running task.
from __future__ import annotations

import asyncio
import asyncio.base_events as _base_events
import functools
import sys
import threading
import weakref
from typing import TYPE_CHECKING, Any, Dict, Optional, Tuple

from . import _inspect
from ._records import info_of

if TYPE_CHECKING:
    from ._session import Session

__all__ = ["install_origin_hooks", "fallback_origin", "note_callback", "callback_parent", "note_code", "code_parent",
           "tag_protocols"]

ORIGIN_ATTR = "_loopscope_origin"
# coroutine id -> (site, parent task id) for run_coroutine_threadsafe calls not yet turned into tasks.
_threadsafe: Dict[int, Tuple[Optional[Tuple[str, int]], Optional[int]]] = {}
_MAX_THREADSAFE = 10_000
# id(callback) -> (weak reference to it, id of the task that scheduled it): user callbacks
# scheduled during a task's step (or during a callback that has one), so a task created in the
# callback gets that task as its parent. Weak and checked by identity: an id reused by a later
# object never matches; bounded (cleared when full) as callbacks are not told apart when done.
_cb_parents: Dict[int, Tuple[Any, int]] = {}
_MAX_CB_PARENTS = 10_000


def note_callback(callback: Any, parent: int) -> None:
    if len(_cb_parents) >= _MAX_CB_PARENTS:
        _cb_parents.clear()
    try:
        _cb_parents[id(callback)] = (weakref.ref(callback), parent)
    except TypeError:  # not weakly referable (a builtin): its tasks keep no parent
        pass


def callback_parent(callback: Any) -> Optional[int]:
    """The task that scheduled this callback, when note_callback saw it scheduled."""
    e = _cb_parents.get(id(callback))
    return e[1] if e is not None and e[0]() is callback else None


# Loops whose scheduler is C (uvloop) run callbacks with no Python frame of theirs to name the
# callback: callback code object -> id of the task that last scheduled it (see note_code).
_code_parents: Dict[Any, int] = {}


def note_code(callback: Any, frame: Any, stop: Any) -> None:
    """A plain function scheduled as a callback on such a loop: the task scheduling it (or, in a
    callback, that callback's own parent) becomes the parent of tasks the callback creates."""
    parent = _running_task_id()
    if parent is None:
        parent = code_parent(frame, stop)
        if parent is None:
            return
    if len(_code_parents) >= _MAX_CB_PARENTS:
        _code_parents.clear()
    _code_parents[callback.__code__] = parent


def code_parent(frame: Any, stop: Any) -> Optional[int]:
    """The parent noted for the outermost callback on the stack, up to the frame that started
    the loop (the callback C called, with what it called above it)."""
    found = None
    while frame is not None and frame is not stop:
        p = _code_parents.get(frame.f_code)
        if p is not None:
            found = p
        frame = frame.f_back
    return found


THREAD_PARENT_ATTR = "_loopscope_parent"


def _running_task_id() -> Optional[int]:
    try:
        loop = asyncio._get_running_loop()
        task = asyncio.current_task(loop) if loop is not None else None
        info = info_of(task) if task is not None else None
        return info.id if info is not None else None
    except Exception:
        return None


def _caller_origin(frame: Any) -> Tuple[Optional[Tuple[str, int]], Optional[int]]:
    # In a thread with no task running: the task that started that thread, when one did.
    parent = _running_task_id()
    if parent is None:
        parent = getattr(threading.current_thread(), THREAD_PARENT_ATTR, None)
    return _inspect.user_site(frame), parent


def fallback_origin(frame: Any, coro: Any, callback: Any) -> Tuple[Optional[Tuple[str, int]], Optional[int]]:
    """(site, parent id) for a task created outside any task step: from run_coroutine_threadsafe's
    caller, from the task that scheduled the running `callback`, or from the Server whose
    transport/protocol is on the stack. (None, None) if unknown."""
    o = _threadsafe.pop(id(coro), None)
    if o is not None:
        return o
    if callback is not None:
        parent = callback_parent(callback)
        if parent is not None:
            return None, parent
    f = frame
    for _ in range(12):
        if f is None:
            break
        loc = f.f_locals
        for name in ("server", "transport", "self"):
            v = loc.get(name)
            if v is None:
                continue
            o = getattr(v, ORIGIN_ATTR, None) or getattr(getattr(v, "_server", None), ORIGIN_ATTR, None) or \
                getattr(getattr(getattr(v, "_transport", None), "_server", None), ORIGIN_ATTR, None)
            if o is not None:
                return o
        f = f.f_back
    return None, None


def tag_protocols(protocol_factory: Any, frame: Any) -> Any:
    """A server's protocol factory whose protocols carry the line and task that started the server
    (for a loop whose server is C: asyncio's Server.__init__ patch does this for its own)."""
    origin = _caller_origin(frame)

    @functools.wraps(protocol_factory)
    def factory(*args: Any, **kwargs: Any) -> Any:
        proto = protocol_factory(*args, **kwargs)
        try:
            setattr(proto, ORIGIN_ATTR, origin)
        except Exception:  # __slots__: its tasks keep what the frames say
            pass
        return proto

    return factory


def install_origin_hooks(S: "Session", originals: Dict[str, Any]) -> None:
    server_cls: Any = getattr(_base_events, "Server", None)
    if server_cls is not None:
        o_init = originals["Server.__init__"] = server_cls.__init__

        @functools.wraps(o_init)
        def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
            o_init(self, *args, **kwargs)
            try:  # made inside create_server: the caller's line and task are start_server's
                setattr(self, ORIGIN_ATTR, _caller_origin(sys._getframe(1)))
            except Exception:
                pass

        server_cls.__init__ = __init__
    _install_thread_start(originals)
    o_rct = originals["run_coroutine_threadsafe"] = asyncio.tasks.run_coroutine_threadsafe

    @functools.wraps(o_rct)
    def run_coroutine_threadsafe(coro: Any, loop: Any) -> Any:
        try:
            if len(_threadsafe) >= _MAX_THREADSAFE:  # coroutines never scheduled (closed loops)
                _threadsafe.clear()
            _threadsafe[id(coro)] = _caller_origin(sys._getframe(1))
        except Exception:
            pass
        return o_rct(coro, loop)

    for mod in (asyncio.tasks, asyncio):
        if getattr(mod, "run_coroutine_threadsafe", None) is o_rct:
            setattr(mod, "run_coroutine_threadsafe", run_coroutine_threadsafe)


def _install_thread_start(originals: Dict[str, Any]) -> None:
    """Thread.start notes the task that started the thread (for run_coroutine_threadsafe calls made
    in it). Not for executor workers: a pool thread runs jobs of many tasks, its starter's is none
    of theirs."""
    o_start = originals["Thread.start"] = threading.Thread.start

    @functools.wraps(o_start)
    def start(self: Any) -> None:
        try:
            target = getattr(self, "_target", None)
            if getattr(target, "__module__", None) != "concurrent.futures.thread":
                parent = _running_task_id()
                if parent is not None:
                    setattr(self, THREAD_PARENT_ATTR, parent)
        except Exception:
            pass
        try:
            o_start(self)
        except BaseException as e:  # started twice, no thread left: threading's own traceback
            _inspect.drop_own_frame(e, sys._getframe().f_code)
            raise

    setattr(threading.Thread, "start", start)
