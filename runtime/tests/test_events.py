# Reported events for real programs: task lifecycle (parents, creation lines, results, exceptions,
# cancellation), each waiting classification, futures, threads + multiple loops, eager tasks.
from __future__ import annotations

import sys
import time
import unittest

from .helpers import PROGRAMS, Consumer, line_of

WAITS = str(PROGRAMS / "waits.py")
LIFE = str(PROGRAMS / "lifecycle.py")
MANY_READY = str(PROGRAMS / "many_ready.py")
SHORT_WAIT = str(PROGRAMS / "short_wait.py")
WAITS_TEXT = (PROGRAMS / "waits.py").read_text("utf-8")


class LifecycleTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.c = Consumer([LIFE])
        cls.rc = cls.c.finish()

    def created(self, name: str):
        found = self.c.find("task.created", name=name)
        self.assertEqual(len(found), 1, name)
        return found[0]

    def done(self, task: int):
        found = self.c.find("task.done", task=task)
        self.assertEqual(len(found), 1, task)
        return found[0]

    def test_program_ran_normally(self) -> None:
        self.assertEqual(self.rc, 0)
        self.assertEqual(self.c.stdout, b"['int', 'ValueError', 'CancelledError']\n")
        self.assertEqual(self.c.find("process.exit")[0]["code"], 0)

    def test_parent_and_creation_site(self) -> None:
        main = self.c.find("task.created", coro="main")[0]
        parent = self.created("parent")
        child = self.created("child")
        self.assertIsNone(main["parent"])
        self.assertEqual(main["site"], {"file": LIFE, "line": line_of(LIFE, "asyncio.run(main())")})
        self.assertEqual(parent["parent"], main["task"])
        self.assertEqual(child["parent"], parent["task"])
        self.assertEqual(parent["site"]["line"], line_of(LIFE, "# @parent"))
        self.assertEqual(child["site"]["line"], line_of(LIFE, "# @child"))
        self.assertEqual(child["coro"], "leaf")
        ids = [e["task"] for e in self.c.find("task.created")]
        self.assertEqual(len(ids), len(set(ids)), "task ids are unique")

    def test_result(self) -> None:
        d = self.done(self.created("child")["task"])
        self.assertEqual((d["outcome"], d["result"], d["exception"]), ("result", "40", None))
        self.assertGreaterEqual(d["steps"], 2)

    def test_exception_with_raising_line(self) -> None:
        d = self.done(self.created("failing")["task"])
        self.assertEqual(d["outcome"], "exception")
        self.assertEqual(d["exception"]["type"], "ValueError")
        self.assertEqual(d["exception"]["message"], "bad item 7")
        self.assertEqual(d["exception"]["location"], {"file": LIFE, "line": line_of(LIFE, "# @raise")})

    def test_cancelled_by_task_and_line(self) -> None:
        main = self.c.find("task.created", coro="main")[0]
        d = self.done(self.created("victim")["task"])
        self.assertEqual(d["outcome"], "cancelled")
        self.assertEqual(d["cancelledBy"], {"task": main["task"],
                                            "location": {"file": LIFE, "line": line_of(LIFE, "# @cancel-victim")}})

    def test_done_carries_the_last_wait(self) -> None:
        # The victim is cancelled microseconds after it started waiting, usually within one batch,
        # so no task.state of it may ever say "sleep": task.done must.
        d = self.done(self.created("victim")["task"])
        lw = d["lastWaitingOn"]
        self.assertIsNotNone(lw)
        self.assertEqual((lw["kind"], lw["label"]), ("sleep", "sleep 3600 s"))
        self.assertEqual(lw["site"], {"file": LIFE, "line": line_of(LIFE, "# @victim-wait")})
        # A task never seen waiting on anything (only bare yields) has no last wait.
        self.assertIsNone(self.done(self.created("failing")["task"])["lastWaitingOn"])

    def test_loops_in_threads_and_explicit_loops(self) -> None:
        loops = self.c.find("loop.created")
        self.assertEqual(len(loops), 3)
        names = [lp["thread"]["name"] for lp in loops]
        self.assertEqual(names.count("MainThread"), 2)
        self.assertIn("worker-thread", names)
        self.assertEqual(len({lp["loop"] for lp in loops}), 3)
        threaded = [lp for lp in loops if lp["thread"]["name"] == "worker-thread"][0]
        tasks = self.c.find("task.created", loop=threaded["loop"])
        self.assertEqual([t["coro"] for t in tasks][0], "leaf")
        self.assertEqual(tasks[0]["thread"], threaded["thread"]["id"])
        self.assertEqual(tasks[0]["site"]["line"], line_of(LIFE, "# @thread-run"))
        explicit = self.created("explicit")
        self.assertEqual(explicit["site"]["line"], line_of(LIFE, "# @explicit"))
        self.assertEqual(self.done(explicit["task"])["result"], "30")
        self.assertEqual(len(self.c.find("loop.closed")), 3)

    def test_ticks_reported(self) -> None:
        ticks = self.c.find("loop.ticks")
        self.assertTrue(ticks)
        for lp in self.c.find("loop.created"):
            last = [t for t in ticks if t["loop"] == lp["loop"]][-1]
            counted = sum(t["count"] for t in ticks if t["loop"] == lp["loop"])
            self.assertEqual(counted, last["tick"], "tick counts are exact")

    def test_stats_exact(self) -> None:
        stats = self.c.find("stats")[-1]
        self.assertEqual(stats["tasksTotal"], len(self.c.find("task.created")))
        self.assertEqual(stats["tasksLive"], 0)


class WaitClassificationTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.c = c = Consumer([WAITS])
        gate = c.task_named("gate")
        names = ["sleep", "queue.get", "queue.put", "lock", "event", "condition", "semaphore",
                 "stream.read", "stream.write", "socket.read", "subprocess", "executor", "yield",
                 "task", "gather", "future"]
        cls.tasks = {n: c.task_named(n) for n in names}
        cls.states = {}
        for n, t in cls.tasks.items():
            expected = n if n != "yield" else "yield"
            cls.states[n] = c.wait_event(
                "task.state", task=t["task"],
                waitingOn=lambda w, k=expected: w is not None and w["kind"] == k)
        cls.gate = gate
        c.request("cancelTask", {"task": gate["task"], "message": "from test"})
        cls.rc = c.finish()

    def test_program_finished(self) -> None:
        self.assertEqual(self.rc, 0, self.c.stderr)
        self.assertEqual(self.c.stdout, b"all released\n")

    def test_every_kind(self) -> None:
        for n, st in self.states.items():
            with self.subTest(kind=n):
                w = st["waitingOn"]
                self.assertEqual(w["kind"], n)
                self.assertEqual(st["state"], "ready" if n == "yield" else "waiting")
                marker = "# @" + n
                if marker in WAITS_TEXT:
                    self.assertEqual(w.get("site"), {"file": WAITS, "line": line_of(WAITS, marker)})

    def test_details(self) -> None:
        s = self.states
        self.assertEqual(s["sleep"]["waitingOn"]["label"], "sleep 30 s")
        self.assertGreater(s["sleep"]["waitingOn"]["untilEpochMs"], time.time() * 1000 + 10_000)
        self.assertEqual(s["queue.get"]["waitingOn"]["detail"], "Queue maxsize=0 qsize=0")
        self.assertEqual(s["queue.put"]["waitingOn"]["detail"], "Queue maxsize=1 qsize=1")
        self.assertEqual(s["semaphore"]["waitingOn"]["detail"], "Semaphore value=0")
        self.assertEqual(s["task"]["waitingOn"]["task"], self.tasks["sleep"]["task"])
        gather_kids = s["gather"]["waitingOn"]["tasks"]
        self.assertEqual(len(gather_kids), 2)
        for k in gather_kids:
            self.assertEqual(self.c.find("task.created", task=k)[0]["parent"], self.tasks["gather"]["task"])

    def test_future_announced_with_awaiter(self) -> None:
        fut = self.c.find("future.created")
        self.assertEqual(len({f["future"] for f in fut}), 1)
        fut = fut[-1:]  # re-announced (upsert) once the awaiter is known
        self.assertEqual(fut[0]["site"], {"file": WAITS, "line": line_of(WAITS, "# @created-future")})
        self.assertEqual(fut[0]["awaitedBy"], [self.tasks["future"]["task"]])
        self.assertEqual(self.states["future"]["waitingOn"]["future"], fut[0]["future"])
        self.assertEqual(self.c.find("future.done", future=fut[0]["future"])[0]["outcome"], "cancelled")

    def test_cancel_from_debugger_and_by_task(self) -> None:
        d = self.c.find("task.done", task=self.gate["task"])[0]
        self.assertEqual(d["outcome"], "cancelled")
        self.assertEqual(d["cancelledBy"]["label"], "cancelled from the debugger")
        main = self.c.find("task.created", coro="main")[0]
        d = self.c.find("task.done", task=self.tasks["lock"]["task"])[0]
        self.assertEqual(d["cancelledBy"], {"task": main["task"], "location": {"file": WAITS, "line": line_of(WAITS, "# @cancel")}})


class YoungTaskTest(unittest.TestCase):
    def test_a_task_that_waits_and_ends_young_still_reports_its_wait(self) -> None:
        c = Consumer([SHORT_WAIT])
        self.addCleanup(c.kill)
        self.assertEqual(c.finish(), 0, c.stderr)
        self.assertEqual(c.stdout, b"5\n")
        t = c.task_named("short-waiter")
        done = c.wait_event("task.done", task=t["task"])
        self.assertEqual(done["outcome"], "result")
        lw = done["lastWaitingOn"]
        self.assertIsNotNone(lw, done)
        self.assertEqual((lw["kind"], lw["site"]), ("queue.get", {"file": SHORT_WAIT, "line": line_of(SHORT_WAIT, "# @get")}))


