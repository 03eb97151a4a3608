# Read-only introspection of tasks and frames: what a task waits on (cr_await walk + _fut_waiter),
# await chains, creation/raise sites, bounded safe reprs, frame variables and name-path evaluation.
# Never calls user code it can avoid (getattr_static, reprlib with truncation, guarded __repr__).
from __future__ import annotations

import asyncio
import inspect
import os
import re
import reprlib
import sys
import types
import time
import weakref
from typing import Any, Callable, Dict, List, Optional, Tuple

__all__ = [
    "safe_repr", "result_repr", "safe_str", "raise_location", "user_site", "wait_target", "wait_target_of", "future_label",
    "coro_chain", "FrameRegistry", "is_internal_file", "is_skipped_file", "shared", "drop_own_frame",
]

_ASYNCIO_DIR = os.path.dirname(asyncio.__file__) + os.sep
_LOOPSCOPE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep
# Where the standard library's .py files are (sysconfig's "stdlib"; not imported for this alone).
_STDLIB_DIRS = tuple({os.path.realpath(os.path.dirname(os.__file__)) + os.sep, os.path.dirname(os.__file__) + os.sep})
_SITE_MARKERS = (os.sep + "site-packages" + os.sep, os.sep + "dist-packages" + os.sep)

def drop_own_frame(exc: BaseException, code: Any) -> None:
    """Takes the frame of a patch (running `code`) off the top of `exc`'s traceback: an exception
    that escapes asyncio or threading through one of loopscope's patches then prints as in a plain
    run. The caller re-raises it with a bare `raise`, which adds no frame back."""
    tb = exc.__traceback__
    if tb is not None and tb.tb_frame.f_code is code:
        exc.__traceback__ = tb.tb_next


_skip_cache: Dict[str, bool] = {}
# Coroutine wrappers of loopscope's own (type -> attribute holding the real coroutine): a task on
# a foreign loop runs one (see _foreign.StepTimer); chains and waits read the real one.
WRAPPER_TYPES: Dict[type, str] = {}
_internal_cache: Dict[str, bool] = {}


def is_skipped_file(filename: str) -> bool:
    """Frames of asyncio and loopscope: skipped when looking for the user's creation site."""
    r = _skip_cache.get(filename)
    if r is None:
        r = _skip_cache[filename] = (
            filename.startswith(_ASYNCIO_DIR) or filename.startswith(_LOOPSCOPE_DIR)
            or filename.startswith("<frozen "))
    return r


def is_internal_file(filename: str) -> bool:
    """asyncio, the rest of the standard library and loopscope itself (justMyCode hides these)."""
    r = _internal_cache.get(filename)
    if r is None:
        if is_skipped_file(filename):
            r = True
        elif any(m in filename for m in _SITE_MARKERS):
            r = False
        else:
            real = os.path.realpath(filename) if os.path.isabs(filename) else filename
            r = any(real.startswith(d) or filename.startswith(d) for d in _STDLIB_DIRS)
        _internal_cache[filename] = r
    return r


_sites: Dict[Tuple[str, int], Tuple[str, int]] = {}


def shared(cache: Dict[Any, Any], key: Tuple[Any, ...]) -> Any:
    """The one tuple equal to `key` kept in `cache` (bounded: cleared at 50,000 entries), so
    records that say the same thing share it instead of holding a copy each."""
    found = cache.get(key)
    if found is None:
        if len(cache) >= 50_000:
            cache.clear()
        found = cache[key] = key
    return found


def user_site(frame: Any) -> Optional[Tuple[str, int]]:
    """First frame (walking outwards) that is not asyncio or loopscope. None when the walk
    reaches loopscope's handle wrapper first: the caller was the loop's own machinery."""
    skipped = _skip_cache
    while frame is not None:
        fn = frame.f_code.co_filename
        s = skipped.get(fn)
        if s is None:
            s = is_skipped_file(fn)
        if not s:
            # One shared tuple per creation line: 100k tasks created by one line share one site.
            return shared(_sites, (fn, frame.f_lineno))
        if fn.startswith(_LOOPSCOPE_DIR):
            return None
        frame = frame.f_back
    return None


