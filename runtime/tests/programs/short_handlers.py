# Short-lived handler tasks: a start_server echo service answers eight concurrent clients, each
# connection's handler task reads a line, replies, closes and waits for the close; main gathers
# the clients. Every task's last wait is fixed by the program (see test_last_waits). With the
# argument "uvloop", the same under uvloop.run().
import asyncio
import sys

CLIENTS = 8


async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    line = await reader.readline()
    writer.write(line.upper())
    await writer.drain()
    writer.close()
    await writer.wait_closed()  # @handler-closed


async def client(port: int, n: int) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"hello %d\n" % n)
    answer = await reader.readline()  # @client-read
    writer.close()
    await writer.wait_closed()  # @client-closed
    return answer


async def main() -> None:
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    answers = await asyncio.gather(*(client(port, n) for n in range(CLIENTS)))  # @gather
    server.close()
    print(len(answers), answers[0].decode().strip())


if sys.argv[1:] == ["uvloop"]:
    import uvloop
    uvloop.run(main())
else:
    asyncio.run(main())
