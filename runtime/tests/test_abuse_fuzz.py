# Fuzz pass, fixed seed and fixed time: random and mutated wire messages against a real debuggee's
# attach listener (before authentication) and over an authenticated connection (requests with
# random commands, ids and arguments, garbage lines), then random DAP requests against the real
# adapter. Asserts: every request that carries an integer id is answered; the runtime and the
# adapter stay up; the program runs to its normal end with its own output and exit code.
#   LOOPSCOPE_FUZZ_SECONDS (default 4 per phase), LOOPSCOPE_FUZZ_SEED (default 1604).
from __future__ import annotations

import json
import os
import random
import shutil
import socket
import subprocess
import sys
import time
import unittest
from typing import Any, Dict, List, Optional

from loopscope import _wire

from .helpers import ROOT
from .test_abuse import AbuseTarget, attach_when_free, connect, read_line

SECONDS = float(os.environ.get("LOOPSCOPE_FUZZ_SECONDS", "4"))
SEED = int(os.environ.get("LOOPSCOPE_FUZZ_SEED", "1604"))
# Never cancelTask with a real id: cancelling the program's own task is an honoured request.
COMMANDS = ["pause", "continue", "stepTick", "stepCallback", "runUntilTaskSteps", "snapshot", "awaitChain",
            "variables", "setOptions", "evaluate", "cancelTask", "bogus", "", "snapshot\n", "ßnapshot"]


def random_value(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.randrange(9 if depth < 3 else 6)
    if kind == 0:
        return rng.choice([0, -1, 1, 2 ** 31, 2 ** 63, -2 ** 70, 10 ** 30])
    if kind == 1:
        return rng.choice([0.5, -1e308, 1e308, float("nan"), float("inf")])
    if kind == 2:
        return rng.choice([True, False, None])
    if kind == 3:
        return "".join(chr(rng.randrange(0x20, 0x2FFF)) for _ in range(rng.randrange(20)))
    if kind == 4:
        return rng.choice(["", "x" * 5000, "\u0000", "\\", "\ud800"])
    if kind == 5:
        return rng.randrange(-5, 200)
    if kind == 6:
        return [random_value(rng, depth + 1) for _ in range(rng.randrange(4))]
    return {rng.choice(["task", "loop", "frame", "ref", "expression", "message", "stopOnEntry", "flushIntervalMs",
                        "blockingThresholdMs", "maxFinishedTasks", "pauseOn", "stepEvents", "x"]): random_value(rng, depth + 1)
            for _ in range(rng.randrange(4))}


def dumps(msg: Any) -> bytes:
    return json.dumps(msg, allow_nan=True).encode("utf-8", "surrogatepass") + b"\n"


def mutate(rng: random.Random, line: bytes) -> bytes:
    b = bytearray(line)
    for _ in range(rng.randrange(1, 6)):
        op = rng.randrange(5)
        if op == 0 and b:
            b[rng.randrange(len(b))] ^= 1 << rng.randrange(8)
        elif op == 1 and b:
            del b[rng.randrange(len(b)):]
        elif op == 2:
            b[rng.randrange(len(b) + 1):0] = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 40)))
        elif op == 3 and b:
            i = rng.randrange(len(b))
            b[i:i + 1] = b[i:i + 1] * rng.randrange(2, 400)
        else:
            b += b"\n"
    return bytes(b)


def random_request(rng: random.Random) -> Dict[str, Any]:
    msg: Dict[str, Any] = {"type": rng.choice(["request"] * 6 + ["events", "hello", "welcome", "response", "x"]),
                           "id": rng.choice([rng.randrange(1, 1 << 30), rng.randrange(1, 1 << 30), "7", None, 1.5]),
                           "command": rng.choice(COMMANDS)}
    if msg["command"] == "cancelTask":
        msg["args"] = {"task": rng.randrange(1 << 20, 1 << 30)}
    elif rng.random() < 0.8:
        msg["args"] = random_value(rng)
    return msg


