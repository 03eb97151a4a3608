# Behaviour identity: a program run under `python -m loopscope` (connected to a live consumer, or
# with no debugger at all) prints the same stdout/stderr bytes and exits with the same status as
# the plain `python program.py` run.
from __future__ import annotations

import os
import subprocess
import unittest
from typing import List, Optional

from .helpers import EXAMPLES, PROGRAMS, Consumer, run_loopscope, run_plain

P = str(PROGRAMS)


class IdentityTest(unittest.TestCase):
    maxDiff = None

    def check(self, argv: List[str], stdin: Optional[bytes] = None, cwd: Optional[str] = None,
              connected: bool = True) -> subprocess.CompletedProcess:
        plain = run_plain(argv, stdin=stdin, cwd=cwd)
        if connected:
            c = Consumer(argv, stdin=stdin if stdin is not None else None, cwd=cwd)
            rc = c.finish()
            got = (rc, c.stdout, c.stderr)
            exits = c.find("process.exit")
            self.assertEqual(len(exits), 1, "exactly one process.exit event")
            if rc >= 0:
                self.assertEqual(exits[0]["code"], rc)
        else:
            r = run_loopscope(argv, stdin=stdin, cwd=cwd)
            got = (r.returncode, r.stdout, r.stderr)
        self.assertEqual(got[1].decode(), plain.stdout.decode(), "stdout differs for %s" % argv)
        self.assertEqual(got[2].decode(), plain.stderr.decode(), "stderr differs for %s" % argv)
        self.assertEqual(got[0], plain.returncode, "exit status differs for %s" % argv)
        return plain

    def test_task_results_are_described_without_running_user_repr(self) -> None:
        prog = os.path.join(P, "ident_result_repr.py")
        plain = run_plain([prog])
        c = Consumer([prog])
        self.assertEqual(c.finish(), plain.returncode)
        self.assertEqual((c.stdout, c.stderr), (plain.stdout, plain.stderr))
        self.assertEqual(plain.stdout, b"Noisy [1, 'two', (3.0, None), {'k': b'v'}] 0\n")
        done = {e["task"]: e for e in c.find("task.done")}
        results = {t["name"]: done[t["task"]]["result"] for t in c.find("task.created") if t["task"] in done}
        self.assertEqual(results["noisy"], "<Noisy object>")
        self.assertEqual(results["plain"], "[1, 'two', (3.0, None), {'k': b'v'}]")

    def test_normal_program_sees_the_same_world(self) -> None:
        plain = self.check(["ident_ok.py", "alpha", "--beta"], cwd=P)
        self.assertIn(b"['ident_ok.py', 'alpha', '--beta']", plain.stdout)
        self.assertIn(b"Task-1 None", plain.stdout)

    def test_uncaught_exception_traceback(self) -> None:
        plain = self.check([os.path.join(P, "ident_raise.py")])
        self.assertEqual(plain.returncode, 1)
        self.assertIn(b"The above exception was the direct cause", plain.stderr)

    def test_sys_exit_3(self) -> None:
        self.assertEqual(self.check([os.path.join(P, "ident_exit3.py")]).returncode, 3)

    def test_system_exit_message(self) -> None:
        self.assertEqual(self.check([os.path.join(P, "ident_exit_msg.py")], connected=False).returncode, 1)

    def test_reads_stdin(self) -> None:
        plain = self.check([os.path.join(P, "ident_stdin.py")], stdin=b"one\ntwo\nthree\n")
        self.assertEqual(plain.stdout, b"ONE\nTWO\nTHREE\n")

    def test_keyboard_interrupt(self) -> None:
        self.assertEqual(self.check([os.path.join(P, "ident_interrupt.py")], connected=False).returncode, -2)

    def test_syntax_error(self) -> None:
        self.assertEqual(self.check([os.path.join(P, "ident_syntax.py")], connected=False).returncode, 1)

    def test_missing_script(self) -> None:
        plain = run_plain([os.path.join(P, "does_not_exist.py")])
        r = run_loopscope([os.path.join(P, "does_not_exist.py")])
        self.assertEqual(r.returncode, plain.returncode)
        self.assertIn(b"can't open file", r.stderr)

    def test_dash_m_module(self) -> None:
        self.assertEqual(self.check(["-m", "pkgdemo", "x", "y"], cwd=P).returncode, 1)

    def test_never_awaited_warning_text_unchanged(self) -> None:
        plain = self.check([str(EXAMPLES / "forgotten_await.py")])
        self.assertIn(b"was never awaited", plain.stderr)

    def test_never_awaited_with_user_origin_tracking(self) -> None:
        plain = self.check([os.path.join(P, "ident_origin.py")])
        self.assertIn(b"Coroutine created at (most recent call last)", plain.stderr)

    def test_unretrieved_exception_log_unchanged(self) -> None:
        plain = self.check([str(EXAMPLES / "unretrieved_exception.py")])
        self.assertIn(b"Task exception was never retrieved", plain.stderr)


if __name__ == "__main__":
    unittest.main()
