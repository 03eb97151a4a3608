# Loop control and request handling: the pause/step state machine (the loop thread is held on a
# per-loop Condition at a tick boundary or right after a callback), and the answers to every wire
# request. Requests run on the connection's reader thread; only hold() runs on loop threads.
from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from typing import Any, Callable, Dict, List, Optional

from . import _inspect
from ._session import SESSION as S, LoopState, TaskInfo

__all__ = ["at_tick_boundary", "after_callback", "handle_request", "release_all", "RequestError", "pause_on_event"]

REGISTRY = _inspect.FrameRegistry()


class RequestError(Exception):
    """A request that cannot be honoured; the text is sent back as the response's `error`."""


# --- loop thread side -------------------------------------------------------------------------

def at_tick_boundary(st: LoopState, loop: Any) -> None:
    mode = st.mode
    if mode == "entry":
        _hold(st, "entry", "before the first tick of loop %d" % st.id)
    elif mode == "pause":
        _hold(st, "pause", "paused before tick %d" % (st.tick + 1))
    elif mode == "tick":
        _hold(st, "step-tick", _ran_text(st, "tick %d" % st.tick))
    elif mode == "event":
        trig = st.trigger
        st.trigger = None
        if trig is not None:
            _hold(st, trig[0], "tick %d: %s" % (st.tick, trig[1]), trig[2])
        else:
            st.mode = None


def after_callback(st: LoopState, info: Optional[TaskInfo], cb: Any) -> None:
    if st.ran is not None and getattr(cb, "__name__", "") != "_read_from_self":
        if info is not None:
            st.ran.append({"task": info.id, "label": info.name})
        else:
            st.ran.append({"label": _cb_label(cb)})
    mode = st.mode
    if mode == "callback":
        _hold(st, "step-callback", _ran_text(st, "tick %d" % st.tick))
    elif mode == "task" and info is not None and info is st.until:
        _hold(st, "task-stepped", "tick %d: %s stepped" % (st.tick, info.name))


def _ran_text(st: LoopState, head: str) -> str:
    ran = st.ran or []
    if not ran:
        return head + ": nothing ran"
    names = [r["label"] for r in ran[:8]]
    more = "" if len(ran) <= 8 else ", … %d more" % (len(ran) - 8)
    return "%s: ran %s%s" % (head, ", ".join(names), more)


def _cb_label(cb: Any) -> str:
    return getattr(cb, "__qualname__", None) or type(cb).__name__


def _hold(st: LoopState, reason: str, description: str, trigger: Optional[Dict[str, Any]] = None) -> None:
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


def _release(st: LoopState, mode: Optional[str], resumed: bool) -> None:
    with st.cond:
        REGISTRY.clear()
        st.mode = mode
        st.ran = [] if mode in ("tick", "callback", "task") else None
        was_held = st.held
        st.held = False
        st.cond.notify_all()
    if resumed and was_held:
        S.add_event({"kind": "resumed", "ts": S.ts(), "loop": st.id}, urgent=True)


def release_all() -> None:
    """The debugger went away: let every loop run freely again."""
    for st in list(S.loops.values()):
        with st.cond:
            st.mode = None
            st.until = None
            st.ran = None
            st.held = False
            st.cond.notify_all()


def pause_on_event(filt: str, loop_id: Optional[int], task: Optional[int], finding: Optional[int],
                   description: str) -> None:
    """A `pauseOn` event happened (any thread): hold its loop at the next tick boundary, so a
    debugger stops on it even when the program would end before a pause request could arrive."""
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
            _wake(st)  # e.g. a stall seen by the watchdog while the loop sits in select()


S.on_trigger = pause_on_event


# --- requests (reader thread) -------------------------------------------------------------------

def _loops(args: Dict[str, Any], only_held: bool = False) -> List[LoopState]:
    if "loop" in args:
        st = S.loops.get(args["loop"])
        if st is None or st.closed:
            raise RequestError("no open event loop with id %s" % args["loop"])
        return [st]
    sts = [st for st in S.loops.values() if not st.closed]
    if only_held:
        sts = [st for st in sts if st.held]
    return sts


