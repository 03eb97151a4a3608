# Runtime overhead benchmark driver: three asyncio workloads, each plain, under Loopscope streaming to
# a live consumer (a thread here), and under PYTHONASYNCIODEBUG=1, side by side in ONE run; writes
# bench/results/runtime.json. Each measurement is a fresh subprocess; modes interleave per repetition.
"""Measure Loopscope's runtime overhead against plain asyncio and PYTHONASYNCIODEBUG=1.

    python3 bench/runtime/run.py [--quick] [--reps N] [--python EXE] [--profile] [--out FILE]
"""
from __future__ import annotations

import argparse
import cProfile  # noqa: F401  (imported so a missing module fails here, not in --profile)
import hmac
import io
import json
import os
import platform
import pstats
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from typing import Any, Dict, List, Optional

__all__ = ["main", "Consumer"]

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RUNTIME_DIR = os.environ.get("BENCH_RUNTIME_DIR") or os.path.join(ROOT, "runtime")
WORKLOAD_FILE = os.path.join(ROOT, "bench", "runtime", "workloads.py")
DEFAULT_OUT = os.path.join(ROOT, "bench", "results", "runtime.json")
MODES = ("plain", "loopscope", "debug")
CHILD_TIMEOUT_S = 600
MB = 1_000_000


def _workload_specs(quick: bool) -> List[Dict[str, Any]]:
    return [
        {
            "id": "a_sleep_steps",
            "expectedTasks": 2003,  # workload + main + 2 shutdown tasks of asyncio.run
            "workload": "sleep_steps",
            "title": "2,000 tasks x 50 asyncio.sleep(0) steps",
            "params": {"tasks": 2000, "steps": 50},
            "metric": "wallSeconds",
            "target": {"kind": "ratio", "max": 1.3},
        },
        {
            "id": "b_tcp_echo",
            "expectedTasks": 604,  # clients, handlers, _accept_connection2 each; main, getaddrinfo, 2 shutdown
            "workload": "tcp_echo",
            "title": "loopback TCP echo, 200 concurrent clients over asyncio streams",
            "params": {"clients": 200, "roundTrips": 25 if quick else 100, "size": 64},
            "metric": "echoSeconds",
            "target": {"kind": "ratio", "max": 1.05},
        },
        {
            "id": "c_many_tasks",
            "expectedTasks": 100_003,  # workload + main + 2 shutdown tasks of asyncio.run
            "workload": "many_tasks",
            "title": "100,000 short tasks alive at once (peak RSS)",
            "params": {"tasks": 100_000},
            "metric": "maxrssBytes",
            "target": {"kind": "deltaBytes", "max": 50 * MB},
        },
        {
            "id": "c2_task_churn",
            "expectedTasks": 100_003,  # workload + main + 2 shutdown tasks of asyncio.run
            "workload": "task_churn",
            "title": "100,000 short tasks coming and going, 1,000 alive at a time (peak RSS)",
            "params": {"tasks": 100_000, "alive": 1000},
            "metric": "maxrssBytes",
            "target": {"kind": "deltaBytes", "max": 50 * MB},
        },
    ]


