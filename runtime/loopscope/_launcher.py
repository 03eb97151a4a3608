# The process's one Session, wired to the runtime here (see below), and `python -m loopscope …`:
# parses the command line, performs the launch handshake or starts the attach listener, installs the
# instrumentation, then runs the target exactly as `python script.py` / `python -m module` would (argv,
# __main__, sys.path[0], tracebacks without loopscope frames, exit codes); reports process.exit at exit.
from __future__ import annotations

import atexit
import builtins
import importlib.machinery
import os
import runpy
import signal
import stat
import sys
import threading
import time
import types
from typing import Any, Dict, List, Optional, Tuple

from . import _connection, _control, _debugger, _instrument
from ._session import Session

__all__ = ["main", "USAGE", "parse_args", "install", "listen", "Installation", "install_patches", "SESSION"]

# --- the runtime, put together --------------------------------------------------------------------
# The one place the Session is made and handed to the modules that use it. It is here because every
# way in goes through this module (`python -m loopscope` is main(); the in-process API is install()
# and listen()), and because the session is needed before and apart from the instrumentation: the
# options are set on it first, the handshake's hello carries its clock origin, and the pump drains
# it whether or not asyncio is patched yet. Made at import, like the module global it replaces, so
# the session's clock starts when loopscope is imported.
SESSION = Session()
CONTROL = _control.Controller(SESSION)  # holds loops, answers requests
DEBUGGER = _debugger.Debugger(SESSION, CONTROL)  # line stops
PUMP = _connection.Pump(SESSION, CONTROL)  # the writer thread and the debugger's channel
SESSION.on_trigger = CONTROL.pause_on_event  # a pauseOn event holds its loop
_debugger.register(DEBUGGER)  # its requests, and its on_hold / on_detach hooks, join the controller


def install_patches() -> None:
    """Instrument asyncio for SESSION (once per process); no writer thread is started."""
    _instrument.install_patches(SESSION, CONTROL, DEBUGGER.step_was_held)


USAGE = ("usage: python -m loopscope [--connect HOST:PORT | --listen HOST:PORT] [--token-file FILE] "
         "[--stop-on-entry] [--blocking-threshold-ms N] [--step-events] [--output-to-debugger] "
         "(script.py | -m module) [args...]")

_LOOPSCOPE_DIR = os.path.dirname(os.path.abspath(__file__))


class UsageError(Exception):
    pass


class Options:
    def __init__(self) -> None:
        self.connect: Optional[Tuple[str, int]] = None
        self.listen: Optional[Tuple[str, int]] = None
        self.token_file: Optional[str] = None
        self.wire: Dict[str, Any] = {}
        self.module: Optional[str] = None
        self.script: Optional[str] = None
        self.args: List[str] = []
        # stdout/stderr are pipes read by the debugger process (our parent): see _guard_piped_output.
        self.output_to_debugger = False


def _hostport(v: str, flag: str, loopback_only: bool) -> Tuple[str, int]:
    """HOST:PORT checked here, so a wrong value is a usage error before anything starts. (A
    non-loopback --connect address is refused later, like any other unreachable debugger.)"""
    host, sep, port = v.rpartition(":")
    if not sep or not port.isdigit():
        raise UsageError("%s expects HOST:PORT (like 127.0.0.1:5679), got %r" % (flag, v))
    host = host.strip("[]") or "127.0.0.1"
    try:
        _connection.check_port(int(port))
        if loopback_only:
            host = _connection.check_loopback(host)
    except _connection.HandshakeError as e:
        raise UsageError("%s %s: %s" % (flag, v, e)) from None
    return host, int(port)


def _threshold(v: str, flag: str) -> float:
    try:
        ms = float(v)
    except ValueError:
        ms = float("nan")
    if not (ms > 0 and ms != float("inf")):
        raise UsageError("%s expects a positive number of milliseconds, got %r" % (flag, v))
    return ms


