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
from typing import Any, Dict, List, Optional, Tuple

__all__ = [
    "safe_repr", "result_repr", "safe_str", "raise_location", "user_site", "wait_target", "future_label",
    "coro_chain", "FrameRegistry", "is_internal_file", "is_skipped_file", "shared",
]

_ASYNCIO_DIR = os.path.dirname(asyncio.__file__) + os.sep
_LOOPSCOPE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep
# Where the standard library's .py files are (sysconfig's "stdlib"; not imported for this alone).
_STDLIB_DIRS = tuple({os.path.realpath(os.path.dirname(os.__file__)) + os.sep, os.path.dirname(os.__file__) + os.sep})
_SITE_MARKERS = (os.sep + "site-packages" + os.sep, os.sep + "dist-packages" + os.sep)

_skip_cache: Dict[str, bool] = {}
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
        return None
    mod = fn[len(_ASYNCIO_DIR):]
    name = code.co_name
    if mod == "tasks.py":
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
    if mod == "queues.py":
        q = _local(frame, "self")
        detail = None
        if q is not None:
            try:
                detail = "%s maxsize=%d qsize=%d" % (type(q).__name__, q.maxsize, q.qsize())
            except Exception:
                pass
        t = None
        if name == "get":
            t = {"kind": "queue.get", "label": type(q).__name__ + ".get" if q is not None else "Queue.get"}
        elif name == "put":
            t = {"kind": "queue.put", "label": type(q).__name__ + ".put" if q is not None else "Queue.put"}
        elif name == "join":
            t = {"kind": "other", "label": "Queue.join"}
        if t is not None and detail:
            t["detail"] = detail
        return t
    if mod == "locks.py":
        obj = _local(frame, "self")
        cls = None
        for c in type(obj).__mro__ if obj is not None else ():
            if c.__name__ in _LOCK_KIND and c.__module__ == "asyncio.locks":
                cls = c.__name__
                break
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
    if mod == "streams.py":
        if name in _STREAM_READ:
            return {"kind": "stream.read", "label": "StreamReader." + name.lstrip("_")}
        if name in _STREAM_WRITE:
            return {"kind": "stream.write", "label": "StreamWriter.drain"}
        return None
    if mod in ("selector_events.py", "base_events.py", "proactor_events.py"):
        if name in _SOCK_READ:
            return {"kind": "socket.read", "label": "loop." + name, **_sock_detail(frame)}
        if name in _SOCK_WRITE:
            return {"kind": "socket.write", "label": "loop." + name, **_sock_detail(frame)}
        if name in ("getaddrinfo", "getnameinfo"):
            return {"kind": "executor", "label": "loop." + name, "detail": "default executor"}
        return None
    if mod in ("subprocess.py", "base_subprocess.py"):
        if name in ("wait", "_wait", "communicate"):
            proc = _local(frame, "self")
            pid = getattr(proc, "pid", None) if proc is not None else None
            t = {"kind": "subprocess", "label": "Process." + name.lstrip("_")}
            if isinstance(pid, int):
                t["detail"] = "pid %d" % pid
            return t
        return None
    if mod == "threads.py" and name == "to_thread":
        return {"kind": "executor", "label": "to_thread", "detail": "default executor"}
    if mod == "taskgroups.py" and name in ("__aexit__", "_aexit"):
        return {"kind": "other", "label": "TaskGroup: waiting for its tasks"}
    return None


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


def _is_executor_future(fut: Any) -> bool:
    try:
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


def wait_target(task: Any, session: Any, cancelled: bool = False,
                yield_site: bool = True) -> Optional[Dict[str, Any]]:
    """WaitTarget for a suspended task, {'kind':'yield'} for a task that yielded and is ready,
    None for a task that has not started yet or was just woken. `cancelled`: classify the wait
    that is being cancelled right now (its future is already done). `yield_site`: give a ready
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
        return _wait_target(w, coro, session, cancelled, yield_site)
    except Exception:  # a concurrently mutating task must not break the batch
        return {"kind": "other", "label": "unknown"}


def _wait_target(w: Any, coro: Any, session: Any, cancelled: bool, yield_site: bool) -> Optional[Dict[str, Any]]:
    if w is None and not cancelled:
        return _ready_target(coro, yield_site)
    if w is not None and w.done() and not cancelled:
        return None
    # What the awaited future says is read first and the future let go before the frame walk:
    # a pending future's callbacks hold its waiting task (see wait_target).
    target: Optional[Dict[str, Any]] = None
    fallback: Optional[Dict[str, Any]] = None
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
        elif _is_executor_future(w):
            fallback = {"kind": "executor", "label": "executor job"}
        else:
            fid = session.future_ids.get(id(w))
            fallback = {"kind": "future", "label": future_label(w)}
            if fid is not None:
                fallback["future"] = fid
        w = None
    chain, _leaf = coro_chain(coro)
    site = None
    internal = _internal_cache.get
    for _c, f, _k in reversed(chain):
        fn = f.f_code.co_filename
        r = internal(fn)
        if r is None:
            r = is_internal_file(fn)
        if not r:
            site = {"file": fn, "line": f.f_lineno}
            break
    if target is None:
        for _c, f, _k in reversed(chain):
            target = _frame_rule(f)
            if target is not None:
                break
    if target is None:
        if fallback is not None:
            target = fallback
        else:  # cancelled while waiting on no future
            if not chain or (chain[0][2] == "coroutine" and _not_started(chain[0][0])):
                return None
            target = {"kind": "yield", "label": "yield"}
    if site is not None:
        target["site"] = site
    return target


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
