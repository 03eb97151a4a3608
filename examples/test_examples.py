"""Runs every program in the examples/ gallery on the current interpreter and checks its
exit code, stdout and (for the deliberate bugs) the symptom on stderr, so the gallery
that tests, benchmarks and the README rely on is known to behave as documented.

Run: python -m unittest discover -s examples -p 'test_*.py'
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import unittest
from pathlib import Path

__all__ = ["ExamplesTest"]

HERE = Path(__file__).resolve().parent
BUG_MARKER = re.compile(r"#\s*BUG:")


def _run(name: str, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = dict(os.environ)
    full_env.pop("PYTHONASYNCIODEBUG", None)
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, str(HERE / name), *args],
        capture_output=True, text=True, timeout=60, cwd=str(HERE), env=full_env,
        stdin=subprocess.DEVNULL,
    )


def _marked_lines(name: str) -> list[int]:
    text = (HERE / name).read_text(encoding="utf-8").splitlines()
    return [i for i, line in enumerate(text, start=1) if BUG_MARKER.search(line)]


class ExamplesTest(unittest.TestCase):
    def assertRan(self, proc: subprocess.CompletedProcess[str], code: int, stdout: list[str]) -> None:
        detail = f"\n--- stdout ---\n{proc.stdout}\n--- stderr ---\n{proc.stderr}"
        self.assertEqual(proc.returncode, code, "exit code" + detail)
        self.assertEqual(proc.stdout.splitlines(), stdout, "stdout" + detail)

    def assertQuietStderr(self, proc: subprocess.CompletedProcess[str]) -> None:
        self.assertEqual(proc.stderr, "", "a correct example must not write to stderr")

    # --- correct programs -------------------------------------------------------------
    def test_tasks_gather(self) -> None:
        proc = _run("tasks_gather.py")
        self.assertRan(proc, 0, ["fetch-b done", "fetch-a done", "fetch-c done",
                                 "results: [10, 20, 30]", "total: 60"])
        self.assertQuietStderr(proc)

    def test_worker_pool(self) -> None:
        proc = _run("worker_pool.py")
        self.assertRan(proc, 0, ["processed 12 jobs, total 156", "workers cancelled: 3"])
        self.assertQuietStderr(proc)

    def test_many_tasks(self) -> None:
        proc = _run("many_tasks.py")
        self.assertRan(proc, 0, ["10000 tasks released, checksum 49995000"])
        self.assertQuietStderr(proc)
        proc = _run("many_tasks.py", "3", "1")
        self.assertRan(proc, 0, ["3 tasks released, checksum 3"])

    def test_callbacks_run_forever(self) -> None:
        proc = _run("callbacks_run_forever.py")
        self.assertRan(proc, 0, ["callback soon-1", "callback soon-2", "callback later-20ms",
                                 "callback stop", "stopped after 4 callbacks"])
        self.assertQuietStderr(proc)

    def test_explicit_loop(self) -> None:
        proc = _run("explicit_loop.py")
        self.assertRan(proc, 0, ["squares: [1, 4, 9, 16]", "sum of squares: 30"])
        self.assertQuietStderr(proc)

    def test_executor_threads(self) -> None:
        proc = _run("executor_threads.py")
        self.assertRan(proc, 0, ["executor results: [1, 4, 9]", "thread got: 42"])
        self.assertQuietStderr(proc)

    def test_streams_echo(self) -> None:
        proc = _run("streams_echo.py")
        self.assertRan(proc, 0, ["sent 'hello', got 'HELLO'", "sent 'async', got 'ASYNC'",
                                 "sent 'world', got 'WORLD'", "echoed 3 lines"])
        self.assertQuietStderr(proc)

    def test_subprocess_demo(self) -> None:
        proc = _run("subprocess_demo.py")
        self.assertRan(proc, 0, ["child reversed: epocspool", "child exited with 3"])
        self.assertQuietStderr(proc)

    def test_crawler_semaphore(self) -> None:
        proc = _run("crawler_semaphore.py")
        self.assertRan(proc, 0, ["first page: <html>page /p0</html>",
                                 "fetched 8 pages, 1360 bytes, max in flight 3"])
        self.assertQuietStderr(proc)

    def test_timeouts_cancellation(self) -> None:
        proc = _run("timeouts_cancellation.py")
        self.assertRan(proc, 0, ["wait_for timed out after 0.05 s",
                                 "task sleeper cancelled: True, cleaned up",
                                 "outer wait timed out, inner cancelled? False",
                                 "shielded task still finished: saved"])
        self.assertQuietStderr(proc)

    def test_taskgroup(self) -> None:
        if sys.version_info < (3, 11):
            proc = _run("taskgroup.py")
            self.assertEqual(proc.returncode, 0, proc.stderr)
            self.assertIn("needs Python 3.11+", proc.stdout)
            self.skipTest("asyncio.TaskGroup needs Python 3.11+")
        proc = _run("taskgroup.py")
        self.assertRan(proc, 0, ["group results: ['A', 'B', 'C']",
                                 "caught: ValueError('child-fail gave up')",
                                 "siblings cancelled: 2"])
        self.assertQuietStderr(proc)

    # --- deliberate bugs: the program "works", the symptom is the point ----------------
    def test_forgotten_await(self) -> None:
        proc = _run("forgotten_await.py")
        self.assertRan(proc, 0, ["saved 2 of 3 records"])
        [line] = _marked_lines("forgotten_await.py")
        self.assertIn(f"forgotten_await.py:{line}: RuntimeWarning: coroutine 'save' was never awaited",
                      proc.stderr)

    def test_blocking_sleep(self) -> None:
        proc = _run("blocking_sleep.py")
        self.assertRan(proc, 0, ["cache refreshed", "heartbeat stalled by the blocking call: True"])
        [line] = _marked_lines("blocking_sleep.py")
        marked = (HERE / "blocking_sleep.py").read_text(encoding="utf-8").splitlines()[line - 1]
        self.assertIn("time.sleep(0.3)", marked)
        self.assertQuietStderr(proc)

    def test_unretrieved_exception(self) -> None:
        proc = _run("unretrieved_exception.py")
        self.assertRan(proc, 0, ["inventory sync scheduled", "done, 0 errors reported"])
        self.assertIn("Task exception was never retrieved", proc.stderr)
        self.assertIn("ConnectionError: inventory service refused the connection", proc.stderr)
        self.assertEqual(len(_marked_lines("unretrieved_exception.py")), 1)

    def test_deadlock_times_out_by_itself(self) -> None:
        proc = _run("deadlock.py", "0.3")
        self.assertRan(proc, 1, ["deadlock: timed out after 0.3 s; still waiting: ping, pong"])
        self.assertQuietStderr(proc)
        self.assertEqual(len(_marked_lines("deadlock.py")), 2)

    def test_deadlock_timeout_from_environment(self) -> None:
        proc = _run("deadlock.py", env={"DEADLOCK_TIMEOUT": "0.2"})
        self.assertRan(proc, 1, ["deadlock: timed out after 0.2 s; still waiting: ping, pong"])

    def test_deadlock_rejects_a_bad_timeout(self) -> None:
        proc = _run("deadlock.py", "soon")
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("timeout must be a number of seconds, got 'soon'", proc.stderr)

    # --- the gallery itself ----------------------------------------------------------
    def test_every_example_is_tested_and_documented(self) -> None:
        programs = sorted(p.name for p in HERE.glob("*.py") if not p.name.startswith("test_"))
        tested = {name[len("test_"):] for name in dir(self) if name.startswith("test_")}
        for program in programs:
            stem = program[:-3]
            with self.subTest(program=program):
                self.assertTrue(any(t.startswith(stem) for t in tested), f"{program} has no test")
                source = (HERE / program).read_text(encoding="utf-8")
                self.assertTrue(source.startswith('"""'), f"{program} must open with a docstring")


if __name__ == "__main__":
    unittest.main()
