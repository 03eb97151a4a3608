# Peer-suite evidence: CPython's test.test_asyncio run plain and with loopscope.install() active in
# every process (bench/peer/site/sitecustomize.py on PYTHONPATH, so regrtest workers too), per-test
# outcomes compared; writes bench/results/peer-test-asyncio.json.
"""Run CPython's test_asyncio plain and Loopscope-instrumented and compare per-test outcomes.

    python3 bench/peer/run.py [--python EXE ...] [-j 2] [--confirm N] [--keep] [--out FILE]
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections import Counter
from typing import Any, Dict, List, Optional, Tuple

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "runtime"))
from run import _git_revision  # noqa: E402  bench/runtime/run.py: HEAD + dirty runtime marker

__all__ = ["main", "parse_junit", "compare"]

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SITE_DIR = os.path.join(ROOT, "bench", "peer", "site")
RUNTIME_DIR = os.path.join(ROOT, "runtime")
DEFAULT_OUT = os.path.join(ROOT, "bench", "results", "peer-test-asyncio.json")
OUTCOMES = ("passed", "failed", "errors", "skipped", "expectedFailures", "unexpectedSuccesses")
SUITE_TIMEOUT_S = 3600


def parse_junit(path: str) -> Dict[str, str]:
    """Maps test id -> outcome (one of OUTCOMES) from regrtest's --junit-xml output."""
    outcomes: Dict[str, str] = {}
    unnamed = 0
    for case in ET.parse(path).getroot().iter("testcase"):
        name = case.get("name")
        if not name:
            # regrtest leaves a test whose subTest failed without a name; count it, don't hide it.
            unnamed += 1
            name = f"<unnamed testcase #{unnamed}>"
        tags = {child.tag for child in case}
        if "error" in tags:
            outcome = "errors"
        elif "failure" in tags:
            outcome = "failed"
        elif "skipped" in tags:
            outcome = "skipped"
        elif "output" in tags:
            outcome = "expectedFailures"
        elif "outcome" in tags:
            outcome = "unexpectedSuccesses"
        else:
            outcome = "passed"
        outcomes[name] = outcome
    return outcomes


def junit_details(path: str, names: List[str]) -> Dict[str, Dict[str, Any]]:
    """The error/failure text recorded for the given test ids."""
    wanted = set(names)
    found: Dict[str, Dict[str, Any]] = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        name = case.get("name")
        if name not in wanted:
            continue
        for child in case:
            if child.tag in ("error", "failure"):
                found[name] = {"kind": child.tag, "type": child.get("type"),
                               "traceback": (child.text or "")[-6000:]}
            elif child.tag == "system-err" and child.text:
                found.setdefault(name, {})["stderr"] = child.text[-3000:]
    return found


_SUMMARY_RE = re.compile(
    r"^(\d+) tests? (failed|altered the execution environment.*|skipped|"
    r"run no tests|omitted|failed again|re-run tests|had resource denied|OK)[^:]*:?$")


_PROGRESS_RE = re.compile(r"\[\s*\d+/\d+(?:/\d+)?\] (test_\S+) (.*)$", re.M)


def parse_regrtest_log(text: str) -> Dict[str, Any]:
    """Per-test-file verdicts and the 'Total tests' line from regrtest's console output."""
    files: Dict[str, List[str]] = {}
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        m = _SUMMARY_RE.match(lines[i].strip())
        if m:
            label = m.group(2).split(" (")[0]
            names: List[str] = []
            i += 1
            while i < len(lines) and lines[i].startswith("    "):
                names.extend(lines[i].split())
                i += 1
            files[label] = names
            continue
        i += 1
    per_file: Dict[str, str] = {}
    for m2 in _PROGRESS_RE.finditer(text):
        per_file[m2.group(1)] = m2.group(2).strip()
    total = re.search(r"^Total tests: (.*)$", text, re.M)
    result = re.search(r"^Result: (.*)$", text, re.M)
    return {"files": files,
            "perFile": per_file,
            "totalTestsLine": total.group(1) if total else None,
            "result": result.group(1).strip() if result else None}


