# The loopback link to the debugger: token loading (env or 0600 file), loopback checks, the v1
# handshake in both directions (launch: connect+hello; attach: listen+attach), and the Pump: the
# writer thread that drains its Session into `events` batches, and the reader thread that hands
# requests to its Controller.
from __future__ import annotations

import errno
import json
import ipaddress
import os
import selectors
import socket
import stat
import sys
import threading
import time
from typing import Any, Dict, List, Optional, Tuple

from . import _wire
from ._control import Controller, RequestError
from ._batch import BATCH_STEPS, SETTLE_BACKLOG
from ._session import BATCH_TASKS, Session, perf
# The attach listener's pre-authentication budget (shared with the adapter's launch listener).
from ._wire_schema import PREAUTH_MAX_BYTES, PREAUTH_MAX_CONNECTIONS

try:  # what hmac.compare_digest is, without hmac's import of OpenSSL (~0.7 MB in every debuggee)
    from _operator import _compare_digest
except ImportError:  # pragma: no cover
    from hmac import compare_digest as _compare_digest

__all__ = [
    "HandshakeError", "load_token", "check_loopback", "check_port", "Channel", "Pump", "connect_launch",
    "Listener", "hello_message",
]

HANDSHAKE_TIMEOUT = 10.0
ATTACH_DEADLINE = 5.0
LISTEN_BACKLOG = 128
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


def check_port(port: Any) -> int:
    if type(port) is not int or not 0 <= port <= 65535:
        raise HandshakeError("port %r is out of range (0-65535; 0 picks a free port)" % (port,))
    return port


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

    def __init__(self, sock: socket.socket, initial: bytes = b"") -> None:
        self.sock = sock
        self.initial = initial  # bytes that arrived with the handshake, before this channel
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
        line = self._initial_line()
        if line is None or not line.endswith(b"\n"):
            line = (line or b"") + self.rfile.readline(_wire.MAX_LINE_BYTES + 2 - len(line or b""))
        if not line:
            raise EOFError("connection closed")
        self.last_line = line
        if not line.endswith(b"\n") and len(line) > _wire.MAX_LINE_BYTES:
            raise _wire.WireError("line exceeds %d bytes" % _wire.MAX_LINE_BYTES)
        return _wire.decode(line)

    def _initial_line(self) -> Optional[bytes]:
        if not self.initial:
            return None
        nl = self.initial.find(b"\n")
        if nl < 0:
            line, self.initial = self.initial, b""
        else:
            line, self.initial = self.initial[:nl + 1], self.initial[nl + 1:]
        return line

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


