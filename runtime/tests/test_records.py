# Task records: each is the task's one weak reference, held in asyncio's own registry (no second
# reference, no index), found from the task, kept when a task is unregistered by hand, and
# finished tasks do not pile up in the change list between two flushes.
from __future__ import annotations

import json
import subprocess
import sys
import unittest

from .helpers import PROGRAMS, ROOT, _env

PROBE = PROGRAMS / "records_probe.py"


class TaskRecordTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        proc = subprocess.run([sys.executable, str(PROBE)], env=_env(), cwd=str(ROOT),
                              capture_output=True, timeout=60)
        if proc.returncode != 0:
            raise AssertionError(proc.stderr.decode(errors="replace"))
        cls.seen = json.loads(proc.stdout)

    def test_record_is_the_tasks_only_weak_reference(self) -> None:
        self.assertTrue(self.seen["oneRefEach"])
        self.assertTrue(self.seen["allTasksSeesThem"])

    def test_names_are_read_from_the_task(self) -> None:
        self.assertEqual(self.seen["names"], ["waiter-0", "waiter-1", "waiter-2"])
        self.assertEqual(self.seen["renamed"], "renamed")
        self.assertEqual(self.seen["endedName"], "waiter-0")

    def test_unregistered_task_keeps_its_record_and_counts(self) -> None:
        self.assertTrue(self.seen["unregisteredHidden"])
        self.assertTrue(self.seen["unregisteredKept"])
        self.assertEqual(self.seen["liveBefore"], 101)  # main and its 100 waiters
        self.assertEqual(self.seen["liveAfter"], 1)

    def test_finished_tasks_leave_the_change_list(self) -> None:
        self.assertTrue(self.seen["sleepersListed"])
        # 5,000 tasks each marked and finished with nothing draining the list.
        self.assertLessEqual(self.seen["dirtyLen"], self.seen["maxStale"] + 1000 + 20)


if __name__ == "__main__":
    unittest.main()
