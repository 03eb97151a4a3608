# The line debugger's hooks into the interpreter (issue 12): a sys.monitoring backend (CPython
# 3.12+: PY_START disabled per code object, LINE local to the code objects that hold breakpoints,
# global LINE only while a step or a pause is in flight) and a sys.settrace backend (3.9-3.11: a call
# tracer that answers None at once for code without breakpoints). Nothing is installed while there
# is nothing to stop on. The decisions (stop or not) belong to _debugger.
from __future__ import annotations

import collections
import dis
import os
import sys
import threading
from typing import Any, Callable, Optional

from . import _breakpoints, _inspect

__all__ = ["make_backend", "is_ours", "is_yield_return", "locals_to_fast", "start_of_call"]

_LOOPSCOPE_DIR = _inspect._LOOPSCOPE_DIR
TABLE = _breakpoints.TABLE


def is_ours(filename: str) -> bool:
    return filename.startswith(_LOOPSCOPE_DIR)


_CO_GENLIKE = 0x20 | 0x80 | 0x100 | 0x200  # generator, coroutine, iterable coroutine, async generator
_YIELD_OPS = frozenset(dis.opmap[n] for n in ("YIELD_VALUE", "YIELD_FROM") if n in dis.opmap)
_YIELD_FROM = dis.opmap.get("YIELD_FROM", -1)
_RESUME = dis.opmap.get("RESUME", -1)


def is_yield_return(frame: Any) -> bool:
    """A settrace 'return' event that is a suspension (await/yield), not the frame's end."""
    code = frame.f_code
    if not code.co_flags & _CO_GENLIKE:
        return False
    raw = code.co_code
    i = frame.f_lasti
    if not 0 <= i < len(raw):
        return False
    if raw[i] in _YIELD_OPS:
        return True
    return i + 2 < len(raw) and raw[i + 2] == _YIELD_FROM  # 3.9/3.10 rewind f_lasti before YIELD_FROM


def start_of_call(frame: Any) -> bool:
    """A settrace 'call' event that starts the frame (not a generator/coroutine resuming)."""
    i = frame.f_lasti
    if i < 0:
        return True
    raw = frame.f_code.co_code
    return i + 1 < len(raw) and raw[i] == _RESUME and raw[i + 1] == 0


if sys.version_info < (3, 13):
    _LOCALS_TO_FAST: list = []

    def locals_to_fast(frame: Any) -> None:
        """Write the frame's f_locals dict back to its fast locals (3.9-3.12). ctypes is imported
        on first use only: most debuggees never set a variable."""
        if not _LOCALS_TO_FAST:
            import ctypes
            fn = ctypes.pythonapi.PyFrame_LocalsToFast
            fn.argtypes = [ctypes.py_object, ctypes.c_int]
            fn.restype = None
            _LOCALS_TO_FAST.append(fn)
        _LOCALS_TO_FAST[0](frame, 0)
else:
    def locals_to_fast(frame: Any) -> None:  # 3.13: f_locals writes through
        pass


class _Backend:
    """What _debugger needs from a backend."""

    def __init__(self, dbg: Any) -> None:
        self.dbg = dbg

    def refresh(self, here: bool = False) -> None:
        raise NotImplementedError

    def shutdown(self) -> None:
        pass

    def begin_step(self, frame: Any) -> None:
        self.refresh()

    def follow(self, frame: Any) -> None:
        """The step goes on in `frame` (already running)."""

    def arm_pause(self, tid: int) -> None:
        self.refresh()


# --- 3.12+: sys.monitoring ------------------------------------------------------------------------

