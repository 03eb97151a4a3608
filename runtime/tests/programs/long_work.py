# Runs for a while with several tasks, then exits with status 3: the debugger is killed mid-run.
import asyncio
import sys


async def worker(n: int) -> int:
    for _ in range(100):
        await asyncio.sleep(0.005)
    return n


async def main() -> None:
    print(sum(await asyncio.gather(*(worker(i) for i in range(5)))), flush=True)


asyncio.run(main())
sys.exit(3)
