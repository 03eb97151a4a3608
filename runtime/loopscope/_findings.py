# Findings: how each problem the runtime reports is recognised and worded (blocking-call, stall,
# unretrieved-exception, destroyed-pending, never-awaited), and the sys/warnings hook that sees
# never-awaited coroutines. Findings(session, step_was_held) is made at install time; its methods run
# on the loop thread (blocking), the watchdog (stall) or wherever asyncio logs (exception contexts).
from __future__ import annotations

import os
import sys
import warnings
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterator, List, Optional, Tuple

from . import _inspect
from ._gcpauses import GcPauses
from ._records import LoopState, TaskInfo, own_time, perf

if TYPE_CHECKING:
    from ._session import Session

__all__ = ["Findings", "install_unawaited_hook", "ORIGIN_DEPTH"]

_PRIMITIVE_KINDS = {"lock", "event", "condition", "semaphore", "queue.get", "queue.put"}
_EXTERNAL_KINDS = {"executor", "subprocess", "socket.read", "socket.write", "stream.read", "stream.write"}

# Coroutine origin tracking: the depth the user asked for (what they read back), and ours (one
# frame, to locate never-awaited coroutines).
_user_origin_depth = [0]
ORIGIN_DEPTH = 1

_Wait = Tuple[TaskInfo, Any, Dict[str, Any]]


def _besides(own: float, gc_time: float) -> str:
    """What else the step's wall time held, when it is worth a mention (over half a millisecond)."""
    parts = []
    if own >= 0.0005:
        parts.append("%.0f ms of Loopscope's own bookkeeping" % (own * 1000.0))
    if gc_time >= 0.0005:
        parts.append("%.0f ms of garbage collection" % (gc_time * 1000.0))
    return " (besides %s)" % " and ".join(parts) if parts else ""


class Findings:
    """Recognises findings and records them in `session`. `step_was_held(loop state, step start)`
    tells a step that a line stop held (the line debugger's) from one that blocked."""

    def __init__(self, session: "Session", step_was_held: Callable[[LoopState, float], bool]) -> None:
        self.session = session
        self.step_was_held = step_was_held
        self.gc_pauses = GcPauses()
        self.gc_pauses.install()

    def wrap_exception_handler(self, o_exc: Callable[[Any, Dict[str, Any]], Any]) -> Callable[..., Any]:
        """A loop's call_exception_handler that first reads the context for findings (every loop
        class, asyncio's own and uvloop's, goes through this one wrapper)."""
        def call_exception_handler(loop: Any, context: Dict[str, Any]) -> Any:
            try:
                self.exception_context(context)
            except Exception:
                pass
            try:
                return o_exc(loop, context)
            except BaseException as e:  # logging that fails at shutdown, a handler that raises
                _inspect.drop_own_frame(e, call_exception_handler.__code__)
                raise

        return call_exception_handler

    def blocking(self, st: LoopState, info: Optional[TaskInfo], cb: Any, dt: float, start: float) -> None:
        """A step took `dt` (over the threshold): name it and the line it blocked on."""
        if self.step_was_held(st, start):  # a line stop held this step: it did not block
            return
        # Our hooks' bookkeeping and garbage collection (which stops every thread, and which
        # Loopscope's records make longer) are not the step's code blocking the loop.
        own = own_time(st, start)
        gc_time = self.gc_pauses.within(start, start + dt)
        if dt - own - gc_time <= self.session.threshold:
            self.session.slow_own_steps += 1
            return
        loc = None
        if st.sampled_seq == start and st.sample is not None:
            loc = {"file": st.sample[0], "line": st.sample[1]}
        if info is not None:
            what = "Task %s" % info.name
            if loc is None:
                task = info()
                if task is not None and not task.done():
                    t = _inspect.wait_target(task, self.session)
                    if t and "site" in t:
                        loc = t["site"]
        else:
            what = "callback %s" % (getattr(cb, "__qualname__", None) or type(cb).__name__)
            code = getattr(cb, "__code__", None) or getattr(getattr(cb, "__func__", None), "__code__", None)
            if loc is None and code is not None:
                loc = {"file": code.co_filename, "line": code.co_firstlineno}
        ms = (dt - own - gc_time) * 1000.0
        extra = _besides(own, gc_time)
        self.session.add_finding("blocking-call", "%s blocked the event loop for %.0f ms%s" % (what, ms, extra), loc,
                                 info.id if info is not None else None, ms, loop=st.id)

    def confirm_stall(self, st: LoopState) -> None:
        """The loop has sat idle (nothing ready, no I/O besides its self-pipe) for a while.
        Report the tasks blocked on asyncio primitives, and the tasks awaiting those, unless some
        task waits on something outside the loop (a thread, a process) that could still act."""
        st.stall_reported = st.stall_tick
        waits = self._waits(st)
        if waits is None:
            return
        tasks = _stuck(waits)
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
        stalled = perf() - st.stall_since
        self.session.add_finding(
            "stall", "event loop %d stalled for %.1f s: %d task(s) wait on each other or on "
            "primitives nothing is going to release: %s%s" % (
                st.id, stalled, len(tasks), names, more), loc, None, stalled * 1000.0, chains,
            loop=st.id)

    def _waits(self, st: LoopState) -> Optional[List[_Wait]]:
        # What each live task of the loop waits on; None when one could still make progress.
        waits: List[_Wait] = []
        for info in self.session.live():
            if info.loop != st.id:
                continue
            task = info()
            if task is None or task.done():
                continue
            target = _inspect.wait_target(task, self.session)
            if target is None:
                return None  # ready to run after all
            if target["kind"] in _EXTERNAL_KINDS:
                return None
            waits.append((info, task, target))
        return waits

    def exception_context(self, ctx: Dict[str, Any]) -> None:
        """What asyncio's exception handler is told: two of its messages are findings."""
        msg = ctx.get("message") or ""
        if msg.endswith("exception was never retrieved"):
            self._unretrieved(ctx)
        elif msg.startswith("Task was destroyed but it is pending"):
            self._destroyed_pending(ctx)

    def _unretrieved(self, ctx: Dict[str, Any]) -> None:
        exc = ctx.get("exception")
        fut = ctx.get("future")
        info = self.session.task_info(fut) if fut is not None else None
        label = "Task %s" % info.name if info is not None else _inspect.future_label(fut)
        raised = _inspect.raise_location(exc) if isinstance(exc, BaseException) else None
        text = "%s: exception was never retrieved: %s" % (label, _inspect.safe_repr(exc, 200))
        if raised is not None:
            text += " raised at %s:%d" % (os.path.basename(raised["file"]), raised["line"])
        # The fix belongs where the task was created (await it / keep and check it); the
        # raising line stays in the message.
        site = info.site if info is not None else None
        loc = {"file": site[0], "line": site[1]} if site is not None else raised
        self.session.add_finding("unretrieved-exception", text, loc, info.id if info is not None else None)

    def _destroyed_pending(self, ctx: Dict[str, Any]) -> None:
        task = ctx.get("task")
        info = self.session.task_info(task) if task is not None else None
        loc = _pending_location(task)
        if info is None or task is None:
            name = _inspect.future_label(task)
        else:  # its record may be gone already (a reference cycle): ask the task itself
            try:
                name = task.get_name()
            except Exception:
                name = info.name
        self.session.add_finding(
            "destroyed-pending", "Task %s was destroyed but it is pending" % name.replace("Task ", "", 1)
            if info is None else "Task %s was destroyed but it is pending" % name,
            loc, info.id if info is not None else None)

    def never_awaited(self, coro: Any) -> None:
        """A coroutine was never awaited (its origin frame is tracked, see install_unawaited_hook)."""
        origin = coro.cr_origin
        loc = {"file": origin[0][0], "line": origin[0][1]} if origin else None
        self.session.add_finding("never-awaited", "coroutine '%s' was never awaited" % coro.__qualname__, loc)


