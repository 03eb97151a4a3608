# Origins of tasks made where no task runs: the start_server handler task and the server's own
# tasks get the start_server line and the task that started the server; a task created in a
# protocol callback gets its line and that task; one created in a call_soon or call_later callback
# (or in a callback such a callback scheduled) gets its line and the task that scheduled it;
# run_coroutine_threadsafe's task gets the calling line in the other thread and the task that
# started that thread; a task created inside the handler gets its line and the handler.
from __future__ import annotations

import sys
import unittest
from typing import List

from .helpers import PROGRAMS, Consumer, line_of

PROG = str(PROGRAMS / "origins.py")


try:
    import uvloop  # noqa: F401
    HAVE_UVLOOP = True
except ImportError:
    HAVE_UVLOOP = False


class OriginsTest(unittest.TestCase):
    def test_tasks_made_outside_any_task_have_their_line_and_closest_parent(self) -> None:
        self._check([PROG], "main", uvloop=False)

    @unittest.skipUnless(HAVE_UVLOOP, "uvloop is not installed for Python %d.%d" % sys.version_info[:2])
    def test_the_same_under_uvloop(self) -> None:
        # uvloop.run() wraps main(); its callbacks are run by C, so the walk for a line stops at
        # the frame that started the loop (not the uvloop.run() line below it)
        self._check([PROG, "uvloop"], "run.<locals>.wrapper", uvloop=True)

    def _check(self, argv: List[str], main_coro: str, uvloop: bool) -> None:
        c = Consumer(argv)
        self.assertEqual(c.finish(), 0)
        self.assertEqual(c.stdout, b"ok thread\n")
        created = c.find("task.created")
        main = [e for e in created if e["coro"] == main_coro][0]
        at = lambda marker: {"file": PROG, "line": line_of(PROG, marker)}  # noqa: E731
        handler = [e for e in created if e["coro"] == "handle"]
        self.assertEqual(len(handler), 1)
        self.assertEqual(handler[0]["site"], at("# START SERVER"))
        self.assertEqual(handler[0]["parent"], main["task"])
        leaves = {e["site"]["line"]: e for e in created if e["coro"] == "leaf" and e["site"]}
        in_handler = leaves[line_of(PROG, "# HANDLER CREATE")]
        self.assertEqual(in_handler["parent"], handler[0]["task"])
        proto = leaves[line_of(PROG, "# PROTOCOL CREATE")]
        self.assertEqual(proto["parent"], main["task"], "the task that started the server")
        for marker in ("# THREAD CREATE", "# CALLBACK CREATE", "# CHAINED CREATE", "# TIMER CREATE"):
            self.assertIn(line_of(PROG, marker), leaves, marker)
            # under uvloop a call_soon callback's scheduler is not known (docs/protocol.md)
            unknown = uvloop and marker in ("# CALLBACK CREATE", "# CHAINED CREATE")
            self.assertEqual(leaves[line_of(PROG, marker)]["parent"], None if unknown else main["task"], marker)
        for e in created:
            if "accept_connection" in e["coro"] or "create_server" in e["coro"]:
                self.assertIsNotNone(e["site"], e)
                self.assertEqual(e["parent"], main["task"], e)


if __name__ == "__main__":
    unittest.main()
