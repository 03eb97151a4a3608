# The loopback link to the debugger: token loading (env or 0600 file), loopback checks, the v1
# handshake in both directions (launch: connect+hello; attach: listen+attach), the writer thread
# that drains the Session into `events` batches, and the reader thread that answers requests.
from __future__ import annotations

import json
import ipaddress
import os
import socket
import stat
import sys
import threading
import time
from typing import Any, Dict, List, Optional, Tuple

from . import _control, _wire
from ._session import BATCH_TASKS, SESSION as S, perf

try:  # what hmac.compare_digest is, without hmac's import of OpenSSL (~0.7 MB in every debuggee)
    from _operator import _compare_digest
except ImportError:  # pragma: no cover
    from hmac import compare_digest as _compare_digest

__all__ = [
    "HandshakeError", "load_token", "check_loopback", "Channel", "Pump", "PUMP", "connect_launch",
    "Listener", "hello_message",
]

HANDSHAKE_TIMEOUT = 10.0
# Messages one flush may send in a burst (each at most BATCH_TASKS tasks).
FLUSH_BATCHES = 8


class HandshakeError(Exception):
    """The debugger could not be reached or authenticated; the text is one actionable line."""


def load_token(environ: Optional[Dict[str, str]] = None) -> str:
    env = os.environ if environ is None else environ
    tok = env.get("LOOPSCOPE_TOKEN")
    if tok:
        return tok.strip()
    path = env.get("LOOPSCOPE_TOKEN_FILE")
    if not path:
        raise HandshakeError("no token: set LOOPSCOPE_TOKEN or LOOPSCOPE_TOKEN_FILE (a 0600 file)")
    try:
        st = os.stat(path)
    except OSError as e:
        raise HandshakeError("cannot read token file %s: %s" % (path, e.strerror)) from None
    if st.st_mode & 0o077:
        raise HandshakeError("token file %s has mode %s; it must be owner-only (chmod 600 %s)"
                             % (path, oct(stat.S_IMODE(st.st_mode)), path))
    if hasattr(os, "getuid") and st.st_uid != os.getuid():
        raise HandshakeError("token file %s is not owned by this user" % path)
    with open(path, "r", encoding="ascii", errors="replace") as f:
        tok = f.read().strip()
    if not tok:
        raise HandshakeError("token file %s is empty" % path)
    return tok


def check_loopback(host: str) -> str:
    if host == "localhost":
        return "127.0.0.1"
    try:
        ip = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        raise HandshakeError("%r is not a loopback address (use 127.0.0.1 or ::1)" % host) from None
    if not ip.is_loopback:
        raise HandshakeError("refusing non-loopback address %s; Loopscope only talks over 127.0.0.1 or ::1" % host)
    return str(ip)


def _peer_is_loopback(addr: Any) -> bool:
    try:
        ip = ipaddress.ip_address(addr[0])
        if ip.version == 6 and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        return ip.is_loopback
    except Exception:
        return False


