# The line debugger (issue 12): line/function/exception stops on the thread that hits them, the
# `stopped`/`continued`/`output` events, line stepping that follows the task across awaits, pause
# anywhere (line or native stop), evaluate/setVariable run in the stopped thread, `await` in the
# console at a tick-boundary hold, and the wire requests for all of it (register() joins them).
from __future__ import annotations

import ast
import asyncio
import collections
import concurrent.futures
import itertools
import os
import sys
import threading
import time
import traceback
import weakref
from typing import Any, Callable, Deque, Dict, List, Optional, Set, Tuple

from . import _breakpoints, _control, _inspect, _tracing
from ._control import Controller, RequestError
from ._session import LoopState, Session, TaskInfo

__all__ = ["Debugger", "DebuggerRequests", "register"]

TABLE = _breakpoints.TABLE
_LOOPSCOPE_DIR = _inspect._LOOPSCOPE_DIR
NATIVE_AFTER = 0.1  # seconds without reaching a line before a pause looks for a native call
NATIVE_RECHECK = 0.02  # a thread whose frame did not move in this long is inside a C call
NATIVE_GIVE_UP = 2.0  # a thread still moving after this long is stopped natively anyway
WORK_TIMEOUT = 30.0

try:
    from _asyncio import current_task as _current_task, _get_running_loop  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover
    from asyncio import current_task as _current_task  # type: ignore[assignment]
    from asyncio.events import _get_running_loop  # type: ignore[attr-defined]

_SKIP_RAISED = (StopIteration, StopAsyncIteration, GeneratorExit, asyncio.CancelledError)
_SKIP_UNCAUGHT = _SKIP_RAISED + (SystemExit, KeyboardInterrupt)


def _internal(filename: str) -> bool:
    return _inspect.is_internal_file(filename)


def _frame_kind(code: Any) -> str:
    fl = code.co_flags
    if fl & 0x80:
        return "coroutine"
    if fl & 0x200:
        return "async_generator"
    if fl & 0x20:
        return "generator"
    return "function"


class Step:
    """A step in flight: `kind` next (stop at the next line of `frame`), out (wait for `frame` to
    end), in (the next line of `task`, or of thread `tid`), task (the first user line of `task`)."""

    __slots__ = ("kind", "frame", "tid", "task", "hit")

    def __init__(self, kind: str, frame: Any, tid: int, task: Any) -> None:
        self.kind = kind
        self.frame = frame
        self.tid = tid
        self.task = task  # weakref.ref to the task followed, or None
        self.hit: List[int] = []  # kind "entry": the function breakpoint that stops at frame's first line


class Stop:
    def __init__(self, sid: int, tid: int, frame: Any, reason: str, native: bool) -> None:
        self.id = sid
        self.tid = tid
        self.top = frame
        self.reason = reason
        self.native = native
        self.cond = threading.Condition(threading.Lock())
        self.work: Deque[Tuple[Callable[[], Any], "concurrent.futures.Future[Any]"]] = collections.deque()
        self.action: Optional[str] = None
        self.frame_ids: Dict[int, Any] = {}
        self.held: List[LoopState] = []
        self.loop: Optional[LoopState] = None
        self.task: Optional[TaskInfo] = None
        self.task_ref: Any = None
        self.arrived = False  # native stop: the thread came back from C and waits at the gate
        self.closed = threading.Event()

    def run(self, fn: Callable[[], Any]) -> Any:
        """Run fn on the stopped thread (native stops: here, the thread is inside a C call)."""
        if self.native or threading.get_ident() == self.tid:
            return fn()
        fut: "concurrent.futures.Future[Any]" = concurrent.futures.Future()
        with self.cond:
            if self.action is not None:
                raise RequestError("stop %d has been resumed" % self.id)
            self.work.append((fn, fut))
            self.cond.notify_all()
        try:
            return fut.result(WORK_TIMEOUT)
        except concurrent.futures.TimeoutError:
            raise RequestError("the stopped thread did not answer within %g s" % WORK_TIMEOUT) from None