class WireFuzzTest(unittest.TestCase):
    def test_pre_and_post_authentication_fuzz(self) -> None:
        rng = random.Random(SEED)
        t = AbuseTarget()
        try:
            pre = self.fuzz_handshake(t, rng)
            post = self.fuzz_requests(t, rng)
            attach_when_free(t.port, t.token)  # still serves a real debugger
            rc, out, err = t.finish()
        except BaseException:
            t.kill()
            raise
        self.assertEqual((rc, out), (5, b"done True\n"), err[-2000:])
        self.assertNotIn(b"Traceback", err)
        self.assertGreater(pre, 20)
        self.assertGreater(post, 100)

    def fuzz_handshake(self, t: AbuseTarget, rng: random.Random) -> int:
        valid = _wire.encode({"type": "attach", "protocol": 1, "token": t.token, "client": "fuzz"})
        n = 0
        deadline = time.monotonic() + SECONDS
        while time.monotonic() < deadline:
            s = connect(t.port)
            try:
                s.sendall(mutate(rng, valid) if rng.random() < 0.7 else dumps(random_value(rng)))
                s.shutdown(socket.SHUT_WR)  # nothing more will come: an unfinished line ends here
                msg = read_line(s, timeout=ATTACH_GRACE_S)
                if msg is not None:
                    self.assertIn(msg["type"], ("refused", "hello"), msg)
                    if msg["type"] == "refused":
                        self.assertTrue(msg["reason"])
            except OSError:
                pass
            finally:
                s.close()
            n += 1
        return n

    def fuzz_requests(self, t: AbuseTarget, rng: random.Random) -> int:
        n = 0
        deadline = time.monotonic() + SECONDS
        while time.monotonic() < deadline:
            n += self.one_fuzzed_session(t, rng, deadline)
        return n

    def one_fuzzed_session(self, t: AbuseTarget, rng: random.Random, deadline: float) -> int:
        """Attaches, then sends fuzzed lines until the runtime closes (a line it cannot answer)
        or time is up; each request with an integer id must get exactly its response."""
        s = connect(t.port)
        s.sendall(_wire.encode({"type": "attach", "protocol": 1, "token": t.token}))
        hello = read_line(s)
        self.assertIsNotNone(hello)
        s.sendall(_wire.encode({"type": "welcome", "protocol": 1}))
        rfile = s.makefile("rb")
        sent = 0
        sync_id = 1 << 40
        try:
            while time.monotonic() < deadline:
                msg = random_request(rng)
                exact = msg["command"] == "cancelTask" or rng.random() < 0.85  # a mutation must not hit a real task
                line = dumps(msg) if exact else mutate(rng, dumps(msg))
                s.sendall(line if line.endswith(b"\n") else line + b"\n")
                sent += 1
                if exact and msg["type"] == "request" and type(msg["id"]) is int:
                    self.response_to(rfile, msg["id"], closing_allowed=False)
                    continue
                # The runtime may close after a line it cannot answer; if it did not, it must
                # still answer the next request.
                sync_id += 1
                s.sendall(_wire.encode({"type": "request", "id": sync_id, "command": "awaitChain", "args": {"task": 1 << 30}}))
                if self.response_to(rfile, sync_id, closing_allowed=True) is None:
                    break
        except (BrokenPipeError, ConnectionResetError):
            pass
        finally:
            rfile.close()
            s.close()
        return sent

    def response_to(self, rfile: Any, rid: int, closing_allowed: bool) -> Optional[Dict[str, Any]]:
        while True:
            try:
                line = rfile.readline()
            except ConnectionResetError:
                line = b""
            if not line:
                if closing_allowed:
                    return None
                self.fail("the runtime closed the connection instead of answering request %d" % rid)
            msg = json.loads(line)
            if msg["type"] == "response" and msg["id"] == rid:
                self.assertIn("ok", msg)
                if not msg["ok"]:
                    self.assertTrue(msg["error"])
                return msg


ATTACH_GRACE_S = 6.0


def _is_json(v: Any) -> bool:
    try:
        json.dumps(v, allow_nan=False)
        return True
    except ValueError:
        return False


def _frame(msg: Dict[str, Any]) -> bytes:
    body = json.dumps(msg).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


DAP_COMMANDS = ["initialize", "launch", "attach", "configurationDone", "threads", "stackTrace", "scopes", "variables",
                "evaluate", "continue", "pause", "next", "stepIn", "stepOut", "setBreakpoints", "setExceptionBreakpoints",
                "exceptionInfo", "loopscope/snapshot", "loopscope/cancelTask", "loopscope/stepTick", "loopscope/awaitChain",
                "loopscope/exportTrace", "source", "completions", "frobnicate"]


@unittest.skipUnless(shutil.which("node") and (ROOT / "dist" / "adapter.js").exists(), "needs node and dist/adapter.js (npm run build)")
class DapFuzzTest(unittest.TestCase):
    def test_random_dap_requests_are_all_answered(self) -> None:
        rng = random.Random(SEED)
        proc = subprocess.Popen(["node", str(ROOT / "dist" / "adapter.js")], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, bufsize=0)
        assert proc.stdin is not None and proc.stdout is not None
        answered = 0
        try:
            deadline = time.monotonic() + SECONDS
            seq = 0
            while time.monotonic() < deadline:
                seq += 1
                cmd = rng.choice(DAP_COMMANDS)
                args = random_value(rng)
                if cmd in ("launch", "attach"):  # never start a real program from the fuzz
                    args = {"program": 12345, "args": random_value(rng), "env": "X=1", "port": 99999}
                proc.stdin.write(_frame({"seq": seq, "type": "request", "command": cmd, "arguments": args}))
                proc.stdin.flush()
                if not _is_json(args):
                    # NaN/Infinity: not JSON, so it cannot be answered; the adapter must live on
                    # and answer the next request.
                    seq += 1
                    cmd = "threads"
                    proc.stdin.write(_frame({"seq": seq, "type": "request", "command": cmd}))
                    proc.stdin.flush()
                resp = self.read_response(proc.stdout, seq)
                self.assertEqual(resp["command"], cmd)
                if not resp["success"]:
                    self.assertTrue(resp.get("message"), resp)
                answered += 1
            self.assertIsNone(proc.poll(), "the adapter died")
        finally:
            proc.kill()
            proc.wait()
            proc.stdin.close()
            proc.stdout.close()
        self.assertGreater(answered, 10)

    def read_response(self, out: Any, seq: int, timeout: float = 15) -> Dict[str, Any]:
        import select
        deadline = time.monotonic() + timeout
        while True:
            header = b""
            while not header.endswith(b"\r\n\r\n"):
                if not select.select([out], [], [], max(0.0, deadline - time.monotonic()))[0]:
                    self.fail("the adapter did not answer request %d within %g s" % (seq, timeout))
                c = out.read(1)
                if not c:
                    self.fail("the adapter closed its output while request %d was unanswered" % seq)
                header += c
            length = int(header.split(b"Content-Length:")[1].split(b"\r\n")[0])
            body = b""
            while len(body) < length:
                chunk = out.read(length - len(body))
                if not chunk:
                    self.fail("the adapter closed its output mid-message")
                body += chunk
            msg = json.loads(body)
            if msg.get("type") == "response" and msg.get("request_seq") == seq:
                return msg


if __name__ == "__main__":
    unittest.main()