def _stuck(waits: List[_Wait]) -> List[_Wait]:
    # Tasks waiting on primitives, and (repeatedly) the tasks awaiting only stuck tasks.
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
    return [(i, t, w) for i, t, w in waits if i.id in stuck]


def _pending_location(task: Any) -> Optional[Dict[str, Any]]:
    # The innermost user line a destroyed pending task was suspended at, else its definition.
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
    return loc


# --- never-awaited coroutines -----------------------------------------------------------------

def install_unawaited_hook(findings: Findings, originals: Dict[str, Any]) -> None:
    """Track one frame of coroutine origin (the user still reads back the depth they set) and
    replace warnings' never-awaited hook with one that reports a finding, then warns as before."""
    o_set = originals["set_depth"] = sys.set_coroutine_origin_tracking_depth
    o_get = originals["get_depth"] = sys.get_coroutine_origin_tracking_depth
    _user_origin_depth[0] = o_get()

    def set_coroutine_origin_tracking_depth(depth: int) -> None:
        o_set(max(depth, ORIGIN_DEPTH))  # validates like the original (raises on < 0)
        _user_origin_depth[0] = depth

    def get_coroutine_origin_tracking_depth() -> int:
        return _user_origin_depth[0]

    set_coroutine_origin_tracking_depth.__doc__ = o_set.__doc__
    get_coroutine_origin_tracking_depth.__doc__ = o_get.__doc__
    o_set(max(_user_origin_depth[0], ORIGIN_DEPTH))
    sys.set_coroutine_origin_tracking_depth = set_coroutine_origin_tracking_depth
    sys.get_coroutine_origin_tracking_depth = get_coroutine_origin_tracking_depth
    originals["warn_unawaited"] = getattr(warnings, "_warn_unawaited_coroutine", None)

    def _warn_unawaited_coroutine(coro: Any) -> None:
        # Same text and stack level as CPython's warnings._warn_unawaited_coroutine (identical in
        # 3.9-3.13); the origin part is shown only if the user asked for origin tracking.
        origin = coro.cr_origin
        try:
            findings.never_awaited(coro)
        except Exception:
            pass
        depth = _user_origin_depth[0]
        msg_lines = [
            f"coroutine '{coro.__qualname__}' was never awaited\n"
        ]
        if origin is not None and depth > 0:
            import linecache, traceback

            def extract() -> Iterator[Tuple[str, int, str, str]]:
                for filename, lineno, funcname in reversed(origin[:depth]):
                    line = linecache.getline(filename, lineno)
                    yield (filename, lineno, funcname, line)
            msg_lines.append("Coroutine created at (most recent call last)\n")
            msg_lines += traceback.format_list(list(extract()))
        msg = "".join(msg_lines).rstrip("\n")
        warnings.warn(msg, category=RuntimeWarning, stacklevel=2, source=coro)

    _warn_unawaited_coroutine.__qualname__ = "_warn_unawaited_coroutine"
    setattr(warnings, "_warn_unawaited_coroutine", _warn_unawaited_coroutine)
