# Control over a live loop: stop on entry, pause/continue, step exactly one tick, one callback,
# run until a task steps, cancel, and inspection (snapshot, await chain, variables, evaluate)
# answered while the loop thread is held inside the runtime.
from __future__ import annotations

import unittest

from .helpers import PROGRAMS, Consumer, line_of

STEPPER = str(PROGRAMS / "stepper.py")


class ControlTest(unittest.TestCase):
    def setUp(self) -> None:
        self.c = Consumer([STEPPER], options={"stopOnEntry": True})
        self.addCleanup(self.c.kill)

    def paused(self, reason: str, after: int):
        return self.c.wait_new_event("paused", after, reason=reason)

    def finish_by_cancelling(self) -> None:
        c = self.c
        for name in ("w0", "w1"):
            tid = c.task_named(name)["task"]
            self.assertEqual(c.request("cancelTask", {"task": tid}), {"cancelled": True})
        c.request("continue")
        self.assertEqual(c.finish(), 0, c.stderr)
        self.assertEqual(c.stdout, b"['CancelledError', 'CancelledError'] 3 Bad 100000\n")

    def test_entry_then_step_tick_and_callback(self) -> None:
        c = self.c
        entry = self.paused("entry", 0)
        self.assertEqual(entry["tick"], 0)
        snap = c.request("snapshot")
        self.assertTrue(snap["loops"][0]["paused"])
        self.assertEqual(snap["loops"][0]["tick"], 0)
        main = [t for t in snap["tasks"] if t["coro"] == "main"][0]
        self.assertEqual(main["steps"], 0)

        m = c.mark()
        c.request("stepTick")
        p = self.paused("step-tick", m)
        self.assertEqual(p["tick"], 1)
        self.assertEqual([r.get("task") for r in p["ran"]], [main["task"]])
        self.assertIn("ran Task-1", p["description"])
        snap = c.request("snapshot")
        self.assertEqual(snap["loops"][0]["tick"], 1)
        self.assertEqual([t["steps"] for t in snap["tasks"] if t["task"] == main["task"]], [1])
        w0 = c.task_named("w0")["task"]
        w1 = c.task_named("w1")["task"]

        m = c.mark()
        c.request("stepCallback")
        p = self.paused("step-callback", m)
        self.assertEqual(len(p["ran"]), 1)
        self.assertEqual(p["ran"][0]["task"], w0)  # FIFO: w0 was scheduled first
        m = c.mark()
        c.request("stepCallback")
        p = self.paused("step-callback", m)
        self.assertEqual(p["ran"][0]["task"], w1)
        snap = c.request("snapshot")
        steps = {t["task"]: t["steps"] for t in snap["tasks"]}
        self.assertEqual((steps[w0], steps[w1]), (1, 1))
        again = c.request("snapshot")  # held: nothing moves between two requests
        self.assertEqual({t["task"]: t["steps"] for t in again["tasks"]}, steps)
        self.finish_by_cancelling()

    def test_run_until_task_steps_and_inspect(self) -> None:
        c = self.c
        self.paused("entry", 0)
        w1 = c.task_named("w1", timeout=1) if c.find("task.created", name="w1") else None
        self.assertIsNone(w1)
        m = c.mark()
        c.request("stepTick")
        self.paused("step-tick", m)
        w1 = c.task_named("w1")["task"]
        for n in range(3):
            m = c.mark()
            c.request("runUntilTaskSteps", {"task": w1})
            p = self.paused("task-stepped", m)
            self.assertEqual(p["ran"][-1]["task"], w1)
            self.assertIn("w1 stepped", p["description"])
        snap = c.request("snapshot")
        w = [t for t in snap["tasks"] if t["task"] == w1][0]
        self.assertEqual(w["steps"], 3)
        self.assertEqual(w["waitingOn"]["kind"], "yield")

        frames = c.request("awaitChain", {"task": w1})["frames"]
        user = [f for f in frames if not f["internal"]]
        self.assertEqual(user[0]["name"], "worker")
        self.assertEqual(user[0]["line"], line_of(STEPPER, "# @worker-yield"))
        self.assertEqual(user[0]["kind"], "coroutine")
        names = {v["name"]: v for v in c.request("variables", {"frame": user[0]["id"]})["variables"]}
        self.assertEqual(names["name"]["value"], "'w1'")
        self.assertEqual(names["total"]["value"], "3")  # 0 + 1 + 2 after the third step
        self.assertEqual(names["i"]["value"], "3")

        main_id = c.find("task.created", coro="main")[0]["task"]
        mframes = c.request("awaitChain", {"task": main_id})["frames"]
        mf = [f for f in mframes if f["name"] == "main"][0]
        self.assertEqual(mf["line"], line_of(STEPPER, "# @main-waits"))
        vars_ = {v["name"]: v for v in c.request("variables", {"frame": mf["id"]})["variables"]}
        self.assertIn("repr exploded", vars_["bad"]["value"])
        self.assertLessEqual(len(vars_["huge"]["value"]), 300)
        self.assertEqual(vars_["huge"]["type"], "str")
        self.assertGreater(vars_["data"]["ref"], 0)
        kids = {v["name"]: v for v in c.request("variables", {"ref": vars_["data"]["ref"]})["variables"]}
        self.assertEqual(kids["'name'"]["value"], "'main'")
        items = c.request("variables", {"ref": kids["'items'"]["ref"]})["variables"]
        self.assertEqual(len(items), 100)
        self.assertEqual(items[99]["value"], "99")
        point = {v["name"]: v for v in c.request("variables", {"ref": kids["'point'"]["ref"]})["variables"]}
        self.assertEqual(point["x"]["value"], "1")

        ev = c.request("evaluate", {"frame": mf["id"], "expression": "data['point'].y"})
        self.assertEqual((ev["value"], ev["type"]), ("2", "int"))
        prop = c.request("evaluate", {"frame": mf["id"], "expression": "data['point'].boom"})
        self.assertEqual(prop["type"], "property")
        err = c.request("evaluate", {"frame": mf["id"], "expression": "len(data)"}, ok=False)
        self.assertIn("only names", err["error"])
        err = c.request("variables", {"frame": 99999}, ok=False)
        self.assertIn("no frame", err["error"])

        m = c.mark()
        c.request("continue")
        c.wait_new_event("resumed", m)
        err = c.request("variables", {"frame": mf["id"]}, ok=False)  # ids expire on resume
        self.assertIn("expire", err["error"])
        m = c.mark()
        c.request("pause")
        p = self.paused("pause", m)
        self.assertGreater(p["tick"], 1)
        self.finish_by_cancelling()

    def test_bad_requests_are_answered(self) -> None:
        c = self.c
        self.paused("entry", 0)
        self.assertIn("no task with id 9999", c.request("cancelTask", {"task": 9999}, ok=False)["error"])
        self.assertIn("no task", c.request("awaitChain", {"task": 9999}, ok=False)["error"])
        self.assertIn("no open event loop", c.request("stepTick", {"loop": 42}, ok=False)["error"])
        # A request that does not validate is answered, and the session goes on.
        c.next_id += 1
        c._send({"type": "request", "id": c.next_id, "command": "cancelTask", "args": {"task": "seven"}})
        rid = c.next_id
        resp = c.wait(lambda: c.responses.get(rid), what="answer to an invalid request")
        self.assertFalse(resp["ok"])
        self.assertIn("invalid request: cancelTask.args.task: expected a non-negative integer", resp["error"])
        c.next_id += 1
        c._send({"type": "request", "id": c.next_id, "command": "reboot", "args": {}})
        rid = c.next_id
        resp = c.wait(lambda: c.responses.get(rid), what="answer to an unknown command")
        self.assertEqual(resp["error"], "invalid request: request: unknown command 'reboot'")
        self.assertIn("stats", c.request("snapshot"))
        c.request("continue")
        m = c.mark()
        c.request("pause")
        self.paused("pause", m)
        self.finish_by_cancelling()


class DisconnectTest(unittest.TestCase):
    def test_debugger_vanishes_while_loop_is_held(self) -> None:
        prog = str(PROGRAMS / "exit_after_work.py")
        c = Consumer([prog], options={"stopOnEntry": True})
        self.addCleanup(c.kill)
        c.wait_event("paused", reason="entry")
        c.disconnect()
        rc = c.proc.wait(60)
        c.kill()
        self.assertEqual(rc, 3)
        self.assertEqual(c.stdout, b"finished work\n")
        self.assertEqual(c.stderr, b"")

    def test_debugger_vanishes_mid_run(self) -> None:
        c = Consumer([str(PROGRAMS / "long_work.py")])
        self.addCleanup(c.kill)
        c.wait_event("task.state", steps=lambda s: s >= 5)
        c.disconnect()  # the debugger dies while events are streaming
        self.assertEqual(c.proc.wait(60), 3)
        c.kill()
        self.assertEqual(c.stdout, b"10\n")
        self.assertEqual(c.stderr, b"")


if __name__ == "__main__":
    unittest.main()
