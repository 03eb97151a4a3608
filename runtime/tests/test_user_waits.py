# Waits named at the level the user wrote them: `await queue.join()` is Queue.join (Event.wait is
# inside, in the await chain), `await server.serve_forever()` is Server.serve_forever, an aiohttp
# body read is an aiohttp read (stream.read), not a bare Future.
from __future__ import annotations

import sys
import unittest

from .helpers import PROGRAMS, Consumer, line_of

PROG = str(PROGRAMS / "user_waits.py")
try:
    import aiohttp  # noqa: F401
    HAVE_AIOHTTP = True
except ImportError:
    HAVE_AIOHTTP = False


class UserLevelWaitsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        c = cls.c = Consumer([PROG])
        label = lambda want: (lambda w: w is not None and w["label"].startswith(want))  # noqa: E731
        main = c.task_by_coro("main")
        cls.join = c.wait_event("task.state", task=main["task"], waitingOn=label("Queue.join"))
        cls.serving = c.wait_event("task.state", task=c.task_named("serving")["task"],
                                   waitingOn=label("Server.serve_forever"))
        cls.fetch = None
        if HAVE_AIOHTTP:
            cls.fetch = c.wait_event("task.state", task=c.task_named("fetch")["task"], waitingOn=label("aiohttp"))
        c.request("cancelTask", {"task": c.task_named("hold")["task"]})
        cls.rc = c.finish()

    def test_program_finished(self) -> None:
        self.assertEqual(self.rc, 0, self.c.stderr)
        self.assertEqual(self.c.stdout, (b"body abcd\n" if HAVE_AIOHTTP else b"") + b"done\n")

    def test_queue_join_at_the_users_line(self) -> None:
        w = self.join["waitingOn"]
        self.assertEqual((w["kind"], w["label"]), ("other", "Queue.join"))
        self.assertEqual(w["site"], {"file": PROG, "line": line_of(PROG, "# @join")})

    def test_serve_forever(self) -> None:
        w = self.serving["waitingOn"]
        self.assertEqual(w["kind"], "socket.read")
        self.assertIn("127.0.0.1:", w["detail"])

    @unittest.skipUnless(HAVE_AIOHTTP, "aiohttp is not installed for Python %d.%d" % sys.version_info[:2])
    def test_aiohttp_read(self) -> None:
        assert self.fetch is not None
        w = self.fetch["waitingOn"]
        self.assertEqual((w["kind"], w["label"]), ("stream.read", "aiohttp ClientResponse.read"))
        self.assertEqual(w["site"], {"file": PROG, "line": line_of(PROG, "# @aiohttp")})


if __name__ == "__main__":
    unittest.main()
