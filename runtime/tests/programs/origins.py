# Tasks created where no task runs: in a call_soon callback (and in a callback that one
# schedules), in a call_later callback, by start_server for its handler, in a protocol's
# data_received, from another thread (run_coroutine_threadsafe), and in the handler.
import asyncio
import sys
import threading


async def leaf(tag: str) -> str:
    await asyncio.sleep(0)
    return tag


def from_callback(loop: asyncio.AbstractEventLoop, out: list) -> None:
    out.append(loop.create_task(leaf("cb")))  # CALLBACK CREATE
    loop.call_soon(from_chained, loop, out)


def from_chained(loop: asyncio.AbstractEventLoop, out: list) -> None:
    out.append(loop.create_task(leaf("chained")))  # CHAINED CREATE


def from_timer(loop: asyncio.AbstractEventLoop, out: list) -> None:
    out.append(loop.create_task(leaf("timer")))  # TIMER CREATE


async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    data = await reader.readline()
    inner = asyncio.create_task(leaf("in-handler"))  # HANDLER CREATE
    await inner
    writer.write(data)
    await writer.drain()
    writer.close()


class Echo(asyncio.Protocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        asyncio.get_running_loop().create_task(leaf("proto"))  # PROTOCOL CREATE
        self.transport.write(data)  # type: ignore[attr-defined]


async def main() -> None:
    loop = asyncio.get_running_loop()
    out: list = []
    loop.call_soon(from_callback, loop, out)  # CALLBACK SCHEDULED
    loop.call_later(0.001, from_timer, loop, out)
    while len(out) < 3:
        await asyncio.sleep(0.005)
    assert sorted(await asyncio.gather(*out)) == ["cb", "chained", "timer"]
    server = await asyncio.start_server(handle, "127.0.0.1", 0)  # START SERVER
    port = server.sockets[0].getsockname()[1]
    r, w = await asyncio.open_connection("127.0.0.1", port)
    w.write(b"hi\n")
    await w.drain()
    assert await r.readline() == b"hi\n"
    w.close()
    server.close()
    await server.wait_closed()
    proto_server = await loop.create_server(Echo, "127.0.0.1", 0)
    pport = proto_server.sockets[0].getsockname()[1]
    r, w = await asyncio.open_connection("127.0.0.1", pport)
    w.write(b"x")
    await r.readexactly(1)
    w.close()
    proto_server.close()
    done = threading.Event()
    res: list = []

    def thread() -> None:
        res.append(asyncio.run_coroutine_threadsafe(leaf("thread"), loop).result())  # THREAD CREATE
        done.set()

    threading.Thread(target=thread).start()
    while not done.is_set():
        await asyncio.sleep(0.005)
    print("ok", res[0])


if sys.argv[1:] == ["uvloop"]:  # the same under uvloop.run(): a loop whose scheduler is C
    import uvloop
    uvloop.run(main())
else:
    asyncio.run(main())
