# Benchmark child program: runs exactly one asyncio workload and writes its figures to the JSON file
# named by BENCH_RESULT_FILE. run.py starts it plain, under `python -m loopscope` and in asyncio
# debug mode, so it must behave identically in all three; standard library only.
"""One benchmark workload per process: python workloads.py NAME PARAMS_JSON."""
from __future__ import annotations

import asyncio
import json
import os
import resource
import sys
import time
from typing import Any, Callable, Coroutine, Dict

__all__ = ["WORKLOADS", "main"]


async def _sleep_steps(tasks: int, steps: int) -> Dict[str, Any]:
    """(a) many tasks that each yield to the loop `steps` times: pure scheduling cost."""

    async def stepper() -> int:
        for _ in range(steps):
            await asyncio.sleep(0)
        return steps

    results = await asyncio.gather(*(stepper() for _ in range(tasks)))
    if sum(results) != tasks * steps:
        raise AssertionError("lost steps")
    return {"tasks": tasks, "steps": steps, "taskSteps": tasks * (steps + 1)}


async def _tcp_echo(clients: int, round_trips: int, size: int) -> Dict[str, Any]:
    """(b) loopback TCP echo over asyncio streams with many concurrent clients."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                data = await reader.read(65536)
                if not data:
                    break
                writer.write(data)
                await writer.drain()
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=clients + 16)
    port = server.sockets[0].getsockname()[1]
    payload = b"x" * size

    async def client() -> int:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        done = 0
        for _ in range(round_trips):
            writer.write(payload)
            await writer.drain()
            echoed = await reader.readexactly(size)
            if echoed != payload:
                raise AssertionError("corrupted echo")
            done += 1
        writer.close()
        await writer.wait_closed()
        return done

    t0 = time.perf_counter()
    total = sum(await asyncio.gather(*(client() for _ in range(clients))))
    elapsed = time.perf_counter() - t0
    server.close()
    await server.wait_closed()
    if total != clients * round_trips:
        raise AssertionError("lost round trips")
    return {
        "clients": clients,
        "roundTrips": total,
        "payloadBytes": size,
        "echoSeconds": elapsed,
        "roundTripsPerSecond": total / elapsed,
    }


async def _many_tasks(count: int) -> Dict[str, Any]:
    """(c) `count` short tasks all alive at once: peak memory of per-task bookkeeping."""

    async def short(i: int) -> int:
        await asyncio.sleep(0)
        return i

    tasks = [asyncio.ensure_future(short(i)) for i in range(count)]
    results = await asyncio.gather(*tasks)
    if len(results) != count:
        raise AssertionError("lost tasks")
    return {"tasks": count}


async def _task_churn(count: int, alive: int) -> Dict[str, Any]:
    """(c') `count` short tasks that come and go, at most `alive` at a time: memory must stay
    bounded by what is alive plus the runtime's finished-task retention limit."""

    async def short(i: int) -> int:
        await asyncio.sleep(0)
        return i

    done = 0
    for start in range(0, count, alive):
        wave = [asyncio.ensure_future(short(i)) for i in range(start, min(count, start + alive))]
        done += len(await asyncio.gather(*wave))
    if done != count:
        raise AssertionError("lost tasks")
    return {"tasks": count, "alive": alive}


WORKLOADS: Dict[str, Callable[[Dict[str, int]], Coroutine[Any, Any, Dict[str, Any]]]] = {
    "sleep_steps": lambda p: _sleep_steps(p["tasks"], p["steps"]),
    "tcp_echo": lambda p: _tcp_echo(p["clients"], p["roundTrips"], p["size"]),
    "many_tasks": lambda p: _many_tasks(p["tasks"]),
    "task_churn": lambda p: _task_churn(p["tasks"], p["alive"]),
}


def _maxrss_bytes() -> int:
    # Linux: VmHWM is the peak RSS of this process image. ru_maxrss is not usable there: exec
    # folds the pre-exec image's peak into it, and subprocess spawns via vfork, so a child would
    # inherit the driver's peak (which grows while it decodes 100k-event batches).
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    # ru_maxrss is KiB on Linux and bytes on macOS.
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss if sys.platform == "darwin" else rss * 1024


def main(argv: list) -> int:
    name = argv[1]
    params = json.loads(argv[2])
    rss_before = _maxrss_bytes()
    t0 = time.perf_counter()
    cpu0 = time.process_time()
    detail = asyncio.run(WORKLOADS[name](params))
    wall = time.perf_counter() - t0
    cpu = time.process_time() - cpu0
    out = {
        "workload": name,
        "params": params,
        "wallSeconds": wall,
        "cpuSeconds": cpu,
        "maxrssBytes": _maxrss_bytes(),
        "maxrssBeforeBytes": rss_before,
        "loopscopeLoaded": "loopscope" in sys.modules,
        "asyncioDebug": bool(os.environ.get("PYTHONASYNCIODEBUG")),
        "detail": detail,
    }
    path = os.environ.get("BENCH_RESULT_FILE")
    if path:
        with open(path, "w", encoding="utf-8") as fh:
            json.dump(out, fh)
    else:
        print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
