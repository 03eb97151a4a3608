# Line debugger (issue 12) against a real child over the real wire: breakpoints (condition, hit
# count, logpoints, moved lines, set while running, function breakpoints) and stepping that follows
# the task (next over an await, stepIn, stepOut of a sync call and of an awaited coroutine).
from __future__ import annotations

import unittest

from .dbg_helpers import base, launch, line, local, prog, resume, stopped, task_name, top
from .helpers import run_plain

W = "workers.py"


class Breakpoints(unittest.TestCase):
    def test_conditional_breakpoint_stops_in_the_right_task_with_its_locals(self) -> None:
        ln = line(W, "# AFTER-AWAIT")
        c = launch(W, bps=[{"line": ln, "condition": "idx == 2 and r == 1"}])
        try:
            self.assertEqual(c.last_bps["breakpoints"][0]["line"], ln)
            self.assertTrue(c.last_bps["breakpoints"][0]["verified"])
            ev = stopped(c)
            self.assertEqual(ev["reason"], "breakpoint")
            self.assertEqual(task_name(c, ev["task"]), "worker-2")
            self.assertIn("worker-2", ev["description"])
            self.assertEqual((base(top(ev)["file"]), top(ev)["line"]), (W, ln))
            self.assertEqual(top(ev)["kind"], "coroutine")
            self.assertEqual(ev["hitBreakpoints"], [c.last_bps["breakpoints"][0]["id"]])
            fid = top(ev)["id"]
            self.assertEqual(local(c, fid, "idx"), "2")
            self.assertEqual(local(c, fid, "value"), "30")
            # Arbitrary expressions, run in the stopped thread.
            self.assertEqual(c.request("evaluate", {"frame": fid, "expression": "[idx * k for k in range(3)]"})["value"], "[0, 2, 4]")
            self.assertEqual(c.request("evaluate", {"frame": fid, "expression": "__import__('threading').current_thread().name"})["value"], "'MainThread'")
            self.assertTrue(any(f["internal"] for f in ev["frames"]))
            resume(c, ev)
            c.wait_event("continued", stop=ev["stop"])
            self.assertEqual(c.finish(), 3)
            self.assertEqual(len(c.find("stopped")), 1)
        finally:
            c.kill()

    def test_hit_count_in_a_sync_helper_called_by_tasks(self) -> None:
        ln = line(W, "# HELPER")
        c = launch(W, bps=[{"line": ln, "hitCondition": "%5"}])
        try:
            seen = []
            mark = 0
            for _ in range(2):
                ev = stopped(c, mark)
                seen.append(ev)
                self.assertEqual(top(ev)["name"], "helper")
                self.assertIsNotNone(task_name(c, ev["task"]))
                mark = resume(c, ev)
            self.assertEqual(c.finish(), 3)
            self.assertEqual(len(c.find("stopped")), 2)  # 12 calls: hits 5 and 10
        finally:
            c.kill()

    def test_logpoints_print_without_stopping_and_leave_output_and_exit_code(self) -> None:
        ln = line(W, "# AFTER-AWAIT")
        c = launch(W, bps=[{"line": ln, "logMessage": "w{idx} r{r} got {value} {{x}} {nope}"}])
        try:
            rc = c.finish()
            plain = run_plain([prog(W)])
            self.assertEqual(rc, plain.returncode)
            self.assertEqual(c.stdout, plain.stdout)
            self.assertEqual(c.stderr, plain.stderr)
            out = [e for e in c.find("output")]
            self.assertEqual(len(out), 12)
            texts = sorted(e["text"] for e in out)
            self.assertIn("w2 r1 got 30 {x} <error: NameError: name 'nope' is not defined>\n", texts)
            self.assertEqual(out[0]["location"]["line"], ln)
            self.assertEqual(c.find("stopped"), [])
        finally:
            c.kill()

    def test_breakpoint_on_a_line_without_code_moves_to_the_next_one(self) -> None:
        blank = line(W, "# BLANK")
        c = launch(W, bps=[{"line": blank}, {"line": 10_000}])
        try:
            moved, beyond = c.last_bps["breakpoints"]
            self.assertEqual(moved["line"], line(W, "# WORKER-RETURN"))
            self.assertTrue(moved["verified"])
            self.assertEqual(moved["message"], "moved from line %d: no code there" % blank)
            self.assertFalse(beyond["verified"])
            self.assertIn("no code", beyond["message"])
            ev = stopped(c)
            self.assertEqual(top(ev)["line"], moved["line"])
            # Removed while running: no further stops.
            c.request("setBreakpoints", {"file": prog(W), "breakpoints": []})
            resume(c, ev)
            self.assertEqual(c.finish(), 3)
        finally:
            c.kill()

    def test_breakpoint_set_while_running(self) -> None:
        c = launch("idle.py")
        try:
            c.task_by_coro("main")
            ln = line("idle.py", "# ROUND")
            c.request("setBreakpoints", {"file": prog("idle.py"), "breakpoints": [{"line": ln, "condition": "i >= 5"}]})
            ev = stopped(c)
            self.assertEqual(top(ev)["line"], ln)
            c.request("setBreakpoints", {"file": prog("idle.py"), "breakpoints": []})
            resume(c, ev)
            self.assertEqual(c.finish(), 0)
            self.assertEqual(len(c.find("stopped")), 1)
        finally:
            c.kill()

    def test_function_breakpoint(self) -> None:
        c = launch(W, fbps=[{"name": "helper"}, {"name": "no.such.thing"}])
        try:
            ok, missing = c.last_fbps["breakpoints"]
            self.assertFalse(missing["verified"])
            self.assertIn("not loaded", missing["message"])
            ev = stopped(c)
            self.assertEqual(ev["reason"], "function breakpoint")
            self.assertEqual(top(ev)["name"], "helper")
            self.assertEqual(top(ev)["line"], line(W, "# HELPER"))  # the first line of its body
            self.assertEqual(ev["hitBreakpoints"], [ok["id"]])
            c.request("setFunctionBreakpoints", {"breakpoints": []})
            resume(c, ev)
            self.assertEqual(c.finish(), 3)
        finally:
            c.kill()

    def test_function_breakpoint_on_a_coroutine_and_a_closure(self) -> None:
        # 3.12+: their code starts with RETURN_GENERATOR / COPY_FREE_VARS, so PY_START is not at
        # offset 0 (it was taken for a resume, and nothing stopped).
        n = "nested.py"
        c = launch(n, fbps=[{"name": "inner"}, {"name": "bump"}])
        try:
            fb_inner, fb_bump = c.last_fbps["breakpoints"]
            ev = stopped(c)
            self.assertEqual((ev["reason"], top(ev)["name"], top(ev)["line"]),
                             ("function breakpoint", "inner", line(n, "# INNER")))
            self.assertEqual(top(ev)["kind"], "coroutine")
            self.assertEqual(ev["hitBreakpoints"], [fb_inner["id"]])
            self.assertEqual(local(c, top(ev)["id"], "x"), "5")
            self.assertEqual(ev["frames"][1]["line"], line(n, "# CALL"))  # awaited by outer()
            self.assertIsNotNone(ev["task"])
            mark = resume(c, ev)
            ev2 = stopped(c, mark)
            self.assertEqual((ev2["reason"], top(ev2)["line"]), ("function breakpoint", line(n, "# BUMP")))
            self.assertEqual(ev2["hitBreakpoints"], [fb_bump["id"]])
            resume(c, ev2)
            self.assertEqual(c.finish(), 0)
            self.assertIn(b"r 12 3", c.stdout)
            self.assertEqual(len(c.find("stopped")), 2)
        finally:
            c.kill()