class Channel:
    """One socket carrying NDJSON messages; sends are serialised, reads happen on one thread."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        try:  # small messages (responses, `paused`) must not wait for a delayed ACK (~40 ms)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass
        self.rfile = sock.makefile("rb")
        self.wlock = threading.Lock()
        self.closed = False
        self.last_line = b""

    def send(self, msg: Dict[str, Any]) -> int:
        chunks = _wire.encode_chunks(msg)
        with self.wlock:
            for chunk in chunks:
                self.sock.sendall(chunk)
        return sum(len(c) for c in chunks)

    def recv(self) -> Dict[str, Any]:
        line = self.rfile.readline(_wire.MAX_LINE_BYTES + 2)
        if not line:
            raise EOFError("connection closed")
        self.last_line = line
        if not line.endswith(b"\n") and len(line) > _wire.MAX_LINE_BYTES:
            raise _wire.WireError("line exceeds %d bytes" % _wire.MAX_LINE_BYTES)
        return _wire.decode(line)

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        try:
            self.sock.close()
        except OSError:
            pass


# platform.python_implementation()'s names, without importing platform into every debuggee.
_IMPLEMENTATIONS = {"cpython": "CPython", "pypy": "PyPy", "graalpy": "GraalVM", "ironpython": "IronPython",
                    "jython": "Jython"}


def hello_message(argv: List[str], token: Optional[str]) -> Dict[str, Any]:
    msg: Dict[str, Any] = {
        "type": "hello", "protocol": _wire.PROTOCOL_VERSION, "pid": os.getpid(),
        "python": sys.version.split()[0], "implementation": _IMPLEMENTATIONS.get(sys.implementation.name, sys.implementation.name),
        "executable": sys.executable or "", "argv": list(argv), "cwd": os.getcwd(),
        "startEpochMs": S.start_epoch_ms,
        "capabilities": {"tickControl": True, "callbackStepping": True, "awaitChains": True,
                         "locals": True, "cancel": True, "eagerTasks": sys.version_info >= (3, 12),
                         "pauseOn": True,
                         "loopImplementations": _loop_implementations()},
    }
    if token is not None:
        msg["token"] = token
    return msg


def _loop_implementations() -> List[str]:
    out = ["asyncio"]
    if "uvloop" in sys.modules:
        out.append("uvloop")
    return out


class Pump:
    """Process-wide: the writer thread and the current debugger channel (at most one)."""

    def __init__(self) -> None:
        self.channel: Optional[Channel] = None
        self.started = False
        self.null_sink = False
        self.events_out = 0
        self.batches_out = 0
        self.bytes_out = 0
        self.lock = threading.Lock()
        self.listener: Optional["Listener"] = None
        self.inflight = 0
        self.pending: Optional[Channel] = None  # an attach handshake in progress
        self.attached = threading.Event()  # set once a debugger has completed a handshake
        self.inflight_cond = threading.Condition()
        # One batch at a time: the writer's in-flight batch must not race final_flush's close.
        self.flush_lock = threading.Lock()

    def start(self) -> None:
        with self.lock:
            if self.started:
                return
            self.started = True
        threading.Thread(target=self._writer, name="loopscope-writer", daemon=True).start()

    def attach(self, ch: Channel, options: Dict[str, Any], resync: bool) -> None:
        S.set_options(options)
        if resync:
            S.resync()
        self.channel = ch
        S.connected = True
        self.attached.set()
        threading.Thread(target=self._reader, args=(ch,), name="loopscope-reader", daemon=True).start()
        S.kick.set()

    def detach(self, ch: Channel) -> None:
        if self.channel is ch:
            S.connected = False
            self.channel = None
            _control.release_all()
        ch.close()

    def _writer(self) -> None:
        interval = 0.02
        while True:
            S.kick.wait(interval)
            S.kick.clear()
            t0 = perf()
            self.flush()
            work = perf() - t0
            # Keep the writer's share of the GIL near 10% under load (each flush costs in
            # proportion to the tasks that stepped, all of which the program is waiting for):
            # coalescing absorbs the rest, bursts beyond the bounded queue are dropped (and
            # counted), and urgent events (paused, findings) still kick a flush at once.
            interval = max(float(S.options.get("flushIntervalMs", 20)) / 1000.0, 9.0 * work)

    def flush(self) -> None:
        with self.flush_lock:
            self._flush()

    def _flush(self) -> None:
        # A burst goes out as up to FLUSH_BATCHES messages of at most BATCH_TASKS tasks each:
        # one message's dicts and text are freed before the next is built, so the writer's
        # memory stays small however many tasks a burst makes.
        for _ in range(FLUSH_BATCHES):
            if not self._flush_one() or not _backlog():
                return

    def _flush_one(self) -> bool:
        ch = self.channel
        if ch is None and not self.null_sink:
            S.discard()
            return False
        try:
            batch = S.collect()
        except Exception as e:  # never let a bad record kill the writer
            sys.stderr.write("loopscope: internal error while collecting events: %r\n" % (e,))
            return False
        if batch is None:
            return False
        self.batches_out += 1
        self.events_out += len(batch["events"])
        try:
            if ch is None:
                self.bytes_out += sum(len(c) for c in _wire.encode_chunks(batch))
                return True
            self.bytes_out += ch.send(batch)
        except _wire.WireError:  # over the line limit: lose this batch, say so in the next one
            S.dropped_since += len(batch["events"])
        except OSError:
            self.detach(ch)
            return False
        return True

    def _reader(self, ch: Channel) -> None:
        while True:
            try:
                msg = ch.recv()
            except _wire.WireError as e:
                # A malformed request still gets an answer when it carries an id; otherwise the
                # stream is unusable and the connection closes (docs/protocol.md §1).
                if not self._answer_malformed(ch, e):
                    break
                continue
            except (OSError, EOFError, ValueError):
                break
            if msg["type"] != "request":
                continue
            rid = msg["id"]
            with self.inflight_cond:
                self.inflight += 1
            try:
                body = _control.handle_request(msg["command"], msg.get("args") or {})
                resp: Dict[str, Any] = {"type": "response", "id": rid, "ok": True, "body": body}
            except _control.RequestError as e:
                resp = {"type": "response", "id": rid, "ok": False, "error": str(e)}
            except Exception as e:
                resp = {"type": "response", "id": rid, "ok": False,
                        "error": "internal error in the runtime: %s: %s" % (type(e).__name__, e)}
            try:
                try:
                    ch.send(resp)
                except _wire.WireError as e:
                    ch.send({"type": "response", "id": rid, "ok": False, "error": str(e)})
            except OSError:
                break
            finally:
                with self.inflight_cond:
                    self.inflight -= 1
                    self.inflight_cond.notify_all()
        self.detach(ch)

    def _answer_malformed(self, ch: Channel, err: Exception) -> bool:
        """A request that fails validation but carries an id is answered ok:false with the
        validation error; anything else is unusable and closes the connection."""
        raw = getattr(ch, "last_line", b"")
        try:
            msg = json.loads(raw)
        except ValueError:
            return False
        if not (isinstance(msg, dict) and msg.get("type") == "request" and type(msg.get("id")) is int):
            return False
        try:
            ch.send({"type": "response", "id": msg["id"], "ok": False, "error": "invalid request: %s" % err})
        except OSError:
            return False
        return True

    def final_flush(self, code: Optional[int]) -> None:
        """At interpreter exit: report the exit code (when known) and push out everything pending."""
        ch = self.channel
        if ch is None:
            if code is not None:
                S.add_event({"kind": "process.exit", "ts": S.ts(), "code": code})
            return
        with self.inflight_cond:  # a request that made the program end still gets its answer
            self.inflight_cond.wait_for(lambda: self.inflight == 0, timeout=2.0)
        try:
            # Batches are capped, so a burst at the end can take several: send them all (up to
            # a deadline; what is left then is counted as dropped), process.exit and exact totals last.
            deadline = time.monotonic() + 2.0
            while _pending() and self.channel is ch and time.monotonic() < deadline:
                self.flush()
            with S.lock:
                left = len(S.new_tasks) + len(S.done_tasks)
                if left:
                    S.new_tasks = []
                    S.done_tasks = []
                    S.dropped_since += left
            S.last_stats = ()  # the final batch always carries exact totals
            S.last_stats_at = 0.0
            if code is not None:
                S.add_event({"kind": "process.exit", "ts": S.ts(), "code": code})
            self.flush()
        finally:
            self.channel = None
            S.connected = False
            _control.release_all()
            ch.close()


def _backlog() -> bool:
    # More tasks waiting than one message takes (young tasks' states wait anyway: not counted).
    return bool(S.new_tasks or S.done_tasks) or len(S.dirty) > BATCH_TASKS


def _pending() -> bool:
    return bool(S.new_tasks or S.dirty or S.done_tasks or S.events or S.new_futures or S.step_log)


PUMP = Pump()


def connect_launch(host: str, port: int, token: str, argv: List[str],
                   timeout: float = HANDSHAKE_TIMEOUT) -> Tuple[Channel, Dict[str, Any]]:
    host = check_loopback(host)
    deadline = time.monotonic() + timeout
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except OSError as e:
        raise HandshakeError("cannot connect to the debugger at %s:%d: %s" % (host, port, e.strerror or e)) from None
    ch = Channel(sock)
    try:
        ch.send(hello_message(argv, token))
        sock.settimeout(max(0.1, deadline - time.monotonic()))
        msg = ch.recv()
    except socket.timeout:
        ch.close()
        raise HandshakeError("the debugger at %s:%d did not answer within %g s" % (host, port, timeout)) from None
    except (OSError, EOFError, _wire.WireError) as e:
        ch.close()
        raise HandshakeError("handshake with the debugger at %s:%d failed: %s" % (host, port, e)) from None
    if msg["type"] == "refused":
        ch.close()
        raise HandshakeError("the debugger refused the connection: %s" % msg["reason"])
    if msg["type"] != "welcome":
        ch.close()
        raise HandshakeError("expected welcome from the debugger, got %r" % msg["type"])
    reason = _wire.version_refusal(msg["protocol"])
    if reason is not None:
        try:
            ch.send({"type": "refused", "reason": reason})
        finally:
            ch.close()
        raise HandshakeError(reason)
    sock.settimeout(None)
    return ch, msg.get("options") or {}


class Listener(threading.Thread):
    """Attach mode: accepts debuggers on a loopback port for as long as the process lives."""

    def __init__(self, host: str, port: int, token: str, argv: List[str]) -> None:
        super().__init__(name="loopscope-listener", daemon=True)
        host = check_loopback(host)
        fam = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.socket(fam, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # inherited by accepted sockets (Channel sets it too)
        self.sock.bind((host, port))
        self.sock.listen(4)
        self.host = host
        self.port = self.sock.getsockname()[1]
        self.token = token
        self.argv = argv

    def run(self) -> None:
        while True:
            try:
                conn, addr = self.sock.accept()
            except OSError:
                return
            if not _peer_is_loopback(addr):
                conn.close()
                continue
            threading.Thread(target=self._handshake, args=(conn,), name="loopscope-handshake",
                             daemon=True).start()

    def _handshake(self, conn: socket.socket) -> None:
        ch = Channel(conn)
        try:
            conn.settimeout(HANDSHAKE_TIMEOUT)
            msg = ch.recv()
            if msg["type"] != "attach":
                raise HandshakeError("expected attach, got %r" % msg["type"])
            reason = _wire.version_refusal(msg["protocol"])
            if reason is None and not _compare_digest(str(msg["token"]).encode(), self.token.encode()):
                reason = "bad token"
            if reason is None:
                with PUMP.lock:
                    if PUMP.channel is not None or PUMP.pending is not None:
                        reason = "another debugger is already attached"
                    else:
                        PUMP.pending = ch
            if reason is not None:
                ch.send({"type": "refused", "reason": reason})
                ch.close()
                return
            ch.send(hello_message(self.argv, None))
            welcome = ch.recv()
            if welcome["type"] != "welcome":
                raise HandshakeError("expected welcome, got %r" % welcome["type"])
            reason = _wire.version_refusal(welcome["protocol"])
            if reason is not None:
                ch.send({"type": "refused", "reason": reason})
                ch.close()
                return
            conn.settimeout(None)
            PUMP.attach(ch, welcome.get("options") or {}, resync=True)
        except Exception:
            ch.close()
        finally:
            with PUMP.lock:
                if PUMP.pending is ch:
                    PUMP.pending = None
