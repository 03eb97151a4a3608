# Who-woke-whom: a ready task's `wokenBy` names whoever scheduled its *next* step (the producer
# whose put satisfied its Queue.get), not who woke its previous step (its creator).
from __future__ import annotations

import unittest

from .helpers import PROGRAMS, Consumer

WAKE_QUEUE = str(PROGRAMS / "wake_queue.py")


class WokenByTest(unittest.TestCase):
    def test_ready_task_names_the_task_that_woke_it(self) -> None:
        c = Consumer([WAKE_QUEUE], options={"stopOnEntry": True})
        self.addCleanup(c.kill)
        c.wait_new_event("paused", 0, reason="entry")
        seen = []
        for _ in range(10):
            m = c.mark()
            c.request("stepTick")
            c.wait_new_event("paused", m, reason="step-tick")
            tasks = {t["name"]: t for t in c.request("snapshot")["tasks"]}
            w = tasks.get("worker")
            if w is None:
                continue
            seen.append((w["state"], w["steps"], w["wokenBy"]))
            if w["state"] == "ready" and w["steps"] >= 1:
                producer = tasks["producer"]["task"]
                self.assertEqual(w["wokenBy"], {"task": producer, "label": "Task producer"}, seen)
                # The stream says so too, before the worker steps again: a woken task's row must not
                # keep saying "waiting on Queue.get" while the loop is held.
                states = [(e["state"], e["steps"], e["wokenBy"]) for e in c.find("task.state", task=w["task"])]
                self.assertEqual(states[-1], ("ready", 1, {"task": producer, "label": "Task producer"}), states)
                break
        else:
            self.fail("the worker never became ready again after blocking: %r" % (seen,))
        c.request("continue")
        self.assertEqual(c.finish(), 0, c.stderr)
        self.assertEqual(c.stdout, b"7\n")


if __name__ == "__main__":
    unittest.main()