class Stepping(unittest.TestCase):
    def test_step_over_an_await_stays_in_the_task_and_shows_the_result(self) -> None:
        ln = line(W, "# AWAIT")
        c = launch(W, bps=[{"line": ln, "condition": "idx == 1 and r == 0"}])
        try:
            ev = stopped(c)
            task = ev["task"]
            self.assertEqual(task_name(c, task), "worker-1")
            c.request("setBreakpoints", {"file": prog(W), "breakpoints": []})
            mark = resume(c, ev, "next")
            ev2 = stopped(c, mark)
            self.assertEqual(ev2["reason"], "step")
            self.assertEqual(ev2["task"], task)
            self.assertEqual(top(ev2)["line"], line(W, "# AFTER-AWAIT"))
            self.assertEqual(local(c, top(ev2)["id"], "value"), "10")
            # Other tasks ran meanwhile (the await took ticks).
            mark = resume(c, ev2, "next")
            ev3 = stopped(c, mark)
            self.assertEqual((top(ev3)["line"], ev3["task"]), (line(W, "# CALL-HELPER"), task))
            resume(c, ev3)
            self.assertEqual(c.finish(), 3)
        finally:
            c.kill()

    def test_step_in_and_out_of_a_sync_call(self) -> None:
        ln = line(W, "# CALL-HELPER")
        c = launch(W, bps=[{"line": ln, "condition": "idx == 0 and r == 0"}])
        try:
            ev = stopped(c)
            c.request("setBreakpoints", {"file": prog(W), "breakpoints": []})
            mark = resume(c, ev, "stepIn")
            ev2 = stopped(c, mark)
            self.assertEqual((top(ev2)["name"], top(ev2)["line"]), ("helper", line(W, "# HELPER")))
            self.assertEqual(ev2["task"], ev["task"])
            self.assertEqual(ev2["frames"][1]["name"], "worker")
            mark = resume(c, ev2, "stepOut")
            ev3 = stopped(c, mark)
            self.assertEqual(top(ev3)["name"], "worker")
            self.assertEqual(top(ev3)["line"], line(W, "# FOR"))
            self.assertEqual(ev3["task"], ev["task"])
            resume(c, ev3)
            self.assertEqual(c.finish(), 3)
        finally:
            c.kill()

    def test_step_into_an_awaited_coroutine_and_out_to_the_awaiting_line(self) -> None:
        ln = line(W, "# AWAIT")
        c = launch(W, bps=[{"line": ln, "condition": "idx == 3 and r == 1"}])
        try:
            ev = stopped(c)
            c.request("setBreakpoints", {"file": prog(W), "breakpoints": []})
            mark = resume(c, ev, "stepIn")
            ev2 = stopped(c, mark)
            self.assertEqual((top(ev2)["name"], top(ev2)["line"]), ("fetch", line(W, "# FETCH")))
            self.assertEqual(ev2["task"], ev["task"])
            mark = resume(c, ev2, "stepOut")
            ev3 = stopped(c, mark)
            self.assertEqual((top(ev3)["name"], top(ev3)["line"]), ("worker", line(W, "# AFTER-AWAIT")))
            self.assertEqual(ev3["task"], ev["task"])
            self.assertEqual(local(c, top(ev3)["id"], "value"), "40")
            resume(c, ev3)
            self.assertEqual(c.finish(), 3)
        finally:
            c.kill()

    def test_step_out_of_a_tasks_outermost_coroutine_lands_in_the_awaiting_task(self) -> None:
        ln = line(W, "# WORKER-RETURN")
        c = launch(W, bps=[{"line": ln, "condition": "idx == 3"}])
        try:
            ev = stopped(c)
            c.request("setBreakpoints", {"file": prog(W), "breakpoints": []})
            mark = resume(c, ev, "stepOut")
            ev2 = stopped(c, mark)
            self.assertNotEqual(ev2["task"], ev["task"])
            self.assertEqual(top(ev2)["name"], "main")
            self.assertIn(top(ev2)["line"], (line(W, "# GATHER"), line(W, "# GATHER") + 1))
            resume(c, ev2)
            self.assertEqual(c.finish(), 3)
        finally:
            c.kill()

    def test_breakpoint_in_another_task_stops_during_a_step(self) -> None:
        aw, fetch = line(W, "# AWAIT"), line(W, "# FETCH")
        c = launch(W, bps=[{"line": aw, "condition": "idx == 0 and r == 0"}])
        try:
            ev = stopped(c)
            c.request("setBreakpoints", {"file": prog(W), "breakpoints": [{"line": fetch, "condition": "i == 2"}]})
            mark = resume(c, ev, "next")
            ev2 = stopped(c, mark)
            self.assertEqual(ev2["reason"], "breakpoint")
            self.assertEqual(task_name(c, ev2["task"]), "worker-2")
            c.request("setBreakpoints", {"file": prog(W), "breakpoints": []})
            resume(c, ev2)
            self.assertEqual(c.finish(), 3)
        finally:
            c.kill()


