# A debugger that dies: listens, launches `python -m loopscope --connect` with the program's
# stdout/stderr piped to itself (as the adapter does), prints the program's pid, then kills itself
# with SIGKILL at the phase named on its command line. Used by test_abuse_observer.py.
from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading

from loopscope import _wire


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def main(phase: str, guard: bool, argv: list) -> None:
    token = secrets.token_hex(16)
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    flags = ["--output-to-debugger"] if guard else []
    if phase in ("paused", "step"):
        flags.append("--stop-on-entry")
    env = dict(os.environ, LOOPSCOPE_TOKEN=token)
    proc = subprocess.Popen([sys.executable, "-m", "loopscope", "--connect", "127.0.0.1:%d" % srv.getsockname()[1]]
                            + flags + argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                            start_new_session=True)
    print("pid", proc.pid, flush=True)
    for stream in (proc.stdout, proc.stderr):
        threading.Thread(target=lambda s=stream: [None for _ in iter(lambda: s.read(4096), b"")], daemon=True).start()
    conn, _ = srv.accept()
    rfile = conn.makefile("rb")
    assert json.loads(rfile.readline())["type"] == "hello"
    if phase == "handshake":
        die()
    conn.sendall(_wire.encode({"type": "welcome", "protocol": 1, "options": {"stopOnEntry": phase in ("paused", "step")}}))
    # as the adapter does once the editor has set its breakpoints: the launch may start the program
    conn.sendall(_wire.encode({"type": "request", "id": 0, "command": "configurationDone", "args": {}}))
    while True:
        line = rfile.readline()
        if not line:
            die()
        msg = json.loads(line)
        events = msg.get("events", []) if msg["type"] == "events" else []
        kinds = {e["kind"] for e in events}
        if phase == "running" and events:
            die()
        if phase == "paused" and "paused" in kinds:
            die()
        if phase == "step" and "paused" in kinds:
            conn.sendall(_wire.encode({"type": "request", "id": 1, "command": "stepTick", "args": {}}))
            die()
        if phase == "shutdown" and "process.exit" in kinds:
            die()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2] == "guard", sys.argv[3:])
