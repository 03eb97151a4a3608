"""A task that waits on a queue for 200 ms and ends: younger than the 250 ms a task lives before
its first task.state, so only its task.done can say what it waited on."""
import asyncio


async def waiter(q: "asyncio.Queue[int]") -> int:
    return await q.get()  # @get


async def main() -> None:
    q: "asyncio.Queue[int]" = asyncio.Queue()
    t = asyncio.create_task(waiter(q), name="short-waiter")
    await asyncio.sleep(0.2)
    q.put_nowait(5)
    print(await t)


asyncio.run(main())
