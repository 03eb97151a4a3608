# Task life is never dropped: a program that makes short tasks faster than the runtime can describe
# them gets each task either announced (task.created ... task.done) or counted (tasks.unlisted), so
# the debugger's totals and final states are exact and no task is left looking pending.
from __future__ import annotations

import collections
import json
import sys
import unittest
from typing import Dict, List

from .helpers import PROGRAMS, Consumer

# asyncio.run's (and uvloop.run's) own tasks: BaseEventLoop.shutdown_asyncgens, Loop.shutdown_...
SHUTDOWN = ("BaseEventLoop.shutdown_", "Loop.shutdown_")


try:
    import uvloop  # noqa: F401
    HAVE_UVLOOP = True
except ImportError:
    HAVE_UVLOOP = False


class ChurnTest(unittest.TestCase):
    ARGS: List[str] = []

    @classmethod
    def setUpClass(cls) -> None:
        c = Consumer([str(PROGRAMS / "churn.py")] + cls.ARGS)
        cls.code = c.finish()
        cls.c = c
        cls.told = json.loads(c.stdout)

    def test_program_ran_as_without_loopscope(self) -> None:
        self.assertEqual(self.code, 0)
        self.assertEqual(self.told, {"result": 58802, "exception": 600, "cancelled": 600})

    def test_nothing_was_dropped(self) -> None:
        self.assertEqual(sum(b["dropped"] for b in self.c.batches), 0)
        self.assertEqual(self.c.find("stats")[-1]["dropped"], 0)

    def test_every_announced_task_ends_and_nothing_precedes_its_creation(self) -> None:
        created = [e["task"] for e in self.c.events if e["kind"] == "task.created"]
        self.assertEqual(len(created), len(set(created)))
        seen = set()
        for e in self.c.events:
            if e["kind"] == "task.created":
                seen.add(e["task"])
            elif e["kind"] in ("task.state", "task.done"):
                self.assertIn(e["task"], seen, "%s before its task.created" % e["kind"])
        done = {e["task"] for e in self.c.find("task.done")}
        self.assertEqual(set(created) - done, set(), "announced tasks left pending")

    def test_counts_and_final_states_are_exact(self) -> None:
        ended: Dict[str, int] = collections.Counter(e["outcome"] for e in self.c.find("task.done"))
        unlisted = self.c.find("tasks.unlisted")
        self.assertGreater(sum(u["count"] for u in unlisted), 0, "the runtime never fell behind: the test proves nothing")
        housekeeping = sum(1 for e in self.c.find("task.created") if e["coro"].startswith(SHUTDOWN))
        for u in unlisted:
            # asyncio.run's own shutdown tasks end young too, and may be counted with the rest
            if u["coro"].startswith(SHUTDOWN):
                housekeeping += u["count"]
            else:
                self.assertEqual(u["coro"], "short")
            ended[u["outcome"]] += u["count"]
        ended["result"] -= 1  # main (uvloop.run's wrapper of it)
        ended["result"] -= housekeeping
        self.assertEqual(dict(ended), self.told)
        total = len(self.c.find("task.created")) + sum(u["count"] for u in unlisted)
        self.assertEqual(total, self.c.find("stats")[-1]["tasksTotal"])

    def test_failed_tasks_keep_their_own_record(self) -> None:
        failed = self.c.find("task.done", outcome="exception")
        self.assertEqual(len(failed), 600)
        self.assertTrue(all(e["exception"]["type"] == "ValueError" for e in failed))



@unittest.skipUnless(HAVE_UVLOOP, "uvloop is not installed for Python %d.%d" % sys.version_info[:2])
class ChurnUvloopTest(ChurnTest):
    """The same under uvloop.run(): a loop whose scheduler is C."""
    ARGS = ["uvloop"]


if __name__ == "__main__":
    unittest.main()