def user_site_above(frame: Any, stop: Any) -> Optional[Tuple[str, int]]:
    """user_site, for a loop whose scheduler is C: the walk ends (None) at `stop`, the frame that
    started the loop, as what lies below it called run() and did not create the task."""
    while frame is not None and frame is not stop:
        fn = frame.f_code.co_filename
        if not is_skipped_file(fn):
            return shared(_sites, (fn, frame.f_lineno))
        frame = frame.f_back
    return None


# --- safe reprs -----------------------------------------------------------------------------

class _SafeRepr(reprlib.Repr):
    def __init__(self, limit: int) -> None:
        super().__init__()
        self.maxstring = limit
        self.maxother = limit
        self.maxlong = 60
        self.maxlist = self.maxtuple = self.maxset = self.maxfrozenset = self.maxdeque = 12
        self.maxdict = 8
        self.maxarray = 12
        self.maxlevel = 3

    def repr_instance(self, x: Any, level: int) -> str:
        try:
            s = repr(x)
        except Exception as e:
            return "<repr of %s failed: %s>" % (_type_name(x), _exc_text(e))
        if len(s) > self.maxother:
            return s[: self.maxother - 1] + "…"
        return s


_reprs: Dict[int, _SafeRepr] = {}


_PLAIN_SCALARS = frozenset({type(None), bool, int, float, complex, str, bytes})
_PLAIN_CONTAINERS = frozenset({list, tuple, dict, set, frozenset})


def _plain(v: Any, depth: int, budget: List[int]) -> bool:
    """Only builtin scalars inside builtin containers (exact types, bounded walk): their repr runs
    no user code."""
    t = type(v)
    if t in _PLAIN_SCALARS:
        return True
    if t not in _PLAIN_CONTAINERS or depth > 3:
        return False
    items = v.items() if t is dict else v
    for x in items:
        budget[0] -= 1
        if budget[0] < 0:
            return False
        if t is dict:
            if not (_plain(x[0], depth + 1, budget) and _plain(x[1], depth + 1, budget)):
                return False
        elif not _plain(x, depth + 1, budget):
            return False
    return True


def result_repr(obj: Any, limit: int = 200) -> str:
    """A task result for the debugger without running the program's code: a bounded repr for
    builtin values, else the type (a user `__repr__` may have side effects, cost or locks)."""
    try:
        if _plain(obj, 0, [200]):
            return safe_repr(obj, limit)
    except Exception:  # a container mutated by another thread while walked
        pass
    return "<%s object>" % _type_name(obj)


def safe_repr(obj: Any, limit: int = 200) -> str:
    """repr() that cannot raise and is at most `limit` characters."""
    r = _reprs.get(limit)
    if r is None:
        r = _reprs[limit] = _SafeRepr(limit)
    try:
        s = r.repr(obj)
    except Exception as e:
        s = "<repr of %s failed: %s>" % (_type_name(obj), _exc_text(e))
    if not isinstance(s, str):
        s = "<%s>" % _type_name(obj)
    if len(s) > limit:
        s = s[: limit - 1] + "…"
    return s


def safe_str(exc: BaseException, limit: int = 500) -> str:
    try:
        s = str(exc)
    except Exception as e:
        s = "<str failed: %s>" % type(e).__name__
    return s if len(s) <= limit else s[: limit - 1] + "…"


def _exc_text(e: BaseException) -> str:
    try:
        return "%s(%r)" % (type(e).__name__, str(e)[:80])
    except Exception:
        return type(e).__name__


def _type_name(obj: Any) -> str:
    t = type(obj)
    mod = t.__module__
    return t.__qualname__ if mod in ("builtins", "__main__") else mod + "." + t.__qualname__


def raise_location(exc: BaseException) -> Optional[Dict[str, Any]]:
    tb = exc.__traceback__
    if tb is None:
        return None
    while tb.tb_next is not None:
        tb = tb.tb_next
    return {"file": tb.tb_frame.f_code.co_filename, "line": tb.tb_lineno}


# --- await chains and wait classification -------------------------------------------------