class Consumer(threading.Thread):
    """A debugger stand-in: listens, authenticates the runtime's `hello`, answers `welcome`, then
    reads and JSON-decodes every batch until the runtime closes, so the runtime pays the real cost
    of a consumer that keeps up (and of back-pressure if it does not)."""

    def __init__(self, token: str, options: Optional[Dict[str, Any]] = None) -> None:
        super().__init__(name="bench-consumer", daemon=True)
        self._token = token
        self._options = options or {}
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(1)
        self._sock.settimeout(60)
        self.port: int = self._sock.getsockname()[1]
        self.hello: Optional[Dict[str, Any]] = None
        self.error: Optional[str] = None
        self.batches = 0
        self.events = 0
        self.bytes = 0
        self.dropped = 0
        self.seq_gaps = 0
        self.kinds: Counter = Counter()
        self.coros: Counter = Counter()
        self.tasks_created = 0
        self.tasks_done = 0
        self.last_stats: Optional[Dict[str, Any]] = None
        self.exit_code: Optional[int] = None
        self.max_batch_events = 0
        self.max_line_bytes = 0
        self.gap_detail: List[Dict[str, Any]] = []
        self.findings: List[Dict[str, Any]] = []

    def run(self) -> None:
        try:
            conn, peer = self._sock.accept()
        except OSError as exc:
            self.error = f"runtime never connected: {exc}"
            return
        finally:
            self._sock.close()
        with conn:
            conn.settimeout(None)
            reader = conn.makefile("rb", buffering=1 << 20)
            try:
                self._serve(conn, reader)
            except (OSError, ValueError) as exc:
                self.error = f"{type(exc).__name__}: {exc}"

    def _serve(self, conn: socket.socket, reader: Any) -> None:
        line = reader.readline()
        hello = json.loads(line)
        if hello.get("type") != "hello":
            raise ValueError(f"expected hello, got {hello.get('type')!r}")
        if not hmac.compare_digest(str(hello.get("token", "")), self._token):
            conn.sendall(b'{"type":"refused","reason":"bad token"}\n')
            raise ValueError("runtime presented a wrong token")
        self.hello = hello
        welcome = {"type": "welcome", "protocol": 1, "options": self._options}
        # Launch mode waits for configurationDone before running the target (issue 12).
        done = {"type": "request", "id": 1, "command": "configurationDone", "args": {}}
        conn.sendall(json.dumps(welcome).encode() + b"\n" + json.dumps(done).encode() + b"\n")
        expected_seq: Optional[int] = None
        for line in reader:
            self.bytes += len(line)
            self.max_line_bytes = max(self.max_line_bytes, len(line))
            msg = json.loads(line)
            if msg.get("type") != "events":
                continue
            seq = msg.get("seq")
            if expected_seq is not None and seq != expected_seq:
                self.seq_gaps += 1
                if len(self.gap_detail) < 10:
                    self.gap_detail.append({"expected": expected_seq, "got": seq})
            expected_seq = (seq or 0) + 1
            self.batches += 1
            self.max_batch_events = max(self.max_batch_events, len(msg.get("events", ())))
            self.dropped += int(msg.get("dropped") or 0)
            for ev in msg.get("events", ()):
                self.events += 1
                kind = ev.get("kind")
                self.kinds[kind] += 1
                if kind == "task.created":
                    self.tasks_created += 1
                    self.coros[ev.get("coro")] += 1
                elif kind == "task.done":
                    self.tasks_done += 1
                elif kind == "stats":
                    self.last_stats = ev
                elif kind == "finding" and len(self.findings) < 10:
                    self.findings.append({k: ev.get(k) for k in
                                          ("findingKind", "message", "location", "durationMs")})
                elif kind == "process.exit":
                    self.exit_code = ev.get("code")

    def summary(self) -> Dict[str, Any]:
        return {
            "connected": self.hello is not None,
            "error": self.error,
            "runtimePython": (self.hello or {}).get("python"),
            "batches": self.batches,
            "events": self.events,
            "bytes": self.bytes,
            "droppedReported": self.dropped,
            "maxBatchEvents": self.max_batch_events,
            "maxLineBytes": self.max_line_bytes,
            "seqGaps": self.seq_gaps,
            "seqGapDetail": self.gap_detail,
            "findings": self.findings,
            "tasksCreatedEvents": self.tasks_created,
            "tasksDoneEvents": self.tasks_done,
            "eventsByKind": dict(self.kinds),
            "taskCoros": dict(self.coros.most_common(8)),
            "lastStats": self.last_stats,
            "processExitCode": self.exit_code,
        }


def _child_cmd(python: str, mode: str, workload: str, params: Dict[str, Any],
               port: Optional[int], profile_to: Optional[str]) -> List[str]:
    cmd = [python]
    if profile_to:
        cmd += ["-m", "cProfile", "-o", profile_to]
    if mode == "loopscope":
        cmd += ["-m", "loopscope", "--connect", f"127.0.0.1:{port}"]
    cmd += [WORKLOAD_FILE, workload, json.dumps(params)]
    return cmd