def counts(outcomes: Dict[str, str]) -> Dict[str, int]:
    c = Counter(outcomes.values())
    out = {"run": len(outcomes)}
    out.update({k: c.get(k, 0) for k in OUTCOMES})
    return out


def compare(plain: Dict[str, str], instrumented: Dict[str, str]) -> List[Dict[str, str]]:
    diffs = []
    for name in sorted(set(plain) | set(instrumented)):
        a = plain.get(name, "missing")
        b = instrumented.get(name, "missing")
        if a != b:
            diffs.append({"test": name, "plain": a, "instrumented": b})
    return diffs


_MEM_LIMIT = [4 << 30]


def _limit_memory() -> None:
    # Runs in the child before exec. SIGINT back to default: a driver started in the background
    # by a shell without job control inherits SIGINT ignored, and then asyncio.Runner installs
    # no SIGINT handler and _thread.interrupt_main() does nothing, so test_runners' interrupt
    # tests spin a mocked loop forever (seen: >5 GB of mock call records). The address-space cap
    # makes any such runaway fail with MemoryError instead of exhausting a shared machine.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    limit = _MEM_LIMIT[0]
    if limit > 0:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


# --breakpoint FILE:LINE (repeatable): the line debugger's hooks armed in every instrumented process
# (LOOPSCOPE_BREAKPOINTS, read by loopscope.install()), at a line the suite never runs.
_BREAKPOINTS: List[str] = []


def _env(mode: str, counter_dir: Optional[str]) -> Dict[str, str]:
    env = dict(os.environ)
    for var in ("PYTHONASYNCIODEBUG", "PYTHONDEVMODE", "LOOPSCOPE_TOKEN", "LOOPSCOPE_TOKEN_FILE",
                "LOOPSCOPE_PEER_DIR", "LOOPSCOPE_BREAKPOINTS"):
        env.pop(var, None)
    if mode == "instrumented":
        assert counter_dir is not None
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (SITE_DIR, RUNTIME_DIR, os.environ.get("PYTHONPATH")) if p)
        env["LOOPSCOPE_PEER_DIR"] = counter_dir
        if _BREAKPOINTS:
            env["LOOPSCOPE_BREAKPOINTS"] = ",".join(_BREAKPOINTS)
    return env


# Test ids to leave out of the -j runs and run alone in both modes instead (--isolate): for
# tests that cannot share a loaded machine. None are needed by default.
DEFAULT_ISOLATE: List[str] = []


def run_suite(python: str, mode: str, jobs: int, work: str, tests: List[str],
              ignore: List[str]) -> Dict[str, Any]:
    tag = f"{mode}"
    xml_path = os.path.join(work, f"{tag}.xml")
    log_path = os.path.join(work, f"{tag}.log")
    counter_dir = os.path.join(work, f"{tag}-counters") if mode == "instrumented" else None
    if counter_dir:
        os.makedirs(counter_dir, exist_ok=True)
    cmd = [python, "-m", "test", *tests, f"-j{jobs}", "--timeout", "900",
           "--junit-xml", xml_path]
    for pat in ignore:
        cmd += ["--ignore", pat]
    print(f"[{time.strftime('%H:%M:%S')}] {mode}: {' '.join(cmd)}", file=sys.stderr, flush=True)
    t0 = time.time()
    with open(log_path, "w", encoding="utf-8") as log:
        proc = subprocess.run(cmd, env=_env(mode, counter_dir), stdout=log,
                              stderr=subprocess.STDOUT, cwd=work, timeout=SUITE_TIMEOUT_S,
                              preexec_fn=_limit_memory)
    elapsed = time.time() - t0
    with open(log_path, encoding="utf-8", errors="replace") as fh:
        log_text = fh.read()
    outcomes = parse_junit(xml_path) if os.path.exists(xml_path) else {}
    res: Dict[str, Any] = {
        "command": cmd,
        "exitCode": proc.returncode,
        "seconds": round(elapsed, 1),
        "counts": counts(outcomes),
        "regrtest": parse_regrtest_log(log_text),
        "junitXml": xml_path,
        "log": log_path,
        "_outcomes": outcomes,
    }
    if counter_dir:
        res["instrumentation"] = _read_counters(counter_dir)
    print(f"[{time.strftime('%H:%M:%S')}] {mode}: exit {proc.returncode} in {elapsed:.0f}s "
          f"{res['counts']}", file=sys.stderr, flush=True)
    return res