_CoroutineType = types.CoroutineType
_GeneratorType = types.GeneratorType


def coro_chain(coro: Any) -> Tuple[List[Tuple[Any, Any, str]], Any]:
    """Outermost-first [(awaitable, frame, kind)] following cr_await/ag_await/gi_yieldfrom,
    plus the leaf object that is not a coroutine (a future iterator, an asend object…)."""
    out: List[Tuple[Any, Any, str]] = []
    if type(coro) in WRAPPER_TYPES:
        coro = getattr(coro, WRAPPER_TYPES[type(coro)])
    for _ in range(256):
        if coro is None:
            break
        t = type(coro)  # exact types first: hasattr() on a missing attribute raises internally
        if t is _CoroutineType:
            f, nxt, kind = coro.cr_frame, coro.cr_await, "coroutine"
        elif t is _GeneratorType:
            f, nxt, kind = coro.gi_frame, coro.gi_yieldfrom, "generator"
        elif hasattr(coro, "cr_frame"):
            f, nxt, kind = coro.cr_frame, coro.cr_await, "coroutine"
        elif hasattr(coro, "ag_frame"):
            f, nxt, kind = coro.ag_frame, coro.ag_await, "async_generator"
        elif hasattr(coro, "gi_frame"):
            f, nxt, kind = coro.gi_frame, coro.gi_yieldfrom, "generator"
        else:
            break
        if f is None:
            coro = None
            break
        out.append((coro, f, kind))
        coro = nxt
    return out, coro


def _local(frame: Any, name: str) -> Any:
    try:
        return frame.f_locals.get(name)
    except Exception:
        return None


_LOCK_KIND = {"Lock": "lock", "Semaphore": "semaphore", "BoundedSemaphore": "semaphore",
              "Condition": "condition", "Event": "event"}
_STREAM_READ = {"_wait_for_data", "read", "readline", "readexactly", "readuntil", "__anext__"}
_STREAM_WRITE = {"drain", "_drain_helper"}
_SOCK_READ = {"sock_recv", "sock_recv_into", "sock_recvfrom", "sock_recvfrom_into", "sock_accept"}
_SOCK_WRITE = {"sock_sendall", "sock_sendto", "sock_connect", "sock_sendfile", "_sock_sendfile_native"}


def _frame_rule(frame: Any) -> Optional[Dict[str, Any]]:
    code = frame.f_code
    fn = code.co_filename
    if not fn.startswith(_ASYNCIO_DIR):
        return _library_rule(fn, code.co_name) if _LIBRARY_MARK in fn else None
    rule = _MODULE_RULES.get(fn[len(_ASYNCIO_DIR):])
    return rule(frame, code.co_name) if rule is not None else None


def _tasks_rule(frame: Any, name: str) -> Optional[Dict[str, Any]]:
    if name == "sleep":
        delay = _local(frame, "delay")
        t: Dict[str, Any] = {"kind": "sleep", "label": "sleep %s s" % _num(delay)}
        h = _local(frame, "h")
        if h is not None and hasattr(h, "when"):
            try:
                loop = _local(frame, "loop") or h._loop
                t["untilEpochMs"] = round((time.time() + (h.when() - loop.time())) * 1000.0, 1)
            except Exception:
                pass
        return t
    if name == "__sleep0":
        return {"kind": "yield", "label": "yield (sleep 0)"}
    if name in ("wait_for",):
        return {"kind": "other", "label": "wait_for"}
    if name in ("wait", "_wait"):
        return {"kind": "other", "label": "asyncio.wait"}
    return None


def _queues_rule(frame: Any, name: str) -> Optional[Dict[str, Any]]:
    q = _local(frame, "self")
    detail = None
    if q is not None:
        try:
            detail = "%s maxsize=%d qsize=%d" % (type(q).__name__, q.maxsize, q.qsize())
        except Exception:
            pass
    t: Optional[Dict[str, Any]] = None
    if name == "get":
        t = {"kind": "queue.get", "label": type(q).__name__ + ".get" if q is not None else "Queue.get"}
    elif name == "put":
        t = {"kind": "queue.put", "label": type(q).__name__ + ".put" if q is not None else "Queue.put"}
    elif name == "join":
        t = {"kind": "other", "label": "Queue.join"}
    if t is not None and detail:
        t["detail"] = detail
    return t