def _child_setup() -> None:
    # A driver started in the background without job control has SIGINT ignored; children must
    # start as they would from a terminal (Python then installs its KeyboardInterrupt handler).
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def run_child(python: str, mode: str, workload: str, params: Dict[str, Any],
              profile_to: Optional[str] = None,
              expected_tasks: Optional[int] = None) -> Dict[str, Any]:
    """One measurement in a fresh interpreter. Returns the child's own figures plus process wall
    time, exit status and (loopscope mode) what the consumer received."""
    env = dict(os.environ)
    for var in ("PYTHONASYNCIODEBUG", "PYTHONDEVMODE", "PYTHONTRACEMALLOC"):
        env.pop(var, None)
    consumer: Optional[Consumer] = None
    if mode == "loopscope":
        token = secrets.token_hex(16)
        env["LOOPSCOPE_TOKEN"] = token
        env["PYTHONPATH"] = os.pathsep.join(p for p in (RUNTIME_DIR, env.get("PYTHONPATH")) if p)
        consumer = Consumer(token)
        consumer.start()
    elif mode == "debug":
        env["PYTHONASYNCIODEBUG"] = "1"
    fd, result_path = tempfile.mkstemp(prefix="loopscope-bench-", suffix=".json")
    os.close(fd)
    env["BENCH_RESULT_FILE"] = result_path
    cmd = _child_cmd(python, mode, workload, params, consumer.port if consumer else None, profile_to)
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, env=env, cwd=ROOT, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, timeout=CHILD_TIMEOUT_S,
                              preexec_fn=_child_setup)
        process_wall = time.perf_counter() - t0
        with open(result_path, encoding="utf-8") as fh:
            text = fh.read()
        out: Dict[str, Any] = json.loads(text) if text else {}
        out["ok"] = proc.returncode == 0 and bool(out)
        out["exitCode"] = proc.returncode
        if proc.returncode != 0 or not out.get("workload"):
            out["stderrTail"] = proc.stderr.decode(errors="replace")[-3000:]
        stderr_lines = proc.stderr.decode(errors="replace").splitlines()
        out["stderrLines"] = len(stderr_lines)
    except subprocess.TimeoutExpired:
        process_wall = time.perf_counter() - t0
        out = {"ok": False, "exitCode": None, "error": f"timed out after {CHILD_TIMEOUT_S} s"}
    finally:
        os.unlink(result_path)
    out["processWallSeconds"] = process_wall
    out["mode"] = mode
    if consumer is not None:
        consumer.join(timeout=60)
        out["consumer"] = consumer.summary()
        if expected_tasks is not None:
            c = out["consumer"]
            # Every task must be announced exactly once. When the runtime reports drops the
            # dropped events' kinds are unknown, so the check only applies to drop-free runs.
            c["taskCreatedMissing"] = (expected_tasks - c["tasksCreatedEvents"]
                                       if not c["droppedReported"] else None)
        if not consumer.summary()["connected"]:
            out["ok"] = False
            out.setdefault("error", "loopscope run did not stream to the consumer: "
                           + str(consumer.error))
    return out


def _median(values: List[float]) -> Optional[float]:
    return statistics.median(values) if values else None


