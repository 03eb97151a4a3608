# Before/after A/B of the runtime's overhead in ONE run, reusing bench/runtime's child runner and
# live consumer (so the figures are comparable with bench/results/runtime.json): plain, Loopscope
# from a BEFORE runtime directory and Loopscope from this tree, interleaved with rotating order.
"""Usage: python3 bench/runtime_ab/run.py --before DIR [--reps N] [--workloads a_sleep_steps,b_tcp_echo]

DIR is a copy of an earlier `runtime/` (e.g. `git archive <rev> runtime | tar -x -C /tmp/rev`
then `--before /tmp/rev/runtime`). Writes bench/results/runtime-ab.json; prints medians and ratios.
Wall time on a shared machine is noisy; the child's own CPU time is reported beside it.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from typing import Any, Dict, List

__all__ = ["main"]

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "bench", "runtime"))
import run as R  # noqa: E402  bench/runtime/run.py (child runner, consumer, workload specs)


def main(argv: List[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--before", required=True)
    ap.add_argument("--reps", type=int, default=9)
    ap.add_argument("--workloads", default="a_sleep_steps,b_tcp_echo")
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "results", "runtime-ab.json"))
    a = ap.parse_args(argv)
    specs = {s["id"]: s for s in R._workload_specs(quick=False)}
    dirs = {"before": os.path.abspath(a.before), "after": os.path.join(ROOT, "runtime")}
    modes = ["plain", "before", "after"]
    out: Dict[str, Any] = {"python": sys.version.split()[0], "reps": a.reps, "dirs": dirs, "workloads": {}}
    for sid in a.workloads.split(","):
        spec = specs[sid]
        runs: Dict[str, List[Dict[str, Any]]] = {m: [] for m in modes}
        for r in range(a.reps):
            for m in modes[r % 3:] + modes[:r % 3]:
                if m != "plain":
                    R.RUNTIME_DIR = dirs[m]
                o = R.run_child(sys.executable, "plain" if m == "plain" else "loopscope", spec["workload"], spec["params"])
                if not o.get("ok"):
                    print("run failed:", sid, m, o.get("error"), (o.get("stderrTail") or "")[-300:])
                    continue
                val = o.get(spec["metric"], (o.get("detail") or {}).get(spec["metric"]))
                runs[m].append({"value": val, "cpuSeconds": o.get("cpuSeconds")})
        med = {m: statistics.median(x["value"] for x in v) for m, v in runs.items() if v}
        cpu = {m: statistics.median(x["cpuSeconds"] for x in v) for m, v in runs.items() if v}
        res = {"metric": spec["metric"], "median": med, "medianCpuSeconds": cpu,
               "ratioVsPlain": {m: round(med[m] / med["plain"], 3) for m in med},
               "cpuRatioVsPlain": {m: round(cpu[m] / cpu["plain"], 3) for m in cpu}, "runs": runs}
        out["workloads"][sid] = res
        print(sid, json.dumps({k: res[k] for k in ("ratioVsPlain", "cpuRatioVsPlain")}), flush=True)
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    with open(a.out, "w", encoding="utf-8") as fh:
        json.dump(out, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
