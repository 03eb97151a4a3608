# Task life: parents, creation lines, results, exceptions with their raising line, cancellation
# by another task, loops in worker threads, new_event_loop + run_until_complete / run_forever.
import asyncio
import threading


async def leaf(n: int) -> int:
    await asyncio.sleep(0)
    return n * 10


async def failing() -> None:
    await asyncio.sleep(0)
    raise ValueError("bad item 7")  # @raise


async def victim() -> None:
    await asyncio.sleep(3600)  # @victim-wait


async def parent() -> int:
    child = asyncio.create_task(leaf(4), name="child")  # @child
    return await child


async def main() -> None:
    p = asyncio.create_task(parent(), name="parent")  # @parent
    f = asyncio.create_task(failing(), name="failing")
    v = asyncio.create_task(victim(), name="victim")
    await asyncio.sleep(0)
    v.cancel()  # @cancel-victim
    results = await asyncio.gather(p, f, v, return_exceptions=True)
    print([type(r).__name__ for r in results])


def in_thread() -> None:
    asyncio.run(leaf(2))  # @thread-run


def explicit_loops() -> None:
    loop = asyncio.new_event_loop()
    t = loop.create_task(leaf(3), name="explicit")  # @explicit
    loop.run_until_complete(t)
    loop.call_soon(loop.stop)
    loop.run_forever()
    loop.close()


asyncio.run(main())
th = threading.Thread(target=in_thread, name="worker-thread")
th.start()
th.join()
explicit_loops()
