# Line debugger (issue 12) against a real child: exception stops, raised (every raise in user code)
# and uncaught (an exception that kills a task or leaves the program), and the program's own
# output, traceback and exit code unchanged by them.
from __future__ import annotations

import unittest

from .dbg_helpers import launch, line, local, prog, resume, stopped, task_name, top
from .helpers import run_plain

E = "errors.py"


class ExceptionStops(unittest.TestCase):
    def test_raised_stops_where_the_exception_is_raised(self) -> None:
        c = launch(E, options={"breakOnRaised": True})
        try:
            ev = stopped(c)
            self.assertEqual(ev["reason"], "exception")
            self.assertEqual(ev["exception"]["type"], "ValueError")
            self.assertEqual(ev["exception"]["message"], "boom")
            self.assertEqual(top(ev)["line"], line(E, "# RAISE"))
            self.assertEqual(task_name(c, ev["task"]), "bad")
            mark = resume(c, ev)
            ev2 = stopped(c, mark)
            self.assertEqual((ev2["exception"]["type"], top(ev2)["line"]), ("KeyError", line(E, "# UNCAUGHT")))
            resume(c, ev2)
            rc = c.finish()
            plain = run_plain([prog(E)])
            self.assertEqual((rc, c.stdout, c.stderr), (plain.returncode, plain.stdout, plain.stderr))
        finally:
            c.kill()

    def test_uncaught_stops_where_a_task_dies_and_where_the_program_dies(self) -> None:
        c = launch(E, options={"breakOnUncaught": True})
        try:
            ev = stopped(c)
            self.assertEqual(ev["exception"]["type"], "ValueError")
            self.assertIn("uncaught", ev["description"])
            self.assertEqual(task_name(c, ev["task"]), "bad")
            self.assertEqual(top(ev)["line"], line(E, "# RAISE"))
            mark = resume(c, ev)
            ev2 = stopped(c, mark)
            self.assertEqual(ev2["exception"]["type"], "KeyError")
            self.assertEqual(top(ev2)["line"], line(E, "# UNCAUGHT"))
            self.assertIn("Traceback", ev2["exception"]["traceback"])
            resume(c, ev2)
            rc = c.finish()
            self.assertEqual(len(c.find("stopped")), 2)
            plain = run_plain([prog(E)])
            self.assertEqual((rc, c.stdout, c.stderr), (plain.returncode, plain.stdout, plain.stderr))
        finally:
            c.kill()

    def test_no_exception_stops_by_default(self) -> None:
        c = launch(E)
        try:
            self.assertEqual(c.finish(), 1)
            self.assertEqual(c.find("stopped"), [])
        finally:
            c.kill()


if __name__ == "__main__":
    unittest.main()
