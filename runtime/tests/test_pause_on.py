# The `pauseOn` option: the runtime itself holds the loop at the next tick boundary after a
# matching event (task failed/cancelled, a finding), so a debugger stops on it even in a program's
# last milliseconds; the program's output and exit code are unchanged after `continue`.
from __future__ import annotations

import unittest

from .helpers import EXAMPLES, Consumer, line_of, run_plain


class PauseOnTest(unittest.TestCase):
    def start(self, name: str, pause_on: list, args: tuple = ()) -> Consumer:
        c = Consumer([str(EXAMPLES / name)] + list(args), options={"pauseOn": pause_on})
        self.addCleanup(c.kill)
        return c

    def finish_like_plain(self, c: Consumer, name: str, args: tuple = ()) -> None:
        plain = run_plain([str(EXAMPLES / name)] + list(args))
        self.assertEqual(c.finish(), plain.returncode)
        self.assertEqual(c.stdout, plain.stdout)

    def test_capability_announced(self) -> None:
        c = self.start("worker_pool.py", [])
        self.assertIs(c.hello["capabilities"]["pauseOn"], True)
        self.finish_like_plain(c, "worker_pool.py")
        self.assertEqual(c.find("paused"), [], "no pauseOn filter, no pause")

    def test_task_failed_holds_the_loop_before_the_program_ends(self) -> None:
        c = self.start("unretrieved_exception.py", ["task-failed"])
        p = c.wait_event("paused", reason="exception")
        task = c.task_named("sync-inventory")["task"]
        self.assertEqual(p["trigger"], {"filter": "task-failed", "task": task, "finding": None})
        self.assertIn("Task sync-inventory failed: ConnectionError: inventory service refused the connection",
                      p["description"])
        # Held: the failed task is done, main is still pending (the program has not ended).
        snap = c.request("snapshot")
        states = {t["name"]: t["state"] for t in snap["tasks"]}
        self.assertEqual(states["sync-inventory"], "done")
        self.assertNotEqual(states[c.task_by_coro("main")["name"]], "done")
        self.assertTrue(any(l["paused"] for l in snap["loops"]))
        c.request("continue")
        self.finish_like_plain(c, "unretrieved_exception.py")
        self.assertEqual(len(c.find("paused")), 1, "only the matching event paused")

    def test_unmatched_filter_never_pauses(self) -> None:
        c = self.start("unretrieved_exception.py", ["task-cancelled", "stall"])
        self.finish_like_plain(c, "unretrieved_exception.py")
        self.assertEqual(c.find("paused"), [])

    def test_never_awaited_finding(self) -> None:
        c = self.start("forgotten_await.py", ["never-awaited"])
        p = c.wait_event("paused", reason="finding")
        f = c.wait_event("finding", findingKind="never-awaited")
        self.assertEqual(p["trigger"], {"filter": "never-awaited", "task": None, "finding": f["finding"]})
        self.assertIn("coroutine 'save' was never awaited", p["description"])
        self.assertEqual(f["location"]["line"], line_of(str(EXAMPLES / "forgotten_await.py"), "# BUG"))
        c.request("continue")
        self.finish_like_plain(c, "forgotten_await.py")

    def test_stall_seen_by_the_watchdog_holds_the_idle_loop(self) -> None:
        # deadlock.py gives up after 3 s; the stall is confirmed after 1 s idle, while the loop
        # sits in select(): the runtime must wake it and hold it before the program's own timeout.
        c = self.start("deadlock.py", ["stall"], ("3",))
        p = c.wait_event("paused", reason="finding")
        f = c.wait_event("finding", findingKind="stall")
        self.assertEqual(p["trigger"], {"filter": "stall", "task": None, "finding": f["finding"]})
        snap = c.request("snapshot")
        states = {t["name"]: t["state"] for t in snap["tasks"]}
        self.assertEqual((states["ping"], states["pong"]), ("waiting", "waiting"))
        c.request("continue")
        self.finish_like_plain(c, "deadlock.py", ("3",))

    def test_set_options_turns_it_on_later(self) -> None:
        c = Consumer([str(EXAMPLES / "deadlock.py"), "3"])
        self.addCleanup(c.kill)
        c.request("setOptions", {"pauseOn": ["task-cancelled"]})
        # asyncio.run cancels the two deadlocked tasks on the way out: the first cancellation holds.
        p = c.wait_event("paused", reason="exception")
        self.assertEqual(p["trigger"]["filter"], "task-cancelled")
        self.assertIn(p["trigger"]["task"], {c.task_named("ping")["task"], c.task_named("pong")["task"]})
        c.request("setOptions", {"pauseOn": []})
        c.request("continue")
        self.finish_like_plain(c, "deadlock.py", ("3",))


if __name__ == "__main__":
    unittest.main()
