"""A Semaphore-limited crawler: a tiny HTTP/1.0 server on 127.0.0.1 (port 0) serves
8 pages; the crawler fetches all of them concurrently with raw asyncio streams but
never has more than 3 requests in flight at once, which it measures and prints.

Shows: asyncio.Semaphore as a concurrency limit, open_connection, a local server,
gather over many tasks. Standard library only.
Expected output ends with ``fetched 8 pages, 1360 bytes, max in flight 3``.
"""
import asyncio

PAGES = 8
LIMIT = 3


async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    request = await reader.readline()
    while (await reader.readline()) not in (b"\r\n", b""):
        pass  # skip headers
    path = request.split()[1].decode()
    await asyncio.sleep(0.02)  # a slow backend, so requests overlap
    body = f"<html>page {path}</html>".encode().ljust(170, b" ")
    writer.write(b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
    await writer.drain()
    writer.close()


class Crawler:
    def __init__(self, port: int) -> None:
        self.port = port
        self.limit = asyncio.Semaphore(LIMIT)
        self.in_flight = 0
        self.max_in_flight = 0

    async def fetch(self, path: str) -> bytes:
        async with self.limit:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
                writer.write(f"GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n".encode())
                await writer.drain()
                response = await reader.read()
                writer.close()
                await writer.wait_closed()
            finally:
                self.in_flight -= 1
        head, _, body = response.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.0 200"), head
        return body


async def main() -> None:
    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        crawler = Crawler(port)
        bodies = await asyncio.gather(
            *(asyncio.create_task(crawler.fetch(f"/p{i}"), name=f"fetch-/p{i}") for i in range(PAGES))
        )
    print(f"first page: {bodies[0].decode().strip()}")
    print(f"fetched {len(bodies)} pages, {sum(map(len, bodies))} bytes, max in flight {crawler.max_in_flight}")


if __name__ == "__main__":
    asyncio.run(main())
