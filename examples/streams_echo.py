"""Streams: an echo server on 127.0.0.1 (port 0, so the OS picks a free port) and a
client that sends three lines and reads each echo back, upper-cased by the server.

Shows: asyncio.start_server, open_connection, StreamReader.readline,
StreamWriter.write/drain/close/wait_closed, a server per-connection handler task.
Expected output ends with ``echoed 3 lines``.
"""
import asyncio


handlers_done: "list[asyncio.Event]" = []


async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while True:
        line = await reader.readline()
        if not line:
            break
        writer.write(line.upper())
        await writer.drain()
    writer.close()
    await writer.wait_closed()
    handlers_done[0].set()


async def main() -> None:
    # The client must not leave before the server's handler task has finished closing,
    # or asyncio.run would cancel that task on the way out.
    handlers_done.append(asyncio.Event())
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        count = 0
        for word in ("hello", "async", "world"):
            writer.write(f"{word}\n".encode())
            await writer.drain()
            reply = (await reader.readline()).decode().strip()
            print(f"sent {word!r}, got {reply!r}")
            count += 1
        writer.close()
        await writer.wait_closed()
        await handlers_done[0].wait()
    print(f"echoed {count} lines")


if __name__ == "__main__":
    asyncio.run(main())
