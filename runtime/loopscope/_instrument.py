# Installing the asyncio instrumentation: install_patches() makes every hook for the session and
# controller it is given (run loop, callbacks, task/future creation, findings, watchdog) and puts
# them on BaseEventLoop, Handle, asyncio.tasks and sys; ORIGINALS keeps what each replaced. The
# hooks live in _runloop, _callbacks, _taskhooks, _findings and _watchdog.
from __future__ import annotations

import asyncio.base_events as _base_events
import asyncio.events as _events
from typing import Any, Callable, Dict

from ._callbacks import current_info, make_call_at, make_call_soon, make_handle_hooks, make_wait_ended
from ._findings import Findings, install_unawaited_hook
from ._foreign import make_close, install_foreign_loops
from ._origins import install_origin_hooks
from ._control import Controller
from ._records import STATE_ATTR, LoopState
from ._runloop import make_loop_state, make_run_once, make_run_once_patch
from ._session import Session
from ._taskhooks import (install_registry, install_running_loop_hook, install_set_task_name, install_wrap_future,
                         make_create_future, make_create_task)
from ._watchdog import Watchdog

__all__ = ["install_patches", "installed", "current_info", "ORIGINALS"]

ORIGINALS: Dict[str, Any] = {}
_installed = False


def installed() -> bool:
    return _installed


def install_patches(S: Session, control: Controller, step_was_held: Callable[[LoopState, float], bool]) -> None:
    """Instrument asyncio for session `S`, its loops held by `control`; `step_was_held` (the line
    debugger's) keeps a step a line stop held from counting as blocking. Once per process."""
    global _installed
    if _installed:
        return
    _installed = True
    BEL: Any = _base_events.BaseEventLoop
    Handle: Any = _events.Handle
    findings = Findings(S, step_was_held)
    # Bound once here: the hot paths call these as locals of their closures.
    after_callback = control.after_callback
    o_run = ORIGINALS["Handle._run"] = Handle._run
    o_run_once = ORIGINALS["_run_once"] = BEL._run_once
    wait_ended = make_wait_ended(S)
    run, step = make_handle_hooks(S, o_run, findings.blocking, after_callback, wait_ended)
    fast = make_run_once(S, step, findings.blocking, after_callback, wait_ended)
    loop_state = make_loop_state(S)
    if fast is None:
        run.__qualname__ = "Handle._run"
        setattr(run, "__wrapped__", o_run)
        Handle._run = run
    for name in ("create_task", "create_future", "call_soon", "call_at", "call_exception_handler", "close"):
        ORIGINALS[name] = getattr(BEL, name)
    patches = {
        "_run_once": make_run_once_patch(S, loop_state, fast, o_run_once, control.at_tick_boundary),
        "create_task": make_create_task(S, loop_state, ORIGINALS["create_task"]),
        "create_future": make_create_future(S, ORIGINALS["create_future"]),
        "call_soon": make_call_soon(S, ORIGINALS["call_soon"]),
        "call_at": make_call_at(ORIGINALS["call_at"]),
        "call_exception_handler": findings.wrap_exception_handler(ORIGINALS["call_exception_handler"]),
        "close": make_close(S, ORIGINALS["close"]),
    }
    for name, fn in patches.items():
        orig = ORIGINALS[name]
        fn.__qualname__ = "BaseEventLoop." + name
        fn.__doc__ = orig.__doc__
        setattr(fn, "__wrapped__", orig)
        setattr(BEL, name, fn)
    install_set_task_name(ORIGINALS)
    install_wrap_future(ORIGINALS)
    install_registry(S, ORIGINALS)
    install_unawaited_hook(findings, ORIGINALS)
    install_running_loop_hook(S, ORIGINALS)
    install_foreign_loops(S, findings, ORIGINALS)
    install_origin_hooks(S, ORIGINALS)
    Watchdog(S, findings).start()