class MonitoringBackend(_Backend):
    def __init__(self, dbg: Any) -> None:
        super().__init__(dbg)
        self.mon = sys.monitoring  # type: ignore[attr-defined]
        self.table = TABLE  # bound here: callbacks may run while the interpreter tears modules down
        self.tool: Optional[int] = None
        self.local_codes: set = set()
        self.lock = threading.Lock()
        self.global_events = 0
        self.version = -1

    def _claim(self) -> Optional[int]:
        mon = self.mon
        if self.tool is not None:
            return self.tool
        for tool in (mon.DEBUGGER_ID, 4, 5):  # the debugger slot; else a free spare one
            if mon.get_tool(tool) is None:
                mon.use_tool_id(tool, "loopscope")
                E = mon.events
                mon.register_callback(tool, E.PY_START, self._on_start)
                mon.register_callback(tool, E.PY_RESUME, self._on_resume)
                mon.register_callback(tool, E.LINE, self._on_line)
                mon.register_callback(tool, E.PY_RETURN, self._on_exit)
                mon.register_callback(tool, E.PY_UNWIND, self._on_unwind)
                mon.register_callback(tool, E.RAISE, self._on_raise)
                self.tool = tool
                return tool
        return None

    def refresh(self, here: bool = False) -> None:
        with self.lock:
            self._refresh()

    def _refresh(self) -> None:
        d = self.dbg
        mon = self.mon
        E = mon.events
        want = 0
        bps = TABLE.any()
        if bps:
            want |= E.PY_START | E.PY_RESUME
        if d.step is not None or d.pausing:
            want |= E.LINE | E.PY_RETURN | E.PY_UNWIND
        if d.break_raised:
            want |= E.RAISE
        if d.break_uncaught:
            want |= E.PY_UNWIND
        if want == 0 and self.tool is None:
            return
        if self.tool is None:
            import atexit
            atexit.register(self.shutdown)
        tool = self._claim()
        if tool is None:
            return
        if self.version != TABLE.version:  # breakpoints changed: re-decide every code object
            self.version = TABLE.version
            for code in list(self.local_codes):
                try:
                    mon.set_local_events(tool, code, 0)
                except ValueError:
                    pass
            self.local_codes.clear()
            if bps:
                self._arm_running_frames(tool)
            mon.restart_events()
        elif want & E.LINE and not self.global_events & E.LINE:
            mon.restart_events()  # lines disabled while not stepping must fire again
        mon.set_events(tool, want)
        self.global_events = want

    def shutdown(self) -> None:
        """At interpreter exit: no callback may run while modules are torn down."""
        with self.lock:
            if self.tool is not None:
                try:
                    self.mon.set_events(self.tool, 0)
                    for code in self.local_codes:
                        self.mon.set_local_events(self.tool, code, 0)
                    self.mon.free_tool_id(self.tool)
                except Exception:
                    pass
                self.tool = None
                self.local_codes.clear()

    def _arm_running_frames(self, tool: int) -> None:
        # Frames already running never see PY_START again: give their code LINE events now.
        for f in list(sys._current_frames().values()):
            while f is not None:
                code = f.f_code
                if code not in self.local_codes and TABLE.for_code(code) is not None:
                    self.mon.set_local_events(tool, code, self.mon.events.LINE)
                    self.local_codes.add(code)
                f = f.f_back

    # callbacks: run on the thread executing the code; return DISABLE to silence that location.
    def _on_start(self, code: Any, offset: int) -> Any:
        # PY_START fires at the RESUME that starts the frame, whose offset is 0 only for a plain
        # function: a coroutine/generator (RETURN_GENERATOR first) or one with cells/free
        # variables starts further in. PY_RESUME has its own callback, so no offset test here.
        table = self.table
        if table.func_bps:
            fb = table.function_for(code, None)
            if fb is not None:
                self.dbg.on_function(sys._getframe(1), fb)
                return None
        return self._on_resume(code, offset)

    def _on_resume(self, code: Any, offset: int) -> Any:
        """A frame starts or resumes (after an await/yield): its code gets LINE events when it
        holds breakpoints."""
        if self.table.for_code(code) is not None and code not in self.local_codes and self.tool is not None:
            self.mon.set_local_events(self.tool, code, self.mon.events.LINE)
            self.local_codes.add(code)
        return self.mon.DISABLE

    def _on_line(self, code: Any, line: int) -> Any:
        d = self.dbg
        if d.step is not None or d.pausing:
            if is_ours(code.co_filename):
                return None
            d.on_line(sys._getframe(1), line)
            return None
        per = self.table.for_code(code)
        if per is None:
            return self.mon.DISABLE
        bps = per.get(line)
        if bps is None:
            return self.mon.DISABLE
        d.on_breakpoint(sys._getframe(1), bps)
        return None

    def _on_exit(self, code: Any, offset: int, value: Any) -> Any:
        step = self.dbg.step
        if step is not None and step.frame is not None and step.frame.f_code is code:
            frame = sys._getframe(1)
            if frame is step.frame:
                self.dbg.on_exit(frame)
        return None

    def _on_unwind(self, code: Any, offset: int, exc: BaseException) -> Any:
        d = self.dbg
        if d.break_uncaught:
            d.on_unwind(sys._getframe(1), exc)
        self._on_exit(code, offset, None)
        return None

    def _on_raise(self, code: Any, offset: int, exc: BaseException) -> Any:
        if self.dbg.break_raised:
            self.dbg.on_raise(sys._getframe(1), exc)
        return None


