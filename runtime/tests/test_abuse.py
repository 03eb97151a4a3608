# Abuse of the attach listener (`python -m loopscope --listen`): floods, oversized and partial lines,
# slow clients, garbage, wrong/missing tokens and protocols. Each case runs against a real debuggee
# and asserts that a real debugger is still served, that the debuggee's threads and memory return
# to their baseline, and that the program runs to its normal end with its own output and exit code.
# bench/abuse/run.py runs the same CASES and records memory before/peak/after.
from __future__ import annotations

import json
import os
import random
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import unittest
from typing import Any, Callable, Dict, List, NamedTuple, Optional

from loopscope import _wire

from .helpers import PROGRAMS, _env

TARGET = str(PROGRAMS / "abuse_target.py")
PREAUTH_MAX_BYTES = 64 * 1024
ATTACH_DEADLINE_S = 5.0


class AbuseTarget:
    """One debuggee listening for debuggers, with its memory and thread count readable."""

    def __init__(self, extra_flags: Optional[List[str]] = None) -> None:
        self.token = secrets.token_hex(16)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "loopscope", "--listen", "127.0.0.1:0"] + list(extra_flags or []) + [TARGET],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env=_env({"LOOPSCOPE_TOKEN": self.token}))
        assert self.proc.stderr is not None and self.proc.stdout is not None
        note = self.proc.stderr.readline().decode()
        m = re.match(r"loopscope: listening on ([0-9.]+):(\d+)", note)
        assert m, note
        self.port = int(m.group(2))
        assert self.proc.stdout.readline() == b"ready\n"

    def status(self, field: str) -> int:
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
        raise KeyError(field)

    def rss_kb(self) -> int:
        return self.status("VmRSS")

    def peak_kb(self) -> int:
        return self.status("VmHWM")

    def reset_peak(self) -> None:
        try:  # Linux >= 4.0: "5" resets VmHWM to the current RSS
            with open("/proc/%d/clear_refs" % self.proc.pid, "w") as f:
                f.write("5")
        except OSError:
            pass

    def threads(self) -> int:
        return self.status("Threads")

    def finish(self, timeout: float = 30) -> "tuple[int, bytes, bytes]":
        out, err = self.proc.communicate(b"", timeout=timeout)
        return self.proc.returncode, out, err

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.communicate()


def connect(port: int) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def read_line(s: socket.socket, timeout: float = 10) -> Optional[Dict[str, Any]]:
    """The first message (a handshake answer: nothing follows it before our reply), or None
    when the peer closed without one."""
    s.settimeout(timeout)
    buf = b""
    try:
        while not buf.endswith(b"\n"):
            chunk = s.recv(65536)
            if not chunk:
                return None
            buf += chunk
    except (ConnectionResetError, BrokenPipeError):
        return None
    return json.loads(buf.split(b"\n")[0])


def open_session(port: int, token: str, send: Callable[[socket.socket, bytes], None] = lambda s, b: s.sendall(b),
                 timeout: float = 10) -> socket.socket:
    """Connects and sends `attach` until hello comes back: while the runtime has not yet seen the
    previous debugger's socket close (its reader notices on its own schedule) it refuses with
    "another debugger is already attached", and the attempt is repeated."""
    deadline = time.monotonic() + timeout
    line = _wire.encode({"type": "attach", "protocol": 1, "token": token, "client": "abuse-test"})
    while True:
        s = connect(port)
        send(s, line)
        hello = read_line(s)
        if hello is not None and hello["type"] == "hello":
            return s
        s.close()
        busy = hello is not None and hello.get("reason") == "another debugger is already attached"
        assert busy and time.monotonic() < deadline, hello
        time.sleep(0.05)


def attach(port: int, token: str) -> float:
    """A real debugger's attach; returns how long until hello arrived (s). Detaches cleanly."""
    t0 = time.monotonic()
    s = open_session(port, token)
    took = time.monotonic() - t0
    try:
        s.sendall(_wire.encode({"type": "welcome", "protocol": 1})
                  + _wire.encode({"type": "request", "id": 1, "command": "snapshot", "args": {}}))
        rfile = s.makefile("rb")  # after hello, messages come several to a chunk
        while True:
            line = rfile.readline()
            assert line, "connection closed before the snapshot response"
            msg = json.loads(line)
            if msg["type"] == "response":
                assert msg["ok"], msg
                assert any(t["name"] == "ticker" for t in msg["body"]["tasks"]), "ticker missing"
                return took
    finally:
        s.close()


attach_when_free = attach


def expect_refused(s: socket.socket, reason_part: str, timeout: float = 10) -> str:
    msg = read_line(s, timeout)
    s.close()
    assert msg is not None and msg["type"] == "refused", msg
    assert reason_part in msg["reason"], msg["reason"]
    return msg["reason"]


# --- the cases: each takes a live target and returns a one-line outcome ---------------------