def parse_args(argv: List[str]) -> Options:
    o = Options()
    i = 0
    while i < len(argv):
        a = argv[i]
        name, eq, inline = a.partition("=")

        def value() -> str:
            nonlocal i
            if eq:
                return inline
            if i + 1 >= len(argv):
                raise UsageError("%s needs a value" % name)
            i += 1
            return argv[i]

        if name == "--connect":
            o.connect = _hostport(value(), name, loopback_only=False)
        elif name == "--listen":
            o.listen = _hostport(value(), name, loopback_only=True)
        elif name == "--token-file":
            o.token_file = value()
        elif a == "--stop-on-entry":
            o.wire["stopOnEntry"] = True
        elif a == "--step-events":
            o.wire["stepEvents"] = True
        elif a == "--output-to-debugger":
            o.output_to_debugger = True
        elif name == "--blocking-threshold-ms":
            o.wire["blockingThresholdMs"] = _threshold(value(), name)
        elif a in ("-h", "--help"):
            raise UsageError("")
        elif a == "-m":
            if i + 1 >= len(argv):
                raise UsageError("-m needs a module name")
            o.module = argv[i + 1]
            o.args = argv[i + 2:]
            break
        elif a == "--":
            if i + 1 >= len(argv):
                raise UsageError("no script given")
            o.script = argv[i + 1]
            o.args = argv[i + 2:]
            break
        elif a.startswith("-") and a != "-":
            raise UsageError("unknown option %s" % a)
        else:
            o.script = a
            o.args = argv[i + 1:]
            break
        i += 1
    if o.connect and o.listen:
        raise UsageError("--connect and --listen are mutually exclusive")
    if o.script is None and o.module is None:
        raise UsageError("no script or -m module given")
    return o


# --- public entry points ----------------------------------------------------------------------

class Installation:
    """What install() returns: live counters of the in-process (null) sink."""

    @property
    def events(self) -> int:
        return PUMP.events_out

    @property
    def batches(self) -> int:
        return PUMP.batches_out

    @property
    def bytes(self) -> int:
        return PUMP.bytes_out

    @property
    def tasks_total(self) -> int:
        return SESSION.tasks_total

    def flush(self) -> None:
        PUMP.flush()


def install(options: Optional[Dict[str, Any]] = None) -> Installation:
    """Instrument every asyncio loop in this process without a debugger: events are built,
    encoded and counted by a null sink (what a live consumer would cost minus the socket)."""
    SESSION.set_options(dict(options or {}))
    install_patches()
    DEBUGGER.breakpoints_from_env()  # issue 12: LOOPSCOPE_BREAKPOINTS arms breakpoints without a debugger
    PUMP.null_sink = PUMP.channel is None
    PUMP.start()
    return Installation()


def listen(port: int = 0, host: str = "127.0.0.1", token: Optional[str] = None,
           _argv: Optional[List[str]] = None) -> Tuple[str, int, Optional[str]]:
    """Let a debugger attach to this process later. Returns (host, port, token_file); when no
    token is given one is generated and written to a new 0600 file whose path is also printed
    to stderr. The token file is None when the caller supplied the token."""
    _connection.check_port(port)
    generated = token is None
    if token is None:
        token = os.urandom(16).hex()  # secrets.token_hex, without importing hmac/OpenSSL
    # Bind first: a port that is taken or refused leaves no token file behind.
    lst = _connection.Listener(PUMP, host, port, token, list(sys.argv if _argv is None else _argv))
    token_file = _write_token_file(token) if generated else None
    install_patches()
    PUMP.null_sink = False
    PUMP.start()
    if _argv is None:  # the in-process API: flush what is pending when the interpreter exits
        atexit.register(PUMP.final_flush, None)
    PUMP.listener = lst
    lst.start()
    if token_file is not None:
        sys.stderr.write("loopscope: listening on %s:%d (token file %s)\n" % (lst.host, lst.port, token_file))
        sys.stderr.flush()
    return lst.host, lst.port, token_file


def _write_token_file(token: str) -> str:
    import tempfile  # here, not at import: on 3.13 it pulls in shutil, bz2, lzma (~0.8 MB)
    fd, path = tempfile.mkstemp(prefix="loopscope-", suffix=".token")
    with os.fdopen(fd, "w") as f:
        f.write(token)
    atexit.register(_remove_quietly, path)  # the token is worthless once this process is gone
    return path


def _remove_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


# --- output that outlives the debugger ---------------------------------------------------------

