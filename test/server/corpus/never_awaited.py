# Corpus: coroutines created and dropped (rule never-awaited).
import asyncio
import anyio
import trio
import aiofiles
import asyncpg
import httpx
import aiohttp
import redis.asyncio as aioredis
from asyncio import sleep as nap


async def work(n: int = 0) -> int:
    await asyncio.sleep(0)
    return n


class Service:
    queue: asyncio.Queue

    def __init__(self, lock: asyncio.Lock) -> None:
        self.lock = lock
        self.client = httpx.AsyncClient()

    async def refresh(self) -> "Service":
        return self

    async def run(self) -> None:
        # shape: method on self dropped
        self.refresh()  # expect: never-awaited "self.refresh()"
        # shape: attribute initialised in __init__ (httpx client) dropped
        self.client.get("https://example.org")  # expect: never-awaited "self.client.get(\"https://example.org\")"
        # shape: class-level annotated attribute
        self.queue.join()  # expect: never-awaited "self.queue.join()"
        # shape: attribute set from an annotated parameter
        self.lock.acquire()  # expect: never-awaited "self.lock.acquire()"


class LoggedService(Service):
    async def refresh(self) -> "Service":
        # shape: super() call of an async method
        super().refresh()  # expect: never-awaited "super().refresh()"
        return self


def make_service() -> Service:
    return Service(asyncio.Lock())


async def shapes(svc: Service) -> None:
    # shape: bare call in async def
    work(1)  # expect: never-awaited "work(1)"
    # shape: assigned to underscore
    _ = work(2)  # expect: never-awaited "work(2)"
    # shape: assigned to a name never used afterwards
    result = work(3)  # expect: never-awaited "work(3)"
    # shape: unused walrus
    (pending := work(4))  # expect: never-awaited "work(4)"
    # shape: tuple of coroutines as a statement
    work(5), work(6)  # expect: never-awaited "work(5)"; never-awaited "work(6)"
    # shape: ternary of coroutines as a statement
    work(7) if svc else work(8)  # expect: never-awaited "work(7)"; never-awaited "work(8)"
    # shape: list comprehension of coroutines as a statement
    [work(i) for i in range(3)]  # expect: never-awaited "work(i)"
    # shape: method through an annotated parameter
    svc.refresh()  # expect: never-awaited "svc.refresh()"
    # shape: method through x = Cls()
    other = Service(asyncio.Lock())
    other.refresh()  # expect: never-awaited "other.refresh()"
    # shape: method on the value returned by an awaited call
    fresh = await svc.refresh()
    fresh.refresh()  # expect: never-awaited "fresh.refresh()"
    # shape: method on the return type of a sync factory
    make_service().refresh()  # expect: never-awaited "make_service().refresh()"
    # shape: aliased import from asyncio
    nap(1)  # expect: never-awaited "nap(1)"
    # shape: library coroutine asyncio.sleep
    asyncio.sleep(1)  # expect: never-awaited "asyncio.sleep(1)"
    # shape: stream reader from open_connection
    reader, writer = await asyncio.open_connection("localhost", 80)
    reader.readline()  # expect: never-awaited "reader.readline()"
    writer.drain()  # expect: never-awaited "writer.drain()"
    # shape: asyncio queue method
    queue: asyncio.Queue = asyncio.Queue()
    queue.put(1)  # expect: never-awaited "queue.put(1)"
    # shape: dict literal of coroutines never used
    pending_map = {"a": work(9)}  # expect: never-awaited "work(9)"


async def libraries() -> None:
    # shape: httpx AsyncClient in async with
    async with httpx.AsyncClient() as client:
        client.post("https://example.org")  # expect: never-awaited "client.post(\"https://example.org\")"
    # shape: asyncpg connection
    conn = await asyncpg.connect("postgresql://")
    conn.execute("select 1")  # expect: never-awaited "conn.execute(\"select 1\")"
    # shape: aiofiles file
    async with aiofiles.open("x.txt") as f:
        f.read()  # expect: never-awaited "f.read()"
    # shape: redis.asyncio client
    r = aioredis.Redis()
    r.set("k", "v")  # expect: never-awaited "r.set(\"k\", \"v\")"
    # shape: anyio and trio sleeps
    anyio.sleep(1)  # expect: never-awaited "anyio.sleep(1)"
    trio.sleep(1)  # expect: never-awaited "trio.sleep(1)"
    # shape: aiohttp session request dropped
    async with aiohttp.ClientSession() as session:
        session.get("https://example.org")  # expect: never-awaited "session.get(\"https://example.org\")"
    # shape: asyncio subprocess
    proc = await asyncio.create_subprocess_exec("ls")
    proc.wait()  # expect: never-awaited "proc.wait()"
    # shape: stream attribute of a subprocess
    proc.stdout.readline()  # expect: never-awaited "proc.stdout.readline()"


def sync_caller() -> None:
    # shape: bare call in a sync function
    work(10)  # expect: never-awaited "work(10)"


# shape: bare call at module level
work(11)  # expect: never-awaited "work(11)"
