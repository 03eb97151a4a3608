# A burst of short tasks right before the program ends: 20 x gather of 1,500 tasks, then exit.
# Everything created must still reach the debugger (batches are capped, so it takes several).
import asyncio


async def short(i: int) -> int:
    await asyncio.sleep(0)
    return i


async def main() -> None:
    for _ in range(20):
        await asyncio.gather(*(short(i) for i in range(1500)))
    print("done")


asyncio.run(main())