class ReadySitesTest(unittest.TestCase):
    """A ready task's line costs its coroutine a frame object for life, so a batch gives at most
    YIELD_SITES_PER_BATCH ready tasks their line; a waiting task always gets its line."""

    def test_ready_sites_are_capped_per_batch_and_waits_keep_theirs(self) -> None:
        from loopscope._session import YIELD_SITES_PER_BATCH
        c = Consumer([MANY_READY], options={"stopOnEntry": True})
        self.addCleanup(c.kill)
        c.wait_new_event("paused", 0, reason="entry")
        for _ in range(3):
            m = c.mark()
            c.request("stepTick")
            c.wait_new_event("paused", m, reason="step-tick")
        getter = c.task_named("getter")
        c.request("continue")
        self.assertEqual(c.finish(), 0, c.stderr)
        self.assertEqual(c.stdout, b"7\n")
        lines = {line_of(MANY_READY, "# @spin"), line_of(MANY_READY, "# @main")}
        most = 0
        for batch in c.batches:
            ready = [e["waitingOn"] for e in batch["events"]
                     if e["kind"] == "task.state" and e["state"] == "ready" and e["waitingOn"]]
            with_site = [w for w in ready if "site" in w]
            self.assertLessEqual(len(with_site), YIELD_SITES_PER_BATCH)
            for w in with_site:
                self.assertEqual(w["site"]["file"], MANY_READY)
                self.assertIn(w["site"]["line"], lines)
            if len(ready) > YIELD_SITES_PER_BATCH:
                self.assertEqual(len(with_site), YIELD_SITES_PER_BATCH)
            most = max(most, len(ready))
        self.assertGreater(most, YIELD_SITES_PER_BATCH, "no batch had more ready tasks than the cap")
        waits = [e["waitingOn"] for e in c.find("task.state", task=getter["task"], state="waiting")]
        self.assertTrue(waits)
        for w in waits:
            self.assertEqual((w["kind"], w["site"]), ("queue.get", {"file": MANY_READY, "line": line_of(MANY_READY, "# @get")}))


@unittest.skipUnless(sys.version_info >= (3, 12), "eager tasks exist from 3.12")
class EagerTaskTest(unittest.TestCase):
    def test_eager_first_step_seen(self) -> None:
        prog = str(PROGRAMS / "eager.py")
        c = Consumer([prog])
        rc = c.finish()
        self.assertEqual(rc, 0, c.stderr)
        sync = c.find("task.created", name="sync")[0]
        self.assertTrue(sync["eager"])
        d = c.find("task.done", task=sync["task"])[0]
        self.assertEqual((d["outcome"], d["result"], d["steps"]), ("result", "'done eagerly'", 1))
        slow = c.find("task.created", name="slow")[0]
        self.assertTrue(slow["eager"])
        self.assertEqual(slow["site"]["line"], line_of(prog, "# @slow"))
        inner = c.find("task.created", name="inner")[0]
        self.assertEqual(inner["parent"], slow["task"])
        self.assertEqual(c.find("task.done", task=slow["task"])[0]["steps"], 2)
        self.assertEqual(c.stdout, b"done eagerly 42 True\n")


if __name__ == "__main__":
    unittest.main()


class StepEventsAndInstallTest(unittest.TestCase):
    def test_step_events_option(self) -> None:
        c = Consumer([LIFE], flags=["--step-events"])
        self.assertEqual(c.finish(), 0)
        child = c.find("task.created", name="child")[0]
        steps = c.find("task.step", task=child["task"])
        self.assertEqual(len(steps), 2)
        self.assertTrue(all(s["durationMs"] >= 0 for s in steps))
        self.assertEqual(steps[0]["waitingOn"]["kind"], "yield")
        self.assertIsNone(steps[1]["waitingOn"])  # finished
        parent = c.find("task.created", name="parent")[0]
        self.assertEqual(steps[0]["wokenBy"], {"task": parent["task"], "label": "Task parent"})
        ticks = c.find("tick")
        self.assertEqual(len(ticks), sum(t["count"] for t in c.find("loop.ticks")))

    def test_without_step_events_no_per_step_traffic(self) -> None:
        c = Consumer([LIFE])
        self.assertEqual(c.finish(), 0)
        self.assertEqual(c.find("task.step"), [])
        self.assertEqual(c.find("tick"), [])

    def test_install_api(self) -> None:
        from .helpers import run_loopscope  # noqa: F401  (same environment helper)
        import subprocess
        from .helpers import _env
        r = subprocess.run([sys.executable, str(PROGRAMS / "installed.py")], capture_output=True, env=_env(), timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, b"4950\n103 True True True\n")
