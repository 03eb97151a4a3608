# The recorder: Session, composed of the task registry (_registry) and the batch builder (_batch)
# over the shared state (_state), plus options and the discrete event queue (findings, control,
# steps). The launcher makes the process's one Session and passes it to every module that uses it.
from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

from ._batch import BATCH_TASKS, YIELD_SITES_PER_BATCH, BatchBuilder
from ._records import LoopState, TaskInfo, info_of, perf
from ._registry import MAX_STALE_MARKS
from ._wire import DEFAULT_OPTIONS, PAUSE_ON_FILTERS

__all__ = ["Session", "TaskInfo", "info_of", "LoopState", "perf", "BATCH_TASKS", "MAX_PENDING_EVENTS",
           "MAX_STEP_LOG", "MAX_STALE_MARKS", "YIELD_SITES_PER_BATCH"]

# Bound for pending discrete events (findings, control, step events); beyond it events are dropped
# and counted. Coalesced state (task.state, loop.ticks) is never dropped: it is recomputed.
MAX_PENDING_EVENTS = 50_000
# Bound for per-step/per-tick records (stepEvents only).
MAX_STEP_LOG = 100_000


class Session(BatchBuilder):
    """Process-wide recorder (one instance, made by _launcher); the sink decides where batches go."""

    def set_options(self, opts: Dict[str, Any]) -> None:
        for k, v in opts.items():
            if k in DEFAULT_OPTIONS and v is not None:
                self.options[k] = v
        self.threshold = float(self.options["blockingThresholdMs"]) / 1000.0
        self.step_events = bool(self.options["stepEvents"])
        self.pause_on = frozenset(f for f in (self.options.get("pauseOn") or ()) if f in PAUSE_ON_FILTERS)
        self.trim_finished()

    def log_step(self, rec: Tuple[Any, ...]) -> None:
        if len(self.step_log) < MAX_STEP_LOG:
            self.step_log.append(rec)
        else:
            self.dropped_since += 1

    def add_event(self, ev: Dict[str, Any], urgent: bool = False) -> None:
        if len(self.events) >= MAX_PENDING_EVENTS:
            self.dropped_since += 1
        else:
            self.events.append(ev)
        if urgent:
            self.kick.set()

    def add_finding(self, kind: str, message: str, location: Optional[Dict[str, Any]],
                    task: Optional[int] = None, duration_ms: Optional[float] = None,
                    chains: Optional[List[Dict[str, Any]]] = None, loop: Optional[int] = None) -> Dict[str, Any]:
        fid = next(self._finding_ids)  # no lock: the loop thread never waits for the writer
        ev: Dict[str, Any] = {
            "kind": "finding", "ts": self.ts(), "finding": fid, "findingKind": kind,
            "message": message, "location": location, "task": task,
            "durationMs": None if duration_ms is None else round(duration_ms, 3),
        }
        if chains is not None:
            ev["chains"] = chains
        if len(self.findings) < 1000:
            self.findings.append(ev)
        self.add_event(ev, urgent=True)
        if kind in self.pause_on and self.on_trigger is not None:
            if loop is None and task is not None:
                info = self.find(task)
                loop = info.loop if info is not None else None
            self.on_trigger(kind, loop, task, fid, message)
        return ev