def _need_tick_control(st: LoopState) -> None:
    if not st.tick_control:
        raise RequestError("tick control is not supported on %s" % st.cls)


def _wake(st: LoopState) -> None:
    loop = st.ref()
    w = getattr(loop, "_write_to_self", None)
    if w is not None:
        try:
            w()
        except Exception:
            pass


def _pause(args: Dict[str, Any]) -> Dict[str, Any]:
    for st in _loops(args):
        if "loop" in args:
            _need_tick_control(st)
        if st.tick_control and not st.held:
            st.mode = "pause"
            _wake(st)
    return {}


def _continue(args: Dict[str, Any]) -> Dict[str, Any]:
    for st in _loops(args):
        _release(st, None, resumed=True)
    return {}


def _step(args: Dict[str, Any], mode: str) -> Dict[str, Any]:
    sts = _loops(args, only_held="loop" not in args)
    if not sts:
        raise RequestError("no event loop is paused; pause first")
    for st in sts:
        _need_tick_control(st)
        if not st.held:
            raise RequestError("event loop %d is not paused" % st.id)
    for st in sts:
        _release(st, mode, resumed=False)  # held before select: no wakeup needed
    return {}


def _task(args: Dict[str, Any]) -> TaskInfo:
    tid = args["task"]
    info = S.find(tid)
    if info is None:
        raise RequestError("no task with id %s" % tid)
    return info


def _live_task(args: Dict[str, Any]) -> Any:
    info = _task(args)
    task = info()
    if task is None or info.done:
        raise RequestError("task %d (%s) has finished" % (info.id, info.name))
    return info, task


def _run_until(args: Dict[str, Any]) -> Dict[str, Any]:
    info, _task_obj = _live_task(args)
    st = S.loops.get(info.loop)
    if st is None:
        raise RequestError("the loop of task %d is unknown" % info.id)
    _need_tick_control(st)
    with st.cond:
        st.until = info
    _release(st, "task", resumed=True)
    return {}


def _cancel(args: Dict[str, Any]) -> Dict[str, Any]:
    info, task = _live_task(args)
    st = S.loops.get(info.loop)
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


def snapshot() -> Dict[str, Any]:
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


def _await_chain(args: Dict[str, Any]) -> Dict[str, Any]:
    info = _task(args)
    task = info()
    if task is None or info.done:
        return {"frames": []}
    return {"frames": REGISTRY.chain(task)}


def _variables(args: Dict[str, Any]) -> Dict[str, Any]:
    try:
        return {"variables": REGISTRY.variables(args.get("frame"), args.get("ref"))}
    except KeyError as e:
        raise RequestError(e.args[0]) from None


def _evaluate(args: Dict[str, Any]) -> Dict[str, Any]:
    try:
        return REGISTRY.evaluate(args["frame"], args["expression"])
    except KeyError as e:
        raise RequestError(e.args[0] if isinstance(e.args[0], str) else "key %r not found" % e.args[0]) from None
    except (NameError, AttributeError, TypeError, ValueError, IndexError) as e:
        raise RequestError(str(e)) from None


def _set_options(args: Dict[str, Any]) -> Dict[str, Any]:
    S.set_options(args)
    return {}


_HANDLERS: Dict[str, Callable[[Dict[str, Any]], Dict[str, Any]]] = {
    "pause": _pause,
    "continue": _continue,
    "stepTick": lambda a: _step(a, "tick"),
    "stepCallback": lambda a: _step(a, "callback"),
    "runUntilTaskSteps": _run_until,
    "cancelTask": _cancel,
    "snapshot": lambda a: snapshot(),
    "awaitChain": _await_chain,
    "variables": _variables,
    "setOptions": _set_options,
    "evaluate": _evaluate,
}


def handle_request(command: str, args: Dict[str, Any]) -> Dict[str, Any]:
    h = _HANDLERS.get(command)
    if h is None:
        raise RequestError("unknown command %r" % command)
    return h(args)
