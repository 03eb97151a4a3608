# The examples/ gallery under a live consumer with per-step events on: every program exits as it
# would without Loopscope, every message validates, every announced task is accounted for.
from __future__ import annotations

import unittest

from .helpers import EXAMPLES, Consumer

GALLERY = ["worker_pool.py", "callbacks_run_forever.py", "executor_threads.py", "streams_echo.py",
           "subprocess_demo.py", "crawler_semaphore.py", "timeouts_cancellation.py", "taskgroup.py",
           "tasks_gather.py", "explicit_loop.py"]


class GalleryTest(unittest.TestCase):
    def test_gallery(self) -> None:
        for name in GALLERY:
            prog = EXAMPLES / name
            if not prog.exists():
                continue
            with self.subTest(example=name):
                c = Consumer([str(prog)], flags=["--step-events"])
                rc = c.finish()
                self.assertEqual(rc, 0, c.stderr.decode()[-2000:])
                self.assertNotIn(b"loopscope", c.stderr)
                created = {e["task"] for e in c.find("task.created")}
                done = {e["task"] for e in c.find("task.done")}
                self.assertEqual(created, done, "every task ended")
                stats = c.find("stats")[-1]
                self.assertEqual(stats["tasksTotal"], len(created))
                self.assertEqual(stats["tasksLive"], 0)
                self.assertEqual(sum(b["dropped"] for b in c.batches), 0)
                for ev in c.find("task.created"):
                    if ev["coro"] in ("main",):
                        self.assertEqual(ev["site"]["file"], str(prog))
                self.assertEqual(len(c.find("process.exit")), 1)


if __name__ == "__main__":
    unittest.main()
