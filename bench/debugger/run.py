# Line-debugger cost benchmark (issue 12): the same asyncio workloads (bench/runtime/workloads.py)
# plain, under Loopscope and under debugpy, with no breakpoint, one breakpoint never hit and one
# conditional breakpoint whose condition is never true, in one run; medians and ratios to plain in
# bench/results/debugger.json. debugpy is a bench-only tool: point --debugpy-path at a directory
# it was installed into (pip install --target DIR debugpy); it is never a product dependency.
"""Loopscope line debugger vs debugpy: cost of breakpoints that do not stop."""
from __future__ import annotations

import argparse
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from typing import Any, Dict, List, Optional

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RUNTIME_DIR = os.path.join(ROOT, "runtime")
WORKLOAD_FILE = os.path.join(ROOT, "bench", "runtime", "workloads.py")
DEFAULT_OUT = os.path.join(ROOT, "bench", "results", "debugger.json")

ROWS = ("none", "never-hit", "conditional-never-true")


def _line(marker: str) -> int:
    with open(WORKLOAD_FILE, encoding="utf-8") as f:
        for i, text in enumerate(f, 1):
            if marker in text:
                return i
    raise SystemExit("marker %r not found in %s" % (marker, WORKLOAD_FILE))


def _workloads(quick: bool) -> List[Dict[str, Any]]:
    # Breakpoints: one on a line of the workload that never runs (its failure branch), and one on
    # its hottest line with a condition that is never true (evaluated on every pass).
    return [
        {"id": "sleep_steps", "workload": "sleep_steps",
         "params": {"tasks": 1000 if quick else 2000, "steps": 50},
         "neverHit": {"line": _line('raise AssertionError("lost steps")')},
         "conditional": {"line": _line("await asyncio.sleep(0)"), "condition": "steps < 0"}},
        {"id": "tcp_echo", "workload": "tcp_echo",
         "params": {"clients": 50, "roundTrips": 25 if quick else 50, "size": 64},
         "neverHit": {"line": _line('raise AssertionError("corrupted echo")')},
         "conditional": {"line": _line("writer.write(data)"), "condition": "len(data) < 0"}},
    ]


def _breakpoints(spec: Dict[str, Any], row: str) -> List[Dict[str, Any]]:
    if row == "never-hit":
        return [dict(spec["neverHit"])]
    if row == "conditional-never-true":
        return [dict(spec["conditional"])]
    return []


# --- Loopscope: a debugger stand-in that sets breakpoints, then reads everything ----------------

class LoopscopeConsumer(threading.Thread):
    def __init__(self, token: str, bps: List[Dict[str, Any]]) -> None:
        super().__init__(name="bench-loopscope", daemon=True)
        self.token = token
        self.bps = bps
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1)
        self.sock.settimeout(60)
        self.port = self.sock.getsockname()[1]
        self.error: Optional[str] = None
        self.answers: List[Dict[str, Any]] = []
        self.stops = 0

    def run(self) -> None:
        try:
            conn, _ = self.sock.accept()
        except OSError as e:
            self.error = "runtime never connected: %s" % e
            return
        finally:
            self.sock.close()
        with conn:
            reader = conn.makefile("rb", buffering=1 << 20)
            hello = json.loads(reader.readline())
            if hello.get("token") != self.token:
                self.error = "bad token"
                return
            out = [{"type": "welcome", "protocol": 1}]
            if self.bps:
                out.append({"type": "request", "id": 1, "command": "setBreakpoints",
                            "args": {"file": WORKLOAD_FILE, "breakpoints": self.bps}})
            out.append({"type": "request", "id": 2, "command": "configurationDone", "args": {}})
            conn.sendall(b"".join(json.dumps(m).encode() + b"\n" for m in out))
            for raw in reader:
                msg = json.loads(raw)
                if msg.get("type") == "response":
                    self.answers.append(msg)
                elif msg.get("type") == "events":
                    self.stops += sum(1 for e in msg["events"] if e.get("kind") == "stopped")


# --- debugpy: a minimal DAP client --------------------------------------------------------------