# --- 3.9-3.11: sys.settrace -----------------------------------------------------------------------

class SettraceBackend(_Backend):
    def __init__(self, dbg: Any) -> None:
        super().__init__(dbg)
        self.main_ident = threading.main_thread().ident
        self._pending_cb: Any = None
        self.exc_frames: dict = {}
        self.table = TABLE
        self.busy = [False]  # a step, a pause or an exception option: every frame is traced
        self._call = self._make_call()
        self.at_exit = False

    def shutdown(self) -> None:
        threading.settrace(None)
        sys.settrace(None)

    def needed(self) -> bool:
        d = self.dbg
        return TABLE.any() or d.step is not None or bool(d.pausing) or d.break_raised or d.break_uncaught

    def refresh(self, here: bool = False) -> None:
        d = self.dbg
        self.busy[0] = d.step is not None or bool(d.pausing) or d.break_raised or d.break_uncaught
        if self.needed():
            if not self.at_exit:
                import atexit
                atexit.register(self.shutdown)
                self.at_exit = True
            threading.settrace(self._call)
            if here:
                self.install_here()
            self._install_elsewhere()
        else:
            threading.settrace(None)  # running tracers take themselves out at their next call

    def install_here(self) -> None:
        """Trace the calling thread, including the frames already on its stack."""
        if sys.gettrace() is not self._call:
            sys.settrace(self._call)
        f = sys._getframe(1)
        every = self.dbg.step is not None or bool(self.dbg.pausing)
        while f is not None:
            if not is_ours(f.f_code.co_filename) and (every or TABLE.for_code(f.f_code) is not None):
                f.f_trace = self._local
            f = f.f_back

    def _install_elsewhere(self) -> None:
        me = threading.get_ident()
        for st in list(self.dbg.session.loops.values()):
            if st.closed or st.thread == me:
                continue
            loop = st.ref()
            if loop is None or loop.is_closed():
                continue
            try:  # at that loop's next tick, on its own thread
                loop.call_soon_threadsafe(self.install_here)
            except RuntimeError:
                pass
        if self.main_ident != me:
            self.pending_call(self._pending_install)

    def pending_call(self, fn: Callable[[Any], None]) -> None:
        """Run fn(frame) in the main thread at its next bytecode boundary (Py_AddPendingCall)."""
        pending_call(fn)

    def _pending_install(self, frame: Any) -> None:
        if self.needed():
            self.install_here()

    def begin_step(self, frame: Any) -> None:
        self.refresh(here=True)

    def follow(self, frame: Any) -> None:
        frame.f_trace = self._local

    def arm_pause(self, tid: int) -> None:
        self.refresh()
        if tid == self.main_ident:
            self.pending_call(self.dbg.on_pending)
        else:  # a thread that traces sees its next line; one that does not, only a native stop
            f = sys._current_frames().get(tid)
            while f is not None and is_ours(f.f_code.co_filename):
                f = f.f_back
            if f is not None:
                f.f_trace = self._local

    def _make_call(self) -> Callable[[Any, str, Any], Any]:
        # The global tracer runs on every call in every traced thread: names bound here, one
        # dict lookup for code without breakpoints (cached per code object), None at once.
        d = self.dbg
        table = TABLE
        local = self._local
        miss = _MISS
        busy = self.busy
        cached = table.code_cache.get
        for_code = table.for_code
        functions = table.any_function

        def call(frame: Any, event: str, arg: Any) -> Any:
            code = frame.f_code
            per = cached(code, miss)
            if per is None and not busy[0] and not functions[0]:
                return None  # the common case: code without breakpoints, nothing in flight
            if busy[0]:
                return None if is_ours(code.co_filename) else local
            if per is miss:
                per = for_code(code)
            if table.func_bps and start_of_call(frame):
                fb = table.function_for(code, frame.f_globals.get("__name__"))
                if fb is not None:
                    d.on_function(frame, fb)
                    if d.step is not None:
                        return local
            if per is not None:
                return local
            if not table.by_file and not table.func_bps:
                sys.settrace(None)  # nothing left to stop on: this thread stops tracing
            return None
        return call

    def _local(self, frame: Any, event: str, arg: Any) -> Any:
        d = self.dbg
        if event == "line":
            if self.exc_frames:
                self.exc_frames.pop(frame, None)  # caught here
            if d.step is not None or d.pausing:
                d.on_line(frame, frame.f_lineno)
                return self._local
            per = self.table.for_code(frame.f_code)
            if per is not None:
                bps = per.get(frame.f_lineno)
                if bps is not None:
                    d.on_breakpoint(frame, bps)
                return self._local
            return self._local if (d.break_raised or d.break_uncaught) else None
        if event == "return":
            if d.break_uncaught and arg is None and frame in self.exc_frames:
                exc, tb = self.exc_frames.pop(frame)
                if not is_yield_return(frame):
                    d.on_unwind(frame, exc, tb)
            step = d.step
            if step is not None and step.frame is frame and not is_yield_return(frame):
                d.on_exit(frame)
            return self._local
        if event == "exception":
            exc = arg[1]
            if d.break_raised and arg[2] is not None and arg[2].tb_next is None:
                d.on_raise(frame, exc)
            if d.break_uncaught:
                self.exc_frames[frame] = (exc, arg[2])
            return self._local
        return self._local


