# Peer-suite hook: installs Loopscope's instrumentation (null sink) in every Python process started
# with this directory on PYTHONPATH while LOOPSCOPE_PEER_DIR is set, and proves it with a counter
# file per process at exit. Install failures are recorded, never raised: the suite decides.
from __future__ import annotations

import atexit
import json
import os
import sys
from typing import Any, Dict

__all__: list = []

_DIR = os.environ.get("LOOPSCOPE_PEER_DIR")


def _counters(handle: Any) -> Dict[str, Any]:
    """The runtime's own counters: loops it instrumented, tasks it registered, and what its null
    sink encoded. Non-zero loops/tasks in a regrtest worker prove the hooks were live."""
    out: Dict[str, Any] = {}
    try:
        handle.flush()
    except Exception as exc:
        out["flushError"] = f"{type(exc).__name__}: {exc}"
    for attr in ("tasks_total", "events", "batches", "bytes"):
        value = getattr(handle, attr, None)
        if isinstance(value, (int, float)):
            out[attr] = value
    launcher = sys.modules.get("loopscope._launcher")  # makes and holds the process's session
    s = getattr(launcher, "SESSION", None)
    if s is not None:
        loops = getattr(s, "loops", None)  # LoopState per instrumented loop
        out["loops"] = len(loops) if isinstance(loops, dict) else None
        out["futuresAnnounced"] = getattr(s, "next_future", None)
        out["dropped"] = getattr(s, "dropped_total", None)
    bps = sys.modules.get("loopscope._breakpoints")  # line debugger hooks (LOOPSCOPE_BREAKPOINTS)
    if bps is not None:
        out["breakpointsArmed"] = sum(len(v) for v in getattr(bps.TABLE, "by_file", {}).values())
    return out


def _install() -> None:
    record: Dict[str, Any] = {"pid": os.getpid(), "argv": list(sys.argv), "installed": False}
    handle: Any = None
    try:
        import loopscope

        handle = loopscope.install()
        record["installed"] = True
    except Exception as exc:  # recorded, never raised: see module docstring
        record["installError"] = f"{type(exc).__name__}: {exc}"
    pid = os.getpid()

    def dump() -> None:
        # A forked child inherits this atexit hook; only the installing process reports.
        if os.getpid() != pid or not _DIR:
            return
        record["argv"] = list(sys.argv)
        try:
            record["counters"] = _counters(handle) if record["installed"] else {}
        except Exception as exc:
            record["countersError"] = f"{type(exc).__name__}: {exc}"
        try:
            with open(os.path.join(_DIR, f"{pid}.json"), "w", encoding="utf-8") as fh:
                json.dump(record, fh)
        except OSError:
            pass

    atexit.register(dump)


if _DIR:
    _install()
