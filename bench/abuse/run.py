# Abuse bench: runs every listener abuse case of runtime/tests/test_abuse.py against one real
# debuggee (`python -m loopscope --listen`) and records, per case, what was sent, the debuggee's
# RSS before / peak / after (kB, from /proc) and its thread count, and the outcome; then checks
# the program ends normally. Writes bench/results/abuse.json. Linux only.
#   python bench/abuse/run.py [--out bench/results/abuse.json]
from __future__ import annotations

import argparse
import json
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path[:0] = [os.path.join(ROOT, "runtime")]

from tests import test_abuse as abuse  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "results", "abuse.json"))
    out = ap.parse_args().out
    t = abuse.AbuseTarget()
    abuse.attach(t.port, t.token)
    base_threads = t.threads()
    rows = []
    try:
        for case in abuse.CASES:
            before = t.rss_kb()
            t.reset_peak()
            t0 = time.monotonic()
            try:
                outcome = case.run(t)
                ok = True
            except AssertionError as e:
                outcome, ok = "FAILED: %s" % e, False
            threads = abuse.settle(t, base_threads)
            rows.append({"case": case.name, "sent": case.sent, "rssBeforeKb": before, "rssPeakKb": t.peak_kb(),
                         "rssAfterKb": t.rss_kb(), "threadsAfter": threads, "threadsBaseline": base_threads,
                         "seconds": round(time.monotonic() - t0, 2), "ok": ok and t.proc.poll() is None,
                         "outcome": outcome})
            print("%-16s %6d %6d %6d kB  threads %d/%d  %s" % (case.name, before, rows[-1]["rssPeakKb"],
                                                             rows[-1]["rssAfterKb"], threads, base_threads, outcome))
        rc, stdout, stderr = t.finish()
    except BaseException:
        t.kill()
        raise
    end = {"exitCode": rc, "stdout": stdout.decode(), "normalEnd": rc == 5 and stdout == b"done True\n"}
    print("program end:", end)
    result = {"python": sys.version.split()[0], "cases": rows, "programEnd": end,
              "limits": {"preauthMaxBytes": abuse.PREAUTH_MAX_BYTES, "attachDeadlineS": abuse.ATTACH_DEADLINE_S}}
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as f:
        json.dump(result, f, indent=2)
    if not end["normalEnd"] or not all(r["ok"] for r in rows):
        sys.exit(1)


if __name__ == "__main__":
    main()
