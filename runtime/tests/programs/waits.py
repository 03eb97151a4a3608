# Every kind of wait at once: each task is parked on a different thing; the test checks how each
# is classified, then cancels the "gate" task from the debugger, which ends the program.
import asyncio
import socket
import sys
import threading


async def sleeper() -> None:
    await asyncio.sleep(30)  # @sleep


async def holder(lock: asyncio.Lock) -> None:
    async with lock:  # @lock
        pass


async def condition_waiter(cond: asyncio.Condition) -> None:
    async with cond:
        await cond.wait()  # @condition


async def spinner() -> None:
    while True:
        await asyncio.sleep(0)  # @yield


async def reader_task(host: str, port: int) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        await reader.readline()  # @stream.read
    finally:
        writer.close()


async def writer_task(host: str, port: int) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    writer.transport.set_write_buffer_limits(high=1024)
    try:
        while True:
            writer.write(b"x" * 65536)
            await writer.drain()  # @stream.write
    finally:
        writer.transport.abort()


async def main() -> None:
    loop = asyncio.get_running_loop()
    q: "asyncio.Queue[int]" = asyncio.Queue()
    full: "asyncio.Queue[int]" = asyncio.Queue(maxsize=1)
    full.put_nowait(1)
    lock = asyncio.Lock()
    await lock.acquire()
    ev = asyncio.Event()
    cond = asyncio.Condition()
    sem = asyncio.Semaphore(0)
    fut = loop.create_future()  # @created-future
    a, b = socket.socketpair()
    a.setblocking(False)
    gate_open = threading.Event()

    async def never_reads(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            w.close()

    server = await asyncio.start_server(never_reads, "127.0.0.1", 0)
    host, port = server.sockets[0].getsockname()[:2]
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "import sys; sys.stdin.read()", stdin=asyncio.subprocess.PIPE)

    sleeping = asyncio.create_task(sleeper(), name="sleep")
    tasks = [
        sleeping,
        asyncio.create_task(q.get(), name="queue.get"),
        asyncio.create_task(full.put(2), name="queue.put"),
        asyncio.create_task(holder(lock), name="lock"),
        asyncio.create_task(ev.wait(), name="event"),
        asyncio.create_task(condition_waiter(cond), name="condition"),
        asyncio.create_task(sem.acquire(), name="semaphore"),
        asyncio.create_task(reader_task(host, port), name="stream.read"),
        asyncio.create_task(writer_task(host, port), name="stream.write"),
        asyncio.create_task(loop.sock_recv(a, 100), name="socket.read"),
        asyncio.create_task(proc.wait(), name="subprocess"),
        asyncio.create_task(spinner(), name="yield"),
    ]

    async def in_executor() -> None:
        await loop.run_in_executor(None, gate_open.wait)  # @executor

    async def await_task() -> None:
        await sleeping  # @task

    async def await_gather() -> None:
        await asyncio.gather(ev.wait(), sem.acquire())  # @gather

    async def await_future() -> None:
        await fut  # @future

    tasks += [asyncio.create_task(in_executor(), name="executor"),
              asyncio.create_task(await_task(), name="task"),
              asyncio.create_task(await_gather(), name="gather"),
              asyncio.create_task(await_future(), name="future")]
    gate = asyncio.create_task(asyncio.sleep(3600), name="gate")
    try:
        await gate
    except asyncio.CancelledError:
        pass
    gate_open.set()
    for t in tasks:
        t.cancel()  # @cancel
    await asyncio.gather(*tasks, return_exceptions=True)
    proc.stdin.close()
    await proc.wait()
    server.close()
    a.close()
    b.close()
    print("all released")


asyncio.run(main())