def case_flood_unfinished_lines(t: AbuseTarget) -> str:
    """200 connections, each sending 60 KiB without a newline and staying open; a real debugger
    attaches during the flood."""
    socks = []
    chunk = b"{" + b"x" * (60 * 1024)
    for _ in range(200):
        try:
            s = connect(t.port)
            s.sendall(chunk)
            socks.append(s)
        except OSError:
            pass
    took = attach(t.port, t.token)
    assert took < 2.0, "the debugger waited %.2f s during the flood" % took
    for s in socks:
        s.close()
    return "debugger served in %.0f ms during the flood" % (took * 1000)


def case_oversized_line(t: AbuseTarget) -> str:
    """30 connections each sending 1 MiB without a newline."""
    reasons = set()
    for _ in range(30):
        s = connect(t.port)
        try:
            s.sendall(b"a" * (1024 * 1024))
        except OSError:
            pass  # the runtime refused and closed mid-send: that is the point
        msg = read_line(s)
        s.close()
        if msg is not None:
            reasons.add(msg["reason"])
    assert reasons <= {"handshake message exceeds %d bytes" % PREAUTH_MAX_BYTES}, reasons
    attach(t.port, t.token)
    return "refused: %s" % "; ".join(sorted(reasons))


def case_slow_clients(t: AbuseTarget) -> str:
    """10 clients sending one byte every 0.5 s: the whole handshake has a deadline."""
    socks = [connect(t.port) for _ in range(10)]
    t0 = time.monotonic()
    closed = 0
    while closed < len(socks) and time.monotonic() - t0 < ATTACH_DEADLINE_S + 5:
        for s in socks:
            try:
                s.send(b" ")
            except OSError:
                pass
        time.sleep(0.5)  # the client's own pace, not synchronisation
        closed = sum(1 for s in socks if _peer_closed(s))
    took = time.monotonic() - t0
    for s in socks:
        s.close()
    assert closed == len(socks), "%d slow clients still connected after %.1f s" % (len(socks) - closed, took)
    assert took < ATTACH_DEADLINE_S + 2, took
    attach(t.port, t.token)
    return "all dropped after %.1f s" % took


def _peer_closed(s: socket.socket) -> bool:
    s.setblocking(False)
    try:
        data = s.recv(65536, socket.MSG_PEEK)
        return data == b"" or b"refused" in data
    except BlockingIOError:
        return False
    except OSError:
        return True
    finally:
        s.setblocking(True)


def case_garbage(t: AbuseTarget) -> str:
    """Random bytes, binary junk, JSON that is not an object, and a non-handshake message."""
    rng = random.Random(16)
    lines = [bytes(rng.randrange(256) for _ in range(200)).replace(b"\n", b"") + b"\n",
             b"\x00\xff\xfe\n", b"[1,2,3]\n", b"\"attach\"\n", b"{}\n",
             _wire.encode({"type": "request", "id": 1, "command": "snapshot", "args": {}}),
             _wire.encode({"type": "welcome", "protocol": 1})]
    for line in lines:
        s = connect(t.port)
        s.sendall(line)
        expect_refused(s, "")
    attach(t.port, t.token)
    return "%d garbage lines refused with a reason" % len(lines)


def case_bad_tokens(t: AbuseTarget) -> str:
    """Wrong token, missing token, empty token, token of another type, wrong protocol."""
    cases = [({"type": "attach", "protocol": 1, "token": "0" * 32}, "bad token"),
             ({"type": "attach", "protocol": 1, "token": ""}, ""),
             ({"type": "attach", "protocol": 1}, ""),
             ({"type": "attach", "protocol": 1, "token": 12345}, ""),
             ({"type": "attach", "protocol": 99, "token": t.token}, "protocol 99 not supported")]
    for msg, reason in cases:
        s = connect(t.port)
        s.sendall(json.dumps(msg).encode() + b"\n")
        expect_refused(s, reason)
    attach(t.port, t.token)
    return "%d refused with a reason" % len(cases)


def case_partial_lines(t: AbuseTarget) -> str:
    """A real attach split into one-byte writes (it must still work), then 100 connections that
    send half an attach and close."""
    s = open_session(t.port, t.token, send=lambda c, line: [c.sendall(bytes([b])) for b in line])
    s.close()
    half = _wire.encode({"type": "attach", "protocol": 1, "token": t.token})[:20]
    for _ in range(100):
        c = connect(t.port)
        c.sendall(half)
        c.close()
    attach(t.port, t.token)
    return "byte-by-byte attach served; 100 half lines dropped"


def case_connect_churn(t: AbuseTarget) -> str:
    """500 connect/close cycles, half with a reset (SO_LINGER 0)."""
    import struct
    for i in range(500):
        s = socket.socket()
        if i % 2:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        try:
            s.connect(("127.0.0.1", t.port))
        except OSError:
            pass
        s.close()
    attach(t.port, t.token)
    return "500 connections opened and closed"


def case_second_debugger(t: AbuseTarget) -> str:
    """While one debugger is attached, another attach gets a refusal naming why."""
    a = open_session(t.port, t.token)
    a.sendall(_wire.encode({"type": "welcome", "protocol": 1}))
    b = connect(t.port)
    b.sendall(_wire.encode({"type": "attach", "protocol": 1, "token": t.token}))
    reason = expect_refused(b, "another debugger is already attached")
    a.close()
    attach_when_free(t.port, t.token)
    return "refused: %s" % reason