def hello_message(argv: List[str], token: Optional[str], start_epoch_ms: float) -> Dict[str, Any]:
    """The runtime's `hello`; `start_epoch_ms` is the session's clock origin (its ts 0)."""
    msg: Dict[str, Any] = {
        "type": "hello", "protocol": _wire.PROTOCOL_VERSION, "pid": os.getpid(),
        "python": sys.version.split()[0], "implementation": _IMPLEMENTATIONS.get(sys.implementation.name, sys.implementation.name),
        "executable": sys.executable or "", "argv": list(argv), "cwd": os.getcwd(),
        "startEpochMs": start_epoch_ms,
        "capabilities": {"tickControl": True, "callbackStepping": True, "awaitChains": True,
                         "locals": True, "cancel": True, "eagerTasks": sys.version_info >= (3, 12),
                         "pauseOn": True, "lineDebugging": True,  # issue 12
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
    """Process-wide: the writer thread that sends `session`'s batches, and the current debugger
    channel (at most one), whose requests `control` answers."""

    def __init__(self, session: Session, control: Controller) -> None:
        self.session = session
        self.control = control
        self.channel: Optional[Channel] = None
        self.started = False
        self.null_sink = False
        self.events_out = 0
        self.batches_out = 0
        self.bytes_out = 0
        self.lock = threading.Lock()
        self.listener: Optional["Listener"] = None
        self.inflight = 0
        self.pending: Optional[object] = None  # an attach handshake in progress
        self.attached = threading.Event()  # set once a debugger has completed a handshake
        self.inflight_cond = threading.Condition()
        # One batch at a time: the writer's in-flight batch must not race final_flush's close.
        self.flush_lock = threading.Lock()

    def start(self) -> None:
        with self.lock:
            if self.started:
                return
            self.started = True
        if hasattr(os, "register_at_fork"):
            os.register_at_fork(before=_quiet_fork_warning_if_threads_are_ours, after_in_child=self._forget_in_child)
        threading.Thread(target=self._writer, name="loopscope-writer", daemon=True).start()

    def _forget_in_child(self) -> None:
        # A forked child shares the parent's socket: it must never write to it (its exit is not
        # the program's) nor close it (that would cut the parent off). It runs unobserved.
        _restore_fork_warning()
        self.channel = None
        self.pending = None
        self.null_sink = False
        self.session.connected = False

    def attach(self, ch: Channel, options: Dict[str, Any], resync: bool) -> None:
        S = self.session
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
            self.session.connected = False
            self.channel = None
            self.control.detach()
        ch.close()

    def _writer(self) -> None:
        S = self.session
        next_flush = 0.0
        while True:
            tick = float(S.options.get("flushIntervalMs", 20)) / 1000.0
            kicked = S.kick.wait(max(0.0, min(tick, next_flush - perf())))
            S.kick.clear()
            t0 = perf()
            if not kicked and t0 < next_flush:
                # Holding back (below), but ended tasks must not pile up meanwhile: their records
                # are counted and let go, which costs what the next flush would pay for them anyway.
                if len(S.new_tasks) + len(S.done_tasks) > SETTLE_BACKLOG:
                    S.settle()
                continue
            self.flush()
            # Keep the writer's share of the GIL near 10% under load (each flush costs in
            # proportion to the tasks that stepped, all of which the program is waiting for):
            # coalescing absorbs the rest, bursts beyond the bounded queue are dropped (and
            # counted), and urgent events (paused, findings) still kick a flush at once.
            next_flush = t0 + max(tick, 10.0 * (perf() - t0))

    def flush(self) -> None:
        with self.flush_lock:
            self._flush()

    def _flush(self) -> None:
        # A burst goes out as up to FLUSH_BATCHES messages of at most BATCH_TASKS tasks each:
        # one message's dicts and text are freed before the next is built, so the writer's
        # memory stays small however many tasks a burst makes.
        for _ in range(FLUSH_BATCHES):
            if not self._flush_one() or not self._backlog():
                return

    def _flush_one(self) -> bool:
        S = self.session
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
        except _wire.WireError:  # over the line limit: keep its lifecycle, lose only step detail
            if ch is None:
                S.dropped_since += len(batch["events"])
                return True
            return self._send_without_steps(ch, batch)
        except OSError:  # only ch.send() does I/O here
            if ch is not None:
                self.detach(ch)
            return False
        return True

    def _send_without_steps(self, ch: Channel, batch: Dict[str, Any]) -> bool:
        S = self.session
        events = batch["events"]
        kept = [e for e in events if e.get("kind") not in ("task.step", "tick")]
        S.dropped_since += len(events) - len(kept)
        batch["events"] = kept
        try:
            self.bytes_out += ch.send(batch)
        except _wire.WireError:  # still too long: nothing to keep it by; counted
            S.dropped_since += len(kept)
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
                body = self.control.handle_request(msg["command"], msg.get("args") or {})
                resp: Dict[str, Any] = {"type": "response", "id": rid, "ok": True, "body": body}
            except RequestError as e:
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
                self._after_answer()
                with self.inflight_cond:
                    self.inflight -= 1
                    self.inflight_cond.notify_all()
        self.detach(ch)

    def _after_answer(self) -> None:
        later = self.control.after_answer
        while later:
            later.pop(0)()

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
        S = self.session
        ch = self.channel
        if ch is None:
            if code is not None:
                S.add_event({"kind": "process.exit", "ts": S.ts(), "code": code})
            return
        with self.inflight_cond:  # a request that made the program end still gets its answer
            self.inflight_cond.wait_for(lambda: self.inflight == 0, timeout=2.0)
        try:
            # Batches are capped, so a burst at the end can take several: send them all up to a
            # deadline. Then tasks that ended unannounced are counted (tasks.unlisted), and the
            # task.done of announced ones (at most what the writer could announce) still goes:
            # without it the debugger would list them as pending. Only what is left after that
            # is counted as dropped. process.exit and exact totals last.
            self._drain(ch, 2.0)
            S.settle_unannounced()
            self._drain(ch, 10.0)
            with S.lock:
                left = len(S.new_tasks) + len(S.announce_queue) + len(S.done_tasks)
                if left:
                    del S.new_tasks[:]
                    S.announce_queue.clear()
                    del S.done_tasks[:]
                    S.dropped_since += left
            S.last_stats = ()  # the final batch always carries exact totals
            S.last_stats_at = 0.0
            if code is not None:
                S.add_event({"kind": "process.exit", "ts": S.ts(), "code": code})
            self.flush()
        finally:
            self.channel = None
            S.connected = False
            self.control.detach()
            ch.close()

    def _drain(self, ch: Channel, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while self._pending() and self.channel is ch and time.monotonic() < deadline:
            self.flush()

    def _backlog(self) -> bool:
        # More tasks waiting than one message takes (young tasks' states wait anyway: not counted).
        S = self.session
        return (bool(S.new_tasks or S.announce_queue or S.done_tasks) or len(S.dirty) > BATCH_TASKS
                or len(S.step_log) > BATCH_STEPS)

    def _pending(self) -> bool:
        S = self.session
        return bool(S.new_tasks or S.announce_queue or S.dirty or S.done_tasks or S.events or S.new_futures
                    or S.step_log or S.unlisted_behind())


# Python 3.12+ warns on fork() in a multi-threaded process. Loopscope's own threads must not make
# a single-threaded program get that warning: before each fork, a filter for it is put in place
# when every other thread is ours and taken out otherwise (a program with threads of its own
# still gets it, as in a plain run). It is decided before, not removed after, the fork: 3.13
# warns after the after-fork hooks have run.
_FORK_WARNING = r"This process \(pid=\d+\) is multi-threaded, use of fork\(\) may lead to deadlocks"
_fork_filter: List[Any] = []


def _quiet_fork_warning_if_threads_are_ours() -> None:
    if sys.version_info < (3, 12):
        return
    try:
        os_threads = len(os.listdir("/proc/self/task"))
    except OSError:
        return
    ours = sum(1 for t in threading.enumerate() if t.name.startswith("loopscope-"))
    quiet = ours > 0 and os_threads - ours <= 1
    if quiet and not _fork_filter:
        import warnings
        warnings.filterwarnings("ignore", message=_FORK_WARNING, category=DeprecationWarning)
        _fork_filter.append(warnings.filters[0])
    elif not quiet:
        _restore_fork_warning()


def _restore_fork_warning() -> None:
    if _fork_filter:
        import warnings
        entry = _fork_filter.pop()
        try:
            filters: list = warnings.filters  # type: ignore[assignment]  # a list at run time; typeshed says Sequence
            filters.remove(entry)
            warnings._filters_mutated()  # type: ignore[attr-defined]
        except (ValueError, AttributeError):
            pass


def connect_launch(host: str, port: int, token: str, argv: List[str], start_epoch_ms: float,
                   timeout: float = HANDSHAKE_TIMEOUT) -> Tuple[Channel, Dict[str, Any]]:
    host = check_loopback(host)
    deadline = time.monotonic() + timeout
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except OSError as e:
        raise HandshakeError("cannot connect to the debugger at %s:%d: %s" % (host, port, e.strerror or e)) from None
    ch = Channel(sock)
    try:
        ch.send(hello_message(argv, token, start_epoch_ms))
        line, rest = _read_handshake_line(sock, deadline)
        ch.initial = rest
        msg = _wire.decode(line)
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


def _read_handshake_line(sock: socket.socket, deadline: float) -> Tuple[bytes, bytes]:
    """One line of at most PREAUTH_MAX_BYTES, all of it before `deadline` (not per recv)."""
    buf = b""
    while b"\n" not in buf:
        if len(buf) > PREAUTH_MAX_BYTES:
            raise _wire.WireError("handshake message exceeds %d bytes" % PREAUTH_MAX_BYTES)
        left = deadline - time.monotonic()
        if left <= 0:
            raise socket.timeout()
        sock.settimeout(left)
        data = sock.recv(PREAUTH_MAX_BYTES + 1 - len(buf))
        if not data:
            raise EOFError("connection closed")
        buf += data
    nl = buf.index(b"\n")
    return buf[:nl + 1], buf[nl + 1:]


class _Pending:
    """One unauthenticated connection: what it sent so far and when its handshake must end."""
    __slots__ = ("sock", "buf", "deadline", "stage")

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        self.sock = sock
        self.buf = b""
        self.deadline = deadline
        self.stage = "attach"  # then "welcome" once hello was sent


class Listener(threading.Thread):
    """Attach mode: accepts debuggers on a loopback port for as long as the process lives.

    Before a peer has proved it holds the token it gets a budget, so any local user (loopback TCP
    is not scoped to a user) cannot grow the debuggee: at most PREAUTH_MAX_BYTES buffered per
    connection, PREAUTH_MAX_CONNECTIONS at once (the oldest is dropped for a newcomer, so a real
    debugger is served at once during a flood), and ATTACH_DEADLINE for the whole handshake. One
    thread multiplexes them all: abuse costs no threads. A debugger that completes the handshake is
    attached to `pump`.
    """

    def __init__(self, pump: Pump, host: str, port: int, token: str, argv: List[str]) -> None:
        super().__init__(name="loopscope-listener", daemon=True)
        self.pump = pump
        host = check_loopback(host)
        check_port(port)
        fam = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.socket(fam, socket.SOCK_STREAM)
        try:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # inherited by accepted sockets (Channel sets it too)
            self.sock.bind((host, port))
            self.sock.listen(LISTEN_BACKLOG)
        except OSError:
            self.sock.close()
            raise
        self.sock.setblocking(False)
        self.host = host
        self.port = self.sock.getsockname()[1]
        self.token = token
        self.argv = argv
        self.pending: Dict[int, _Pending] = {}  # insertion order = age
        self.refusals: Dict[str, int] = {}  # reason -> count (tests and benches read it)
        self.sel = selectors.DefaultSelector()
        self.sel.register(self.sock, selectors.EVENT_READ, None)

    def run(self) -> None:
        while True:
            timeout = None
            if self.pending:
                timeout = max(0.0, min(p.deadline for p in self.pending.values()) - time.monotonic())
            try:
                ready = self.sel.select(timeout)
            except OSError:
                return
            for key, _ in ready:
                if key.data is None:
                    if not self._accept_all():
                        return
                else:
                    self._on_readable(key.data)
            now = time.monotonic()
            for p in [p for p in self.pending.values() if p.deadline <= now]:
                self._refuse(p, "handshake not completed within %g s" % ATTACH_DEADLINE)

    def _accept_all(self) -> bool:
        while True:
            try:
                conn, addr = self.sock.accept()
            except (BlockingIOError, InterruptedError):
                return True
            except OSError as e:
                if e.errno in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM, errno.ECONNABORTED):
                    return True  # out of descriptors for a moment: the backlog keeps the rest
                return False
            if not _peer_is_loopback(addr):
                conn.close()
                continue
            if len(self.pending) >= PREAUTH_MAX_CONNECTIONS:
                self._refuse(next(iter(self.pending.values())), "too many unauthenticated connections")
            conn.setblocking(False)
            p = _Pending(conn, time.monotonic() + ATTACH_DEADLINE)
            self.pending[conn.fileno()] = p
            self.sel.register(conn, selectors.EVENT_READ, p)

    def _on_readable(self, p: _Pending) -> None:
        try:
            data = p.sock.recv(PREAUTH_MAX_BYTES + 1 - len(p.buf))
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self._drop(p)
            return
        if not data:
            self._drop(p)
            return
        p.buf += data
        while p.sock.fileno() in self.pending:
            nl = p.buf.find(b"\n")
            if nl < 0:
                if len(p.buf) > PREAUTH_MAX_BYTES:
                    self._refuse(p, "handshake message exceeds %d bytes" % PREAUTH_MAX_BYTES)
                return
            line, p.buf = p.buf[:nl + 1], p.buf[nl + 1:]
            self._on_line(p, line)

    def _on_line(self, p: _Pending, line: bytes) -> None:
        try:
            msg = _wire.decode(line)
        except _wire.WireError as e:
            self._refuse(p, "malformed handshake: %s" % e)
            return
        if p.stage == "attach":
            self._on_attach(p, msg)
        else:
            self._on_welcome(p, msg)

    def _on_attach(self, p: _Pending, msg: Dict[str, Any]) -> None:
        if msg["type"] != "attach":
            self._refuse(p, "expected attach, got %r" % msg["type"])
            return
        reason = _wire.version_refusal(msg["protocol"])
        if reason is None and not _compare_digest(str(msg.get("token", "")).encode(), self.token.encode()):
            reason = "bad token"
        pump = self.pump
        if reason is None:
            with pump.lock:
                if pump.channel is not None or pump.pending is not None:
                    reason = "another debugger is already attached"
                else:
                    pump.pending = p
        if reason is not None:
            self._refuse(p, reason)
            return
        if self._send(p, hello_message(self.argv, None, pump.session.start_epoch_ms)):
            p.stage = "welcome"

    def _on_welcome(self, p: _Pending, msg: Dict[str, Any]) -> None:
        if msg["type"] != "welcome":
            self._refuse(p, "expected welcome, got %r" % msg["type"])
            return
        reason = _wire.version_refusal(msg["protocol"])
        if reason is not None:
            self._refuse(p, reason)
            return
        self._forget(p)
        p.sock.setblocking(True)
        self.pump.attach(Channel(p.sock, initial=p.buf), msg.get("options") or {}, resync=True)

    def _send(self, p: _Pending, msg: Dict[str, Any]) -> bool:
        try:  # a handshake message is small; a peer that cannot take it at once is dropped
            p.sock.settimeout(1.0)
            p.sock.sendall(_wire.encode(msg))
            p.sock.setblocking(False)
            return True
        except OSError:
            self._drop(p)
            return False

    def _refuse(self, p: _Pending, reason: str) -> None:
        self.refusals[reason] = self.refusals.get(reason, 0) + 1
        try:
            p.sock.send(_wire.encode({"type": "refused", "reason": reason}))
        except OSError:
            pass
        self._drop(p)

    def _forget(self, p: _Pending) -> None:
        if self.pending.pop(p.sock.fileno(), None) is not None:
            self.sel.unregister(p.sock)
        pump = self.pump
        with pump.lock:
            if pump.pending is p:
                pump.pending = None

    def _drop(self, p: _Pending) -> None:
        self._forget(p)
        try:
            p.sock.close()
        except OSError:
            pass
        p.buf = b""

    def close(self) -> None:
        """Stops accepting (the thread ends); pending handshakes are dropped."""
        for p in list(self.pending.values()):
            self._drop(p)
        try:
            self.sock.close()
        except OSError:
            pass
