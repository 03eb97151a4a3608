# Loop control and request handling: the pause/step state machine (the loop thread is held on a
# per-loop Condition at a tick boundary or right after a callback), and the answers to every wire
# request. Requests run on the connection's reader thread; only holds run on loop threads. The
# line debugger joins through the request table and the on_hold/on_detach hooks (see Controller).
from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from typing import Any, Callable, Dict, List, Optional

from . import _inspect
from ._session import LoopState, Session, TaskInfo

__all__ = ["Controller", "RequestError", "Handler", "wake"]

# A wire request's handler: its arguments -> the response body.
Handler = Callable[[Dict[str, Any]], Dict[str, Any]]


class RequestError(Exception):
    """A request that cannot be honoured; the text is sent back as the response's `error`."""


def _ran_text(st: LoopState, head: str) -> str:
    ran = st.ran or []
    if not ran:
        return head + ": nothing ran"
    names = [r["label"] for r in ran[:8]]
    more = "" if len(ran) <= 8 else ", … %d more" % (len(ran) - 8)
    return "%s: ran %s%s" % (head, ", ".join(names), more)


def _cb_label(cb: Any) -> str:
    return getattr(cb, "__qualname__", None) or type(cb).__name__


def _need_tick_control(st: LoopState) -> None:
    if not st.tick_control:
        raise RequestError("tick control is not supported on %s" % st.cls)


def wake(st: LoopState) -> None:
    """Wake a loop sitting in select(), so it reaches its tick boundary (and a hold) at once."""
    loop = st.ref()
    w = getattr(loop, "_write_to_self", None)
    if w is not None:
        try:
            w()
        except Exception:
            pass


