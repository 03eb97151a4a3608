# Test consumer: a minimal debugger that listens on loopback, launches a real program under
# `python -m loopscope --connect`, performs the handshake, validates every message with _wire and
# lets tests wait on events or conditions (never on sleeps) and send requests.
from __future__ import annotations

import json
import os
import pathlib
import secrets
import socket
import subprocess
import sys
import threading
import time
from typing import Any, Callable, Dict, List, Optional, Sequence

from loopscope import _wire

__all__ = ["Consumer", "ROOT", "PROGRAMS", "EXAMPLES", "line_of", "run_plain", "run_loopscope", "DEFAULT_TIMEOUT"]

ROOT = pathlib.Path(__file__).resolve().parents[2]
RUNTIME = ROOT / "runtime"
PROGRAMS = pathlib.Path(__file__).resolve().parent / "programs"
EXAMPLES = ROOT / "examples"
DEFAULT_TIMEOUT = 20.0


def line_of(path: "os.PathLike[str] | str", marker: str) -> int:
    """1-based number of the first line of `path` containing `marker`."""
    for i, line in enumerate(pathlib.Path(path).read_text("utf-8").splitlines(), 1):
        if marker in line:
            return i
    raise AssertionError("marker %r not in %s" % (marker, path))


def _env(extra: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(RUNTIME) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.pop("PYTHONASYNCIODEBUG", None)
    env.pop("LOOPSCOPE_TOKEN", None)
    env.pop("LOOPSCOPE_TOKEN_FILE", None)
    if extra:
        env.update(extra)
    return env


def run_plain(argv: Sequence[str], stdin: Optional[bytes] = None, cwd: Optional[str] = None,
              timeout: float = 60) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    return subprocess.run([sys.executable] + list(argv), input=stdin, capture_output=True, cwd=cwd,
                          env=env, timeout=timeout)


def run_loopscope(argv: Sequence[str], stdin: Optional[bytes] = None, cwd: Optional[str] = None,
                  extra_env: Optional[Dict[str, str]] = None, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "loopscope"] + list(argv), input=stdin,
                          capture_output=True, cwd=cwd, env=_env(extra_env), timeout=timeout)


