"""A worker blocked in Queue.get is woken by the producer's put (not by main, which created it)."""
import asyncio


async def worker(q: "asyncio.Queue[int]") -> int:
    return await q.get()


async def producer(q: "asyncio.Queue[int]") -> None:
    await asyncio.sleep(0)
    q.put_nowait(7)
    await asyncio.sleep(0)


async def main() -> None:
    q: "asyncio.Queue[int]" = asyncio.Queue()
    w = asyncio.create_task(worker(q), name="worker")
    p = asyncio.create_task(producer(q), name="producer")
    print(await w)
    await p


asyncio.run(main())