_lock_classes: Dict[type, Optional[str]] = {}


def _lock_class(t: type) -> Optional[str]:
    # The asyncio.locks class a type derives from, found once per type.
    if t in _lock_classes:
        return _lock_classes[t]
    found = None
    for c in t.__mro__:
        if c.__name__ in _LOCK_KIND and c.__module__ == "asyncio.locks":
            found = c.__name__
            break
    if len(_lock_classes) < 1000:
        _lock_classes[t] = found
    return found


def _locks_rule(frame: Any, name: str) -> Optional[Dict[str, Any]]:
    obj = _local(frame, "self")
    if obj is None:
        return None
    cls = _lock_class(type(obj))
    if cls is None:
        if type(obj).__name__ == "Barrier":
            return {"kind": "other", "label": "Barrier.wait"}
        return None
    label = type(obj).__name__ + "." + name
    t = {"kind": _LOCK_KIND[cls], "label": label}
    if _LOCK_KIND[cls] == "semaphore":
        try:
            t["detail"] = "%s value=%d" % (type(obj).__name__, obj._value)
        except Exception:
            pass
    return t


def _streams_rule(frame: Any, name: str) -> Optional[Dict[str, Any]]:
    if name in _STREAM_READ:
        return {"kind": "stream.read", "label": "StreamReader." + name.lstrip("_")}
    if name in _STREAM_WRITE:
        return {"kind": "stream.write", "label": "StreamWriter.drain"}
    if name == "wait_closed":  # the close waiter: the transport's connection_lost
        return {"kind": "stream.write", "label": "StreamWriter.wait_closed"}
    if name in ("open_connection", "open_unix_connection"):
        return {"kind": "socket.write", "label": "asyncio." + name}
    return None


# Loop methods that await a transport's waiter (resolved once its protocol is connected, or its
# TLS handshake done): named by the call, not by the bare Future they await.
_TRANSPORT_SETUP = {
    "_accept_connection2": ("socket.read", "Server: accepted connection setup"),
    "_create_connection_transport": ("socket.write", "loop.create_connection"),
    "create_connection": ("socket.write", "loop.create_connection"),
    "create_unix_connection": ("socket.write", "loop.create_unix_connection"),
    "connect_accepted_socket": ("socket.read", "loop.connect_accepted_socket"),
    "start_tls": ("socket.read", "loop.start_tls (TLS handshake)"),
    "create_datagram_endpoint": ("socket.read", "loop.create_datagram_endpoint"),
    "connect_read_pipe": ("stream.read", "loop.connect_read_pipe"),
    "connect_write_pipe": ("stream.write", "loop.connect_write_pipe"),
    "_make_subprocess_transport": ("subprocess", "subprocess start"),
    "_make_unix_subprocess_transport": ("subprocess", "subprocess start"),
    "wait_closed": ("other", "Server.wait_closed"),
    "shutdown_default_executor": ("executor", "loop.shutdown_default_executor"),
    "drain": ("socket.write", "loop.sendfile"),  # the sendfile fallback's write buffer
}


_LIBRARY_MARK = os.sep + "aiohttp" + os.sep
_AIOHTTP_READ = {"read", "readany", "readline", "readchunk", "readexactly", "readuntil", "_wait", "text", "json",
                 "iter_chunked", "receive", "receive_str", "receive_bytes", "receive_json", "__anext__"}


def _library_rule(fn: str, name: str) -> Optional[Dict[str, Any]]:
    # aiohttp: response bodies and websocket messages (reads), and the request itself.
    base = fn.replace(os.sep, "/").rsplit("/aiohttp/", 1)
    if len(base) != 2:
        return None
    mod = base[1]
    if mod in ("streams.py", "client_reqrep.py", "client_ws.py", "web_ws.py", "web_request.py") and name in _AIOHTTP_READ:
        owner = {"streams.py": "StreamReader", "client_reqrep.py": "ClientResponse", "client_ws.py": "ClientWebSocketResponse",
                 "web_ws.py": "WebSocketResponse", "web_request.py": "Request"}[mod]
        return {"kind": "stream.read", "label": "aiohttp %s.%s" % (owner, name.lstrip("_"))}
    if mod == "client.py" and name in ("_request", "__aenter__", "_ws_connect"):
        return {"kind": "socket.read", "label": "aiohttp request"}
    return None


