"""BUG (deliberate): two tasks deadlocked on each other's events. ``ping`` waits for
``pong_ready`` before setting ``ping_ready``; ``pong`` waits for ``ping_ready`` before
setting ``pong_ready``. Neither can ever proceed: nothing is ready to run, and no I/O
or timer of theirs will ever wake them, a stall.

So that the program ends by itself, ``main`` watches them with a timeout (first
argument, else the DEADLOCK_TIMEOUT environment variable, else 2 seconds), prints
which tasks are still stuck and exits with status 1. The two tasks themselves stay
genuinely deadlocked until then; asyncio.run cancels them on the way out.

Loopscope's runtime reports a ``stall`` finding with both tasks' await chains.
Usage: python deadlock.py [TIMEOUT_SECONDS]
Expected output: ``deadlock: timed out after 2.0 s; still waiting: ping, pong``.
"""
import asyncio
import os
import sys


async def ping(ping_ready: asyncio.Event, pong_ready: asyncio.Event) -> None:
    await pong_ready.wait()  # BUG: waits for pong, which is waiting for us
    ping_ready.set()


async def pong(ping_ready: asyncio.Event, pong_ready: asyncio.Event) -> None:
    await ping_ready.wait()  # BUG: waits for ping, which is waiting for us
    pong_ready.set()


async def main(timeout: float) -> int:
    ping_ready, pong_ready = asyncio.Event(), asyncio.Event()
    tasks = [
        asyncio.create_task(ping(ping_ready, pong_ready), name="ping"),
        asyncio.create_task(pong(ping_ready, pong_ready), name="pong"),
    ]
    done, pending = await asyncio.wait(tasks, timeout=timeout)
    if not pending:
        print("no deadlock: both tasks finished")
        return 0
    stuck = ", ".join(sorted(t.get_name() for t in pending))
    print(f"deadlock: timed out after {timeout} s; still waiting: {stuck}")
    return 1


def timeout_from_args() -> float:
    raw = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("DEADLOCK_TIMEOUT", "2")
    try:
        return float(raw)
    except ValueError:
        raise SystemExit(f"deadlock.py: timeout must be a number of seconds, got {raw!r}")


if __name__ == "__main__":
    sys.exit(asyncio.run(main(timeout_from_args())))
