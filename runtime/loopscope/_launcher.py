# `python -m loopscope …`: parses the command line, performs the launch handshake or starts the
# attach listener, installs the instrumentation, then runs the target exactly as `python script.py`
# / `python -m module` would (argv, __main__, sys.path[0], tracebacks without loopscope frames,
# SystemExit and exit codes), and reports process.exit at interpreter exit.
from __future__ import annotations

import atexit
import builtins
import importlib.machinery
import os
import runpy
import signal
import sys
import types
from typing import Any, Dict, List, Optional, Tuple

from . import _connection, _instrument
from ._session import SESSION as S

__all__ = ["main", "USAGE", "parse_args", "install", "listen", "Installation"]

USAGE = ("usage: python -m loopscope [--connect HOST:PORT | --listen HOST:PORT] [--token-file FILE] "
         "[--stop-on-entry] [--blocking-threshold-ms N] [--step-events] (script.py | -m module) [args...]")

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


def _hostport(v: str, flag: str) -> Tuple[str, int]:
    host, sep, port = v.rpartition(":")
    if not sep or not port.isdigit():
        raise UsageError("%s expects HOST:PORT, got %r" % (flag, v))
    return (host.strip("[]") or "127.0.0.1"), int(port)


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
            o.connect = _hostport(value(), name)
        elif name == "--listen":
            o.listen = _hostport(value(), name)
        elif name == "--token-file":
            o.token_file = value()
        elif a == "--stop-on-entry":
            o.wire["stopOnEntry"] = True
        elif a == "--step-events":
            o.wire["stepEvents"] = True
        elif name == "--blocking-threshold-ms":
            v = value()
            try:
                o.wire["blockingThresholdMs"] = float(v)
            except ValueError:
                raise UsageError("--blocking-threshold-ms expects a number, got %r" % v) from None
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
        return _connection.PUMP.events_out

    @property
    def batches(self) -> int:
        return _connection.PUMP.batches_out

    @property
    def bytes(self) -> int:
        return _connection.PUMP.bytes_out

    @property
    def tasks_total(self) -> int:
        return S.tasks_total

    def flush(self) -> None:
        _connection.PUMP.flush()


def install(options: Optional[Dict[str, Any]] = None) -> Installation:
    """Instrument every asyncio loop in this process without a debugger: events are built,
    encoded and counted by a null sink (what a live consumer would cost minus the socket)."""
    S.set_options(dict(options or {}))
    _instrument.install_patches()
    _connection.PUMP.null_sink = _connection.PUMP.channel is None
    _connection.PUMP.start()
    return Installation()


def listen(port: int = 0, host: str = "127.0.0.1", token: Optional[str] = None,
           _argv: Optional[List[str]] = None) -> Tuple[str, int, Optional[str]]:
    """Let a debugger attach to this process later. Returns (host, port, token_file); when no
    token is given one is generated and written to a new 0600 file whose path is also printed
    to stderr. The token file is None when the caller supplied the token."""
    token_file = None
    if token is None:
        token = os.urandom(16).hex()  # secrets.token_hex, without importing hmac/OpenSSL
        import tempfile  # here, not at import: on 3.13 it pulls in shutil, bz2, lzma (~0.8 MB)
        fd, token_file = tempfile.mkstemp(prefix="loopscope-", suffix=".token")
        with os.fdopen(fd, "w") as f:
            f.write(token)
    _instrument.install_patches()
    _connection.PUMP.null_sink = False
    _connection.PUMP.start()
    if _argv is None:  # the in-process API: flush what is pending when the interpreter exits
        atexit.register(_connection.PUMP.final_flush, None)
    lst = _connection.Listener(host, port, token, list(sys.argv if _argv is None else _argv))
    _connection.PUMP.listener = lst
    lst.start()
    if token_file is not None:
        sys.stderr.write("loopscope: listening on %s:%d (token file %s)\n" % (lst.host, lst.port, token_file))
        sys.stderr.flush()
    return lst.host, lst.port, token_file


# --- running the target -----------------------------------------------------------------------

_exit = {"code": 0, "sigint": False}


def _at_exit() -> None:
    try:
        if _instrument.installed():
            _connection.PUMP.final_flush(_exit["code"])
    except Exception:
        pass
    if _exit["sigint"]:
        # Like CPython after an unhandled KeyboardInterrupt: die by SIGINT so the parent sees it.
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except Exception:
            pass
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGINT)


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
    env = dict(os.environ)
    if o.token_file:
        env.pop("LOOPSCOPE_TOKEN", None)
        env["LOOPSCOPE_TOKEN_FILE"] = o.token_file
    if o.connect is not None:
        try:
            token = _connection.load_token(env)
            ch, options = _connection.connect_launch(o.connect[0], o.connect[1], token, target_argv)
        except _connection.HandshakeError as e:
            _note("%s; running the program without the debugger" % e)
        else:
            merged = dict(o.wire)
            merged.update(options)
            S.set_options(merged)
            _instrument.install_patches()
            _connection.PUMP.start()
            _connection.PUMP.attach(ch, merged, resync=False)
    elif o.listen is not None:
        try:
            token = _connection.load_token(env) if ("LOOPSCOPE_TOKEN" in env or "LOOPSCOPE_TOKEN_FILE" in env) else None
            S.set_options(dict(o.wire))
            host, port, tf = listen(o.listen[1], o.listen[0], token, target_argv)
            if tf is None:
                _note("listening on %s:%d" % (host, port))
            if o.wire.get("stopOnEntry"):
                # Like a debugger's --wait-for-client: hold the program until someone attaches.
                _note("waiting for a debugger to attach (--stop-on-entry)")
                _connection.PUMP.attached.wait()
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
        raise
    except KeyboardInterrupt as e:
        _strip_tb(e)
        _exit["code"] = 130
        _exit["sigint"] = True
        sys.excepthook(type(e), e, e.__traceback__)
        raise SystemExit(130) from None
    except BaseException as e:
        _strip_tb(e)
        _exit["code"] = 1
        sys.excepthook(type(e), e, e.__traceback__)
        raise SystemExit(1) from None
    _exit["code"] = 0