class DapClient:
    def __init__(self, port: int, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)  # the adapter is still starting: polling a port, not a test
        self.rfile = self.sock.makefile("rb")
        self.seq = 0
        self.events: List[Dict[str, Any]] = []

    def send(self, command: str, args: Dict[str, Any]) -> int:
        self.seq += 1
        body = json.dumps({"seq": self.seq, "type": "request", "command": command, "arguments": args}).encode()
        self.sock.sendall(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        return self.seq

    def read(self) -> Optional[Dict[str, Any]]:
        length = None
        while True:
            line = self.rfile.readline()
            if not line:
                return None
            line = line.strip()
            if not line:
                break
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        if length is None:
            return None
        return json.loads(self.rfile.read(length))

    def until(self, pred: Any) -> Dict[str, Any]:
        while True:
            msg = self.read()
            if msg is None:
                raise EOFError("debugpy closed the connection")
            if msg.get("type") == "event":
                self.events.append(msg)
            if pred(msg):
                return msg


def _drive_debugpy(port: int, bps: List[Dict[str, Any]], box: Dict[str, Any]) -> None:
    try:
        c = DapClient(port)
        c.send("initialize", {"clientID": "loopscope-bench", "adapterID": "python", "linesStartAt1": True,
                              "columnsStartAt1": True, "pathFormat": "path"})
        c.until(lambda m: m.get("type") == "response" and m.get("command") == "initialize")
        c.send("attach", {"justMyCode": True})
        c.until(lambda m: m.get("type") == "event" and m.get("event") == "initialized")
        if bps:
            c.send("setBreakpoints", {"source": {"path": WORKLOAD_FILE}, "breakpoints": bps})
            resp = c.until(lambda m: m.get("type") == "response" and m.get("command") == "setBreakpoints")
            box["breakpoints"] = resp.get("body", {}).get("breakpoints")
        c.send("configurationDone", {})
        box["configured"] = time.monotonic()
        while True:
            msg = c.read()
            if msg is None:
                break
            if msg.get("type") == "event" and msg.get("event") == "stopped":
                box["stops"] = box.get("stops", 0) + 1
            if msg.get("type") == "event" and msg.get("event") == "terminated":
                break
        c.sock.close()
    except Exception as e:  # reported in the row
        box["error"] = "%s: %s" % (type(e).__name__, e)


def _free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


# --- one run ------------------------------------------------------------------------------------

def run_one(python: str, tool: str, spec: Dict[str, Any], row: str, debugpy_path: Optional[str]) -> Dict[str, Any]:
    bps = _breakpoints(spec, row)
    fd, result_path = tempfile.mkstemp(prefix="dbg-bench-", suffix=".json")
    os.close(fd)
    env = dict(os.environ)
    for k in ("PYTHONPATH", "PYTHONASYNCIODEBUG", "LOOPSCOPE_TOKEN", "LOOPSCOPE_TOKEN_FILE", "PYDEVD_USE_CYTHON"):
        env.pop(k, None)
    env["BENCH_RESULT_FILE"] = result_path
    args = [WORKLOAD_FILE, spec["workload"], json.dumps(spec["params"])]
    extra: Dict[str, Any] = {}
    consumer = None
    driver = None
    box: Dict[str, Any] = {}
    if tool == "plain":
        cmd = [python] + args
    elif tool == "loopscope":
        token = secrets.token_hex(16)
        consumer = LoopscopeConsumer(token, bps)
        consumer.start()
        env["PYTHONPATH"] = RUNTIME_DIR
        env["LOOPSCOPE_TOKEN"] = token
        cmd = [python, "-m", "loopscope", "--connect", "127.0.0.1:%d" % consumer.port] + args
    else:
        assert debugpy_path is not None
        port = _free_port()
        env["PYTHONPATH"] = debugpy_path
        cmd = [python, "-m", "debugpy", "--listen", "127.0.0.1:%d" % port, "--wait-for-client"] + args
        driver = threading.Thread(target=_drive_debugpy, args=(port, bps, box), daemon=True)
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT)
    if driver is not None:
        driver.start()
    try:
        _out, err = proc.communicate(timeout=600)
    except subprocess.TimeoutExpired:
        proc.kill()
        _out, err = proc.communicate()
    if driver is not None:
        driver.join(30)
        extra.update({k: v for k, v in box.items() if k != "configured"})
    if consumer is not None:
        consumer.join(30)
        extra["consumerError"] = consumer.error
        extra["stops"] = consumer.stops
        answer = [a for a in consumer.answers if a.get("id") == 1]
        if answer:
            extra["breakpoints"] = answer[0].get("body", {}).get("breakpoints")
    try:
        with open(result_path, encoding="utf-8") as f:
            result = json.load(f)
    except (OSError, ValueError):
        result = {}
    os.unlink(result_path)
    out = {"tool": tool, "row": row, "exit": proc.returncode, "wallSeconds": result.get("wallSeconds"),
           "cpuSeconds": result.get("cpuSeconds")}
    out.update(extra)
    if proc.returncode != 0:
        out["stderr"] = err.decode("utf-8", "replace")[-1500:]
    return out


def _median(xs: List[Optional[float]]) -> Optional[float]:
    vals = [x for x in xs if isinstance(x, (int, float))]
    return statistics.median(vals) if vals else None


