# Benchmark child for floor.py: applies ONE floor configuration (the least an observer of this
# kind must do, with nothing of Loopscope loaded) and then runs a workloads.py workload exactly as
# run.py's children do. Standard library only.
"""python floor_child.py CONFIG WORKLOAD PARAMS_JSON   (CONFIG: one of CONFIGS)"""
from __future__ import annotations

import asyncio.base_events as base_events
import inspect
import itertools
import os
import sys
import textwrap
import time
import weakref
from typing import Any, Callable, Dict, List, Optional

__all__ = ["CONFIGS", "apply"]

CONFIGS = ("plain", "origin", "origin+index", "origin+steps", "origin+records", "origin+registry")


def _origin() -> None:
    # The never-awaited finding must come from coroutine origin tracking: depth 1 is the
    # least that gives a creation line.
    sys.set_coroutine_origin_tracking_depth(1)


class _Record(weakref.ref):
    # What the issue says `task.created` and the task state report (id, name, coroutine, creation
    # site, parent, loop, creation time; steps and busy time), and the index key: nothing more.
    __slots__ = ("addr", "id", "name", "coro", "site", "parent", "loop", "created", "steps", "busy")


class _Bare(weakref.ref):
    __slots__ = ("addr",)


def _track(record: type, fill: Optional[Callable[[Any, Any, Any], None]] = None) -> Dict[int, Any]:
    """One `record` (a weak reference to the task, to see it end) per task created, indexed by
    id(task) (to find it from a step); `fill(rec, task, coro)` sets its fields."""
    index: Dict[int, Any] = {}

    def gone(rec: Any) -> None:
        index.pop(rec.addr, None)

    create = base_events.BaseEventLoop.create_task

    def create_task(self: Any, coro: Any, *args: Any, **kwargs: Any) -> Any:
        task = create(self, coro, *args, **kwargs)
        rec = record(task, gone)
        rec.addr = id(task)
        if fill is not None:
            fill(rec, task, coro)
        index[rec.addr] = rec
        return task

    base_events.BaseEventLoop.create_task = create_task  # type: ignore[assignment]
    return index


class _Shared(weakref.ref):
    # The runtime's own record layout (TaskInfo's slots), nothing filled beyond creation.
    __slots__ = ("id", "origin", "steps", "busy", "tick", "wake", "woken", "created", "announced", "dirty",
                 "end", "rare")


def _registry() -> None:
    """A record per task that takes the place of asyncio's own weak reference in its task
    registry (the WeakSet behind all_tasks()), as the runtime does: no second weak reference and
    no index. The lower bound of the runtime's design."""
    import asyncio.tasks as tasks_mod
    reg = getattr(tasks_mod, "_scheduled_tasks", None) or tasks_mod._all_tasks
    data, remove = reg.data, reg._remove
    ids = itertools.count(1)
    origin = ((__file__, 1), "short", 1, None)
    create = base_events.BaseEventLoop.create_task

    def create_task(self: Any, coro: Any, *args: Any, **kwargs: Any) -> Any:
        task = create(self, coro, *args, **kwargs)
        rec = _Shared(task, remove)
        hash(rec)
        rec.id = next(ids)
        rec.origin = origin
        rec.steps = rec.tick = 0
        rec.busy = 0.0
        rec.wake = rec.woken = rec.end = rec.rare = None
        rec.created = time.perf_counter()
        rec.announced = rec.dirty = False
        data.discard(rec)  # asyncio's own reference to the task (equal: same task)
        data.add(rec)
        return task

    base_events.BaseEventLoop.create_task = create_task  # type: ignore[assignment]


def _index() -> None:
    """Only a weak reference per task and its index entry: the lower bound of any design that
    knows each live task, whatever it stores and however."""
    _track(_Bare)


def _records() -> Dict[int, _Record]:
    """A weak reference per task, indexed, holding only the fields a task's reported life needs:
    the least a runtime that reports every live task must keep. The site is one shared tuple (a
    real runtime interns them too)."""
    ids = itertools.count(1)
    site = (__file__, 1)

    def fill(rec: _Record, task: Any, coro: Any) -> None:
        rec.id = next(ids)
        rec.name = task.get_name()
        rec.coro = coro.__qualname__
        rec.site = site
        rec.parent = None
        rec.loop = 1
        rec.created = time.perf_counter()
        rec.steps = 0
        rec.busy = 0.0

    return _track(_Record, fill)


def _steps(index: Dict[int, _Record]) -> None:
    """Exact per-task step count and busy time, inlined into the ready loop (no call added): the
    least that reporting "each step (start, duration)" per task needs. Nothing else: no done
    check, no wake tracking, no change marks, no events, no writer."""
    src = inspect.getsource(base_events.BaseEventLoop._run_once)
    lines = src.splitlines(keepends=True)
    runs = [i for i, ln in enumerate(lines) if ln.strip() == "handle._run()"]
    starts = [i for i, ln in enumerate(lines) if ln.strip() == "ntodo = len(self._ready)"]
    if len(runs) != 2 or len(starts) != 1:
        raise SystemExit("floor_child: unexpected BaseEventLoop._run_once layout")
    run_at, start_at = runs[1], starts[0]
    ind = lines[run_at][: len(lines[run_at]) - len(lines[run_at].lstrip())]
    sind = lines[start_at][: len(lines[start_at]) - len(lines[start_at].lstrip())]
    lines[run_at] = "".join(ind + t + "\n" for t in (
        "_cb = handle._callback",
        "handle._run()",
        "_t1 = _perf(); _r = _get(id(getattr(_cb, '__self__', None)))",
        "if _r is not None: _r.steps += 1; _r.busy += _t1 - _t0",
        "_t0 = _t1",
    ))
    lines[start_at] = lines[start_at] + sind + "_t0 = _perf()\n"
    code = textwrap.dedent("".join(lines))
    ns: Dict[str, Any] = dict(base_events.__dict__)
    ns.update(_perf=time.perf_counter, _get=index.get)
    exec(compile(code, base_events.__file__, "exec"), ns)
    base_events.BaseEventLoop._run_once = ns["_run_once"]


def apply(config: str) -> None:
    if config not in CONFIGS:
        raise SystemExit("floor_child: unknown configuration %r (one of %s)" % (config, ", ".join(CONFIGS)))
    if config != "plain":
        _origin()
    if config == "origin+index":
        _index()
    elif config == "origin+registry":
        _registry()
    elif config in ("origin+steps", "origin+records"):
        index = _records()
        if config == "origin+steps":
            _steps(index)


def main(argv: List[str]) -> int:
    apply(argv[1])
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import workloads  # noqa: E402  (after the patches, as a program would be)
    return workloads.main([argv[0]] + argv[2:])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