def _read_counters(counter_dir: str) -> Dict[str, Any]:
    """Aggregates the per-process files written by bench/peer/site/sitecustomize.py."""
    procs = []
    for path in glob.glob(os.path.join(counter_dir, "*.json")):
        try:
            with open(path, encoding="utf-8") as fh:
                procs.append(json.load(fh))
        except (OSError, ValueError):
            continue
    workers = [p for p in procs if "test.libregrtest.worker" in " ".join(p.get("argv", []))
               or "libregrtest" in " ".join(p.get("argv", []))]
    total: Counter = Counter()
    for p in procs:
        for k, v in (p.get("counters") or {}).items():
            if isinstance(v, (int, float)):
                total[k] += v
    return {
        "processesReporting": len(procs),
        "installErrors": [p.get("installError") for p in procs if p.get("installError")][:10],
        "processesInstalled": sum(1 for p in procs if p.get("installed")),
        "regrtestWorkersReporting": len(workers),
        "workerCounters": [{"argv0": (p.get("argv") or ["?"])[0], "counters": p.get("counters")}
                           for p in workers][:40],
        "totals": dict(total),
    }


def _test_file(test_id: str) -> str:
    # test.test_asyncio.test_tasks.CTaskTests.test_x -> test_asyncio.test_tasks
    parts = test_id.split(".")
    return ".".join(parts[1:3]) if parts[:2] == ["test", "test_asyncio"] else parts[0]


def run_alone(python: str, mode: str, test_id: str, work: str) -> str:
    """One test id, alone, in a fresh regrtest (no -j); returns its outcome."""
    cdir = os.path.join(work, "alone-counters")
    os.makedirs(cdir, exist_ok=True)
    xml_path = os.path.join(work, f"alone-{mode}.xml")
    if os.path.exists(xml_path):
        os.unlink(xml_path)
    cmd = [python, "-m", "test", _test_file(test_id), "-m", test_id,
           "--timeout", "300", "--junit-xml", xml_path]
    try:
        subprocess.run(cmd, env=_env(mode, cdir), stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, cwd=work, timeout=600,
                       preexec_fn=_limit_memory)
    except subprocess.TimeoutExpired:
        return "timeout"
    if not os.path.exists(xml_path):
        return "missing"
    return parse_junit(xml_path).get(test_id, "missing")


def isolated(python: str, test_ids: List[str], reps: int, work: str) -> List[Dict[str, Any]]:
    out = []
    for test_id in test_ids:
        rec: Dict[str, Any] = {"test": test_id, "plain": [], "instrumented": []}
        for _ in range(max(1, reps)):
            for mode in ("plain", "instrumented"):
                rec[mode].append(run_alone(python, mode, test_id, work))
        rec["same"] = sorted(set(rec["plain"])) == sorted(set(rec["instrumented"]))
        print(f"  isolated {test_id}: {rec}", file=sys.stderr, flush=True)
        out.append(rec)
    return out


