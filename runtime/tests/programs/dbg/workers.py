# Line-debugger test program: four concurrent worker tasks awaiting a coroutine and calling a sync helper.
import asyncio
import sys


def helper(n):
    total = n * 2  # HELPER
    return total


async def fetch(i):
    await asyncio.sleep(0.01)  # FETCH
    return i * 10


async def worker(idx, rounds):
    acc = 0
    for r in range(rounds):  # FOR
        value = await fetch(idx + r)  # AWAIT
        acc += value  # AFTER-AWAIT
        acc += helper(r)  # CALL-HELPER

    # BLANK (no code on this line or the one above)
    return acc  # WORKER-RETURN


async def main():
    tasks = [asyncio.create_task(worker(i, 3), name="worker-%d" % i) for i in range(4)]
    results = await asyncio.gather(*tasks)  # GATHER
    print("results", results)


asyncio.run(main())
sys.exit(3)
