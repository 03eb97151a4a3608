# Garbage-collection pauses, as (start, end) on the perf clock: a collection holds the GIL and
# stops every thread, so a step it lands in runs long without the step's code doing anything.
# The blocking-call check subtracts them (see Findings.blocking). Fed by one gc.callbacks entry.
from __future__ import annotations

import collections
import gc
from typing import Any, Deque, Dict, Tuple

from ._records import perf

__all__ = ["GcPauses"]


class GcPauses:
    """The most recent collections (enough to cover any one step: a step that outlasts 256
    collections has far more time of its own than the threshold)."""

    __slots__ = ("recent", "started")

    def __init__(self) -> None:
        self.recent: Deque[Tuple[float, float]] = collections.deque(maxlen=256)
        self.started = 0.0

    def install(self) -> None:
        gc.callbacks.append(self.on_gc)

    def on_gc(self, phase: str, _info: Dict[str, Any]) -> None:
        # Runs with the GIL held around a collection; a collection cannot nest in another.
        if phase == "start":
            self.started = perf()
        else:
            self.recent.append((self.started, perf()))

    def within(self, start: float, end: float) -> float:
        """Seconds of collection inside [start, end]."""
        total = 0.0
        for a, b in list(self.recent):
            if b > start and a < end:
                total += min(b, end) - max(a, start)
        return total
