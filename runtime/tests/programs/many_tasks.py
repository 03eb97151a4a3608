# Creates N short tasks (argv[1]) in batches, then waits on a "gate" task for the debugger.
import asyncio
import sys


async def short(i: int) -> int:
    await asyncio.sleep(0)
    return i


async def main(n: int) -> None:
    done = 0
    while done < n:
        batch = min(1000, n - done)
        await asyncio.gather(*(short(i) for i in range(batch)))
        done += batch
    gate = asyncio.create_task(asyncio.sleep(3600), name="gate")
    try:
        await gate
    except asyncio.CancelledError:
        print("created", done)


asyncio.run(main(int(sys.argv[1])))