def _guard_piped_output() -> None:
    """The program's stdout/stderr are read by the debugger (our parent). If it dies, the
    program's next write must not fail with BrokenPipeError (docs/protocol.md: the program runs to
    its normal end); undeliverable output is dropped, never raised into the program.
    - A pipe: this process holds a read end of it itself, which keeps writes from ever seeing
      EPIPE, and once the parent is gone fds 1 and 2 go to /dev/null and the pipe is drained.
    - A socket (Node's child stdio): fds 1 and 2 become pipes that a small forked relay process
      copies to the socket; the relay drops what it can no longer deliver and exits when the
      program and its children have closed them, so even output written at interpreter shutdown
      arrives. Linux and macOS; elsewhere a no-op."""
    spares: List[int] = []
    sockets: List[int] = []
    seen = set()
    for fd in (1, 2):
        try:
            st = os.fstat(fd)
            if (st.st_dev, st.st_ino) in seen:
                continue
            seen.add((st.st_dev, st.st_ino))
            if stat.S_ISFIFO(st.st_mode):
                spares.append(os.open("/proc/self/fd/%d" % fd, os.O_RDONLY | os.O_NONBLOCK))
            elif stat.S_ISSOCK(st.st_mode):
                sockets.append(fd)
        except OSError:
            continue
    if sockets and hasattr(os, "fork"):
        _start_output_relay(sockets)
    if spares:
        threading.Thread(target=_drop_output_when_orphaned, args=(os.getppid(), spares),
                         name="loopscope-output-guard", daemon=True).start()


def _start_output_relay(fds: List[int]) -> None:
    """Called before any thread starts (fork safety)."""
    routes: Dict[int, int] = {}  # pipe read end -> the original socket
    try:
        for fd in fds:
            r, w = os.pipe()
            orig = os.dup(fd)
            os.dup2(w, fd)
            os.close(w)
            routes[r] = orig
        pid = os.fork()
    except OSError:
        return
    if pid:
        for r, orig in routes.items():
            os.close(r)
            os.close(orig)
        return
    try:
        _relay(routes)
    finally:
        os._exit(0)


def _relay(routes: Dict[int, int]) -> None:
    import select
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_IGN)  # Ctrl+C and terminate are for the program; EOF ends us
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)  # our copies of the pipes' write ends would keep EOF from ever coming
    while routes:
        for r in select.select(list(routes), [], [])[0]:
            data = os.read(r, 65536)
            dest = routes[r]
            if not data:
                os.close(r)
                if dest >= 0:
                    os.close(dest)
                del routes[r]
                continue
            try:
                while data and dest >= 0:
                    data = data[os.write(dest, data):]
            except OSError:  # the debugger is gone: drop from now on
                os.close(dest)
                routes[r] = -1


def _drop_output_when_orphaned(parent: int, spares: List[int]) -> None:
    while os.getppid() == parent:
        time.sleep(0.1)  # no event announces a parent's death without a signal the program could see
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        for fd in (1, 2):
            if stat.S_ISFIFO(os.fstat(fd).st_mode):
                os.dup2(devnull, fd)
        os.close(devnull)
    except OSError:
        pass
    import select
    while spares:
        readable, _, _ = select.select(spares, [], [])
        for fd in readable:
            try:
                if os.read(fd, 65536):
                    continue
            except BlockingIOError:
                continue
            except OSError:
                pass
            os.close(fd)  # every writer is gone
            spares.remove(fd)


# --- running the target -----------------------------------------------------------------------

_exit = {"code": 0}


def _at_exit() -> None:
    try:
        if _instrument.installed():
            PUMP.final_flush(_exit["code"])
    except Exception:
        pass


def _keep_plain_traceback(exc: BaseException) -> None:
    """Before 3.12 CPython stores the traceback on an exception only when a handler catches it, and
    the interpreter's top level does not: plain Python keeps the traceback as of the last handler the
    exception passed (asyncio.run's `with Runner()`), ours as of the launcher's. A task that raised
    it logs that traceback at shutdown, so it is cut back to the outermost frame, from the user's
    module inward, whose instruction lay in a handler's range."""
    if sys.version_info >= (3, 12):
        return
    node = exc.__traceback__
    while node is not None:
        if _in_handler(node.tb_frame.f_code, node.tb_lasti):
            exc.__traceback__ = node
            return
        node = node.tb_next


