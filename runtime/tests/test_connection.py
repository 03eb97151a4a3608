# The link itself: launch handshake failures (refused, protocol mismatch, missing or unsafe
# token, non-loopback address) never change the program's outcome; attach mode via --listen and
# loopscope.listen() with token and protocol checks; uvloop; bounded retention with many tasks.
from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import unittest
from typing import Any, Dict, List, Optional

from loopscope import _wire

from .helpers import DEFAULT_TIMEOUT, PROGRAMS, Consumer, _env, run_loopscope, run_plain

EXIT3 = str(PROGRAMS / "exit_after_work.py")
SERVICE = str(PROGRAMS / "service.py")


class LaunchHandshakeTest(unittest.TestCase):
    def test_refused_by_debugger_runs_unobserved(self) -> None:
        c = Consumer([EXIT3], refuse="bad token")
        rc = c.finish()
        self.assertEqual(rc, 3)
        self.assertEqual(c.stdout, b"finished work\n")
        self.assertEqual(c.stderr.decode(), "loopscope: the debugger refused the connection: bad token; "
                                             "running the program without the debugger\n")

    def test_protocol_mismatch_in_welcome(self) -> None:
        c = Consumer([EXIT3], protocol=2)
        rc = c.finish()
        self.assertEqual(rc, 3)
        self.assertIn(b"protocol 2 not supported; this runtime speaks 1", c.stderr)
        self.assertEqual(c.events, [], "no events after a failed handshake")

    def test_hello_carries_identity_and_token(self) -> None:
        c = Consumer([EXIT3, "arg"])
        self.assertEqual(c.finish(), 3)
        h = c.hello
        assert h is not None
        self.assertEqual(h["token"], c.token)
        self.assertEqual(h["protocol"], 1)
        self.assertEqual(h["argv"], [EXIT3, "arg"])
        self.assertEqual(h["python"], "%d.%d.%d" % sys.version_info[:3])
        self.assertEqual(h["pid"], c.proc.pid)
        self.assertTrue(h["capabilities"]["tickControl"])
        self.assertEqual(h["capabilities"]["eagerTasks"], sys.version_info >= (3, 12))

    def test_missing_token(self) -> None:
        r = run_loopscope(["--connect", "127.0.0.1:9", EXIT3])
        self.assertEqual(r.returncode, 3)
        self.assertEqual(r.stdout, b"finished work\n")
        self.assertIn(b"no token: set LOOPSCOPE_TOKEN or LOOPSCOPE_TOKEN_FILE", r.stderr)

    def test_token_file_must_be_private(self) -> None:
        with tempfile.NamedTemporaryFile("w", delete=False) as f:
            f.write("abc")
        self.addCleanup(os.unlink, f.name)
        os.chmod(f.name, 0o644)
        r = run_loopscope(["--connect", "127.0.0.1:9", "--token-file", f.name, EXIT3])
        self.assertEqual(r.returncode, 3)
        self.assertIn(("chmod 600 %s" % f.name).encode(), r.stderr)

    def test_non_loopback_refused(self) -> None:
        r = run_loopscope(["--connect", "10.1.2.3:9", EXIT3], extra_env={"LOOPSCOPE_TOKEN": "x"})
        self.assertEqual(r.returncode, 3)
        self.assertIn(b"refusing non-loopback address 10.1.2.3", r.stderr)

    def test_nobody_listening(self) -> None:
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        r = run_loopscope(["--connect", "127.0.0.1:%d" % port, EXIT3], extra_env={"LOOPSCOPE_TOKEN": "x"})
        self.assertEqual(r.returncode, 3)
        self.assertIn(b"cannot connect to the debugger", r.stderr)

    def test_usage_error(self) -> None:
        r = run_loopscope(["--bogus", EXIT3])
        self.assertEqual(r.returncode, 2)
        self.assertIn(b"unknown option --bogus", r.stderr)
        self.assertIn(b"usage: python -m loopscope", r.stderr)