if __name__ == "__main__":
    unittest.main()


class OtherLoopsAndHolds(unittest.TestCase):
    def test_other_loops_hold_while_a_thread_is_line_stopped(self) -> None:
        ln = line("two_loops.py", "# MAIN-BP")
        c = launch("two_loops.py", bps=[{"line": ln}])
        try:
            ev = stopped(c)
            self.assertEqual(ev["thread"]["name"], "MainThread")
            side = c.wait(lambda: [e for e in c.find("loop.created") if e["loop"] != ev["loop"]], what="side loop")
            side_id = side[0]["loop"]
            held = c.wait_event("paused", loop=side_id)
            self.assertEqual(held["reason"], "pause")
            mark = resume(c, ev)
            c.wait_new_event("resumed", mark, loop=side_id)
            self.assertEqual(c.finish(), 0)
            self.assertIn(b"joined main", c.stdout)
        finally:
            c.kill()

    def test_line_step_from_a_tick_boundary_hold_stops_in_the_task(self) -> None:
        c = launch("idle.py")
        try:
            main = c.task_by_coro("main")
            mark = c.mark()
            c.request("pause", {})
            c.wait_new_event("paused", mark)
            mark = c.mark()
            c.request("lineStep", {"task": main["task"], "action": "next"})
            ev = stopped(c, mark)
            self.assertEqual(ev["reason"], "step")
            self.assertEqual(ev["task"], main["task"])
            self.assertEqual(top(ev)["name"], "main")
            resume(c, ev)
            self.assertEqual(c.finish(), 0)
        finally:
            c.kill()