class Consumer:
    """One debugger session against one launched program."""

    def __init__(self, argv: Sequence[str], options: Optional[Dict[str, Any]] = None,
                 flags: Sequence[str] = (), token: Optional[str] = None, welcome: bool = True,
                 refuse: Optional[str] = None, protocol: int = 1, env: Optional[Dict[str, str]] = None,
                 stdin: Optional[bytes] = None, cwd: Optional[str] = None, configure: bool = True) -> None:
        self.token = token or secrets.token_hex(16)
        self.srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.srv.bind(("127.0.0.1", 0))
        self.srv.listen(1)
        port = self.srv.getsockname()[1]
        self.events: List[Dict[str, Any]] = []
        self.batches: List[Dict[str, Any]] = []
        self.responses: Dict[int, Dict[str, Any]] = {}
        self.errors: List[str] = []
        self.cond = threading.Condition()
        self.closed = False
        self.next_id = 0
        self.hello: Optional[Dict[str, Any]] = None
        self.sock: Optional[socket.socket] = None
        self.stdout = b""
        self.stderr = b""
        extra = {"LOOPSCOPE_TOKEN": self.token}
        extra.update(env or {})
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "loopscope", "--connect", "127.0.0.1:%d" % port] + list(flags) + list(argv),
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env(extra), cwd=cwd)
        self._out = threading.Thread(target=self._drain, args=("stdout",), daemon=True)
        self._err = threading.Thread(target=self._drain, args=("stderr",), daemon=True)
        self._out.start()
        self._err.start()
        if stdin is not None:
            assert self.proc.stdin is not None
            self.proc.stdin.write(stdin)
            self.proc.stdin.close()
        self.rfile: Any = None
        self.srv.settimeout(DEFAULT_TIMEOUT)
        conn, _ = self.srv.accept()
        self.sock = conn
        self.rfile = conn.makefile("rb")
        self.hello = _wire.decode(self.rfile.readline())
        assert self.hello["type"] == "hello", self.hello
        if refuse is not None:
            self._send({"type": "refused", "reason": refuse})
            conn.close()
            self.closed = True
            return
        if not welcome:
            return
        msg: Dict[str, Any] = {"type": "welcome", "protocol": protocol}
        if options:
            msg["options"] = options
        self._send(msg)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        if configure and protocol == 1:  # launch mode waits for configurationDone (issue 12); tests that set
            self.request("configurationDone")  # breakpoints first pass configure=False

    # --- plumbing ---------------------------------------------------------------------------
    def _drain(self, name: str) -> None:
        stream = getattr(self.proc, name)
        data = stream.read()
        stream.close()
        setattr(self, name, data)

    def _send(self, msg: Dict[str, Any]) -> None:
        assert self.sock is not None
        self.sock.sendall(_wire.encode(msg))

    def _read(self) -> None:
        try:
            while True:
                line = self.rfile.readline()
                if not line:
                    break
                try:
                    msg = _wire.decode(line)
                except _wire.WireError as e:
                    self.errors.append("%s in %r" % (e, line[:300]))
                    continue
                with self.cond:
                    if msg["type"] == "events":
                        self.batches.append(msg)
                        self.events.extend(msg["events"])
                    elif msg["type"] == "response":
                        self.responses[msg["id"]] = msg
                    self.cond.notify_all()
        except OSError:
            pass
        finally:
            with self.cond:
                self.closed = True
                self.cond.notify_all()

    # --- waiting ----------------------------------------------------------------------------
    def wait(self, pred: Callable[[], Any], timeout: float = DEFAULT_TIMEOUT, what: str = "condition") -> Any:
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                r = pred()
                if r:
                    return r
                left = deadline - time.monotonic()
                if left <= 0 or (self.closed and not pred()):
                    if self.closed:
                        r = pred()
                        if r:
                            return r
                    raise AssertionError("timed out waiting for %s; last events: %s\nstderr: %s" % (
                        what, json.dumps(self.events[-8:])[:3000], self.stderr[-2000:].decode("utf-8", "replace")))
                self.cond.wait(min(left, 0.5))

    def find(self, kind: str, **fields: Any) -> List[Dict[str, Any]]:
        with self.cond:
            return [e for e in self.events if e["kind"] == kind and all(
                (f(e.get(k)) if callable(f) else e.get(k) == f) for k, f in fields.items())]

    def wait_event(self, kind: str, timeout: float = DEFAULT_TIMEOUT, **fields: Any) -> Dict[str, Any]:
        def pred() -> Any:
            found = self.find(kind, **fields)
            return found[0] if found else None
        return self.wait(pred, timeout, "event %s %s" % (kind, fields))

    def wait_new_event(self, kind: str, after: int, timeout: float = DEFAULT_TIMEOUT, **fields: Any) -> Dict[str, Any]:
        """First matching event at index >= after in the event log."""
        def pred() -> Any:
            for e in self.events[after:]:
                if e["kind"] == kind and all((f(e.get(k)) if callable(f) else e.get(k) == f)
                                             for k, f in fields.items()):
                    return e
            return None
        return self.wait(pred, timeout, "new event %s %s" % (kind, fields))

    def mark(self) -> int:
        with self.cond:
            return len(self.events)

    def task_named(self, name: str, timeout: float = DEFAULT_TIMEOUT) -> Dict[str, Any]:
        return self.wait_event("task.created", timeout, name=name)

    def task_by_coro(self, coro: str, timeout: float = DEFAULT_TIMEOUT) -> Dict[str, Any]:
        return self.wait_event("task.created", timeout, coro=coro)

    def request(self, command: str, args: Optional[Dict[str, Any]] = None, ok: bool = True,
                timeout: float = DEFAULT_TIMEOUT) -> Dict[str, Any]:
        self.next_id += 1
        rid = self.next_id
        msg: Dict[str, Any] = {"type": "request", "id": rid, "command": command, "args": args or {}}
        _wire.validate_message(msg)
        self._send(msg)
        resp = self.wait(lambda: self.responses.get(rid), timeout, "response to %s" % command)
        if ok:
            assert resp["ok"], "%s failed: %s" % (command, resp.get("error"))
            _wire.validate_response_body(command, resp["body"])
            return resp["body"]
        assert not resp["ok"], "%s unexpectedly succeeded: %s" % (command, resp)
        return resp

    def disconnect(self) -> None:
        if self.sock is not None:
            try:
                self.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self.sock.close()

    def finish(self, timeout: float = 60) -> int:
        rc = self.proc.wait(timeout)
        self._out.join(timeout)
        self._err.join(timeout)
        if not self.closed and self.sock is not None:
            self.wait(lambda: self.closed, 10, "connection close")
        self._close()
        assert not self.errors, self.errors
        return rc

    def _close(self) -> None:
        self.srv.close()
        if self.sock is not None:
            try:
                self.rfile.close()
            except (OSError, AttributeError):
                pass
            self.sock.close()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self._out.join(10)
        self._err.join(10)
        self._close()
