# Waits named at the level the user wrote them: main awaits queue.join() (Queue.join, not the
# Event.wait inside it), a task awaits server.serve_forever(), and, when aiohttp is installed, a
# task awaits an aiohttp response body that the local server holds back until released.
import asyncio

try:
    import aiohttp
except ImportError:
    aiohttp = None


async def worker(q: asyncio.Queue, gate: asyncio.Event) -> None:
    await q.get()
    await gate.wait()
    q.task_done()


async def slow_body(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.readuntil(b"\r\n\r\n")
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nab")
    await writer.drain()
    await RELEASE.wait()
    writer.write(b"cd")
    await writer.drain()
    writer.close()


async def fetch(port: int) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get("http://127.0.0.1:%d/" % port) as resp:
            body = await resp.read()  # @aiohttp
    print("body", body.decode())


async def main() -> None:
    global RELEASE
    RELEASE = asyncio.Event()
    gate = asyncio.Event()
    q: asyncio.Queue = asyncio.Queue()
    q.put_nowait(1)
    w = asyncio.create_task(worker(q, gate), name="worker")
    server = await asyncio.start_server(slow_body, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    serving = asyncio.create_task(server.serve_forever(), name="serving")
    fetcher = asyncio.create_task(fetch(port), name="fetch") if aiohttp is not None else None
    hold = asyncio.create_task(asyncio.sleep(3600), name="hold")  # the test cancels it

    async def release() -> None:
        try:
            await hold
        except asyncio.CancelledError:
            pass
        gate.set()

    releaser = asyncio.create_task(release(), name="releaser")
    await q.join()  # @join
    await releaser
    RELEASE.set()
    if fetcher is not None:
        await fetcher
    serving.cancel()
    await w
    print("done")


asyncio.run(main())