def bench_python(python: str, specs: List[Dict[str, Any]], reps: int, debugpy_path: Optional[str]) -> Dict[str, Any]:
    version = subprocess.run([python, "-c", "import sys; print(sys.version.split()[0])"], capture_output=True,
                             text=True).stdout.strip()
    modes = [("plain", "none")] + [("loopscope", r) for r in ROWS]
    if debugpy_path:
        modes += [("debugpy", r) for r in ROWS]
    out: Dict[str, Any] = {"python": version, "executable": python, "debugpyPath": debugpy_path, "workloads": []}
    for spec in specs:
        runs: Dict[str, List[Dict[str, Any]]] = {}
        for rep in range(reps):  # interleaved, so drift in machine load spreads over every mode
            for tool, row in modes:
                key = "%s/%s" % (tool, row)
                r = run_one(python, tool, spec, row, debugpy_path)
                runs.setdefault(key, []).append(r)
                print("  %s %s %-40s cpu %s wall %s%s" % (version, spec["id"], key, _fmt(r.get("cpuSeconds")),
                      _fmt(r.get("wallSeconds")), "" if r["exit"] == 0 else "  EXIT %s" % r["exit"]),
                      file=sys.stderr, flush=True)
        table = {}
        plain_cpu = _median([r["cpuSeconds"] for r in runs["plain/none"]])
        plain_wall = _median([r["wallSeconds"] for r in runs["plain/none"]])
        for key, rs in runs.items():
            cpu = _median([r["cpuSeconds"] for r in rs])
            wall = _median([r["wallSeconds"] for r in rs])
            table[key] = {"cpuSecondsMedian": cpu, "wallSecondsMedian": wall,
                          "cpuRatio": round(cpu / plain_cpu, 3) if cpu and plain_cpu else None,
                          "wallRatio": round(wall / plain_wall, 3) if wall and plain_wall else None,
                          "allExitZero": all(r["exit"] == 0 for r in rs),
                          "stops": max((r.get("stops") or 0) for r in rs),
                          "breakpoints": rs[0].get("breakpoints"), "errors": [r.get("error") or r.get("consumerError")
                                                                              for r in rs if r.get("error") or r.get("consumerError")],
                          "runs": [{k: r.get(k) for k in ("cpuSeconds", "wallSeconds", "exit", "stderr") if r.get(k) is not None}
                                   for r in rs]}
        compare = {}
        if debugpy_path:
            for row in ROWS:
                ls, dp = table["loopscope/" + row]["cpuRatio"], table["debugpy/" + row]["cpuRatio"]
                compare[row] = {"loopscopeCpuRatio": ls, "debugpyCpuRatio": dp,
                                "loopscopeCheaper": (ls is not None and dp is not None and ls < dp)}
        out["workloads"].append({"id": spec["id"], "params": spec["params"], "neverHit": spec["neverHit"],
                                 "conditional": spec["conditional"], "modes": table, "compare": compare})
    return out


def _fmt(x: Any) -> str:
    return "%.3f" % x if isinstance(x, (int, float)) else "-"


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--python", action="append", help="interpreter (repeatable; default this one)")
    ap.add_argument("--debugpy-path", action="append", default=[],
                    help="VERSION=DIR: a directory with debugpy for that interpreter version (repeatable), "
                         "e.g. 3.11.7=/tmp/dbgpy-3.11.7")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--out", default=DEFAULT_OUT)
    args = ap.parse_args(argv)
    paths = dict(p.split("=", 1) for p in args.debugpy_path)
    pythons = args.python or [sys.executable]
    doc: Dict[str, Any] = {
        "benchmark": "line debugger cost: Loopscope vs debugpy, breakpoints that never stop",
        "generatedAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "method": ("each workload of bench/runtime/workloads.py run as its own process: plain; under "
                   "`python -m loopscope --connect` (a stand-in debugger sends setBreakpoints + "
                   "configurationDone, then reads every event); under `python -m debugpy --listen "
                   "--wait-for-client` (a minimal DAP client: initialize, attach, setBreakpoints, "
                   "configurationDone). Rows: no breakpoint, one breakpoint on a line never executed, one "
                   "conditional breakpoint on the hottest line whose condition is never true. The workload's "
                   "own CPU seconds (process_time, all threads) and wall seconds are measured inside the child; "
                   "medians of interleaved repetitions; ratios to plain. CPU is the headline: the machine is "
                   "shared, wall time is noisy."),
        "reps": args.reps,
        "pythons": [],
    }
    for py in pythons:
        version = subprocess.run([py, "-c", "import sys; print(sys.version.split()[0])"], capture_output=True,
                                 text=True).stdout.strip()
        print("python %s" % version, file=sys.stderr, flush=True)
        entry = bench_python(py, _workloads(args.quick), args.reps, paths.get(version))
        doc["pythons"].append(entry)
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1)
    print(json.dumps({p["python"]: {w["id"]: {k: v["cpuRatio"] for k, v in w["modes"].items()}
                                    for w in p["workloads"]} for p in doc["pythons"]}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
