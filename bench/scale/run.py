# The scale suite (issue 15): each workload of programs.py run plain and through the CLI in the
# same run; checks the report is exact (task count, final states, no phantom pending task) and
# measures wall time as a ratio to plain, and the RSS of the debuggee and the observer over time.
"""Usage: python3 bench/scale/run.py [--only million,alive,churn] [--churn-seconds 600] [--python PY] [--before DIR]

Writes bench/results/scale.json and prints one line per workload. Memory is sampled from /proc
every 0.25 s: `peakMB` and `settledMB` (the median of the last quarter) against `warmMB` (the median
of the second quarter) tell whether it stays flat after warm-up. `--before DIR` runs each workload
through an earlier checkout's CLI too (`git worktree add DIR REV`, then `npm run build` there), in the
same run, so the two are compared against the same plain run.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from typing import Any, Dict, List, Optional, Tuple

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PROGRAMS = os.path.join(ROOT, "bench", "scale", "programs.py")
CLI = os.path.join(ROOT, "dist", "cli.js")


def _rss_mb(pid: int) -> Optional[float]:
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        return None
    return None


def _children(pid: int) -> List[int]:
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


class MemorySampler(threading.Thread):
    """RSS of a process (the observer) and of its Python descendant (the debuggee), over time."""

    def __init__(self, pid: int, observer: bool) -> None:
        super().__init__(daemon=True)
        self.pid, self.observer = pid, observer
        self.samples: List[Tuple[float, Optional[float], Optional[float]]] = []
        self.stop = threading.Event()

    def _debuggee(self) -> Optional[int]:
        if not self.observer:
            return self.pid
        for c in _children(self.pid):  # node → python -m loopscope (→ its output relay)
            return c
        return None

    def run(self) -> None:
        t0 = time.monotonic()
        while not self.stop.wait(0.25):
            dbg = self._debuggee()
            self.samples.append((time.monotonic() - t0, _rss_mb(self.pid) if self.observer else None,
                                 _rss_mb(dbg) if dbg is not None else None))

    def summary(self, index: int) -> Dict[str, Optional[float]]:
        vals = [s[index] for s in self.samples if s[index] is not None]
        if len(vals) < 4:
            return {"peakMB": max(vals) if vals else None, "warmMB": None, "settledMB": None}
        q = len(vals) // 4
        return {"peakMB": round(max(vals), 1), "warmMB": round(statistics.median(vals[q:2 * q]), 1),
                "settledMB": round(statistics.median(vals[3 * q:]), 1)}


def _run(argv: List[str], observer: bool) -> Dict[str, Any]:
    t0 = time.monotonic()
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    sampler = MemorySampler(p.pid, observer)
    sampler.start()
    out, err = p.communicate()
    wall = time.monotonic() - t0
    sampler.stop.set()
    sampler.join()
    res: Dict[str, Any] = {"code": p.returncode, "wallS": round(wall, 2), "stdout": out.decode()[-300:],
                           "stderr": err.decode()[-2000:], "debuggee": sampler.summary(2)}
    if observer:
        res["observer"] = sampler.summary(1)
    return res


def _idle_lines() -> List[int]:
    """Lines of programs.py whose step does no work of its own (a bare await): a blocking-call
    finding there would be Loopscope's (or the collector's) time blamed on the program."""
    with open(PROGRAMS) as f:
        return [i for i, line in enumerate(f, 1) if "# IDLE STEP" in line]


def _check_report(report: Dict[str, Any]) -> Dict[str, Any]:
    listed_pending = [t["id"] for t in report["tasks"] if t["state"] == "pending"]
    blocking = [f for f in report["findings"] if f["kind"] == "blocking-call"]
    idle = _idle_lines()
    return {
        "blockingOnIdleSteps": sum(1 for f in blocking if (f.get("location") or {}).get("line") in idle),
        "blockingFindings": [{"line": (f.get("location") or {}).get("line"), "ms": f.get("durationMs"),
                              "message": f["message"]} for f in blocking[:10]],
        "taskCount": report["taskCount"], "taskStates": report["taskStates"],
        "phantomPending": len(listed_pending) + report["taskStates"]["pending"],
        "unlistedTasks": report["unlistedTasks"], "droppedEvents": report["droppedEvents"],
        "sampling": report["sampling"], "blockingCallFindings": len(blocking),
    }


def _observed(cli: str, python: str, name: str, args: List[str]) -> Tuple[Dict[str, Any], Dict[str, Any]]:
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "report.json")
        res = _run(["node", cli, "run", "--python", python, "--no-summary", "--report", path, "--",
                    PROGRAMS, name] + args, observer=True)
        with open(path) as f:
            return res, json.load(f)


def run_workload(name: str, args: List[str], python: str, before: Optional[str]) -> Dict[str, Any]:
    plain = _run([python, PROGRAMS, name] + args, observer=False)
    cli, report = _observed(CLI, python, name, args)
    same_output = plain["stdout"] == cli["stdout"] and plain["code"] == cli["code"]
    out = {"args": args, "plain": plain, "cli": cli, "sameOutput": same_output,
           "wallRatio": round(cli["wallS"] / plain["wallS"], 2), "report": _check_report(report)}
    if before:  # the same workload through an earlier checkout's CLI, in the same run
        prev, prev_report = _observed(os.path.join(before, "dist", "cli.js"), python, name, args)
        out["before"] = {"root": before, "cli": prev, "wallRatio": round(prev["wallS"] / plain["wallS"], 2),
                         "report": _check_report(prev_report)}
    return out


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", default="million,alive,churn")
    ap.add_argument("--churn-seconds", type=float, default=600.0)
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("--before", help="an earlier checkout (built: dist/cli.js) to run beside this one")
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "results", "scale.json"))
    a = ap.parse_args(argv)
    plans = {"million": ["1000000", "10000"], "alive": ["200000"],
             "churn": [str(a.churn_seconds), "5000"]}
    out: Dict[str, Any] = {"python": subprocess.run([a.python, "-c", "import sys; print(sys.version.split()[0])"],
                                                     capture_output=True, text=True).stdout.strip(),
                           "workloads": {}}
    for name in a.only.split(","):
        r = run_workload(name, plans[name], a.python, a.before)
        out["workloads"][name] = r
        rep = r["report"]
        print("%-8s wall ×%.2f (%.1f s vs %.1f s)  tasks %d  states %s  phantom %d  unlisted %d  dropped %d  "
              "blocking %d (on idle steps %d)  debuggee peak %s MB (warm %s, settled %s)  observer peak %s MB (warm %s, settled %s)  same output %s" % (
                  name, r["wallRatio"], r["cli"]["wallS"], r["plain"]["wallS"], rep["taskCount"], rep["taskStates"],
                  rep["phantomPending"], rep["unlistedTasks"], rep["droppedEvents"], rep["blockingCallFindings"], rep["blockingOnIdleSteps"],
                  r["cli"]["debuggee"]["peakMB"], r["cli"]["debuggee"]["warmMB"], r["cli"]["debuggee"]["settledMB"],
                  r["cli"]["observer"]["peakMB"], r["cli"]["observer"]["warmMB"], r["cli"]["observer"]["settledMB"],
                  r["sameOutput"]), flush=True)
        if "before" in r:
            b = r["before"]
            print("%-8s before: wall ×%.2f  unlisted %d  phantom %d  debuggee peak %s MB (warm %s, settled %s)  "
                  "observer peak %s MB (warm %s, settled %s)" % (
                      name, b["wallRatio"], b["report"]["unlistedTasks"], b["report"]["phantomPending"],
                      b["cli"]["debuggee"]["peakMB"], b["cli"]["debuggee"]["warmMB"], b["cli"]["debuggee"]["settledMB"],
                      b["cli"]["observer"]["peakMB"], b["cli"]["observer"]["warmMB"], b["cli"]["observer"]["settledMB"]),
                  flush=True)
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    with open(a.out, "w") as f:
        json.dump(out, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
