# Line-debugger test program: an idle loop (await in the console at a tick-boundary hold), and a loop of rounds.
import asyncio


async def compute(x):
    await asyncio.sleep(0.01)
    return x * 2


async def main():
    total = 0
    for i in range(400):
        await asyncio.sleep(0.01)
        total += i  # ROUND
    print("total", total)


asyncio.run(main())
