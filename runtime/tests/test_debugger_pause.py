# Line debugger (issue 12) against a real child: pause anywhere (a CPU loop inside a task's step,
# a blocking time.sleep), evaluate and setVariable there, and `await` in the console at a
# tick-boundary hold (and its refusal inside a step).
from __future__ import annotations

import threading
import time
import unittest

from loopscope import _tracing

from .dbg_helpers import base, launch, line, local, resume, stopped, task_name, top


def pause_until_line(c, file: str, lines, attempts: int = 20, native: bool = False):
    """Pause anywhere until the stop is on one of `lines` (the first pause may land before the step starts).
    With `native`, only a stop inside the blocking call counts: a pause that lands on the line's own line
    event, just before the call, is resumed and tried again."""
    lines = (lines,) if isinstance(lines, int) else tuple(lines)
    for _ in range(attempts):
        mark = c.mark()
        c.request("pause", {"anywhere": True})
        ev = c.wait(lambda: next((e for e in c.events[mark:] if e["kind"] in ("stopped", "paused")), None),
                    what="stopped or paused")
        if (ev["kind"] == "stopped" and base(top(ev)["file"]) == file and top(ev)["line"] in lines
                and (ev["native"] or not native)):
            return ev, mark
        if ev["kind"] == "stopped":
            resume(c, ev)
        else:
            c.request("continue", {})
    raise AssertionError("never stopped on %s:%s" % (file, lines))


class PauseAnywhere(unittest.TestCase):
    def test_pause_in_a_cpu_loop_shows_the_spinning_line_and_evaluate_works(self) -> None:
        c = launch("spin.py", ["spin"])
        try:
            c.task_named("spin")
            spin_line = line("spin.py", "# SPIN")
            # 3.9-3.11 pause at the loop's backward jump (the `while` line), 3.12+ at any line.
            ev, mark = pause_until_line(c, "spin.py", (spin_line - 1, spin_line))
            self.assertEqual(ev["reason"], "pause")
            self.assertFalse(ev["native"])
            self.assertEqual(task_name(c, ev["task"]), "spin")
            fid = top(ev)["id"]
            self.assertEqual(c.request("evaluate", {"frame": fid, "expression": "n > 0 and keep"})["value"], "True")
            r = c.request("setVariable", {"frame": fid, "name": "keep", "value": "1 == 2"})
            self.assertEqual(r["value"], "False")
            self.assertEqual(local(c, fid, "keep"), "False")
            resume(c, ev)
            self.assertEqual(c.finish(), 0)
            self.assertIn(b"done spin True", c.stdout)
            self.assertEqual(c.find("finding", findingKind="blocking-call"), [])
        finally:
            c.kill()

    def test_pause_within_200_ms(self) -> None:
        c = launch("spin.py", ["spin"])
        try:
            c.task_named("spin")
            spin_line = line("spin.py", "# SPIN")
            ev, _ = pause_until_line(c, "spin.py", (spin_line - 1, spin_line))
            resume(c, ev)
            # Running again: time one more pause.
            t0 = time.monotonic()
            mark = c.mark()
            c.request("pause", {"anywhere": True})
            ev2 = stopped(c, mark)
            self.assertLess(time.monotonic() - t0, 0.2)
            self.assertIn(top(ev2)["line"], (spin_line - 1, spin_line))
            self.assertFalse(ev2["native"])
            c.request("setVariable", {"frame": top(ev2)["id"], "name": "keep", "value": "False"})
            resume(c, ev2)
            self.assertEqual(c.finish(), 0)
        finally:
            c.kill()

    def test_pause_in_time_sleep_is_a_native_stop_with_the_calling_line(self) -> None:
        c = launch("spin.py", ["nap", "2.0"])
        try:
            c.task_named("nap")
            block = line("spin.py", "# BLOCK")
            ev, _ = pause_until_line(c, "spin.py", block, native=True)
            self.assertTrue(ev["native"])
            self.assertEqual(task_name(c, ev["task"]), "nap")
            self.assertEqual(c.request("evaluate", {"frame": top(ev)["id"], "expression": "delay * 2"})["value"], "4.0")
            resume(c, ev)
            c.wait_event("continued", stop=ev["stop"])
            self.assertEqual(c.finish(), 0)
            self.assertIn(b"done nap True", c.stdout)
        finally:
            c.kill()

    def test_pause_in_a_lock_acquire_in_sync_code(self) -> None:
        c = launch("spin.py", ["lock", "2.5"])
        try:
            c.task_named("lock")
            ev, _ = pause_until_line(c, "spin.py", line("spin.py", "# LOCK"), native=True)
            self.assertTrue(ev["native"])
            self.assertEqual(task_name(c, ev["task"]), "lock")
            self.assertEqual(c.request("evaluate", {"frame": top(ev)["id"], "expression": "lock.locked()"})["value"], "True")
            resume(c, ev)
            self.assertEqual(c.finish(), 0)
            self.assertIn(b"done lock True", c.stdout)
        finally:
            c.kill()

    def test_step_over_from_a_native_stop_lands_on_the_next_line(self) -> None:
        c = launch("spin.py", ["nap", "3.0"])
        try:
            c.task_named("nap")
            block = line("spin.py", "# BLOCK")
            ev, _ = pause_until_line(c, "spin.py", block, native=True)
            mark = resume(c, ev, "next")
            ev2 = stopped(c, mark)
            self.assertEqual((top(ev2)["line"], ev2["reason"]), (block + 1, "step"))
            resume(c, ev2)
            self.assertEqual(c.finish(), 0)
        finally:
            c.kill()


