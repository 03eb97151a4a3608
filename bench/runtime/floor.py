# The floor under targets (a) and (c): what the issue's own required mechanisms cost before any of
# Loopscope's work, measured side by side with plain asyncio and full Loopscope in ONE run. Writes
# bench/results/runtime-floor.json. Each measurement is a fresh subprocess; configurations interleave.
"""How much of the (a) time budget and the (c) memory budget the required minimum already uses.

    python3 bench/runtime/floor.py [--reps N] [--python EXE] [--out FILE]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from typing import Any, Dict, List, Optional, Tuple

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run as runtime_bench  # noqa: E402  (the full-Loopscope measurement, same children)

__all__ = ["main"]

ROOT = runtime_bench.ROOT
CHILD = os.path.join(ROOT, "bench", "runtime", "floor_child.py")
DEFAULT_OUT = os.path.join(ROOT, "bench", "results", "runtime-floor.json")
MB = 1_000_000

# (workload spec id, the floor configurations that workload's target is about)
_CASES = (("a_sleep_steps", ("origin+steps",)), ("c_many_tasks", ("origin+index", "origin+records", "origin+registry")))


def _floor_child(python: str, config: str, workload: str, params: Dict[str, Any]) -> Dict[str, Any]:
    fd, path = tempfile.mkstemp(prefix="loopscope-floor-", suffix=".json")
    os.close(fd)
    env = dict(os.environ)
    for var in ("PYTHONASYNCIODEBUG", "PYTHONDEVMODE", "PYTHONTRACEMALLOC"):
        env.pop(var, None)
    env["BENCH_RESULT_FILE"] = path
    try:
        proc = subprocess.run([python, CHILD, config, workload, json.dumps(params)], env=env, cwd=ROOT,
                              capture_output=True, timeout=runtime_bench.CHILD_TIMEOUT_S)
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    finally:
        os.unlink(path)
    out: Dict[str, Any] = json.loads(text) if text else {}
    out["ok"] = proc.returncode == 0 and bool(out)
    if not out["ok"]:
        out["stderrTail"] = proc.stderr.decode(errors="replace")[-2000:]
    return out


def _measure(python: str, spec: Dict[str, Any], floors: Tuple[str, ...], reps: int) -> Dict[str, Any]:
    configs = ["plain", "origin", *floors, "loopscope"]
    runs: Dict[str, List[float]] = {c: [] for c in configs}
    errors: List[str] = []
    for rep in range(reps):
        order = configs[rep % len(configs):] + configs[:rep % len(configs)]
        for c in order:
            if c == "loopscope":
                r = runtime_bench.run_child(python, "loopscope", spec["workload"], spec["params"])
            else:
                r = _floor_child(python, c, spec["workload"], spec["params"])
            if not r.get("ok"):
                errors.append("%s: %s" % (c, r.get("stderrTail") or r.get("error")))
                continue
            runs[c].append(float(r[spec["metric"]]))
            print("[rep %d/%d] %-14s %-14s %s=%s" % (rep + 1, reps, spec["id"], c, spec["metric"], r[spec["metric"]]),
                  flush=True)
    med = {c: (statistics.median(v) if v else None) for c, v in runs.items()}
    base = med["plain"]
    target = spec["target"]
    rows: Dict[str, Any] = {}
    for c in configs:
        v = med[c]
        row: Dict[str, Any] = {"median": v, "values": runs[c]}
        if v is not None and base:
            if target["kind"] == "ratio":
                row["ratio"] = v / base
                row["withinTarget"] = v / base <= target["max"]
            else:
                row["deltaMB"] = (v - base) / MB
                row["withinTarget"] = (v - base) < target["max"]
        rows[c] = row
    return {"title": spec["title"], "metric": spec["metric"], "target": target, "configurations": rows,
            "errors": errors}


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("--out", default=DEFAULT_OUT)
    args = ap.parse_args(argv)
    specs = {s["id"]: s for s in runtime_bench._workload_specs(False)}
    doc: Dict[str, Any] = {
        "python": subprocess.run([args.python, "-c", "import platform; print(platform.python_version())"],
                                 capture_output=True, text=True).stdout.strip(),
        "cpus": os.cpu_count(), "machine": platform.machine(), "reps": args.reps,
        "configurations": {
            "plain": "asyncio as it is",
            "origin": "coroutine origin tracking at depth 1 (the issue's source of never-awaited lines)",
            "origin+index": "origin, plus one weak reference per task and its entry in an index by "
                            "id(task), nothing else: the lower bound of a design that keeps its own "
                            "reference to each live task",
            "origin+registry": "origin, plus one record per task (the runtime's TaskInfo slots) that "
                               "takes the place of asyncio's own weak reference in its task registry: "
                               "no second reference, no index (the runtime's design since its third "
                               "session)",
            "origin+records": "origin, plus one weak reference per task indexed by id(task), holding "
                              "only what a task's reported life needs (id, name, coroutine, site, "
                              "parent, loop, creation time, steps, busy time)",
            "origin+steps": "origin+records, plus those two counters updated on every step, inlined "
                            "into the ready loop; nothing else (no done check, wake, events, writer)",
            "loopscope": "the full runtime streaming to a live consumer (as bench/runtime/run.py)",
        },
        "workloads": {},
    }
    for sid, floors in _CASES:
        doc["workloads"][sid] = _measure(args.python, specs[sid], floors, args.reps)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as fh:
        json.dump(doc, fh, indent=2)
    print("\nwrote %s (%s, %s cpus, %d reps)" % (os.path.relpath(args.out, ROOT), doc["python"], doc["cpus"], args.reps))
    for sid, w in doc["workloads"].items():
        parts = []
        for c, row in w["configurations"].items():
            if row.get("ratio") is not None:
                parts.append("%s x%.3f" % (c, row["ratio"]))
            elif row.get("deltaMB") is not None:
                parts.append("%s %+.1f MB" % (c, row["deltaMB"]))
        print("%-14s %s" % (sid, "  ".join(parts)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