class Case(NamedTuple):
    name: str
    sent: str
    run: Callable[[AbuseTarget], str]


CASES = [
    Case("flood", "200 connections x 60 KiB unfinished line, kept open; real attach during it", case_flood_unfinished_lines),
    Case("oversized", "30 connections x 1 MiB without newline", case_oversized_line),
    Case("slow-clients", "10 clients, 1 byte per 0.5 s", case_slow_clients),
    Case("garbage", "random bytes, non-object JSON, non-handshake messages", case_garbage),
    Case("bad-tokens", "wrong/empty/missing/non-string token, protocol 99", case_bad_tokens),
    Case("partial-lines", "attach in 1-byte writes; 100 half attach lines then close", case_partial_lines),
    Case("churn", "500 connect/close (half with RST)", case_connect_churn),
    Case("second-debugger", "attach while another debugger is attached", case_second_debugger),
]


def settle(t: AbuseTarget, baseline_threads: int, timeout: float = 10) -> int:
    """Waits (bounded) for the debuggee's thread count to come back to its baseline."""
    deadline = time.monotonic() + timeout
    while True:
        n = t.threads()
        if n <= baseline_threads or time.monotonic() > deadline:
            return n
        time.sleep(0.05)  # polling /proc: the debuggee has no event to wait on here


class ListenerAbuseTest(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls) -> None:
        if not sys.platform.startswith("linux"):
            raise unittest.SkipTest("reads /proc for memory and threads")
        cls.t = AbuseTarget()
        attach(cls.t.port, cls.t.token)  # the first attach starts the stall watchdog for good
        cls.baseline_threads = cls.t.threads()
        cls.baseline_rss = cls.t.rss_kb()

    @classmethod
    def tearDownClass(cls) -> None:
        cls.t.kill()

    def run_case(self, case: Case) -> None:
        outcome = case.run(self.t)
        self.assertTrue(outcome)
        self.assertIsNone(self.t.proc.poll(), "the debuggee died during %s" % case.name)
        threads = settle(self.t, self.baseline_threads)
        # A debugger that just detached may still be winding down its reader thread.
        self.assertLessEqual(threads, self.baseline_threads + 1, "threads left behind by %s" % case.name)
        self.assertLess(self.t.rss_kb(), self.baseline_rss + 8 * 1024, "memory kept after %s" % case.name)

    def test_00_cases(self) -> None:
        for case in CASES:
            with self.subTest(case=case.name):
                self.run_case(case)

    def test_99_program_ends_normally(self) -> None:
        rc, out, err = self.t.finish()
        self.assertEqual(out, b"done True\n")
        self.assertEqual(rc, 5, err)
        self.assertNotIn(b"Traceback", err)


class ListenFlagTest(unittest.TestCase):
    def private_tmp(self) -> Dict[str, str]:
        """An environment whose TMPDIR is a fresh folder of this test's own: the token file would go
        there, and no other run (the suites run side by side on several CPythons) writes to it."""
        import tempfile
        tmp = tempfile.mkdtemp(prefix="loopscope-tokens-")
        self.addCleanup(shutil.rmtree, tmp, True)
        self.tmp = tmp
        return _env({"TMPDIR": tmp})

    def test_out_of_range_port_is_a_usage_error_and_leaves_no_token_file(self) -> None:
        r = subprocess.run([sys.executable, "-m", "loopscope", "--listen", "127.0.0.1:99999", TARGET],
                           input=b"", capture_output=True, env=self.private_tmp(), timeout=30)
        self.assertEqual(r.returncode, 2)
        self.assertIn(b"--listen 127.0.0.1:99999: port 99999 is out of range", r.stderr)
        self.assertNotIn(b"Traceback", r.stderr)
        self.assertEqual(os.listdir(self.tmp), [])

    def test_port_in_use_runs_the_program_and_leaves_no_token_file(self) -> None:
        busy = socket.socket()
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        self.addCleanup(busy.close)
        r = subprocess.run([sys.executable, "-m", "loopscope", "--listen", "127.0.0.1:%d" % busy.getsockname()[1],
                            TARGET], input=b"", capture_output=True, env=self.private_tmp(), timeout=30)
        self.assertEqual((r.returncode, r.stdout), (5, b"ready\ndone True\n"), r.stderr)
        self.assertIn(b"loopscope: cannot listen:", r.stderr)
        self.assertEqual(os.listdir(self.tmp), [])

    def test_generated_token_file_is_removed_at_exit(self) -> None:
        r = subprocess.run([sys.executable, "-m", "loopscope", "--listen", "127.0.0.1:0", TARGET],
                           input=b"", capture_output=True, env=_env(), timeout=30)
        self.assertEqual(r.returncode, 5, r.stderr)
        m = re.search(rb"token file (\S+)\)", r.stderr)
        self.assertIsNotNone(m, r.stderr)
        assert m is not None
        self.assertFalse(os.path.exists(m.group(1)), "token file left behind")


if __name__ == "__main__":
    unittest.main()