def _summarise(spec: Dict[str, Any], runs: List[Dict[str, Any]]) -> Dict[str, Any]:
    metric = spec["metric"]
    modes: Dict[str, Any] = {}
    for mode in MODES:
        good = [r for r in runs if r["mode"] == mode and r.get("ok")]
        vals = [float(r[metric] if metric in r else r["detail"][metric]) for r in good]
        modes[mode] = {
            "runs": len([r for r in runs if r["mode"] == mode]),
            "okRuns": len(good),
            "metric": metric,
            "median": _median(vals),
            "min": min(vals) if vals else None,
            "max": max(vals) if vals else None,
            "values": vals,
            "medianProcessWallSeconds": _median([r["processWallSeconds"] for r in good]),
            "medianCpuSeconds": _median([r["cpuSeconds"] for r in good]),
            "medianMaxrssBytes": _median([float(r["maxrssBytes"]) for r in good]),
        }
        if spec["workload"] == "tcp_echo":
            modes[mode]["medianRoundTripsPerSecond"] = _median(
                [r["detail"]["roundTripsPerSecond"] for r in good])
        if mode == "loopscope":
            cons = [r["consumer"] for r in good if "consumer" in r]
            modes[mode]["consumer"] = {
                "medianEvents": _median([c["events"] for c in cons]),
                "medianBatches": _median([c["batches"] for c in cons]),
                "medianBytes": _median([c["bytes"] for c in cons]),
                "medianDroppedReported": _median([c["droppedReported"] for c in cons]),
                "medianTaskCreatedEvents": _median([c["tasksCreatedEvents"] for c in cons]),
                "seqGaps": sum(c["seqGaps"] for c in cons),
                "runsLosingTaskEvents": sum(1 for c in cons if c.get("taskCreatedMissing")),
                "maxTaskCreatedMissing": max((c.get("taskCreatedMissing") or 0 for c in cons),
                                             default=None),
                "maxBatchEvents": max((c["maxBatchEvents"] for c in cons), default=None),
                "maxLineBytes": max((c["maxLineBytes"] for c in cons), default=None),
                "errors": [c["error"] for c in cons if c["error"]],
            }
    base = modes["plain"]["median"]
    result: Dict[str, Any] = {"title": spec["title"], "params": spec["params"], "modes": modes}
    target = spec["target"]
    comparisons: Dict[str, Any] = {}
    for mode in ("loopscope", "debug"):
        val = modes[mode]["median"]
        if base is None or val is None:
            comparisons[mode] = {"ratio": None, "pass": None}
            continue
        entry: Dict[str, Any] = {"ratio": val / base}
        cpu_base, cpu_val = modes["plain"]["medianCpuSeconds"], modes[mode]["medianCpuSeconds"]
        if cpu_base and cpu_val is not None:
            # CPU time of the child (all its threads): less sensitive to a loaded machine.
            entry["cpuRatio"] = cpu_val / cpu_base
        wall_base = modes["plain"]["medianProcessWallSeconds"]
        if wall_base and modes[mode]["medianProcessWallSeconds"] is not None:
            entry["processWallRatio"] = modes[mode]["medianProcessWallSeconds"] / wall_base
        if target["kind"] == "deltaBytes":
            entry["deltaBytes"] = val - base
            entry["deltaMB"] = (val - base) / MB
            entry["pass"] = (val - base) < target["max"]
        else:
            entry["pass"] = val / base <= target["max"]
        comparisons[mode] = entry
    result["target"] = ({"metric": spec["metric"], "loopscopeRatioAtMost": target["max"]}
                        if target["kind"] == "ratio"
                        else {"metric": spec["metric"], "loopscopeDeltaBytesBelow": target["max"]})
    result["vsPlain"] = comparisons
    result["pass"] = comparisons["loopscope"]["pass"]
    return result


def _profile(python: str, specs: List[Dict[str, Any]], out_dir: str) -> Dict[str, Any]:
    """cProfile of the loop thread for plain and loopscope runs of each workload; reports the
    functions whose own time grew most and the total own time spent in loopscope's files."""
    report: Dict[str, Any] = {}
    for spec in specs:
        entry: Dict[str, Any] = {}
        stats_by_mode: Dict[str, pstats.Stats] = {}
        for mode in ("plain", "loopscope"):
            prof = os.path.join(out_dir, f"profile-{spec['id']}-{mode}.prof")
            run = run_child(python, mode, spec["workload"], spec["params"], profile_to=prof)
            entry[f"{mode}Ok"] = run.get("ok")
            if not run.get("ok") or not os.path.exists(prof):
                entry[f"{mode}Error"] = run.get("error") or run.get("stderrTail")
                continue
            stats_by_mode[mode] = pstats.Stats(prof)
        if "loopscope" in stats_by_mode:
            st = stats_by_mode["loopscope"]
            raw = st.stats  # type: ignore[attr-defined]
            total = st.total_tt  # type: ignore[attr-defined]
            own = [(key, val[2], val[3], val[1]) for key, val in raw.items()]
            runtime_own = sum(tt for key, tt, _ct, _n in own if "loopscope" in key[0])
            top = sorted(own, key=lambda x: -x[1])[:25]
            entry["loopThreadTotalSeconds"] = total
            entry["loopscopeOwnSeconds"] = runtime_own
            entry["loopscopeOwnShare"] = runtime_own / total if total else None
            entry["topOwnTime"] = [
                {"function": f"{os.path.relpath(k[0], ROOT) if k[0].startswith(ROOT) else k[0]}"
                             f":{k[1]}({k[2]})", "ownSeconds": tt, "cumSeconds": ct, "calls": n}
                for k, tt, ct, n in top]
            loopscope_cum = sorted(
                ((k, v[3], v[1]) for k, v in raw.items() if "loopscope" in k[0]),
                key=lambda x: -x[1])[:15]
            entry["loopscopeTopCumulative"] = [
                {"function": f"{os.path.relpath(k[0], ROOT)}:{k[1]}({k[2]})", "cumSeconds": ct,
                 "calls": n} for k, ct, n in loopscope_cum]
            if "plain" in stats_by_mode:
                entry["plainLoopThreadTotalSeconds"] = stats_by_mode["plain"].total_tt  # type: ignore[attr-defined]
            buf = io.StringIO()
            pstats.Stats(os.path.join(out_dir, f"profile-{spec['id']}-loopscope.prof"),
                         stream=buf).sort_stats("tottime").print_stats(40)
            with open(os.path.join(out_dir, f"profile-{spec['id']}-loopscope.txt"), "w") as fh:
                fh.write(buf.getvalue())
        report[spec["id"]] = entry
    return report


