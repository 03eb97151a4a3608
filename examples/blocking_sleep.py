"""BUG (deliberate): a blocking call inside a coroutine. ``refresh_cache()`` calls
``time.sleep(0.3)``, which freezes the whole event loop: the heartbeat task, which
should tick every 20 ms, cannot run at all for those 300 ms. The program works and
exits 0; it is just stalled, which it prints by measuring the heartbeat's longest gap.

Loopscope's runtime reports a ``blocking-call`` finding pointing at the marked line
(the line that blocked, not just the task), and the language server flags
``time.sleep`` inside ``async def``. The fix: ``await asyncio.sleep(0.3)``.
Expected output ends with ``heartbeat stalled by the blocking call: True``.
"""
import asyncio
import time


async def heartbeat(gaps: "list[float]", stop: asyncio.Event) -> None:
    last = time.monotonic()
    while not stop.is_set():
        await asyncio.sleep(0.02)
        now = time.monotonic()
        gaps.append(now - last)
        last = now


async def refresh_cache() -> str:
    await asyncio.sleep(0.05)
    time.sleep(0.3)  # BUG: blocks the event loop; should be `await asyncio.sleep(0.3)`
    return "cache refreshed"


async def main() -> None:
    gaps: "list[float]" = []
    stop = asyncio.Event()
    beat = asyncio.create_task(heartbeat(gaps, stop), name="heartbeat")
    print(await asyncio.create_task(refresh_cache(), name="refresh-cache"))
    await asyncio.sleep(0.05)
    stop.set()
    await beat
    print(f"heartbeat stalled by the blocking call: {max(gaps) >= 0.25}")


if __name__ == "__main__":
    asyncio.run(main())
