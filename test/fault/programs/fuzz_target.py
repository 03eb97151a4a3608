# DAP fuzz target: a producer, two consumers and a ticker (queue, event, lock, sleep waits) that run
# until the file named by argv[2] appears, so the test decides how long it lives; then it prints
# "bye", writes "finished" to the file named by argv[1] and exits with code 7.
import asyncio
import os
import sys


async def producer(q: "asyncio.Queue[int]", stop: asyncio.Event) -> int:
    n = 0
    while not stop.is_set():
        n += 1
        await q.put(n)
        await asyncio.sleep(0.005)
    return n


async def consumer(q: "asyncio.Queue[int]", lock: asyncio.Lock, stop: asyncio.Event) -> int:
    seen = 0
    while not stop.is_set():
        try:
            await asyncio.wait_for(q.get(), 0.05)
        except asyncio.TimeoutError:
            continue
        async with lock:
            seen += 1
    return seen


async def ticker(stop: asyncio.Event) -> None:
    while not stop.is_set():
        await asyncio.sleep(0.01)


async def main(stop_file: str) -> None:
    stop = asyncio.Event()
    q: "asyncio.Queue[int]" = asyncio.Queue(maxsize=8)
    lock = asyncio.Lock()
    tasks = [
        asyncio.create_task(producer(q, stop), name="producer"),
        asyncio.create_task(consumer(q, lock, stop), name="consumer-1"),
        asyncio.create_task(consumer(q, lock, stop), name="consumer-2"),
        asyncio.create_task(ticker(stop), name="ticker"),
    ]
    print("started", flush=True)
    while not os.path.exists(stop_file):
        await asyncio.sleep(0.02)
    stop.set()
    await asyncio.gather(*tasks)


asyncio.run(main(sys.argv[2]))
with open(sys.argv[1], "w") as f:
    f.write("finished")
print("bye", flush=True)
sys.exit(7)