class AwaitInConsole(unittest.TestCase):
    def test_await_at_a_tick_boundary_hold_runs_on_the_loop(self) -> None:
        c = launch("idle.py")
        try:
            main = c.task_by_coro("main")
            mark = c.mark()
            c.request("pause", {})
            c.wait_new_event("paused", mark)
            frames = c.request("awaitChain", {"task": main["task"]})["frames"]
            fid = [f for f in frames if f["name"] == "main"][0]["id"]
            r = c.request("evaluate", {"frame": fid, "expression": "await compute(21)", "context": "repl"})
            self.assertEqual(r["value"], "84" if False else "42")
            self.assertGreaterEqual(r["ticks"], 1)
            c.request("continue", {})
            self.assertEqual(c.finish(), 0)
        finally:
            c.kill()

    def test_pause_anywhere_on_an_idle_loop_holds_at_the_tick_boundary_where_await_works(self) -> None:
        # The loop sleeps in select(): `pause {anywhere}` holds it like plain pause (no line stop),
        # and the armed line pause must not outlive that hold (it stopped the awaited expression
        # itself on 3.9-3.10 and 3.12+; on 3.11 the loop crawled and never held).
        c = launch("waiting.py")
        try:
            main = c.task_by_coro("main")
            wait_line = line("waiting.py", "# WAIT")
            for _ in range(500):  # until main waits on its Event (then the loop sleeps in select)
                frames = c.request("awaitChain", {"task": main["task"]})["frames"]
                if any(f["name"] == "main" and f["line"] == wait_line for f in frames):
                    break
            else:
                self.fail("main never reached its await on the Event")
            mark = c.mark()
            c.request("pause", {"anywhere": True})
            ev = c.wait(lambda: next((e for e in c.events[mark:] if e["kind"] in ("stopped", "paused")), None),
                        what="stopped or paused")
            self.assertEqual((ev["kind"], ev["reason"]), ("paused", "pause"))
            for expression, value in (("await asyncio.sleep(0.01, result=42)", "42"), ("await release()", "'released'")):
                frames = c.request("awaitChain", {"task": main["task"]})["frames"]
                fid = [f for f in frames if f["name"] == "main"][0]["id"]
                r = c.request("evaluate", {"frame": fid, "expression": expression, "context": "repl"})
                self.assertEqual(r["value"], value)
                self.assertGreaterEqual(r["ticks"], 1)
            self.assertEqual(c.find("stopped"), [])
            c.request("continue", {})
            self.assertEqual(c.finish(), 0)
            self.assertIn(b"released", c.stdout)
        finally:
            c.kill()

    def test_await_inside_a_line_stop_says_what_to_do(self) -> None:
        ln = line("idle.py", "# ROUND")
        c = launch("idle.py", bps=[{"line": ln, "condition": "i == 3"}])
        try:
            ev = stopped(c)
            c.request("setBreakpoints", {"file": c.proc.args[-1], "breakpoints": []})
            r = c.request("evaluate", {"frame": top(ev)["id"], "expression": "await compute(1)"}, ok=False)
            self.assertIn("await needs the loop, which is stopped inside a step of Task", r["error"])
            self.assertIn("Step Tick", r["error"])
            resume(c, ev)
            self.assertEqual(c.finish(), 0)
        finally:
            c.kill()


class PendingCalls(unittest.TestCase):
    """3.9-3.11 pause anywhere reaches the main thread through Py_AddPendingCall (found by the DAP
    fuzz): while the main thread sits in one pending call (a line stop), more are queued."""

    def test_calls_queued_while_one_runs_all_run_in_order(self) -> None:
        ran: list = []
        backend = _tracing.SettraceBackend(None)

        def queue_more() -> None:  # CPython's own queue takes 32; one callback each was freed after 8
            for i in range(100):
                backend.pending_call(lambda _frame, i=i: ran.append(i))

        def first(_frame) -> None:
            t = threading.Thread(target=queue_more)
            t.start()
            t.join()
            ran.append("first")

        backend.pending_call(first)
        deadline = time.monotonic() + 10
        while len(ran) < 101 and time.monotonic() < deadline:
            pass  # pending calls run at bytecode boundaries of this thread
        self.assertEqual(ran, ["first", *range(100)])

    def test_a_call_that_queues_itself_does_not_starve_the_main_thread(self) -> None:
        # One trampoline running until the queue was empty ran such a call forever, with the main
        # thread never reaching its next bytecode (a fuzzed target spun so, its loop never reaching
        # a tick boundary). CPython runs at most 32 pending calls in a row; the main thread must move
        # on between those runs and end the chain here.
        backend = _tracing.SettraceBackend(None)
        stop = [False]
        runs = [0]
        cap = 100_000

        def again(_frame) -> None:
            runs[0] += 1
            if not stop[0] and runs[0] < cap:
                backend.pending_call(again)

        backend.pending_call(again)
        turns = 0
        while not stop[0]:
            turns += 1
            stop[0] = turns > 50
        self.assertLess(runs[0], cap, "the main thread ran only once the chain hit its cap")


if __name__ == "__main__":
    unittest.main()