_MISS = object()

# Calls waiting for the main thread, run in order by one trampoline that lives as long as the
# process. CPython holds a pending call's C function pointer until the call runs, which can be
# long after it was queued (the main thread may sit in a line stop entered from a pending call, and
# none runs meanwhile): a ctypes callback per call, freed early, was a use-after-free. Its queue
# also holds only 32 calls; one more is refused, but then a trampoline is queued already and runs
# every function waiting here. A trampoline runs only the calls queued before it began: one queued
# while it runs (a call that queues another) waits for the next bytecode boundary, so the main
# thread always moves on between them.
_PENDING: "collections.deque[Callable[[Any], None]]" = collections.deque()
_TRAMPOLINE: list = []  # [the ctypes callback, Py_AddPendingCall], made on first use


def _run_pending(_arg: Any) -> int:
    frame = sys._getframe(1)  # the frame the main thread was running
    for _ in range(len(_PENDING)):
        try:
            fn = _PENDING.popleft()
        except IndexError:  # another trampoline, run from a call of this one, took the rest
            break
        try:
            fn(frame)
        except BaseException:
            pass
    return 0


def pending_call(fn: Callable[[Any], None]) -> None:
    """Run fn(frame) in the main thread at its next bytecode boundary, after the ones queued before."""
    import ctypes  # on first use only (see locals_to_fast)

    if not _TRAMPOLINE:
        add = ctypes.pythonapi.Py_AddPendingCall
        add.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
        add.restype = ctypes.c_int
        _TRAMPOLINE[:] = [ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p)(_run_pending), add]
    cb, add = _TRAMPOLINE
    _PENDING.append(fn)
    add(ctypes.cast(cb, ctypes.c_void_p), None)


def make_backend(dbg: Any) -> _Backend:
    if sys.version_info >= (3, 12):
        return MonitoringBackend(dbg)
    return SettraceBackend(dbg)
