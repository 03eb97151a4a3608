# Corpus: coroutines and async-only objects used like plain values (rule coroutine-misused).
import asyncio
import contextlib

import aiohttp
import anyio
import trio


async def fetch() -> list:
    await asyncio.sleep(0)
    return [1]


async def ticks():
    for i in range(3):
        yield i


@contextlib.asynccontextmanager
async def opened():
    yield 1


async def shapes() -> None:
    # shape: attribute access
    fetch().append(1)  # expect: coroutine-misused "fetch()"
    # shape: arithmetic
    total = fetch() + [2]  # expect: coroutine-misused "fetch()"
    # shape: subscript
    first = fetch()[0]  # expect: coroutine-misused "fetch()"
    # shape: len()
    n = len(fetch())  # expect: coroutine-misused "fetch()"
    # shape: str()
    s = str(fetch())  # expect: coroutine-misused "fetch()"
    # shape: print()
    print(fetch())  # expect: coroutine-misused "fetch()"
    # shape: sync for over an async generator
    for t in ticks():  # expect: coroutine-misused "ticks()"
        print(t)
    # shape: sync for over a StreamReader
    reader, _w = await asyncio.open_connection("localhost", 80)
    for line in reader:  # expect: coroutine-misused "reader"
        print(line)
    # shape: sync with on asyncio.Lock()
    with asyncio.Lock():  # expect: coroutine-misused "asyncio.Lock()"
        pass
    # shape: sync with on a lock held in a name
    lock = asyncio.Lock()
    with lock:  # expect: coroutine-misused "lock"
        pass
    # shape: sync with on TaskGroup
    with asyncio.TaskGroup() as tg:  # expect: coroutine-misused "asyncio.TaskGroup()"
        print(tg)
    # shape: sync with on an @asynccontextmanager function
    with opened() as v:  # expect: coroutine-misused "opened()"
        print(v)
    # shape: sync with on aiohttp.ClientSession
    with aiohttp.ClientSession() as session:  # expect: coroutine-misused "aiohttp.ClientSession()"
        print(session)
    # shape: name holding a coroutine used for attribute access
    data = fetch()
    data.sort()  # expect: coroutine-misused "data"
    # shape: unpacking a coroutine
    a, b = fetch()  # expect: coroutine-misused "fetch()"
    print(total, first, n, s, a, b)


async def requests_in_sync_with(session: aiohttp.ClientSession) -> None:
    # shape: aiohttp request used with a sync with
    with session.get("https://example.org") as resp:  # expect: coroutine-misused "session.get(\"https://example.org\")"
        print(resp)


async def function_expected() -> None:
    # shape: coroutine object passed to a trio nursery
    async with trio.open_nursery() as nursery:
        nursery.start_soon(fetch())  # expect: coroutine-misused "fetch()"
    # shape: coroutine object passed to an anyio task group
    async with anyio.create_task_group() as tg:
        tg.start_soon(fetch())  # expect: coroutine-misused "fetch()"
    # shape: coroutine object as a loop callback
    loop = asyncio.get_running_loop()
    loop.call_later(1, fetch())  # expect: coroutine-misused "fetch()"
    # shape: coroutine object passed to asyncio.to_thread
    await asyncio.to_thread(fetch())  # expect: coroutine-misused "fetch()"
    # shape: coroutine object passed to trio.run
    trio.run(fetch())  # expect: coroutine-misused "fetch()"