def _in_handler(code: types.CodeType, lasti: int) -> bool:
    """Whether the instruction at byte offset `lasti` of `code` lies in a try/finally/with handler's range."""
    import dis
    parse = getattr(dis, "_parse_exception_table", None)
    if parse is not None:  # 3.11: the code object's exception table
        return any(e.start <= lasti < e.end for e in parse(code))
    for ins in dis.get_instructions(code):  # 3.9, 3.10: SETUP_* to its handler
        if ins.opname in ("SETUP_FINALLY", "SETUP_WITH", "SETUP_ASYNC_WITH") and ins.offset <= lasti < ins.argval:
            return True
    return False


def _strip_tb(exc: BaseException) -> None:
    """Remove loopscope's frames from an exception's traceback (and its causes/contexts), so the
    printed traceback is what the plain run prints."""
    seen = set()
    e: Optional[BaseException] = exc
    stack = [exc]
    while stack:
        e = stack.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        tb = e.__traceback__
        while tb is not None and tb.tb_frame.f_code.co_filename.startswith(_LOOPSCOPE_DIR):
            tb = tb.tb_next
        head = tb
        while tb is not None:
            nxt = tb.tb_next
            while nxt is not None and nxt.tb_frame.f_code.co_filename.startswith(_LOOPSCOPE_DIR):
                nxt = nxt.tb_next
            tb.tb_next = nxt
            tb = nxt
        e.__traceback__ = head
        stack.append(e.__cause__)  # type: ignore[arg-type]
        stack.append(e.__context__)  # type: ignore[arg-type]


def _set_last_exception(exc: BaseException) -> None:
    """What CPython keeps of an uncaught exception (sys.last_*), as in a plain run: it holds the
    exception's frames, so what they reference (a coroutine never awaited) is freed at the same
    point of shutdown, and its warning reads the same."""
    sys.last_type, sys.last_value, sys.last_traceback = type(exc), exc, exc.__traceback__
    if sys.version_info >= (3, 12):
        setattr(sys, "last_exc", exc)


def _raise_as_uncaught(exc: BaseException) -> None:
    """Hands `exc` to CPython as an uncaught exception, as in a plain run: it prints it through
    sys.excepthook and, for KeyboardInterrupt, finalizes the interpreter (so tasks freed at
    shutdown still log "Task exception was never retrieved") before dying by SIGINT. The frames
    the exception gains on its way out (runpy, loopscope) are cut by a one-shot hook that then
    calls whatever hook the program installed."""
    head = exc.__traceback__
    program_hook = sys.excepthook

    def hook(tp: Any, value: Any, tb: Any) -> None:
        sys.excepthook = program_hook
        if value is exc:
            t = tb
            while t is not None and t is not head:
                t = t.tb_next
            tb = value.__traceback__ = t if t is not None else head
        program_hook(tp, value, tb)

    sys.excepthook = hook
    raise exc


def _exit_code(code: Any) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF if code >= 0 else code & 0xFF
    return 1


def _run_script(path: str, args: List[str]) -> None:
    sys.argv = [path] + list(args)
    abspath = os.path.abspath(path)
    if os.path.isdir(abspath) or (os.path.isfile(abspath) and _is_zip(abspath)):
        sys.path[0] = abspath
        runpy.run_path(abspath, run_name="__main__")
        return
    try:
        with open(abspath, "rb") as f:
            source = f.read()
    except OSError as e:
        sys.stderr.write("%s: can't open file %r: [Errno %d] %s\n"
                         % (sys.executable, abspath, e.errno or 0, e.strerror))
        _exit["code"] = 2
        raise SystemExit(2) from None
    sys.path[0] = os.path.dirname(abspath)
    main = types.ModuleType("__main__")
    main.__file__ = abspath
    main.__loader__ = importlib.machinery.SourceFileLoader("__main__", abspath)  # type: ignore[assignment]
    main.__builtins__ = builtins  # type: ignore[attr-defined]
    main.__annotations__ = {}  # type: ignore[attr-defined]
    main.__cached__ = None  # type: ignore[attr-defined]
    sys.modules["__main__"] = main
    code = compile(source, abspath, "exec", dont_inherit=True)
    exec(code, main.__dict__)


