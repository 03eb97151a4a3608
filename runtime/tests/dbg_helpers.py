# Shared by the line-debugger tests (issue 12): launch a program under the real runtime with
# breakpoints set before it runs (setBreakpoints, then configurationDone), wait for `stopped`.
from __future__ import annotations

import os
from typing import Any, Dict, List, Optional, Sequence

from .helpers import PROGRAMS, Consumer, line_of

DBG_PROGRAMS = PROGRAMS / "dbg"


def prog(name: str) -> str:
    return str(DBG_PROGRAMS / name)


def line(name: str, marker: str) -> int:
    return line_of(prog(name), marker)


def launch(name: str, args: Sequence[str] = (), bps: Optional[List[Dict[str, Any]]] = None,
           options: Optional[Dict[str, Any]] = None, fbps: Optional[List[Dict[str, Any]]] = None) -> Consumer:
    c = Consumer([prog(name)] + list(args), options=options, configure=False)
    if bps is not None:
        c.last_bps = c.request("setBreakpoints", {"file": prog(name), "breakpoints": bps})
    if fbps is not None:
        c.last_fbps = c.request("setFunctionBreakpoints", {"breakpoints": fbps})
    c.request("configurationDone")
    return c


def stopped(c: Consumer, after: int = 0, **fields: Any) -> Dict[str, Any]:
    return c.wait_new_event("stopped", after, **fields)


def resume(c: Consumer, ev: Dict[str, Any], action: str = "continue") -> int:
    mark = c.mark()
    c.request("resume", {"stop": ev["stop"], "action": action})
    return mark


def local(c: Consumer, frame_id: int, name: str) -> Optional[str]:
    for v in c.request("variables", {"frame": frame_id})["variables"]:
        if v["name"] == name:
            return v["value"]
    return None


def task_name(c: Consumer, task_id: Optional[int]) -> Optional[str]:
    for e in c.find("task.created"):
        if e["task"] == task_id:
            return e["name"]
    return None


def top(ev: Dict[str, Any]) -> Dict[str, Any]:
    return ev["frames"][0]


def base(path: str) -> str:
    return os.path.basename(path)
