# Corpus: correct code that must produce no diagnostics at all.
import asyncio
import concurrent.futures
import threading
import time
from typing import Optional

import anyio
import trio


async def work(n: int = 0) -> int:
    await asyncio.sleep(0)
    return n


async def agen():
    yield 1


def retry(fn):
    return fn


@retry
async def decorated() -> None:
    await asyncio.sleep(0)


class Holder:
    def __init__(self) -> None:
        # shape: coroutine stored on an attribute
        self.pending = work(1)
        # shape: task stored on an attribute
        self.task: Optional[asyncio.Task] = None

    async def start(self) -> None:
        self.task = asyncio.create_task(work(2))


_tasks: set = set()


async def consumers(loop: asyncio.AbstractEventLoop) -> int:
    # shape: awaited
    await work(1)
    # shape: awaited inside an expression
    print(await work(2))
    if await work(3):
        pass
    # shape: gather / wait / wait_for / shield
    await asyncio.gather(work(4), work(5))
    await asyncio.wait([asyncio.ensure_future(work(6))])
    await asyncio.wait_for(work(7), timeout=1)
    await asyncio.shield(work(8))
    # shape: coroutines collected in a list then gathered
    coros = [work(i) for i in range(3)]
    await asyncio.gather(*coros)
    # shape: coroutine kept in a name and awaited later
    later = work(9)
    await later
    # shape: coroutine chosen by a ternary then awaited
    chosen = work(10) if loop else work(11)
    await chosen
    # shape: coroutine closed explicitly
    unused = work(12)
    unused.close()
    # shape: task kept in a set with a done callback
    task = asyncio.create_task(work(13))
    _tasks.add(task)
    task.add_done_callback(_tasks.discard)
    # shape: task awaited
    t2 = asyncio.ensure_future(work(14))
    await t2
    # shape: TaskGroup.create_task
    async with asyncio.TaskGroup() as tg:
        tg.create_task(work(15))
    # shape: run_coroutine_threadsafe and run_until_complete consumers
    asyncio.run_coroutine_threadsafe(work(16), loop)
    # shape: passed to an unknown function
    schedule(work(17))
    # shape: stored in a container that is used
    jobs = {"a": work(18)}
    await jobs["a"]
    # shape: walrus that is awaited
    await (w := work(19))
    # shape: async iteration and async with
    async for item in agen():
        print(item, w)
    async with asyncio.Lock():
        pass
    # shape: async generator created and dropped is not a coroutine
    agen()
    # shape: unknown decorator may change the return value
    decorated()
    # shape: ensure_future of an existing future
    fut = loop.create_future()
    asyncio.ensure_future(fut)
    # shape: run_in_executor result (a future) dropped
    loop.run_in_executor(None, print, 1)
    # shape: blocking call handed to a thread
    await asyncio.to_thread(time.sleep, 0.1)
    await loop.run_in_executor(None, lambda: time.sleep(0.1))
    # shape: sync with on a threading lock
    with threading.Lock():
        pass
    # shape: coroutine attribute used legitimately
    c = work(20)
    print(c.cr_frame)
    c.close()
    # shape: coroutine in a comparison
    probe = work(21)
    if probe is not None:
        probe.close()
    # shape: anyio and trio nurseries take functions
    async with anyio.create_task_group() as atg:
        atg.start_soon(work, 1)
    async with trio.open_nursery() as nursery:
        nursery.start_soon(work, 2)
    # shape: a lazy generator expression creates no coroutine until consumed
    (work(i) for i in range(3))
    # shape: returned coroutine
    return await work(22)


def schedule(coro) -> None:
    coro.close()


def factory():
    # shape: returned from a sync function
    return work(23)


def gen():
    # shape: yielded
    yield work(24)


def runner(loop: asyncio.AbstractEventLoop) -> None:
    # shape: run_until_complete consumer
    loop.run_until_complete(work(25))


def sync_sleeper() -> None:
    # shape: time.sleep in a sync function
    time.sleep(0.1)


async def shadowing() -> None:
    # shape: local function shadowing a blocking name
    def sleep(x: float) -> None:
        print(x)

    sleep(1)


async def loops(items: list) -> None:
    # shape: name assigned in a loop and awaited on the next iteration
    prev = None
    for i in items:
        if prev is not None:
            await prev
        prev = work(i)
    # shape: unknown receiver is never guessed
    items.pop().refresh()


def threads() -> None:
    # shape: executor futures are not tasks
    with concurrent.futures.ThreadPoolExecutor() as pool:
        pool.submit(print, 1)


# shape: asyncio.run at module level
if __name__ == "__main__":
    asyncio.run(consumers(asyncio.new_event_loop()))


class Tests:
    def assertRaises(self, exc):
        raise NotImplementedError

    def test_bad_arguments(self) -> None:
        # shape: a call expected to fail inside assertRaises
        with self.assertRaises(TypeError):
            work("too", "many", "arguments")
        with self.assertRaises(RuntimeError):
            asyncio.ensure_future(work(1), loop=asyncio.new_event_loop())