def _sockets_rule(frame: Any, name: str) -> Optional[Dict[str, Any]]:
    if name == "serve_forever":
        srv = _local(frame, "self")
        t: Dict[str, Any] = {"kind": "socket.read", "label": "Server.serve_forever"}
        try:
            t["detail"] = ", ".join("%s:%s" % s.getsockname()[:2] for s in srv.sockets)
        except Exception:
            pass
        return t
    if name in _SOCK_READ:
        return {"kind": "socket.read", "label": "loop." + name, **_sock_detail(frame)}
    if name in _SOCK_WRITE:
        return {"kind": "socket.write", "label": "loop." + name, **_sock_detail(frame)}
    if name in ("getaddrinfo", "getnameinfo"):
        return {"kind": "executor", "label": "loop." + name, "detail": "default executor"}
    setup = _TRANSPORT_SETUP.get(name)
    if setup is not None:
        return {"kind": setup[0], "label": setup[1]}
    return None


def _subprocess_rule(frame: Any, name: str) -> Optional[Dict[str, Any]]:
    if name in ("wait", "_wait", "communicate"):
        proc = _local(frame, "self")
        pid = getattr(proc, "pid", None) if proc is not None else None
        t = {"kind": "subprocess", "label": "Process." + name.lstrip("_")}
        if isinstance(pid, int):
            t["detail"] = "pid %d" % pid
        return t
    return None


def _threads_rule(frame: Any, name: str) -> Optional[Dict[str, Any]]:
    if name == "to_thread":
        return {"kind": "executor", "label": "to_thread", "detail": "default executor"}
    return None


def _taskgroups_rule(frame: Any, name: str) -> Optional[Dict[str, Any]]:
    if name in ("__aexit__", "_aexit"):
        return {"kind": "other", "label": "TaskGroup: waiting for its tasks"}
    return None


# What a suspended frame in each asyncio module waits on, by its function name.
_MODULE_RULES: Dict[str, Callable[[Any, str], Optional[Dict[str, Any]]]] = {
    "tasks.py": _tasks_rule, "queues.py": _queues_rule, "locks.py": _locks_rule, "streams.py": _streams_rule,
    "selector_events.py": _sockets_rule, "base_events.py": _sockets_rule, "proactor_events.py": _sockets_rule,
    "unix_events.py": _sockets_rule, "windows_events.py": _sockets_rule,
    "subprocess.py": _subprocess_rule, "base_subprocess.py": _subprocess_rule, "threads.py": _threads_rule,
    "taskgroups.py": _taskgroups_rule,
}


def _sock_detail(frame: Any) -> Dict[str, Any]:
    sock = _local(frame, "sock")
    try:
        peer = sock.getpeername()
        return {"detail": "%s:%s" % (peer[0], peer[1])}
    except Exception:
        try:
            name = sock.getsockname()
            return {"detail": "%s:%s" % (name[0], name[1])}
        except Exception:
            return {}


def _num(v: Any) -> str:
    if isinstance(v, (int, float)):
        return ("%g" % v)
    return "?"


# Futures made by asyncio.wrap_future (run_in_executor's): a done one no longer holds the callback
# that links it to its executor job, so a wait on it that is ending is told apart by this (see
# _taskhooks.install_wrap_future).
EXECUTOR_FUTURES: "weakref.WeakSet[Any]" = weakref.WeakSet()


def _is_executor_future(fut: Any) -> bool:
    try:
        if fut in EXECUTOR_FUTURES:
            return True
        cbs = fut._callbacks or ()
    except Exception:
        return False
    for cb in cbs:
        fn = cb[0] if isinstance(cb, tuple) else cb
        if getattr(fn, "__qualname__", "").endswith("_chain_future.<locals>._call_check_cancel"):
            return True
    return False