def _machine(python: str) -> Dict[str, Any]:
    ver = subprocess.run([python, "-c", "import sys,platform;print(platform.python_version());"
                          "print(platform.python_implementation());print(sys.executable)"],
                         stdout=subprocess.PIPE, text=True, check=True).stdout.split("\n")
    info: Dict[str, Any] = {
        "python": ver[0], "implementation": ver[1], "executable": ver[2],
        "cpuCount": os.cpu_count(),
        "platform": platform.platform(),
        "machine": platform.machine(),
    }
    try:
        info["affinityCpuCount"] = len(os.sched_getaffinity(0))
    except AttributeError:
        pass
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    info["cpuModel"] = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return info


def _git_revision() -> Optional[str]:
    """HEAD plus whether runtime/ has uncommitted changes (what was actually measured)."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "runtime/loopscope"],
                               cwd=ROOT, text=True, stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL).stdout.strip()
    except OSError:
        return None
    return head + (" + uncommitted runtime/loopscope changes" if dirty else "") if head else None


def _runtime_present(python: str) -> Optional[str]:
    env = dict(os.environ, PYTHONPATH=RUNTIME_DIR)
    probe = subprocess.run([python, "-c", "import importlib.util, loopscope\n"
                            "assert importlib.util.find_spec('loopscope.__main__'), "
                            "'loopscope has no __main__ (python -m loopscope)'"], env=env, cwd=ROOT,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if probe.returncode != 0:
        return probe.stderr.strip().splitlines()[-1] if probe.stderr.strip() else "import failed"
    return None


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="3 repetitions, shorter echo workload")
    ap.add_argument("--reps", type=int, default=None, help="repetitions per mode (default 5, quick 3)")
    ap.add_argument("--python", default=sys.executable, help="interpreter to measure")
    ap.add_argument("--only", action="append", choices=["a", "b", "c", "c2"],
                    help="run only these workloads (repeatable)")
    ap.add_argument("--modes", default=",".join(MODES), help="comma list of modes (default all)")
    ap.add_argument("--profile", action="store_true",
                    help="also cProfile one plain and one loopscope run of each workload")
    ap.add_argument("--out", default=DEFAULT_OUT)
    args = ap.parse_args(argv)

    reps = args.reps or (3 if args.quick else 5)
    modes = [m for m in args.modes.split(",") if m]
    for m in modes:
        if m not in MODES:
            ap.error(f"unknown mode {m!r}; expected some of {', '.join(MODES)}")
    specs = [s for s in _workload_specs(args.quick)
             if not args.only or s["id"].split("_")[0] in args.only]
    if "loopscope" in modes:
        missing = _runtime_present(args.python)
        if missing:
            print(f"error: cannot import the Loopscope runtime from {RUNTIME_DIR} with "
                  f"{args.python}: {missing}\n(run with --modes plain,debug to measure the "
                  "baselines only)", file=sys.stderr)
            return 2

    started = time.time()
    load_before = os.getloadavg() if hasattr(os, "getloadavg") else None
    runs: Dict[str, List[Dict[str, Any]]] = {s["id"]: [] for s in specs}
    for rep in range(reps):
        order = modes[rep % len(modes):] + modes[:rep % len(modes)]
        for spec in specs:
            for mode in order:
                r = run_child(args.python, mode, spec["workload"], spec["params"],
                              expected_tasks=spec["expectedTasks"])
                r["rep"] = rep
                runs[spec["id"]].append(r)
                metric = spec["metric"]
                val = r.get(metric, (r.get("detail") or {}).get(metric))
                status = "ok" if r.get("ok") else f"FAILED ({r.get('error') or r.get('exitCode')})"
                extra = ""
                if "consumer" in r:
                    c = r["consumer"]
                    extra = (f" events={c['events']} batches={c['batches']} "
                             f"dropped={c['droppedReported']} seqGaps={c['seqGaps']} "
                             f"taskCreatedMissing={c.get('taskCreatedMissing')}")
                print(f"[rep {rep + 1}/{reps}] {spec['id']:<14} {mode:<9} {metric}={val} {status}{extra}",
                      file=sys.stderr, flush=True)

    results = {s["id"]: _summarise(s, runs[s["id"]]) for s in specs}
    for s in specs:
        results[s["id"]]["rawRuns"] = [
            {k: v for k, v in r.items() if k != "params"} for r in runs[s["id"]]]
    doc: Dict[str, Any] = {
        "benchmark": "loopscope runtime overhead",
        "generatedAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "durationSeconds": time.time() - started,
        "quick": args.quick,
        "repetitions": reps,
        "modes": modes,
        "machine": _machine(args.python),
        "runtimeRevision": _git_revision(),
        "loadAverageBefore": load_before,
        "loadAverageAfter": os.getloadavg() if hasattr(os, "getloadavg") else None,
        "method": ("each run is a fresh subprocess; modes interleaved with rotating order per "
                   "repetition; medians reported. 'loopscope' = python -m loopscope --connect to a "
                   "consumer thread in this driver that authenticates, sends welcome with default "
                   "options and JSON-decodes every batch. 'debug' = PYTHONASYNCIODEBUG=1. Time "
                   "metrics are measured inside the child around asyncio.run (a) or the echo phase "
                   "(b), so interpreter start-up and the handshake are excluded; processWallSeconds "
                   "includes them. Memory is the child's peak RSS (VmHWM; ru_maxrss elsewhere)."),
        "workloads": results,
        "allPass": all(r["pass"] for r in results.values()) if "loopscope" in modes else None,
    }
    if args.profile and "loopscope" in modes:
        prof_dir = os.path.join(os.path.dirname(os.path.abspath(args.out)), "runtime-profile")
        os.makedirs(prof_dir, exist_ok=True)
        doc["profile"] = _profile(args.python, specs, prof_dir)
        doc["profileDir"] = os.path.relpath(prof_dir, ROOT)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as fh:
        json.dump(doc, fh, indent=2)
        fh.write("\n")

    print(f"\nwrote {os.path.relpath(args.out, ROOT)} ({doc['machine']['python']}, "
          f"{doc['machine']['cpuCount']} cpus, {reps} reps)")
    for sid, res in results.items():
        m = res["modes"]
        line = f"{sid:<14} plain={_fmt(m['plain']['median'], sid)}"
        for mode in ("loopscope", "debug"):
            if mode in modes:
                cmp_ = res["vsPlain"][mode]
                ratio = cmp_.get("ratio")
                delta = f" (+{cmp_['deltaMB']:.1f} MB)" if "deltaMB" in cmp_ else ""
                cpu = f" cpu x{cmp_['cpuRatio']:.2f}" if cmp_.get("cpuRatio") else ""
                line += (f"  {mode}={_fmt(m[mode]['median'], sid)} "
                         f"x{ratio:.3f}{delta}{cpu}" if ratio is not None else f"  {mode}=n/a")
        if "loopscope" in modes:
            line += f"  -> {'PASS' if res['pass'] else 'FAIL'}"
        print(line)
    return 0 if doc["allPass"] in (True, None) else 1


def _fmt(val: Optional[float], sid: str) -> str:
    if val is None:
        return "n/a"
    return f"{val / MB:.1f}MB" if sid.startswith("c") else f"{val:.3f}s"


if __name__ == "__main__":
    sys.exit(main())
