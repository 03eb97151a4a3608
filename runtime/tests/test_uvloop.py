# uvloop (a loop whose scheduler is C): tasks still get steps, busy time, the main task, blocking
# calls with their line and unretrieved exceptions, timed through each task's coroutine
# (_foreign.StepTimer); tick control is reported off. Skipped, saying so, where this interpreter
# has no uvloop (the local mirror has wheels for some CPythons only).
from __future__ import annotations

import sys
import unittest

from .helpers import PROGRAMS, Consumer, line_of, run_plain

try:
    import uvloop  # noqa: F401
    HAVE_UVLOOP = True
except ImportError:
    HAVE_UVLOOP = False

PROG = str(PROGRAMS / "uvloop_bugs.py")
SKIP = "uvloop is not installed for Python %d.%d (no wheel in the local mirror?)" % sys.version_info[:2]


@unittest.skipUnless(HAVE_UVLOOP, SKIP)
class UvloopFindingsTest(unittest.TestCase):
    def _check(self, mode: str) -> None:
        c = Consumer([PROG, mode], options={"blockingThresholdMs": 100})
        self.assertEqual(c.finish(), 0)
        plain = run_plain([PROG, mode])
        self.assertEqual(c.stdout, plain.stdout)
        self.assertEqual(c.stdout, b"done uvloop\n")
        loops = [e for e in c.find("loop.created") if "uvloop" in e["cls"]]
        self.assertEqual(len(loops), 1)
        self.assertFalse(loops[0]["tickControl"])
        created = {e["task"]: e for e in c.find("task.created")}
        done = {e["task"]: e for e in c.find("task.done")}
        by_coro = {e["coro"]: e for e in created.values()}
        main_coro = "main" if mode == "install" else "run.<locals>.wrapper"
        self.assertIn(main_coro, by_coro, sorted(by_coro))
        workers = [t for t, e in created.items() if e["coro"] == "worker"]
        self.assertEqual(len(workers), 5)
        for t in workers:
            self.assertEqual(done[t]["steps"], 4)
        self.assertGreaterEqual(done[by_coro["blocker"]["task"]]["busyMs"], 250)
        self.assertEqual(by_coro["blocker"]["site"]["line"], line_of(PROG, "create_task(blocker())"))
        blocking = c.find("finding", findingKind="blocking-call")
        self.assertEqual(len(blocking), 1, blocking)
        self.assertEqual(blocking[0]["location"], {"file": PROG, "line": line_of(PROG, "# BLOCKING LINE")})
        self.assertEqual(blocking[0]["task"], by_coro["blocker"]["task"])
        unretrieved = c.find("finding", findingKind="unretrieved-exception")
        self.assertEqual(len(unretrieved), 1, unretrieved)
        self.assertIn("boom", unretrieved[0]["message"])
        self.assertEqual(unretrieved[0]["location"]["line"], line_of(PROG, "create_task(failing())"))

    def test_uvloop_run(self) -> None:
        self._check("run")

    def test_uvloop_install(self) -> None:
        self._check("install")