def future_label(fut: Any) -> str:
    if isinstance(fut, asyncio.Task):
        try:
            return "Task " + fut.get_name()
        except Exception:
            return "Task"
    return type(fut).__qualname__


def wait_target(task: Any, session: Any, ending: bool = False,
                yield_site: bool = True) -> Optional[Dict[str, Any]]:
    """WaitTarget for a suspended task, {'kind':'yield'} for a task that yielded and is ready,
    None for a task that has not started yet or was just woken. `ending`: classify the wait that
    is ending right now (its future is already done: the task was woken or cancelled, and its
    step has not run yet). `yield_site`: give a ready
    task's line too (it costs that coroutine a frame object for the rest of its life).
    `task` may be a weak reference to it (a TaskInfo): other threads pass one (see below)."""
    try:
        if isinstance(task, weakref.ref):
            # Off the loop thread, hold the task only while reading what is needed of it: the
            # program may drop its last reference meanwhile, and must see the task die then (its
            # "exception was never retrieved" log, weakrefs, gc), not when this walk is over.
            t = task()
            if t is None:
                return None
            done, w, coro = t.done(), getattr(t, "_fut_waiter", None), t.get_coro()
            t = None
        else:
            done, w, coro = task.done(), getattr(task, "_fut_waiter", None), task.get_coro()
            task = None
        if done:
            return None
        if type(coro) in WRAPPER_TYPES:
            coro = getattr(coro, WRAPPER_TYPES[type(coro)])
        return _wait_target(w, coro, session, ending, yield_site)
    except Exception:  # a concurrently mutating task must not break the batch
        return {"kind": "other", "label": "unknown"}


def wait_target_of(fut: Any, coro: Any, session: Any) -> Optional[Dict[str, Any]]:
    """The wait on `fut` that is ending now, for a task whose coroutine is `coro` (a foreign loop's
    task has cleared its _fut_waiter by then, see _foreign.StepTimer)."""
    return _wait_target(fut, coro, session, True, True)


def _wait_target(w: Any, coro: Any, session: Any, ending: bool, yield_site: bool) -> Optional[Dict[str, Any]]:
    if w is None and not ending:
        return _ready_target(coro, yield_site)
    if w is not None and w.done() and not ending:
        return None
    # What the awaited future says is read first and the future let go before the frame walk:
    # a pending future's callbacks hold its waiting task (see wait_target).
    target: Optional[Dict[str, Any]] = None
    fallback: Optional[Dict[str, Any]] = None
    plain = None  # a plain future, named only if no rule names the wait (see below)
    if w is not None:
        if isinstance(w, asyncio.Task):
            info = session.task_info(w)
            target = {"kind": "task", "label": future_label(w)}
            if info is not None:
                target["task"] = info.id
        elif type(w).__name__ == "_GatheringFuture":
            kids = getattr(w, "_children", None) or []
            ids = [i.id for i in (session.task_info(k) for k in kids) if i is not None]
            target = {"kind": "gather", "label": "gather(%d)" % len(kids), "tasks": ids}
            kids = None
        elif ending:  # on the loop thread, where holding it longer costs nothing: read if needed
            plain = w
        else:
            fallback = _plain_future(w, session)
        w = None
    chain, _leaf = coro_chain(coro)
    site = None
    user_at = -1
    internal = _internal_cache.get
    for i in range(len(chain) - 1, -1, -1):
        f = chain[i][1]
        fn = f.f_code.co_filename
        r = internal(fn)
        if r is None:
            r = is_internal_file(fn)
        if not r and not (_LIBRARY_MARK in fn and _library_rule(fn, f.f_code.co_name) is not None):
            # (a library wait the rules name, e.g. an aiohttp read, is the user's call, not their line)
            site = {"file": fn, "line": f.f_lineno}
            user_at = i
            break
    if user_at >= 0:
        # Named at the level the user wrote it: the call their line awaits (`await q.join()` is
        # Queue.join; the Event.wait inside it is in the await chain), outermost first. It wins
        # over the task or gather that call awaits inside (`proc.communicate()` gathers its pipes),
        # whose ids it keeps.
        for _c, f, _k in chain[user_at + 1:]:
            named = _frame_rule(f)
            if named is not None:
                if target is not None:
                    named.update((k, v) for k, v in target.items() if k in ("task", "tasks"))
                target = named
                break
    if target is None:
        for _c, f, _k in reversed(chain):
            target = _frame_rule(f)
            if target is not None:
                break
    if target is None:
        if plain is not None:
            fallback = _plain_future(plain, session)
            plain = None
        if fallback is not None:
            target = fallback
        else:  # ending (cancelled) while waiting on no future
            if not chain or (chain[0][2] == "coroutine" and _not_started(chain[0][0])):
                return None
            target = {"kind": "yield", "label": "yield"}
    if site is not None:
        target["site"] = site
    return target