class Controller:
    """Holds the session's loops when asked and answers the wire's requests.

    Others join explicitly: `handlers` is the request table (the line debugger adds its requests
    and takes over pause/evaluate/setOptions, calling the methods here), every hook in `on_hold`
    runs on the loop thread before each hold, and every hook in `on_detach` runs once the loops are
    released because the debugger went away."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.frames = _inspect.FrameRegistry()  # frame and value ids handed out; cleared on resume
        self.on_hold: List[Callable[[LoopState], None]] = []
        self.on_detach: List[Callable[[], None]] = []
        # What a request handler leaves to run once its response is on the wire (the reader
        # thread runs it): configurationDone lets the program start only after it is answered,
        # or a program that ends at once (killed by its own signal) would take the answer with it.
        self.after_answer: List[Callable[[], None]] = []
        self.handlers: Dict[str, Handler] = {
            "pause": self.pause,
            "continue": self._continue,
            "stepTick": lambda a: self._step(a, "tick"),
            "stepCallback": lambda a: self._step(a, "callback"),
            "runUntilTaskSteps": self._run_until,
            "cancelTask": self._cancel,
            "snapshot": lambda a: self.snapshot(),
            "awaitChain": self._await_chain,
            "variables": self._variables,
            "setOptions": self.set_options,
            "evaluate": self.evaluate,
        }

    # --- loop thread side ---------------------------------------------------------------------

    def at_tick_boundary(self, st: LoopState, loop: Any) -> None:
        mode = st.mode
        if mode == "entry":
            self._hold(st, "entry", "before the first tick of loop %d" % st.id)
        elif mode == "pause":
            self._hold(st, "pause", "paused before tick %d" % (st.tick + 1))
        elif mode == "tick":
            self._hold(st, "step-tick", _ran_text(st, "tick %d" % st.tick))
        elif mode == "event":
            trig = st.trigger
            st.trigger = None
            if trig is not None:
                self._hold(st, trig[0], "tick %d: %s" % (st.tick, trig[1]), trig[2])
            else:
                st.mode = None

    def after_callback(self, st: LoopState, info: Optional[TaskInfo], cb: Any) -> None:
        if st.ran is not None and getattr(cb, "__name__", "") != "_read_from_self":
            if info is not None:
                st.ran.append({"task": info.id, "label": info.name})
            else:
                st.ran.append({"label": _cb_label(cb)})
        mode = st.mode
        if mode == "callback":
            self._hold(st, "step-callback", _ran_text(st, "tick %d" % st.tick))
        elif mode == "task" and info is not None and info is st.until:
            self._hold(st, "task-stepped", "tick %d: %s stepped" % (st.tick, info.name))

    def _hold(self, st: LoopState, reason: str, description: str, trigger: Optional[Dict[str, Any]] = None) -> None:
        for hook in self.on_hold:
            hook(st)
        S = self.session
        if not S.connected:
            st.mode = None
            return
        with st.cond:
            ran = st.ran or []
            st.ran = None
            st.held = True
            st.mode = None
            st.until = None
            st.pause_reason = reason
            ev = {"kind": "paused", "ts": S.ts(), "loop": st.id, "tick": st.tick,
                  "reason": reason, "description": description, "ran": ran}
            if trigger is not None:
                ev["trigger"] = trigger
            S.add_event(ev, urgent=True)
            while st.held and S.connected:
                st.cond.wait(1.0)
            st.held = False

    def release(self, st: LoopState, mode: Optional[str], resumed: bool) -> None:
        """Let a held loop go on, in `mode` (None: run freely); `resumed` reports it on the wire."""
        with st.cond:
            self.frames.clear()
            st.mode = mode
            st.ran = [] if mode in ("tick", "callback", "task") else None
            was_held = st.held
            st.held = False
            st.cond.notify_all()
        if resumed and was_held:
            self.session.add_event({"kind": "resumed", "ts": self.session.ts(), "loop": st.id}, urgent=True)

    def detach(self) -> None:
        """The debugger went away: let every loop run freely again, then run the on_detach hooks."""
        for st in list(self.session.loops.values()):
            with st.cond:
                st.mode = None
                st.until = None
                st.ran = None
                st.held = False
                st.cond.notify_all()
        for hook in self.on_detach:
            hook()

    def pause_on_event(self, filt: str, loop_id: Optional[int], task: Optional[int], finding: Optional[int],
                       description: str) -> None:
        """A `pauseOn` event happened (any thread): hold its loop at the next tick boundary, so a
        debugger stops on it even when the program would end before a pause request could arrive."""
        S = self.session
        if not S.connected:
            return
        me = threading.get_ident()
        if loop_id is not None:
            sts = [st for st in (S.loops.get(loop_id),) if st is not None]
        else:  # no task (a never-awaited coroutine): the loop running in this thread, else every loop
            sts = [st for st in S.loops.values() if st.thread == me and not st.closed] or list(S.loops.values())
        reason = "exception" if filt in ("task-failed", "task-cancelled", "unretrieved-exception") else "finding"
        for st in sts:
            # Held loops stay held; single steps stop by themselves right after.
            if st.closed or not st.tick_control or st.held or st.mode in ("tick", "callback", "entry", "event"):
                continue
            st.trigger = (reason, description, {"filter": filt, "task": task, "finding": finding})
            st.mode = "event"
            if st.thread != me:
                wake(st)  # e.g. a stall seen by the watchdog while the loop sits in select()

    # --- requests (reader thread) ---------------------------------------------------------------

    def handle_request(self, command: str, args: Dict[str, Any]) -> Dict[str, Any]:
        h = self.handlers.get(command)
        if h is None:
            raise RequestError("unknown command %r" % command)
        return h(args)

    def loops_of(self, args: Dict[str, Any], only_held: bool = False) -> List[LoopState]:
        """The open loops a request names (its `loop`), else every open loop (or every held one)."""
        if "loop" in args:
            st = self.session.loops.get(args["loop"])
            if st is None or st.closed:
                raise RequestError("no open event loop with id %s" % args["loop"])
            return [st]
        sts = [st for st in self.session.loops.values() if not st.closed]
        if only_held:
            sts = [st for st in sts if st.held]
        return sts

    def pause(self, args: Dict[str, Any]) -> Dict[str, Any]:
        for st in self.loops_of(args):
            if "loop" in args:
                _need_tick_control(st)
            if st.tick_control and not st.held:
                st.mode = "pause"
                wake(st)
        return {}

    def _continue(self, args: Dict[str, Any]) -> Dict[str, Any]:
        for st in self.loops_of(args):
            self.release(st, None, resumed=True)
        return {}

    def _step(self, args: Dict[str, Any], mode: str) -> Dict[str, Any]:
        sts = self.loops_of(args, only_held="loop" not in args)
        if not sts:
            raise RequestError("no event loop is paused; pause first")
        for st in sts:
            _need_tick_control(st)
            if not st.held:
                raise RequestError("event loop %d is not paused" % st.id)
        for st in sts:
            self.release(st, mode, resumed=False)  # held before select: no wakeup needed
        return {}

    def _task(self, args: Dict[str, Any]) -> TaskInfo:
        tid = args["task"]
        info = self.session.find(tid)
        if info is None:
            raise RequestError("no task with id %s" % tid)
        return info

    def _live_task(self, args: Dict[str, Any]) -> Any:
        info = self._task(args)
        task = info()
        if task is None or info.done:
            raise RequestError("task %d (%s) has finished" % (info.id, info.name))
        return info, task

    def _run_until(self, args: Dict[str, Any]) -> Dict[str, Any]:
        info, _task_obj = self._live_task(args)
        st = self.session.loops.get(info.loop)
        if st is None:
            raise RequestError("the loop of task %d is unknown" % info.id)
        _need_tick_control(st)
        with st.cond:
            st.until = info
        self.release(st, "task", resumed=True)
        return {}

    def _cancel(self, args: Dict[str, Any]) -> Dict[str, Any]:
        info, task = self._live_task(args)
        st = self.session.loops.get(info.loop)
        msg = args.get("message")
        if info.cancel_by is None:
            info.cancel_by = {"task": None, "location": None, "label": "cancelled from the debugger"}
        loop = st.ref() if st is not None else None

        def do() -> bool:
            return task.cancel(msg) if msg is not None else task.cancel()

        if st is not None and st.held:
            # The loop thread is parked inside the runtime, so touching its tasks here is safe; the
            # wakeup runs when the loop resumes.
            return {"cancelled": bool(do())}
        if loop is None or loop.is_closed():
            raise RequestError("the loop of task %d is closed" % info.id)
        result: "concurrent.futures.Future[bool]" = concurrent.futures.Future()

        def run() -> None:
            try:
                result.set_result(bool(do()))
            except BaseException as e:  # report, never raise into the user's loop
                result.set_exception(e)

        loop.call_soon_threadsafe(run)
        try:
            return {"cancelled": result.result(timeout=5.0)}
        except concurrent.futures.TimeoutError:
            raise RequestError("event loop %d did not run the cancellation within 5 s (is it blocked?); "
                               "it is still scheduled" % info.loop) from None

    def snapshot(self) -> Dict[str, Any]:
        S = self.session
        loops = []
        for st in list(S.loops.values()):
            rec = S.loop_created_event(st, 0.0)
            del rec["kind"], rec["ts"]
            rec.update(tick=st.tick, paused=st.held, closed=st.closed)
            loops.append(rec)
        tasks = []
        for info in S.live():
            rec = S.task_created_event(info)
            del rec["kind"], rec["ts"]
            rec.update(S.task_state_fields(info))
            tasks.append(rec)
        for info in list(S.finished.values()):
            rec = S.task_created_event(info)
            del rec["kind"], rec["ts"]
            rec.update(state="done", steps=info.steps, busyMs=round(info.busy * 1000.0, 3),
                       waitingOn=None, wokenBy=S.woken_by(info, False), tick=info.tick)
            rec.update(S.task_done_fields(info))
            tasks.append(rec)
        futures = [r for r in (S.future_record(fid) for fid in list(S.futures)) if r is not None]
        stats = S.stats_event(0.0)
        del stats["kind"], stats["ts"]
        return {"loops": loops, "tasks": tasks, "futures": futures, "stats": stats}

    def _await_chain(self, args: Dict[str, Any]) -> Dict[str, Any]:
        info = self._task(args)
        task = info()
        if task is None or info.done:
            return {"frames": []}
        return {"frames": self.frames.chain(task)}

    def _variables(self, args: Dict[str, Any]) -> Dict[str, Any]:
        try:
            return {"variables": self.frames.variables(args.get("frame"), args.get("ref"))}
        except KeyError as e:
            raise RequestError(e.args[0]) from None

    def evaluate(self, args: Dict[str, Any]) -> Dict[str, Any]:
        try:
            return self.frames.evaluate(args["frame"], args["expression"])
        except KeyError as e:
            raise RequestError(e.args[0] if isinstance(e.args[0], str) else "key %r not found" % e.args[0]) from None
        except (NameError, AttributeError, TypeError, ValueError, IndexError) as e:
            raise RequestError(str(e)) from None

    def set_options(self, args: Dict[str, Any]) -> Dict[str, Any]:
        self.session.set_options(args)
        return {}
