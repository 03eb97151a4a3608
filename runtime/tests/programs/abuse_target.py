# Abuse-suite target: a small asyncio service that ticks until its stdin closes, then prints its
# own totals and exits with code 5, so a test sees it ran to its normal end with its own output.
import asyncio
import sys


async def ticker(stop: asyncio.Event) -> int:
    n = 0
    while not stop.is_set():
        n += 1
        await asyncio.sleep(0.01)
    return n


async def main() -> None:
    stop = asyncio.Event()
    t = asyncio.create_task(ticker(stop), name="ticker")
    print("ready", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    stop.set()
    n = await t
    print("done", n > 0, flush=True)


asyncio.run(main())
sys.exit(5)