def confirm(python: str, diffs: List[Dict[str, str]], reps: int, work: str) -> None:
    """Re-runs each differing test alone in both modes to separate deterministic differences
    (instrumentation bugs) from flakiness of the shared machine."""
    for d in diffs:
        test_id = d["test"]
        if test_id.startswith("<"):
            continue
        record: Dict[str, List[str]] = {"plain": [], "instrumented": []}
        for _rep in range(reps):
            for mode in ("plain", "instrumented"):
                record[mode].append(run_alone(python, mode, test_id, work))
        d["confirmRuns"] = record  # type: ignore[assignment]
        plain_set, inst_set = set(record["plain"]), set(record["instrumented"])
        if plain_set == inst_set:
            verdict = "not reproduced alone (flaky or order-dependent)"
        elif len(plain_set) == 1 and len(inst_set) == 1:
            verdict = "deterministic difference"
        else:
            verdict = "intermittent difference"
        d["verdict"] = verdict
        print(f"  confirm {test_id}: {record} -> {verdict}", file=sys.stderr, flush=True)


def run_python(python: str, jobs: int, confirm_reps: int, tests: List[str],
               keep: bool, isolate: List[str]) -> Tuple[str, Dict[str, Any]]:
    version = subprocess.run([python, "-c", "import platform;print(platform.python_version())"],
                             stdout=subprocess.PIPE, text=True, check=True).stdout.strip()
    work = tempfile.mkdtemp(prefix=f"loopscope-peer-{version}-")
    entry: Dict[str, Any] = {"python": version, "executable": python, "workDir": work}
    plain = run_suite(python, "plain", jobs, work, tests, isolate)
    inst = run_suite(python, "instrumented", jobs, work, tests, isolate)
    entry["isolatedTests"] = isolated(python, isolate, max(1, confirm_reps), work)
    diffs = compare(plain["_outcomes"], inst["_outcomes"])
    if diffs:
        details_plain = junit_details(plain["junitXml"], [d["test"] for d in diffs])
        details_inst = junit_details(inst["junitXml"], [d["test"] for d in diffs])
        for d in diffs:
            if d["test"] in details_inst:
                d["instrumentedDetail"] = details_inst[d["test"]]  # type: ignore[assignment]
            if d["test"] in details_plain:
                d["plainDetail"] = details_plain[d["test"]]  # type: ignore[assignment]
        if confirm_reps:
            confirm(python, diffs, confirm_reps, work)
    for res in (plain, inst):
        res.pop("_outcomes")
    entry["plain"] = plain
    entry["instrumented"] = inst
    entry["differing"] = diffs
    entry["passPlainFailInstrumented"] = [
        d["test"] for d in diffs
        if d["plain"] in ("passed", "skipped", "expectedFailures")
        and d["instrumented"] in ("failed", "errors", "missing")]
    for rec in entry["isolatedTests"]:
        if not rec["same"] and all(o == "passed" for o in rec["plain"]):
            entry["passPlainFailInstrumented"].append(rec["test"])
    entry["sameOutcomes"] = not diffs and all(r["same"] for r in entry["isolatedTests"])
    inst_info = inst.get("instrumentation", {})
    entry["instrumentationVerified"] = bool(inst_info.get("regrtestWorkersReporting")) and \
        not inst_info.get("installErrors")
    if not keep:
        # Logs and XML stay referenced only when asked to keep them.
        shutil.rmtree(work, ignore_errors=True)
        entry.pop("workDir")
        for res in (plain, inst):
            res.pop("junitXml")
            res.pop("log")
    return version, entry


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--python", action="append",
                    help="interpreter(s) to test (repeatable; default: this one)")
    ap.add_argument("-j", "--jobs", type=int, default=2, help="regrtest workers (default 2)")
    ap.add_argument("--confirm", type=int, default=2,
                    help="re-run each differing test alone N times per mode (default 2, 0 = off)")
    ap.add_argument("--tests", nargs="*", default=["test_asyncio"],
                    help="regrtest test names (default test_asyncio)")
    ap.add_argument("--mem-limit-gb", type=float, default=4.0,
                    help="RLIMIT_AS for every test process, both modes (default 4, 0 = none)")
    ap.add_argument("--isolate", action="append", default=None,
                    help="test id to leave out of the -j runs and run alone in both modes "
                         f"(repeatable; default {DEFAULT_ISOLATE})")
    ap.add_argument("--keep", action="store_true", help="keep the junit XML and logs")
    ap.add_argument("--breakpoint", action="append", default=[], metavar="FILE:LINE",
                    help="arm the line debugger with this breakpoint in every instrumented process "
                         "(repeatable; a line the suite never runs); results go to "
                         "bench/results/peer-test-asyncio-breakpoints.json unless --out is given")
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)
    _BREAKPOINTS[:] = [os.path.abspath(b.rpartition(":")[0]) + ":" + b.rpartition(":")[2] for b in args.breakpoint]
    if args.out is None:
        args.out = DEFAULT_OUT if not _BREAKPOINTS else DEFAULT_OUT.replace(".json", "-breakpoints.json")

    _MEM_LIMIT[0] = int(args.mem_limit_gb * (1 << 30))
    pythons = args.python or [sys.executable]
    probe = subprocess.run([pythons[0], "-c", "import loopscope; loopscope.install"],
                           env=dict(os.environ, PYTHONPATH=RUNTIME_DIR),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if probe.returncode != 0:
        print(f"error: loopscope.install is not importable from {RUNTIME_DIR}:\n"
              f"{probe.stderr.strip()}", file=sys.stderr)
        return 2

    started = time.time()
    doc: Dict[str, Any] = {
        "benchmark": "CPython test.test_asyncio plain vs Loopscope-instrumented",
        "generatedAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "method": ("python -m test <tests> -jN --timeout 900 --junit-xml [--ignore ISOLATED], once "
                   "plain and once with "
                   "PYTHONPATH=bench/peer/site:runtime so sitecustomize.py calls "
                   "loopscope.install() in every Python process (regrtest workers and the "
                   "subprocesses tests spawn); per-test outcomes taken from the junit XML and "
                   "compared; differing tests re-run alone in both modes; tests listed in "
                   "isolatedTests run only alone, in both modes. Every test process has "
                   "RLIMIT_AS = memLimitBytes."),
        "jobs": args.jobs,
        "memLimitBytes": _MEM_LIMIT[0],
        "cpuCount": os.cpu_count(),
        "runs": {},
    }
    if _BREAKPOINTS:
        doc["breakpoints"] = list(_BREAKPOINTS)  # the line debugger's hooks armed (LOOPSCOPE_BREAKPOINTS)
    # Results of earlier interpreters are kept when this run covers others.
    if os.path.exists(args.out):
        try:
            with open(args.out, encoding="utf-8") as fh:
                doc["runs"] = json.load(fh).get("runs", {})
        except (OSError, ValueError):
            pass
    ok = True
    for python in pythons:
        isolate = DEFAULT_ISOLATE if args.isolate is None else [t for t in args.isolate if t]
        revision = _git_revision()
        version, entry = run_python(python, args.jobs, args.confirm, args.tests, args.keep,
                                    isolate)
        entry["runtimeRevision"] = revision
        doc["runs"][version] = entry
        ok = ok and not entry["passPlainFailInstrumented"] and entry["instrumentationVerified"]
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "w", encoding="utf-8") as fh:
            json.dump(doc, fh, indent=2)
            fh.write("\n")
        p, i = entry["plain"]["counts"], entry["instrumented"]["counts"]
        print(f"{version}: plain {p}\n{' ' * len(version)}  instrumented {i}\n"
              f"{' ' * len(version)}  differing: {len(entry['differing'])}, "
              f"pass->fail: {entry['passPlainFailInstrumented']}, instrumentation verified: "
              f"{entry['instrumentationVerified']} "
              f"({entry['instrumented'].get('instrumentation', {}).get('regrtestWorkersReporting')}"
              f" workers reported)")
    doc["durationSeconds"] = round(time.time() - started, 1)
    with open(args.out, "w", encoding="utf-8") as fh:
        json.dump(doc, fh, indent=2)
        fh.write("\n")
    print(f"wrote {os.path.relpath(args.out, ROOT)}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
