"""1,500 tasks that keep yielding (sleep 0) while one waits on a queue: more ready tasks in one
batch than the runtime gives a line to (YIELD_SITES_PER_BATCH); the waiting task always has one."""
import asyncio


async def spin(stop: asyncio.Event) -> None:
    while not stop.is_set():
        await asyncio.sleep(0)  # @spin


async def take(q: "asyncio.Queue[int]") -> int:
    return await q.get()  # @get


async def main() -> None:
    stop = asyncio.Event()
    q: "asyncio.Queue[int]" = asyncio.Queue()
    spinners = [asyncio.create_task(spin(stop), name="spin-%d" % i) for i in range(1500)]
    getter = asyncio.create_task(take(q), name="getter")
    for _ in range(5):
        await asyncio.sleep(0)  # @main
    stop.set()
    q.put_nowait(7)
    await asyncio.gather(*spinners)
    print(await getter)


asyncio.run(main())
