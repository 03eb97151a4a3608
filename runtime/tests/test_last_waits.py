# Exact waits: a task's wait is recorded as it ends (just before the step it wakes), not sampled by
# a flush, so the last wait of every finished task (main's too) is the same in 20 runs in a row of
# the worker pool example and of a start_server service with short-lived handler tasks (also
# under uvloop, where the loop's scheduler is C and each task's coroutine is wrapped instead).
from __future__ import annotations

import re
import sys
import unittest
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Dict, List, Optional, Tuple

from .helpers import EXAMPLES, PROGRAMS, Consumer, line_of

try:
    import uvloop  # noqa: F401
    HAVE_UVLOOP = True
except ImportError:
    HAVE_UVLOOP = False

RUNS = 20
WORKER_POOL = str(EXAMPLES / "worker_pool.py")
HANDLERS = str(PROGRAMS / "short_handlers.py")
ENDING = str(PROGRAMS / "ending_waits.py")
# (coroutine, creation line, explicit name) -> (kind, label, line of the wait): the identity of a
# wait. Details (a queue's size, a sleep's deadline) describe the moment, not the wait.
Row = Tuple[Tuple[str, Optional[int], str], Optional[Tuple[str, str, Optional[int]]]]


def _last_waits(argv: List[str]) -> Tuple[int, bytes, List[Row]]:
    c = Consumer(argv)
    try:
        rc = c.finish()
    except BaseException:
        c.kill()
        raise
    done = {e["task"]: e for e in c.find("task.done")}
    rows: List[Row] = []
    for e in c.find("task.created"):
        name = "" if re.fullmatch(r"Task-\d+", e["name"]) else e["name"]
        d = done.get(e["task"])
        assert d is not None, "task %r never finished: %s" % (e, c.stderr[-2000:])
        w: Optional[Dict[str, Any]] = d["lastWaitingOn"]
        wait = None if w is None else (w["kind"], w["label"], w["site"]["line"] if "site" in w else None)
        rows.append(((e["coro"], e["site"]["line"] if e["site"] else None, name), wait))
    return rc, c.stdout, sorted(rows, key=repr)


class LastWaitsTest(unittest.TestCase):
    def _twenty(self, *argv: str) -> List[Row]:
        # In parallel (two at a time per core would starve the loops under test of nothing but
        # time: the waits do not depend on timing, which is the point).
        with ThreadPoolExecutor(max_workers=4) as pool:
            runs = list(pool.map(_last_waits, [list(argv)] * RUNS))
        for rc, out, _rows in runs:
            self.assertEqual(rc, 0, out)
        first = runs[0][2]
        for i, (_rc, _out, rows) in enumerate(runs[1:], 2):
            self.assertEqual(rows, first, "run %d differs from run 1" % i)
        return first

    def test_worker_pool(self) -> None:
        rows = dict(self._twenty(WORKER_POOL))
        line = lambda text: line_of(WORKER_POOL, text)  # noqa: E731
        main = [w for (coro, _l, _n), w in rows.items() if coro == "main"]
        # After queue.join() main gathers the cancelled workers: that is its last wait.
        self.assertEqual(main, [("gather", "gather(3)", line("await asyncio.gather(*workers"))])
        for n in (1, 2, 3):
            key = ("worker", line("asyncio.create_task(worker("), "worker-%d" % n)
            self.assertEqual(rows[key], ("queue.get", "Queue.get", line("job = await queue.get()")))
        key = ("producer", line("asyncio.create_task(producer("), "producer")
        self.assertEqual(rows[key], ("sleep", "sleep 0.005 s", line("await asyncio.sleep(0.005)")))

    def test_short_lived_handler_tasks(self) -> None:
        self._check_handlers(self._twenty(HANDLERS))

    @unittest.skipUnless(HAVE_UVLOOP, "uvloop is not installed for Python %d.%d" % sys.version_info[:2])
    def test_short_lived_handler_tasks_under_uvloop(self) -> None:
        self._check_handlers(self._twenty(HANDLERS, "uvloop"))

    def _check_handlers(self, rows: List[Row]) -> None:
        line = lambda marker: line_of(HANDLERS, marker)  # noqa: E731
        by_coro: Dict[str, List[Any]] = {}
        for (coro, _l, _n), w in rows:
            by_coro.setdefault(coro, []).append(w)
        main = "main" if "main" in by_coro else "run.<locals>.wrapper"  # uvloop.run() wraps main()
        self.assertEqual(by_coro[main], [("gather", "gather(8)", line("# @gather"))])
        closed = ("stream.write", "StreamWriter.wait_closed")
        self.assertEqual(by_coro["handle"], [closed + (line("# @handler-closed"),)] * 8)
        self.assertEqual(by_coro["client"], [closed + (line("# @client-closed"),)] * 8)
        accepts = [w for coro, ws in by_coro.items() if coro.endswith("_accept_connection2") for w in ws]
        if accepts:  # asyncio's own accept tasks (3.9-3.13 selector loops): not a bare Future
            self.assertEqual(set(accepts), {("socket.read", "Server: accepted connection setup", None)})
        for coro, ws in by_coro.items():
            self.assertNotIn("future", [w[0] for w in ws if w is not None], coro)


class EndingWaitsTest(unittest.TestCase):
    def test_bare_futures_are_named_by_what_made_them(self) -> None:
        rc, out, rows = _last_waits([ENDING])
        self.assertEqual((rc, out), (0, b"ok\n"))
        waits = {n: w for (_c, _l, n), w in rows if n}
        line = lambda marker: line_of(ENDING, marker)  # noqa: E731
        self.assertEqual(waits["executor"], ("executor", "executor job", line("# @executor")))
        self.assertEqual(waits["to_thread"], ("executor", "to_thread", line("# @to_thread")))
        self.assertEqual(waits["communicate"], ("subprocess", "Process.communicate", line("# @communicate")))
        self.assertEqual(waits["start"], ("subprocess", "subprocess start", line("# @start")))
        self.assertEqual(waits["connect"], ("stream.read", "StreamReader.read", line("# @read")))
        shutdown = [w for (c, _l, _n), w in rows if c.endswith("shutdown_default_executor")]
        self.assertIn(shutdown, ([], [None], [("executor", "loop.shutdown_default_executor", None)]))
        self.assertNotIn("future", [w[0] for _k, w in rows if w is not None], rows)


if __name__ == "__main__":
    unittest.main()