class Debugger:
    """Line stops for one session; holds and releases loops through its controller."""

    def __init__(self, session: Session, control: Controller) -> None:
        self.session = session
        self.control = control
        self.frames = control.frames  # one id space with the controller's await chains
        self.step: Optional[Step] = None
        self.pausing: Set[int] = set()
        self.break_raised = False
        self.break_uncaught = False
        self.just_my_code = True
        self.stops: Dict[int, Stop] = {}
        self.by_thread: Dict[int, Stop] = {}
        self.ids = itertools.count(1)
        self.lock = threading.RLock()
        self.backend = _tracing.make_backend(self)
        self.configured = threading.Event()
        self.held_steps: Set[Tuple[int, float]] = set()
        self.recent_exc: List[Tuple[str, BaseException]] = []

    # --- options ------------------------------------------------------------------------------
    def sync_options(self) -> None:
        self.set_options(self.session.options)

    def set_options(self, opts: Dict[str, Any]) -> None:
        changed = False
        if "justMyCode" in opts:
            self.just_my_code = bool(opts["justMyCode"])
        for key, attr in (("breakOnRaised", "break_raised"), ("breakOnUncaught", "break_uncaught")):
            if key in opts and bool(opts[key]) != getattr(self, attr):
                setattr(self, attr, bool(opts[key]))
                changed = True
        if changed:
            self.backend.refresh()

    def _user(self, filename: str) -> bool:
        if filename.startswith(_LOOPSCOPE_DIR):
            return False
        return not (self.just_my_code and _internal(filename))

    # --- hooks called by the tracing backend (on the thread that runs the code) -----------------
    def on_breakpoint(self, frame: Any, bps: List[_breakpoints.Breakpoint]) -> bool:
        if not self.session.connected:
            return False
        hit: List[int] = []
        for bp in bps:
            if self._passes(frame, bp):
                if bp.log is not None:
                    self._log(frame, bp)
                else:
                    hit.append(bp.id)
        if hit:
            self.stop(frame, "breakpoint", hit)
            return True
        return False

    def _passes(self, frame: Any, bp: _breakpoints.Breakpoint) -> bool:
        if bp.cond_code is not None:
            try:
                if not eval(bp.cond_code, frame.f_globals, frame.f_locals):
                    return False
            except BaseException as e:
                self._output("breakpoint condition %r at %s:%d failed: %s: %s\n" % (
                    bp.condition, os.path.basename(frame.f_code.co_filename), frame.f_lineno,
                    type(e).__name__, _inspect.safe_str(e)), frame)
                return True  # stop, so the broken condition is seen
        bp.hits += 1
        return bp.hit is None or bp.hit.matches(bp.hits)

    def _log(self, frame: Any, bp: _breakpoints.Breakpoint) -> None:
        self._output(interpolate(bp.log or "", frame) + "\n", frame)

    def _output(self, text: str, frame: Any) -> None:
        loc = {"file": frame.f_code.co_filename, "line": frame.f_lineno} if frame is not None else None
        S = self.session
        S.add_event({"kind": "output", "ts": S.ts(), "category": "console", "text": text, "location": loc},
                    urgent=True)

    def on_function(self, frame: Any, fb: _breakpoints.FunctionBreakpoint) -> None:
        """A function with a breakpoint starts: stop at the first line of its body."""
        if self.session.connected and self._passes(frame, fb):
            step = Step("entry", frame, threading.get_ident(), None)
            step.hit = [fb.id]
            self.step = step
            self.backend.begin_step(frame)

    def on_line(self, frame: Any, line: int) -> None:
        """Slow path, while a step or a pause is in flight (every line of every thread)."""
        if not self.session.connected:
            return
        tid = threading.get_ident()
        code = frame.f_code
        if self.pausing and tid in self.pausing:
            if self._user(code.co_filename) or not self.just_my_code:
                self._pause_here(frame, tid)
                return
        per = TABLE.for_code(code)
        if per is not None:
            bps = per.get(line)
            if bps is not None and self.on_breakpoint(frame, bps):
                return
        step = self.step
        if step is None:
            return
        kind = step.kind
        if kind == "entry":
            if frame is step.frame:
                self.stop(frame, "function breakpoint", step.hit)
            return
        if kind == "next":
            hit = frame is step.frame
        elif kind == "in":
            hit = self._same_strand(step, tid) and self._user(code.co_filename)
        elif kind == "task":
            hit = self._same_strand(step, tid) and self._user(code.co_filename)
        else:
            hit = False
        if hit:
            self.stop(frame, "step", [])

    def _same_strand(self, step: Step, tid: int) -> bool:
        if step.task is None:
            return tid == step.tid
        loop = _get_running_loop()
        if loop is None:
            return False
        try:
            return _current_task(loop) is step.task()
        except Exception:
            return False

    def on_exit(self, frame: Any) -> None:
        """The step's frame ends (returns or unwinds; not an await): go on in whoever continues."""
        step = self.step
        if step is None or step.frame is not frame:
            return
        parent = frame.f_back
        if parent is not None and self._user(parent.f_code.co_filename):
            step.kind = "next"
            step.frame = parent
            self.backend.follow(parent)
            return
        waiter = self._awaiting_task(frame)
        if waiter is not None:
            step.kind = "task"
            step.frame = None
            step.task = weakref.ref(waiter)
            return
        self.step = None
        self.backend.refresh()

    def _awaiting_task(self, frame: Any) -> Any:
        """The task that awaits the current task, when `frame` is that task's outermost coroutine."""
        loop = _get_running_loop()
        if loop is None:
            return None
        task = _current_task(loop)
        if task is None:
            return None
        coro = task.get_coro()
        if getattr(coro, "cr_frame", None) is not frame:
            return None
        for info in self.session.live():
            t = info()
            if t is None or t is task:
                continue
            w = getattr(t, "_fut_waiter", None)
            if w is task or (w is not None and task in (getattr(w, "_children", None) or ())):
                return t
        return None

    def on_raise(self, frame: Any, exc: BaseException) -> None:
        if not self.session.connected or isinstance(exc, _SKIP_RAISED) or not self._user(frame.f_code.co_filename):
            return
        if self._seen("raised", exc):
            return  # the same exception re-raised further out (an awaited task's result)
        self.stop(frame, "exception", [], exc=exc, mode="raised")

    def _seen(self, kind: str, exc: BaseException) -> bool:
        """Stop once per exception object (no attribute is put on the program's exceptions; only
        the last few are remembered, so their tracebacks are not kept alive for long)."""
        recent = self.recent_exc
        for k, e in recent:
            if e is exc and k == kind:
                return True
        recent.append((kind, exc))
        del recent[:-8]
        return False

    def on_unwind(self, frame: Any, exc: BaseException, tb: Any = None) -> None:
        """An exception leaves `frame`: uncaught when nothing of the program's own is left to catch it."""
        if not self.session.connected or isinstance(exc, _SKIP_UNCAUGHT) or not self._user(frame.f_code.co_filename):
            return
        parent = frame.f_back
        if parent is not None and self._user(parent.f_code.co_filename):
            return
        if self._seen("uncaught", exc):
            return
        tb = tb or exc.__traceback__
        if exc.__traceback__ is None and tb is not None:
            exc = exc.with_traceback(tb)
        inner = frame
        while tb is not None:  # stop where it was raised; the frames in between are still alive
            inner = tb.tb_frame
            tb = tb.tb_next
        self.stop(inner, "exception", [], exc=exc, mode="uncaught", outer=frame)

    # --- pause anywhere ---------------------------------------------------------------------------
    def _pause_here(self, frame: Any, tid: int) -> None:
        with self.lock:  # serialised with _pause: the tick-boundary pause it asks for is undone here
            self.pausing.discard(tid)
            native = self.by_thread.get(tid)
            if native is None or not native.native:
                self._stop_pausing_loop_modes(tid)
        if native is not None and native.native:
            self._gate(native, frame)
            return
        self.stop(frame, "pause", [])

    def on_pending(self, frame: Any) -> None:
        """3.9-3.11 main thread: the pending call ran at a bytecode boundary of `frame`."""
        tid = threading.get_ident()
        if tid not in self.pausing:
            return
        if any(st.held for st in list(self.session.loops.values()) if st.thread == tid):
            with self.lock:  # the loop held at its tick boundary first: that pause stands
                self.pausing.discard(tid)
            return
        if frame is None or not self._user(frame.f_code.co_filename):
            # Inside loopscope or asyncio (a stop winding down, the loop between steps): the line
            # tracer (installed on this thread's frames here) stops at the first user line, and
            # a tick-boundary hold disarms the pause. Not re-queued: a pending call that queues
            # itself runs at every bytecode boundary and the loop crawls (never reaching the hold).
            self.backend.install_here()  # type: ignore[attr-defined]
            return
        self._pause_here(frame, tid)

    def held_at_boundary(self, st: LoopState) -> None:
        """The loop thread holds at a tick boundary (any hold): a pause anywhere armed for that
        thread is answered by the hold, so it is disarmed now, on that thread, before `paused`
        goes out; else code the held loop runs later (an `await` in the console) would stop."""
        with self.lock:
            if st.thread not in self.pausing:
                return
            self.pausing.discard(st.thread)
        self.backend.refresh()

    def _stop_pausing_loop_modes(self, tid: int) -> None:
        for st in list(self.session.loops.values()):
            if st.thread == tid and st.mode == "pause":
                st.mode = None

    def _gate(self, stop: Stop, frame: Any) -> None:
        """A thread that was stopped natively (inside a C call) is back in Python: wait here until
        that stop is resumed, then carry out its action from here."""
        with stop.cond:
            stop.arrived = True
            while stop.action is None and self.session.connected:
                stop.cond.wait(0.5)
        action = stop.action or "continue"
        if action in ("next", "stepIn") and frame is stop.top:
            self.stop(frame, "step", [])  # the line after the C call is where `next` lands
            return
        self._begin(action, frame, threading.get_ident(), stop.task_ref)

    def arm_pause(self, tid: int) -> None:
        with self.lock:
            self.pausing.add(tid)
        self.backend.arm_pause(tid)
        threading.Timer(NATIVE_AFTER, self._native_check, args=(tid,)).start()

    def _native_check(self, tid: int, first: Any = None, waited: float = 0.0) -> None:
        with self.lock:
            if tid not in self.pausing or tid in self.by_thread:
                return
        mine = [st for st in list(self.session.loops.values()) if st.thread == tid and not st.closed]
        between_steps = bool(mine) and not any(st.step_start for st in mine)
        if any(st.held for st in mine) or (between_steps and waited >= NATIVE_GIVE_UP):
            with self.lock:  # held at its tick boundary (or about to be): that pause stands
                self.pausing.discard(tid)
            self.backend.refresh()
            return
        if between_steps:  # in select() or the loop's own code: the hold or a step comes next
            threading.Timer(NATIVE_RECHECK, self._native_check, args=(tid, None, waited + NATIVE_RECHECK)).start()
            return
        frame = sys._current_frames().get(tid)
        here = (frame, frame.f_lasti) if frame is not None else None
        if here is not None and here != first and waited < NATIVE_GIVE_UP:
            # Still executing bytecode (a loaded machine, a slow pending call): it will reach a
            # line; look again shortly. Unchanged across two looks: it is inside a C call.
            threading.Timer(NATIVE_RECHECK, self._native_check,
                            args=(tid, here, waited + NATIVE_RECHECK)).start()
            return
        if frame is None or frame.f_code.co_filename.startswith(_LOOPSCOPE_DIR):
            # Gone, or inside loopscope: held at a tick boundary (that pause stands) or about to be.
            with self.lock:
                self.pausing.discard(tid)
            self.backend.refresh()
            return
        self._native_stop(tid, frame)

    def _native_stop(self, tid: int, frame: Any) -> None:
        stop = self._open(tid, frame, "pause", native=True)
        if stop is None:
            return
        self._stop_pausing_loop_modes(tid)  # this stop answers the pause: no tick-boundary hold after it
        self._announce(stop, [], None, None)
        threading.Thread(target=self._native_wait, args=(stop,), name="loopscope-native-stop", daemon=True).start()

    def _native_wait(self, stop: Stop) -> None:
        with stop.cond:
            while stop.action is None and self.session.connected:
                stop.cond.wait(0.5)
            arrived = stop.arrived
        self._close(stop)
        if not arrived:
            with self.lock:
                self.pausing.discard(stop.tid)
            action = stop.action or "continue"
            if action != "continue":
                self.step = self._make_step(action, stop.top, stop.tid, stop.task_ref)
            self.backend.refresh()

    # --- stops ------------------------------------------------------------------------------------
    def stop(self, frame: Any, reason: str, hit: List[int], exc: Optional[BaseException] = None,
             mode: str = "", outer: Any = None) -> None:
        """Stop this thread at `frame` until the debugger resumes it (runs requests meanwhile)."""
        tid = threading.get_ident()
        self.step = None
        stop = self._open(tid, frame, reason, native=False)
        if stop is None:
            return
        st = stop.loop
        if st is not None and st.step_start:
            self.held_steps.add((st.id, st.step_start))
        self._announce(stop, hit, exc, mode)
        with stop.cond:
            while stop.action is None and self.session.connected:
                while stop.work:
                    fn, fut = stop.work.popleft()
                    stop.cond.release()
                    try:
                        fut.set_result(fn())
                    except BaseException as e:
                        fut.set_exception(e)
                    finally:
                        stop.cond.acquire()
                if stop.action is None:
                    stop.cond.wait(0.5)
        self._close(stop)
        action = stop.action or "continue"
        self._begin(action, frame, tid, stop.task_ref)

    def _open(self, tid: int, frame: Any, reason: str, native: bool) -> Optional[Stop]:
        if not self.session.connected:
            return None
        stop = Stop(next(self.ids), tid, frame, reason, native)
        loop = None
        if native:
            for st in list(self.session.loops.values()):
                if st.thread == tid and not st.closed and st.step_start:
                    stop.loop = st
                    cb = st.current_cb
                    task = getattr(cb, "__self__", None)
                    if isinstance(task, asyncio.Task):
                        stop.task_ref = weakref.ref(task)
                        stop.task = self.session.task_info(task)
        else:
            loop = _get_running_loop()
            if loop is not None:
                st = getattr(loop, "_loopscope_state", None)
                stop.loop = st if isinstance(st, LoopState) else None
                task = _current_task(loop)
                if task is not None:
                    stop.task_ref = weakref.ref(task)
                    stop.task = self.session.task_info(task)
        with self.lock:
            self.stops[stop.id] = stop
            self.by_thread[tid] = stop
        return stop

    def _announce(self, stop: Stop, hit: List[int], exc: Optional[BaseException], mode: Optional[str]) -> None:
        frames = self._frames(stop)
        top = stop.top
        where = "%s:%d" % (os.path.basename(top.f_code.co_filename), top.f_lineno or 0)
        who = ("in Task %s" % stop.task.name) if stop.task is not None else (
            "in thread %s" % _thread_name(stop.tid))
        head = {"breakpoint": "Breakpoint", "function breakpoint": "Function breakpoint", "step": "Step",
                "pause": "Paused", "exception": "Exception"}[stop.reason]
        desc = "%s at %s %s" % (head, where, who)
        exc_rec = None
        if exc is not None:
            exc_rec = {"type": type(exc).__qualname__, "message": _inspect.safe_str(exc),
                       "traceback": "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))[-8000:]}
            desc = "%s (%s): %s: %s" % (desc, mode, exc_rec["type"], exc_rec["message"][:200])
        if stop.native:
            desc += " (inside a native call)"
        ev = {"kind": "stopped", "ts": self.session.ts(), "stop": stop.id, "reason": stop.reason, "description": desc,
              "thread": {"id": stop.tid, "name": _thread_name(stop.tid)},
              "loop": stop.loop.id if stop.loop is not None else None,
              "task": stop.task.id if stop.task is not None else None,
              "hitBreakpoints": hit, "frames": frames, "exception": exc_rec, "native": stop.native}
        self.session.add_event(ev, urgent=True)
        self._hold_other_loops(stop)

    def _frames(self, stop: Stop) -> List[Dict[str, Any]]:
        out = []
        f = stop.top
        for _ in range(256):
            if f is None:
                break
            code = f.f_code
            fid = self.frames._id()
            self.frames.frames[fid] = f
            stop.frame_ids[fid] = f
            fn = code.co_filename
            out.append({"id": fid, "name": getattr(code, "co_qualname", None) or code.co_name, "file": fn,
                        "line": f.f_lineno or 0, "kind": _frame_kind(code), "internal": _internal(fn)})
            f = f.f_back
        return out

    def _hold_other_loops(self, stop: Stop) -> None:
        for st in list(self.session.loops.values()):
            if st.closed or not st.tick_control or st.thread == stop.tid or st.held or st.mode is not None:
                continue
            if st.thread in self.by_thread:
                continue
            st.mode = "pause"
            stop.held.append(st)
            _control.wake(st)

    def _close(self, stop: Stop) -> None:
        with self.lock:
            self.stops.pop(stop.id, None)
            if self.by_thread.get(stop.tid) is stop:
                del self.by_thread[stop.tid]
        stop.closed.set()
        for fid in stop.frame_ids:
            self.frames.frames.pop(fid, None)
        while stop.work:
            _fn, fut = stop.work.popleft()
            fut.set_exception(RequestError("the stop was resumed"))
        if self.session.connected:
            self.session.add_event({"kind": "continued", "ts": self.session.ts(), "stop": stop.id}, urgent=True)
        for st in stop.held:
            if st.held:
                self.control.release(st, None, resumed=True)
            elif st.mode == "pause":
                st.mode = None

    def _make_step(self, action: str, frame: Any, tid: int, task_ref: Any) -> Optional[Step]:
        if action == "next":
            return Step("next", frame, tid, task_ref)
        if action == "stepIn":
            return Step("in", None, tid, task_ref)
        if action == "stepOut":
            return Step("out", frame, tid, task_ref)
        return None

    def _begin(self, action: str, frame: Any, tid: int, task_ref: Any) -> None:
        self.step = self._make_step(action, frame, tid, task_ref) if self.session.connected else None
        if self.step is not None:
            self.backend.begin_step(frame)
        else:
            self.backend.refresh()

    def resume(self, sid: int, action: str) -> None:
        stop = self.stops.get(sid)
        if stop is None:
            raise RequestError("no stop with id %s (it was resumed already)" % sid)
        with stop.cond:
            stop.action = action
            stop.cond.notify_all()
        # Answer once the stop is over, so a request right after this one (pause) sees it gone.
        stop.closed.wait(2.0)

    def stop_of_frame(self, fid: Any) -> Optional[Stop]:
        for stop in list(self.stops.values()):
            if fid in stop.frame_ids:
                return stop
        return None

    # --- lifecycle (called by the launcher and the controller's hooks) ------------------------------
    def step_was_held(self, st: LoopState, start: float) -> bool:
        """Findings: the step that just ended included a line stop (not a blocking call)."""
        key = (st.id, start)
        if key in self.held_steps:
            self.held_steps.discard(key)
            return True
        return False

    def forget(self) -> None:
        """The debugger went away (the controller's on_detach hook, after the loops are released):
        no breakpoints, no step, no pause; stopped threads run on (their wait loops see the session
        disconnected), and the hooks come out. A launch still waiting for `configurationDone`
        starts the program now, not at the wait's timeout."""
        TABLE.set_functions([])
        for path in list(TABLE.files):
            TABLE.set_file(path, [])
        self.step = None
        with self.lock:
            self.pausing.clear()
        self.break_raised = self.break_uncaught = False
        self.configured.set()
        for stop in list(self.stops.values()):
            with stop.cond:
                stop.cond.notify_all()
        self.backend.refresh()

    def wait_configuration(self, timeout: float = 10.0) -> None:
        """Launch mode, main thread, before the target runs: wait for `configurationDone` (breakpoints
        set before the program starts), then trace this thread if breakpoints exist."""
        self.configured.wait(timeout)
        self.sync_options()
        self.backend.refresh(here=True)

    def breakpoints_from_env(self) -> None:
        """LOOPSCOPE_BREAKPOINTS=file:line[,file:line…]: arm breakpoints without a debugger (benchmarks,
        the peer suite). Bad entries are reported on stderr and skipped."""
        spec = os.environ.get("LOOPSCOPE_BREAKPOINTS")
        if not spec:
            return
        per: Dict[str, List[Dict[str, Any]]] = {}
        for item in spec.split(","):
            item = item.strip()
            path, sep, line = item.rpartition(":")
            if not sep or not line.isdigit() or not path:
                sys.stderr.write("loopscope: LOOPSCOPE_BREAKPOINTS entry %r is not FILE:LINE; ignored\n" % item)
                continue
            per.setdefault(path, []).append({"line": int(line)})
        for path, specs in per.items():
            for bp in TABLE.set_file(path, specs):
                if not bp.verified:
                    sys.stderr.write("loopscope: LOOPSCOPE_BREAKPOINTS %s:%d: %s\n" % (path, bp.requested, bp.message))
        self.backend.refresh(here=True)  # install() runs on the program's main thread


def _thread_name(tid: int) -> str:
    for t in threading.enumerate():
        if t.ident == tid:
            return t.name
    return "thread %d" % tid


def interpolate(template: str, frame: Any) -> str:
    """A logpoint's text: each {expr} evaluated in the frame (errors shown inline); {{ and }} are braces."""
    out: List[str] = []
    i = 0
    n = len(template)
    while i < n:
        c = template[i]
        if c == "{" and template.startswith("{{", i):
            out.append("{")
            i += 2
        elif c == "}" and template.startswith("}}", i):
            out.append("}")
            i += 2
        elif c == "{":
            j = template.find("}", i + 1)
            if j < 0:
                out.append(template[i:])
                break
            expr = template[i + 1:j]
            try:
                v = eval(compile(expr, "<logpoint>", "eval"), frame.f_globals, frame.f_locals)
                try:
                    s = str(v)
                except Exception:
                    s = _inspect.safe_repr(v)
            except BaseException as e:
                s = "<error: %s: %s>" % (type(e).__name__, _inspect.safe_str(e, 200))
            out.append(s)
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


# --- evaluation -------------------------------------------------------------------------------

_CO_COROUTINE = 0x80


def _run_code(frame: Any, expression: str) -> Any:
    try:
        code = compile(expression, "<debug console>", "eval")
    except SyntaxError:
        pass
    else:
        # One namespace, so nested scopes (comprehensions, lambdas before 3.12) see the locals too.
        ns = dict(frame.f_globals)
        ns.update(frame.f_locals)
        return eval(code, ns)
    code = compile(expression, "<debug console>", "exec")
    loc = frame.f_locals
    exec(code, frame.f_globals, loc)
    _tracing.locals_to_fast(frame)
    return None


def _user_error(e: BaseException) -> RequestError:
    return RequestError("%s: %s" % (type(e).__name__, _inspect.safe_str(e)))


def _is_await(expression: str) -> bool:
    try:
        compile(expression, "<debug console>", "eval")
        return False
    except SyntaxError:
        pass
    try:
        code = compile(expression, "<debug console>", "eval", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    except SyntaxError:
        try:
            code = compile(expression, "<debug console>", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
        except SyntaxError:
            return False
    return bool(code.co_flags & _CO_COROUTINE)


# --- requests ---------------------------------------------------------------------------------

class DebuggerRequests:
    """The line debugger's wire requests. Its pause, evaluate and setOptions extend the
    controller's (which they call); register() puts them all into the controller's table."""

    def __init__(self, dbg: Debugger) -> None:
        self.dbg = dbg
        self.session = dbg.session
        self.control = dbg.control
        self.frames = dbg.frames

    def _var_record(self, name: str, value: Any) -> Dict[str, Any]:
        v = self.frames._var(name, value)
        return {"value": v["value"], "type": v["type"], "ref": v["ref"]}

    def _evaluate_in_stop(self, stop: Stop, frame: Any, expression: str) -> Dict[str, Any]:
        if _is_await(expression):
            who = ("Task %s" % stop.task.name) if stop.task is not None else ("thread %s" % _thread_name(stop.tid))
            raise RequestError("await needs the loop, which is stopped inside a step of %s: continue to the next "
                               "tick boundary (Step Tick) and evaluate it there" % who)

        def work() -> Dict[str, Any]:
            try:
                value = _run_code(frame, expression)
            except BaseException as e:
                raise _user_error(e) from None
            return self._var_record(expression, value)
        return stop.run(work)

    def evaluate(self, args: Dict[str, Any]) -> Dict[str, Any]:
        fid = args["frame"]
        expression = args["expression"]
        stop = self.dbg.stop_of_frame(fid)
        if stop is not None:
            return self._evaluate_in_stop(stop, stop.frame_ids[fid], expression)
        if _is_await(expression):
            return self._await_at_hold(fid, expression)
        return self.control.evaluate(args)  # at a tick-boundary hold: name paths only, no code runs

    def _held_loop_of(self, frame: Any) -> Optional[LoopState]:
        held = [st for st in self.session.loops.values() if st.held and not st.closed]
        return held[0] if len(held) == 1 else (held[0] if held else None)

    def _await_at_hold(self, fid: int, expression: str) -> Dict[str, Any]:
        frame = self.frames.frames.get(fid)
        if frame is None:
            raise RequestError("no frame with id %d (frame ids expire when the loop resumes)" % fid)
        st = self._held_loop_of(frame)
        if st is None:
            raise RequestError("await needs an event loop held at a tick boundary; pause first")
        loop = st.ref()
        if loop is None or loop.is_closed():
            raise RequestError("the loop of this frame is closed")
        try:
            code = compile(expression, "<debug console>", "eval", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
            local_ns = dict(frame.f_locals)
            coro = eval(code, frame.f_globals, local_ns)
        except BaseException as e:
            raise _user_error(e) from None
        done = threading.Event()
        box: Dict[str, Any] = {}
        start_tick = st.tick

        async def runner() -> None:
            try:
                box["value"] = await coro
            except BaseException as e:
                box["error"] = e
            finally:
                st.mode = "pause"  # hold again at the next tick boundary
                done.set()

        # A plain Task, not loop.create_task(): an eager task factory would run its first step here,
        # on the reader thread. The loop is held, so scheduling from this thread is safe.
        asyncio.Task(runner(), loop=loop, name="loopscope: " + expression[:60])
        self.control.release(st, None, resumed=False)
        if not done.wait(60.0):
            raise RequestError("%s did not complete within 60 s; it keeps running on loop %d" % (expression, st.id))
        deadline = time.monotonic() + 5.0
        while not st.held and time.monotonic() < deadline:
            time.sleep(0.002)
        ticks = st.tick - start_tick
        if "error" in box:
            e = box["error"]
            raise RequestError("%s: %s (after %d ticks)" % (type(e).__name__, _inspect.safe_str(e), ticks))
        rec = self._var_record(expression, box.get("value"))
        rec["ticks"] = ticks
        return rec

    # --- setVariable ----------------------------------------------------------------------------

    def set_variable(self, args: Dict[str, Any]) -> Dict[str, Any]:
        name = args["name"]
        text = args["value"]
        fid = args.get("frame")
        ref = args.get("ref")
        dbg = self.dbg
        stop = dbg.stop_of_frame(fid) if fid is not None else None
        if fid is not None and stop is None and fid not in self.frames.frames:
            raise RequestError("no frame with id %s (frame ids expire when the stop is resumed)" % fid)
        frame = None
        if fid is not None:
            frame = stop.frame_ids[fid] if stop is not None else self.frames.frames.get(fid)
        if stop is None:
            stops = list(dbg.stops.values())
            stop = stops[0] if stops else None
        eval_frame = frame if frame is not None else (stop.top if stop is not None else None)

        def work() -> Dict[str, Any]:
            try:
                value = eval(compile(text, "<setVariable>", "eval"),
                             eval_frame.f_globals if eval_frame is not None else {},
                             eval_frame.f_locals if eval_frame is not None else {})
            except BaseException as e:
                raise _user_error(e) from None
            if ref is not None and ref != 0:
                self._assign_child(ref, name, value)
            elif frame is not None:
                loc = frame.f_locals
                if name not in loc and name in frame.f_globals:
                    frame.f_globals[name] = value
                else:
                    loc[name] = value
                    _tracing.locals_to_fast(frame)
            else:
                raise RequestError("setVariable needs a frame or a variable reference")
            return self._var_record(name, value)
        return stop.run(work) if stop is not None else work()

    def _assign_child(self, ref: int, name: str, value: Any) -> None:
        refs = self.frames.refs
        if ref not in refs:
            raise RequestError("no variable reference %s (references expire when the stop is resumed)" % ref)
        obj = refs[ref]
        if isinstance(obj, dict):
            for k in list(obj):
                if _inspect.safe_repr(k, 60) == name:
                    obj[k] = value
                    return
            raise RequestError("no key %s in this dict" % name)
        if isinstance(obj, list) and name.startswith("[") and name.endswith("]"):
            obj[int(name[1:-1])] = value
            return
        if isinstance(obj, (tuple, set, frozenset)):
            raise RequestError("a %s cannot be changed in place" % type(obj).__name__)
        try:
            setattr(obj, name, value)
        except Exception as e:
            raise _user_error(e) from None

    # --- breakpoints, stops, steps ----------------------------------------------------------------

    def set_breakpoints(self, args: Dict[str, Any]) -> Dict[str, Any]:
        bps = TABLE.set_file(args["file"], list(args.get("breakpoints") or []))
        self.dbg.backend.refresh()
        return {"breakpoints": [bp.record() for bp in bps]}

    def set_function_breakpoints(self, args: Dict[str, Any]) -> Dict[str, Any]:
        fbs = TABLE.set_functions(list(args.get("breakpoints") or []))
        self.dbg.backend.refresh()
        return {"breakpoints": [fb.record() for fb in fbs]}

    def resume(self, args: Dict[str, Any]) -> Dict[str, Any]:
        self.dbg.resume(args["stop"], args.get("action", "continue"))
        return {}

    def stack_trace(self, args: Dict[str, Any]) -> Dict[str, Any]:
        stop = self.dbg.stops.get(args["stop"])
        if stop is None:
            raise RequestError("no stop with id %s" % args["stop"])
        out = []
        for fid, f in stop.frame_ids.items():
            code = f.f_code
            out.append({"id": fid, "name": getattr(code, "co_qualname", None) or code.co_name,
                        "file": code.co_filename, "line": f.f_lineno or 0, "kind": _frame_kind(code),
                        "internal": _internal(code.co_filename)})
        return {"frames": out}

    def line_step(self, args: Dict[str, Any]) -> Dict[str, Any]:
        action = args.get("action", "next")
        info = None
        if "task" in args:
            info = self.session.find(args["task"])
            if info is None or info() is None or info.done:
                raise RequestError("no live task with id %s" % args["task"])
            st = self.session.loops.get(info.loop)
        else:
            sts = self.control.loops_of(args, only_held="loop" not in args)
            st = sts[0] if sts else None
        if st is None or not st.held:
            raise RequestError("the event loop is not held at a tick boundary; pause first")
        task = info() if info is not None else None
        dbg = self.dbg
        dbg.step = Step("task" if task is not None else "in", None, st.thread,
                        weakref.ref(task) if task is not None else None)
        dbg.backend.refresh()
        self.control.release(st, None, resumed=True)
        return {}

    def pause(self, args: Dict[str, Any]) -> Dict[str, Any]:
        control = self.control
        if not args.get("anywhere"):
            return control.pause(args)
        dbg = self.dbg
        sts = control.loops_of({k: v for k, v in args.items() if k == "loop"})
        # Every running loop's thread is armed, busy or not: an idle loop may start a step (a long
        # one) before its tick boundary comes; the first of the line stop and the hold wins.
        armed = {st.thread for st in sts if st.tick_control and not st.held and st.thread not in dbg.by_thread}
        rest = {k: v for k, v in args.items() if k != "anywhere"}
        # Under dbg.lock, so neither answer can come half-way: a line stop (which undoes the
        # tick-boundary pause asked for here) and a hold (which disarms the line pause armed here)
        # both take that lock, and so see the pause whole.
        with dbg.lock:
            control.pause(rest)  # idle loops hold at their tick boundary as before
            for tid in armed:
                dbg.arm_pause(tid)
        if not sts:  # a program without a loop (yet): its main thread
            dbg.arm_pause(threading.main_thread().ident or 0)
        return {}

    def configuration_done(self, args: Dict[str, Any]) -> Dict[str, Any]:
        self.dbg.control.after_answer.append(self.dbg.configured.set)
        return {}

    def set_options(self, args: Dict[str, Any]) -> Dict[str, Any]:
        body = self.control.set_options(args)
        self.dbg.sync_options()
        return body


def register(dbg: Debugger) -> None:
    """Join the line debugger to its controller: its requests go into the request table (pause,
    evaluate and setOptions replace the controller's entries and call them), it hears of every
    hold before it happens (on_hold) and of the debugger going away (on_detach)."""
    control = dbg.control
    requests = DebuggerRequests(dbg)
    control.handlers.update({
        "pause": requests.pause,
        "evaluate": requests.evaluate,
        "setOptions": requests.set_options,
        "configurationDone": requests.configuration_done,
        "setBreakpoints": requests.set_breakpoints,
        "setFunctionBreakpoints": requests.set_function_breakpoints,
        "resume": requests.resume,
        "lineStep": requests.line_step,
        "setVariable": requests.set_variable,
        "stackTrace": requests.stack_trace,
    })
    # A hold answers a pause anywhere armed for its thread: disarmed on that thread, before `paused`.
    control.on_hold.append(dbg.held_at_boundary)
    control.on_detach.append(dbg.forget)
