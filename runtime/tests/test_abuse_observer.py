# The debuggee outlives every observer: a debugger that reads the program's stdout/stderr pipes is
# killed (SIGKILL) before the handshake, while the program runs, while it is paused, during a step
# and during shutdown; the program must still run to its normal end with its own exit code, never
# failing on a write to the dead debugger's pipe. This test process is a child subreaper, so the
# orphaned program becomes its child and its real exit status can be read.
from __future__ import annotations

import ctypes
import os
import subprocess
import sys
import tempfile
import unittest
from typing import Tuple

from .helpers import PROGRAMS, _env

try:
    import uvloop  # noqa: F401
    HAVE_UVLOOP = True
except ImportError:
    HAVE_UVLOOP = False

STUB = os.path.join(os.path.dirname(os.path.abspath(__file__)), "observer_stub.py")
TARGET = str(PROGRAMS / "observed_target.py")
PR_SET_CHILD_SUBREAPER = 36
PHASES = ("handshake", "running", "paused", "step", "shutdown")


def become_subreaper() -> bool:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def run_and_kill_observer(phase: str, guard: bool = True, extra: Tuple[str, ...] = ()) -> Tuple[int, str]:
    """Runs the target under a stub debugger that kills itself at `phase`; returns the
    program's exit status and what it recorded on reaching its end."""
    fd, side = tempfile.mkstemp(prefix="loopscope-observed-")
    os.close(fd)
    try:
        env = _env()
        env["PYTHONPATH"] = env["PYTHONPATH"] + os.pathsep + os.path.dirname(STUB)
        stub = subprocess.Popen([sys.executable, STUB, phase, "guard" if guard else "none", TARGET, side, *extra],
                                stdout=subprocess.PIPE, env=env)
        assert stub.stdout is not None
        first = stub.stdout.readline().split()
        assert first and first[0] == b"pid", first
        pid = int(first[1])
        stub.wait(30)
        stub.stdout.close()
        _, status = os.waitpid(pid, 0)  # ours now: this process is the subreaper
        code = os.waitstatus_to_exitcode(status) if hasattr(os, "waitstatus_to_exitcode") else status >> 8
        with open(side) as f:
            return code, f.read()
    finally:
        os.unlink(side)


@unittest.skipUnless(sys.platform.startswith("linux"), "needs /proc and PR_SET_CHILD_SUBREAPER")
class ObserverDeathTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        if not become_subreaper():
            raise unittest.SkipTest("cannot become a child subreaper")

    def test_program_finishes_whatever_phase_the_debugger_dies_in(self) -> None:
        for phase in PHASES:
            with self.subTest(phase=phase):
                self.assertEqual(run_and_kill_observer(phase), (7, "finished"))

    @unittest.skipUnless(HAVE_UVLOOP, "uvloop is not installed for Python %d.%d" % sys.version_info[:2])
    def test_the_same_under_uvloop(self) -> None:
        # No tick control there, so no paused or step phase: the others, on a loop run by C.
        for phase in ("handshake", "running", "shutdown"):
            with self.subTest(phase=phase):
                self.assertEqual(run_and_kill_observer(phase, extra=("uvloop",)), (7, "finished"))

    def test_without_the_guard_the_program_would_fail(self) -> None:
        # The failure this guards against, so the test above can fail: the next print raises
        # BrokenPipeError and the program exits 1 without reaching its end.
        self.assertEqual(run_and_kill_observer("running", guard=False), (1, ""))


if __name__ == "__main__":
    unittest.main()
