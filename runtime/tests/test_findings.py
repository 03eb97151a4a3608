# Findings reported for the bug gallery (examples/) and own programs: never-awaited coroutine with
# its origin line, blocking call with the line that blocked, unretrieved task exception at the
# task's creation line (raising line in the message), task destroyed while pending, and a stall
# with every stuck task's await chain.
from __future__ import annotations

import re
import unittest

from .helpers import EXAMPLES, PROGRAMS, Consumer, line_of, run_plain


def _findings(c: Consumer, kind: str):
    return c.find("finding", findingKind=kind)


class FindingsTest(unittest.TestCase):
    def test_never_awaited_with_origin_line(self) -> None:
        prog = str(EXAMPLES / "forgotten_await.py")
        c = Consumer([prog])
        self.assertEqual(c.finish(), 0)
        f = _findings(c, "never-awaited")
        self.assertEqual(len(f), 1)
        self.assertEqual(f[0]["location"], {"file": prog, "line": line_of(prog, 'save("beta")')})
        self.assertIn("'save' was never awaited", f[0]["message"])
        self.assertNotIn(b"Coroutine created at", c.stderr)  # the user did not ask for origins

    def test_blocking_call_names_the_line(self) -> None:
        prog = str(EXAMPLES / "blocking_sleep.py")
        c = Consumer([prog], options={"blockingThresholdMs": 100})
        self.assertEqual(c.finish(), 0)
        f = _findings(c, "blocking-call")
        self.assertEqual(len(f), 1, f)
        self.assertEqual(f[0]["location"], {"file": prog, "line": line_of(prog, "time.sleep(0.3)  # BUG")})
        self.assertGreaterEqual(f[0]["durationMs"], 290)
        task = c.find("task.created", task=f[0]["task"])[0]
        self.assertEqual(task["coro"], "refresh_cache")

    def test_blocking_threshold_is_an_option(self) -> None:
        c = Consumer([str(EXAMPLES / "blocking_sleep.py")], options={"blockingThresholdMs": 1000})
        self.assertEqual(c.finish(), 0)
        self.assertEqual(_findings(c, "blocking-call"), [])

    def test_unretrieved_exception_at_creation_site_with_raising_line(self) -> None:
        prog = str(EXAMPLES / "unretrieved_exception.py")
        c = Consumer([prog])
        self.assertEqual(c.finish(), 0)
        f = _findings(c, "unretrieved-exception")
        self.assertEqual(len(f), 1)
        # Located where the user must fix it (the create_task call), raising line in the message.
        self.assertEqual(f[0]["location"], {"file": prog, "line": line_of(prog, "create_task(sync_inventory()")})
        self.assertTrue(f[0]["message"].endswith(
            "raised at unretrieved_exception.py:%d" % line_of(prog, "raise ConnectionError")), f[0]["message"])
        self.assertIn("ConnectionError('inventory service refused the connection')", f[0]["message"])
        self.assertEqual(c.find("task.created", task=f[0]["task"])[0]["name"], "sync-inventory")
        self.assertIn(b"Task exception was never retrieved", c.stderr)  # user output intact

    def test_destroyed_pending(self) -> None:
        prog = str(PROGRAMS / "destroyed.py")
        plain = run_plain([prog])
        c = Consumer([prog])
        self.assertEqual(c.finish(), 0)
        addr = re.compile(rb"0x[0-9a-f]+")
        self.assertEqual(addr.sub(b"0x?", c.stderr), addr.sub(b"0x?", plain.stderr))
        f = _findings(c, "destroyed-pending")
        self.assertEqual(len(f), 1)
        self.assertEqual(f[0]["location"]["file"], prog)
        self.assertIn(f[0]["location"]["line"], (line_of(prog, "# @orphan-waits"), line_of(prog, "async def orphan")))
        self.assertEqual(c.find("task.created", task=f[0]["task"])[0]["coro"], "orphan")

    def test_stall_with_await_chains(self) -> None:
        prog = str(EXAMPLES / "deadlock.py")
        c = Consumer([prog, "30"])
        f = c.wait_event("finding", findingKind="stall")
        ping = c.find("task.created", name="ping")[0]["task"]
        pong = c.find("task.created", name="pong")[0]["task"]
        self.assertEqual({ch["task"] for ch in f["chains"]}, {ping, pong})
        for ch in f["chains"]:
            user = [fr for fr in ch["frames"] if not fr["internal"]]
            internal = [fr for fr in ch["frames"] if fr["internal"]]
            self.assertEqual(user[0]["file"], prog)
            self.assertIn(user[0]["line"], (line_of(prog, "await pong_ready.wait()"), line_of(prog, "await ping_ready.wait()")))
            self.assertEqual(internal[0]["name"].split(".")[-1], "wait")
            self.assertEqual(ch["frames"][0], internal[0], "innermost first")
        self.assertEqual(f["location"]["file"], prog)
        # How long the loop had sat idle when the stall was confirmed (STALL_DELAY is 1 s).
        self.assertIsNotNone(f["durationMs"])
        self.assertGreaterEqual(f["durationMs"], 1000.0)
        self.assertIn("stalled for %.1f s" % (f["durationMs"] / 1000.0), f["message"])
        c.kill()


if __name__ == "__main__":
    unittest.main()