class _Attacher:
    """Debugger side of attach mode."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=DEFAULT_TIMEOUT)
        self.rfile = self.sock.makefile("rb")

    def send(self, msg: Dict[str, Any]) -> None:
        self.sock.sendall(_wire.encode(msg))

    def recv(self) -> Dict[str, Any]:
        line = self.rfile.readline()
        if not line:
            raise EOFError
        return _wire.decode(line)

    def events_until(self, pred) -> List[Dict[str, Any]]:
        seen: List[Dict[str, Any]] = []
        while True:
            msg = self.recv()
            if msg["type"] == "events":
                seen.extend(msg["events"])
                for e in msg["events"]:
                    if pred(e):
                        return seen

    def close(self) -> None:
        self.rfile.close()
        self.sock.close()


class AttachTest(unittest.TestCase):
    def start_service(self):
        proc = subprocess.Popen([sys.executable, SERVICE], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env=_env())
        self.addCleanup(lambda: (proc.poll() is None and proc.kill(), proc.wait(),
                                 proc.stdout.close(), proc.stderr.close()))
        line = proc.stdout.readline().decode().split()
        self.assertEqual(line[0], "listening", line)
        host, port, token_file = line[1], int(line[2]), line[3]
        self.addCleanup(lambda: os.path.exists(token_file) and os.unlink(token_file))
        self.assertEqual(os.stat(token_file).st_mode & 0o777, 0o600)
        err = proc.stderr.readline().decode()
        self.assertEqual(err, "loopscope: listening on %s:%d (token file %s)\n" % (host, port, token_file))
        with open(token_file) as f:
            token = f.read()
        return proc, port, token

    def test_listen_api_attach_and_control(self) -> None:
        proc, port, token = self.start_service()
        bad = _Attacher(port)
        bad.send({"type": "attach", "protocol": 1, "token": "0" * 32})
        self.assertEqual(bad.recv(), {"type": "refused", "reason": "bad token"})
        bad.close()
        old = _Attacher(port)
        old.send({"type": "attach", "protocol": 2, "token": token})
        self.assertEqual(old.recv()["reason"], "protocol 2 not supported; this runtime speaks 1")
        old.close()

        a = _Attacher(port)
        a.send({"type": "attach", "protocol": 1, "token": token, "client": "test"})
        hello = a.recv()
        self.assertEqual(hello["type"], "hello")
        self.assertNotIn("token", hello)
        self.assertEqual(hello["pid"], proc.pid)
        second = _Attacher(port)
        second.send({"type": "attach", "protocol": 1, "token": token})
        a.send({"type": "welcome", "protocol": 1})
        self.assertEqual(second.recv()["reason"], "another debugger is already attached")
        second.close()
        # Everything that existed before the attach is announced.
        seen = a.events_until(lambda e: e["kind"] == "task.created" and e["name"] == "serve")
        self.assertIn("loop.created", [e["kind"] for e in seen])
        serve = [e for e in seen if e.get("name") == "serve"][0]
        a.close()
        # The debugger went away; a new one attaches and is told everything again.
        for _attempt in range(200):  # until the runtime has noticed the first one left
            a = _Attacher(port)
            a.send({"type": "attach", "protocol": 1, "token": token})
            reply = a.recv()
            if reply["type"] == "hello":
                break
            self.assertEqual(reply["reason"], "another debugger is already attached")
            a.close()
        self.assertEqual(reply["type"], "hello")
        a.send({"type": "welcome", "protocol": 1})
        seen = a.events_until(lambda e: e["kind"] == "task.created" and e["name"] == "serve")
        self.assertEqual([e["task"] for e in seen if e.get("name") == "serve"], [serve["task"]])
        a.send({"type": "request", "id": 1, "command": "cancelTask", "args": {"task": serve["task"]}})
        while True:
            msg = a.recv()
            if msg["type"] == "response":
                self.assertEqual(msg, {"type": "response", "id": 1, "ok": True, "body": {"cancelled": True}})
                break
        # loopscope.listen() in a plain `python service.py`: the last events are flushed at exit,
        # then the connection closes (no process.exit: only `python -m loopscope` knows the code).
        with self.assertRaises(EOFError):
            a.events_until(lambda e: False)
        a.close()
        self.assertEqual(proc.wait(DEFAULT_TIMEOUT), 0)
        self.assertIn(b"stopped by the debugger", proc.stdout.read())

    def test_cli_listen_with_env_token(self) -> None:
        env = _env({"LOOPSCOPE_TOKEN": "f" * 32})
        proc = subprocess.Popen([sys.executable, "-m", "loopscope", "--listen", "127.0.0.1:0",
                                 str(PROGRAMS / "many_tasks.py"), "10"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        self.addCleanup(lambda: (proc.poll() is None and proc.kill(), proc.wait(),
                                 proc.stdout.close(), proc.stderr.close()))
        err = proc.stderr.readline().decode()
        m = re.match(r"loopscope: listening on 127\.0\.0\.1:(\d+)\n", err)
        self.assertIsNotNone(m, err)
        a = _Attacher(int(m.group(1)))
        a.send({"type": "attach", "protocol": 1, "token": "f" * 32})
        self.assertEqual(a.recv()["type"], "hello")
        a.send({"type": "welcome", "protocol": 1})
        seen = a.events_until(lambda e: e["kind"] == "task.created" and e["name"] == "gate")
        gate = [e for e in seen if e.get("name") == "gate"][0]
        a.send({"type": "request", "id": 7, "command": "cancelTask", "args": {"task": gate["task"]}})
        a.events_until(lambda e: e["kind"] == "process.exit")
        a.close()
        self.assertEqual(proc.wait(DEFAULT_TIMEOUT), 0)
        self.assertEqual(proc.stdout.read(), b"created 10\n")


class ListenStopOnEntryTest(unittest.TestCase):
    def test_waits_for_attach_then_holds_first_tick(self) -> None:
        env = _env({"LOOPSCOPE_TOKEN": "e" * 32})
        proc = subprocess.Popen([sys.executable, "-m", "loopscope", "--listen", "127.0.0.1:0", "--stop-on-entry",
                                 EXIT3], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        self.addCleanup(lambda: (proc.poll() is None and proc.kill(), proc.wait(),
                                 proc.stdout.close(), proc.stderr.close()))
        m = re.match(r"loopscope: listening on 127\.0\.0\.1:(\d+)\n", proc.stderr.readline().decode())
        self.assertIsNotNone(m)
        self.assertEqual(proc.stderr.readline(), b"loopscope: waiting for a debugger to attach (--stop-on-entry)\n")
        self.assertIsNone(proc.poll())
        a = _Attacher(int(m.group(1)))
        a.send({"type": "attach", "protocol": 1, "token": "e" * 32})
        self.assertEqual(a.recv()["type"], "hello")
        a.send({"type": "welcome", "protocol": 1, "options": {"stopOnEntry": True}})
        seen = a.events_until(lambda e: e["kind"] == "paused")
        self.assertEqual([e["reason"] for e in seen if e["kind"] == "paused"], ["entry"])
        a.send({"type": "request", "id": 1, "command": "continue", "args": {}})
        a.events_until(lambda e: e["kind"] == "process.exit")
        a.close()
        self.assertEqual(proc.wait(DEFAULT_TIMEOUT), 3)
        self.assertEqual(proc.stdout.read(), b"finished work\n")


class RetentionTest(unittest.TestCase):
    def test_finished_tasks_bounded_counts_exact(self) -> None:
        n = 5000
        c = Consumer([str(PROGRAMS / "many_tasks.py"), str(n)], options={"maxFinishedTasks": 50})
        self.addCleanup(c.kill)
        gate = c.task_named("gate", timeout=60)
        c.wait_event("task.state", task=gate["task"])
        snap = c.request("snapshot")
        finished = [t for t in snap["tasks"] if t["state"] == "done"]
        self.assertEqual(len(finished), 50)
        self.assertEqual(snap["stats"]["retainedFinished"], 50)
        self.assertEqual(snap["stats"]["tasksTotal"], n + 2)
        self.assertEqual(snap["stats"]["tasksLive"], 2)
        self.assertEqual(max(t["task"] for t in finished), max(t["task"] for t in finished[-1:]))
        c.request("cancelTask", {"task": gate["task"]})
        self.assertEqual(c.finish(), 0)
        created = c.find("task.created")
        stats = c.find("stats")[-1]
        # + asyncio.run's shutdown_asyncgens and shutdown_default_executor tasks
        self.assertEqual(stats["tasksTotal"], n + 4)
        # Each task announced or counted (tasks.unlisted), none dropped.
        unlisted = sum(u["count"] for u in c.find("tasks.unlisted"))
        self.assertEqual(sum(b["dropped"] for b in c.batches), 0)
        self.assertEqual(len(created) + unlisted, n + 4)


try:
    import uvloop  # noqa: F401
    HAVE_UVLOOP = True
except ImportError:
    HAVE_UVLOOP = False


@unittest.skipUnless(HAVE_UVLOOP, "uvloop is not installed for this interpreter")
class UvloopTest(unittest.TestCase):
    def test_task_life_reported_tick_control_unsupported(self) -> None:
        prog = str(PROGRAMS / "uvloop_app.py")
        c = Consumer([prog], options={"stopOnEntry": True})
        lp = c.wait_event("loop.created", cls=lambda s: "uvloop" in s)
        self.assertFalse(lp["tickControl"])
        err = c.request("stepTick", {"loop": lp["loop"]}, ok=False)
        self.assertEqual(err["error"], "tick control is not supported on uvloop.Loop")
        gate = c.task_named("gate")
        self.assertEqual(c.request("cancelTask", {"task": gate["task"]}), {"cancelled": True})
        self.assertEqual(c.finish(), 0)
        self.assertEqual(c.stdout, b"2 uvloop\ngate cancelled\n")
        child = c.find("task.created", name="uv-child")
        self.assertEqual(len(child), 1)
        self.assertEqual(c.find("task.done", task=child[0]["task"])[0]["result"], "2")



class ExitBurstTest(unittest.TestCase):
    def test_every_task_of_a_burst_at_exit_is_delivered_or_counted(self) -> None:
        c = Consumer([str(PROGRAMS / "burst_at_exit.py")])
        self.assertEqual(c.finish(), 0)
        self.assertEqual(c.stdout, b"done\n")
        seqs = [b["seq"] for b in c.batches]
        self.assertEqual(seqs, list(range(seqs[0], seqs[0] + len(seqs))), "no batch lost")
        stats = c.find("stats")[-1]
        created = len(c.find("task.created"))
        unlisted = sum(u["count"] for u in c.find("tasks.unlisted"))
        self.assertEqual(stats["tasksTotal"], 30003)
        # Every task is either announced or counted (tasks.unlisted); none is dropped, and each
        # announced one is also told to have ended.
        self.assertEqual(sum(b["dropped"] for b in c.batches), 0)
        self.assertEqual(created + unlisted, stats["tasksTotal"])
        self.assertEqual(len(c.find("task.done")), created)
        self.assertEqual(c.batches[-1]["events"][-1]["kind"] in ("stats", "process.exit"), True)
        self.assertEqual(len(c.find("process.exit")), 1)

if __name__ == "__main__":
    unittest.main()
