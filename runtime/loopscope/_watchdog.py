# The watchdog thread: samples a loop thread's innermost user line while a step runs long (the
# blocking-call finding names it), and confirms stalls that the loop thread marked as candidates
# (stall_candidate, called at each idle tick). Made at install time with the session it watches.
from __future__ import annotations

import sys
import threading
import time
from typing import TYPE_CHECKING, Any, Optional, Tuple

from . import _inspect
from ._findings import Findings
from ._records import LoopState, perf

if TYPE_CHECKING:
    from ._session import Session

__all__ = ["Watchdog", "stall_candidate", "STALL_DELAY"]

STALL_DELAY = 1.0  # seconds a loop must sit idle before blocked tasks count as stalled


def stall_candidate(st: LoopState, loop: Any) -> None:
    """Loop thread, at a tick with live tasks and nothing ready: if the loop waits on no I/O
    besides its own self-pipe, the watchdog confirms a stall once STALL_DELAY has passed."""
    sel = getattr(loop, "_selector", None)
    try:
        n = len(sel.get_map()) if sel is not None else 0
    except Exception:
        return
    if n <= 1:  # only the loop's own self-pipe
        st.stall_tick = st.tick
        st.stall_since = perf()
        scheduled = getattr(loop, "_scheduled", None)  # asyncio's timer heap (uvloop has none to read)
        st.stall_timer = st.stall_since + (scheduled[0]._when - loop.time()) if scheduled else None


class Watchdog(threading.Thread):
    """Samples the loop thread's frames while a step runs long, and confirms stalls."""

    def __init__(self, session: "Session", findings: Findings) -> None:
        super().__init__(name="loopscope-watchdog", daemon=True)
        self.session = session
        self.findings = findings

    def run(self) -> None:
        while True:
            thr = self.session.threshold
            interval = min(0.05, max(0.005, thr / 4.0))
            time.sleep(interval)
            try:
                self.tick(thr)
            except Exception:
                pass

    def tick(self, thr: float) -> None:
        now = perf()
        frames = None
        for st in list(self.session.loops.values()):
            if st.closed:
                continue
            start = st.step_start
            if start and now - start >= thr * 0.5:
                if frames is None:
                    frames = sys._current_frames()
                f = frames.get(st.thread)
                loc = _blocking_line(f)
                if loc is not None and st.step_start == start:
                    st.sample = loc
                    st.sampled_seq = start
            if (st.stall_tick == st.tick and st.stall_reported != st.stall_tick and not st.held
                    and st.step_start == 0.0 and now - st.stall_since >= STALL_DELAY and st.tasks_live > 0
                    and not _timer_due(st)):
                self.findings.confirm_stall(st)


def _timer_due(st: LoopState) -> bool:
    """A timer of the loop is due: the loop is behind (starved of CPU or of the GIL), not stalled;
    a sleeping task will run once it gets there, so no "stall" is reported."""
    return st.stall_timer is not None and perf() >= st.stall_timer


def _blocking_line(f: Any) -> Optional[Tuple[str, int]]:
    # Innermost frame that is user code; stop at loopscope's own handle wrapper.
    while f is not None:
        fn = f.f_code.co_filename
        if fn.startswith(_inspect._LOOPSCOPE_DIR):
            return None
        if not _inspect.is_internal_file(fn):
            return (fn, f.f_lineno)
        f = f.f_back
    return None
