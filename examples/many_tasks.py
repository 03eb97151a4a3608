"""10,000 tasks parked on one asyncio.Event while a ticker keeps the loop turning.

Shows how Loopscope copes with a crowd: the Async Tasks view, the status bar and pausing stay
responsive with ten thousand live tasks. Usage: many_tasks.py [TASKS] [TICKS]; the ticker sleeps
TICKS times for 10 ms (default 50, half a second) and then releases every task.
"""
import asyncio
import sys


async def parked(release: asyncio.Event, n: int) -> int:
    await release.wait()
    return n


async def ticker(release: asyncio.Event, ticks: int) -> None:
    for _ in range(ticks):
        await asyncio.sleep(0.01)
    release.set()


async def main(count: int, ticks: int) -> None:
    release = asyncio.Event()
    tasks = [asyncio.create_task(parked(release, n), name=f"parked-{n}") for n in range(count)]
    await ticker(release, ticks)
    results = await asyncio.gather(*tasks)
    print(f"{len(results)} tasks released, checksum {sum(results)}")


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    ticks = int(sys.argv[2]) if len(sys.argv) > 2 else 50
    asyncio.run(main(count, ticks))