def _is_zip(path: str) -> bool:
    import zipfile
    try:
        return zipfile.is_zipfile(path)
    except OSError:
        return False


def _run_module(name: str, args: List[str]) -> None:
    # Exactly what `python -m name` does, including runpy's own frames in tracebacks.
    sys.argv = ["-m"] + list(args)
    sys.path[0] = os.getcwd()
    main = types.ModuleType("__main__")
    main.__builtins__ = builtins  # type: ignore[attr-defined]
    main.__annotations__ = {}  # type: ignore[attr-defined]
    sys.modules["__main__"] = main
    runpy._run_module_as_main(name, alter_argv=True)  # type: ignore[attr-defined]


def _pop_token_env() -> None:
    # The token authenticates the debugger to this process only; the program never sees it.
    for k in ("LOOPSCOPE_TOKEN", "LOOPSCOPE_TOKEN_FILE"):
        os.environ.pop(k, None)


def _note(msg: str) -> None:
    sys.stderr.write("loopscope: %s\n" % msg)
    sys.stderr.flush()


def main(argv: Optional[List[str]] = None) -> None:
    try:
        o = parse_args(sys.argv[1:] if argv is None else argv)
    except UsageError as e:
        if str(e):
            sys.stderr.write("loopscope: %s\n%s\n" % (e, USAGE))
            raise SystemExit(2)
        sys.stdout.write(USAGE + "\n")
        raise SystemExit(0)
    target_argv = [o.script] + o.args if o.script is not None else ["-m", o.module] + o.args
    atexit.register(_at_exit)
    if o.output_to_debugger:
        _guard_piped_output()
    env = dict(os.environ)
    if o.token_file:
        env.pop("LOOPSCOPE_TOKEN", None)
        env["LOOPSCOPE_TOKEN_FILE"] = o.token_file
    if o.connect is not None:
        try:
            token = _connection.load_token(env)
            ch, options = _connection.connect_launch(o.connect[0], o.connect[1], token, target_argv,
                                                     SESSION.start_epoch_ms)
        except _connection.HandshakeError as e:
            _note("%s; running the program without the debugger" % e)
        else:
            merged = dict(o.wire)
            merged.update(options)
            SESSION.set_options(merged)
            install_patches()
            PUMP.start()
            PUMP.attach(ch, merged, resync=False)
            DEBUGGER.wait_configuration()  # issue 12: breakpoints arrive before the target runs
    elif o.listen is not None:
        try:
            token = _connection.load_token(env) if ("LOOPSCOPE_TOKEN" in env or "LOOPSCOPE_TOKEN_FILE" in env) else None
            SESSION.set_options(dict(o.wire))
            host, port, tf = listen(o.listen[1], o.listen[0], token, target_argv)
            if tf is None:
                _note("listening on %s:%d" % (host, port))
            if o.wire.get("stopOnEntry"):
                # Like a debugger's --wait-for-client: hold the program until someone attaches.
                _note("waiting for a debugger to attach (--stop-on-entry)")
                PUMP.attached.wait()
        except (_connection.HandshakeError, OSError) as e:
            _note("cannot listen: %s; running the program without the debugger" % e)
    else:
        install(o.wire)
    _pop_token_env()
    try:
        if o.module is not None:
            _run_module(o.module, o.args)
        else:
            assert o.script is not None
            _run_script(o.script, o.args)
    except SystemExit as e:
        _exit["code"] = _exit_code(e.code)
        # Not re-raised: on its way out it would gain loopscope's and runpy's frames, which a
        # task that raised it logs at shutdown ("Task exception was never retrieved").
        _strip_tb(e)
        _keep_plain_traceback(e)
        raise SystemExit(e.code) from None
    except KeyboardInterrupt as e:
        _strip_tb(e)
        _exit["code"] = 130
        _raise_as_uncaught(e)
    except BaseException as e:
        _strip_tb(e)
        _exit["code"] = 1
        _set_last_exception(e)
        sys.excepthook(type(e), e, e.__traceback__)
        raise SystemExit(1) from None
    _exit["code"] = 0
