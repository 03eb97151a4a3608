# Behaviour identity: a program run under `python -m loopscope` (connected to a live consumer, or
# with no debugger at all) prints the same stdout/stderr bytes and exits with the same status as
# the plain `python program.py` run; IDENTITY_TABLE runs every probe program both ways.
from __future__ import annotations

import os
import re
import subprocess
import sys
import unittest
from typing import Dict, List, Optional

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


# --- the identity table ---------------------------------------------------------------------------

_ADDRESS = re.compile(rb"0x[0-9a-fA-F]+")
_PID = re.compile(rb"pid=\d+")

# Programs whose stdout/stderr/exit status must match the plain run byte for byte (addresses
# normalised), unobserved and with a live debugger attached.
IDENTITY_TABLE = [
    "ident_ok.py", "ident_raise.py", "ident_exit3.py", "ident_exit_msg.py", "ident_interrupt.py",
    "ident_kbi_gather.py", "ident_kbi_toplevel.py", "ident_exit_in_task.py", "ident_callback_exc.py",
    "ident_run_twice.py", "ident_thread_loops.py", "ident_signals.py", "ident_fork.py", "ident_fork_threads.py",
    "ident_never_retrieved.py", "ident_never_retrieved_at_exit.py", "ident_syntax.py", "ident_nested_run.py",
    "ident_closed_loop.py",
]


# Known gaps, by program: a predicate on the CPython version where its row is skipped (the row
# still runs on every other CPython).
# - ident_closed_loop, CPython < 3.11: an error raised by asyncio or threading under one of
#   loopscope's patches (call_soon, call_at, create_task, close, Thread.start) shows that patch's
#   frame. 3.11+ re-raises without it (the patch trims its own frame; before 3.11 a re-raise
#   restores the traceback it caught, and any other raise adds the frame back).
KNOWN_GAPS = {
    "ident_closed_loop.py": lambda v: v < (3, 11),
}


def normalised(b: bytes) -> str:
    return _PID.sub(b"pid=N", _ADDRESS.sub(b"0xADDR", b)).decode("utf-8", "replace")


class IdentityTableTest(unittest.TestCase):
    maxDiff = None
    # Each program's plain run, made once and compared with both observed runs.
    plain_runs: Dict[str, subprocess.CompletedProcess] = {}

    def compare(self, name: str, connected: bool) -> None:
        if KNOWN_GAPS.get(name, lambda v: False)(sys.version_info[:2]):
            self.skipTest("known gap on this CPython: %s" % name)
        if name not in self.plain_runs:
            self.plain_runs[name] = run_plain([name], cwd=P)
        plain = self.plain_runs[name]
        if connected:
            c = Consumer([name], cwd=P)
            got = (c.finish(), c.stdout, c.stderr)
        else:
            r = run_loopscope([name], cwd=P)
            got = (r.returncode, r.stdout, r.stderr)
        self.assertEqual(normalised(got[2]), normalised(plain.stderr), "stderr of %s" % name)
        self.assertEqual(normalised(got[1]), normalised(plain.stdout), "stdout of %s" % name)
        self.assertEqual(got[0], plain.returncode, "exit status of %s" % name)

    def test_unobserved(self) -> None:
        for name in IDENTITY_TABLE:
            with self.subTest(program=name):
                self.compare(name, connected=False)

    def test_with_a_debugger(self) -> None:
        for name in IDENTITY_TABLE:
            with self.subTest(program=name):
                self.compare(name, connected=True)