def _plain_future(w: Any, session: Any) -> Dict[str, Any]:
    """A wait on a future no rule names: an executor job, or the future itself."""
    if _is_executor_future(w):
        return {"kind": "executor", "label": "executor job"}
    fid = session.future_ids.get(id(w))
    t: Dict[str, Any] = {"kind": "future", "label": future_label(w)}
    if fid is not None:
        t["future"] = fid
    return t


def _ready_target(coro: Any, with_site: bool) -> Optional[Dict[str, Any]]:
    """WaitTarget of a task that waits on no future: it yielded (ready), or has not started (None).
    Told from code objects: reading cr_frame gives a coroutine a frame object for the rest of its
    life (~200 bytes on 3.11+, times every ready task), so only the frame whose line is shown is."""
    first = coro
    user = None  # innermost coroutine that is the program's own: its line is the site
    leaf = None
    for _ in range(256):
        t = type(coro)
        if t is _CoroutineType:
            code, nxt = coro.cr_code, coro.cr_await
        elif t is _GeneratorType:
            code, nxt = coro.gi_code, coro.gi_yieldfrom
        else:
            break
        fn = code.co_filename
        r = _internal_cache.get(fn)
        if r is None:
            r = is_internal_file(fn)
        if not r:
            user = coro
        leaf = code
        coro = nxt
    if leaf is None or (type(first) is _CoroutineType and _not_started(first)):
        return None
    sleep0 = leaf.co_name == "__sleep0" and leaf.co_filename.startswith(_ASYNCIO_DIR)
    target: Dict[str, Any] = {"kind": "yield", "label": "yield (sleep 0)" if sleep0 else "yield"}
    if with_site and user is not None:
        f = user.cr_frame if type(user) is _CoroutineType else user.gi_frame
        if f is not None:
            target["site"] = {"file": f.f_code.co_filename, "line": f.f_lineno}
    return target


def _not_started(coro: Any) -> bool:
    try:
        return inspect.getcoroutinestate(coro) == inspect.CORO_CREATED
    except Exception:
        return False


# --- frames, variables, evaluate ----------------------------------------------------------------

_CONTAINERS = (list, tuple, dict, set, frozenset)


class FrameRegistry:
    """Ids for frames and expandable values handed to the debugger; cleared on resume."""

    def __init__(self) -> None:
        self.next_id = 0
        self.frames: Dict[int, Any] = {}
        self.refs: Dict[int, Any] = {}

    def clear(self) -> None:
        self.frames.clear()
        self.refs.clear()

    def _id(self) -> int:
        self.next_id += 1
        return self.next_id

    def chain(self, task: Any) -> List[Dict[str, Any]]:
        if task.done():
            return []
        chain, _leaf = coro_chain(task.get_coro())
        out: List[Dict[str, Any]] = []
        for _c, f, kind in reversed(chain):
            fid = self._id()
            self.frames[fid] = f
            code = f.f_code
            name = getattr(code, "co_qualname", None) or code.co_name
            out.append({"id": fid, "name": name, "file": code.co_filename, "line": f.f_lineno or 0,
                        "kind": kind, "internal": is_internal_file(code.co_filename)})
        return out

    def _var(self, name: str, value: Any) -> Dict[str, Any]:
        ref = 0
        if _expandable(value):
            ref = self._id()
            self.refs[ref] = value
        return {"name": name, "value": safe_repr(value, 300), "type": _type_name(value), "ref": ref}

    def variables(self, frame_id: Optional[int], ref: Optional[int], limit: int = 200) -> List[Dict[str, Any]]:
        if frame_id is not None:
            f = self.frames.get(frame_id)
            if f is None:
                raise KeyError("no frame with id %d (frame ids expire when the loop resumes)" % frame_id)
            items = list(_frame_locals(f).items())
        else:
            if ref not in self.refs:
                raise KeyError("no variable reference %s (references expire when the loop resumes)" % ref)
            items = _children(self.refs[ref])
        out = [self._var(str(k), v) for k, v in items[:limit]]
        if len(items) > limit:
            out.append({"name": "…", "value": "%d more" % (len(items) - limit), "type": "", "ref": 0})
        return out

    def evaluate(self, frame_id: int, expression: str) -> Dict[str, Any]:
        f = self.frames.get(frame_id)
        if f is None:
            raise KeyError("no frame with id %d" % frame_id)
        value = evaluate_path(f, expression)
        v = self._var(expression, value)
        return {"value": v["value"], "type": v["type"], "ref": v["ref"]}


def _frame_locals(f: Any) -> Dict[str, Any]:
    try:
        return dict(f.f_locals)
    except Exception:
        return {}


def _expandable(v: Any) -> bool:
    if isinstance(v, (str, bytes, bytearray, int, float, complex, bool, type(None))):
        return False
    if isinstance(v, _CONTAINERS):
        return len(v) > 0
    try:
        d = object.__getattribute__(v, "__dict__")
        return isinstance(d, dict) and len(d) > 0
    except Exception:
        return False


def _children(v: Any) -> List[Tuple[str, Any]]:
    if isinstance(v, dict):
        return [(safe_repr(k, 60), x) for k, x in list(v.items())]
    if isinstance(v, (list, tuple)):
        return [("[%d]" % i, x) for i, x in enumerate(list(v))]
    if isinstance(v, (set, frozenset)):
        return [("{%d}" % i, x) for i, x in enumerate(list(v))]
    try:
        d = object.__getattribute__(v, "__dict__")
        return list(d.items())
    except Exception:
        return []


_PATH = re.compile(r"""^[A-Za-z_]\w*(\.[A-Za-z_]\w*|\[-?\d+\]|\['[^'\\]*'\]|\["[^"\\]*"\])*$""")
_TOKEN = re.compile(r"""\.([A-Za-z_]\w*)|\[(-?\d+)\]|\['([^'\\]*)'\]|\["([^"\\]*)"\]""")


def evaluate_path(frame: Any, expression: str) -> Any:
    """Evaluate `name(.attr|[int]|['key'])*` without running user code (no properties, no
    __getattr__, no __getitem__ beyond the built-in containers)."""
    expr = expression.strip()
    if not _PATH.match(expr):
        raise ValueError("only names, attributes and literal subscripts can be evaluated: %r" % expression)
    m = re.match(r"[A-Za-z_]\w*", expr)
    assert m is not None
    name = m.group(0)
    loc = _frame_locals(frame)
    if name in loc:
        value = loc[name]
    elif name in frame.f_globals:
        value = frame.f_globals[name]
    elif hasattr(frame.f_builtins, "get") and name in frame.f_builtins:
        value = frame.f_builtins[name]
    else:
        raise NameError("name %r is not defined in this frame" % name)
    for t in _TOKEN.finditer(expr, m.end()):
        attr, idx, k1, k2 = t.groups()
        if attr is not None:
            try:
                value = inspect.getattr_static(value, attr)
            except AttributeError:
                raise AttributeError("%s has no attribute %r" % (_type_name(value), attr)) from None
        elif idx is not None:
            if not isinstance(value, (list, tuple)):
                raise TypeError("only lists and tuples can be indexed here")
            value = value[int(idx)]
        else:
            if type(value) is not dict:
                raise TypeError("only dicts can be subscripted with a key here")
            value = value[k1 if k1 is not None else k2]
    return value
