# Waits whose future is a bare Future, named by what made it, as each ends: an executor job, a
# to_thread call, a subprocess start and communicate(), an open_connection and a stream read, and
# asyncio.run's own shutdown_default_executor (see test_last_waits).
import asyncio
import sys
import time


async def executor_job() -> None:
    await asyncio.get_running_loop().run_in_executor(None, time.sleep, 0.01)  # @executor


async def thread_call() -> None:
    await asyncio.to_thread(time.sleep, 0.01)  # @to_thread


async def communicate() -> None:
    proc = await asyncio.create_subprocess_exec(sys.executable, "-c", "print(1)", stdout=asyncio.subprocess.PIPE)
    await proc.communicate()  # @communicate


async def start_process() -> "asyncio.subprocess.Process":
    return await asyncio.create_subprocess_exec(sys.executable, "-c", "pass")  # @start


async def connect(port: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)  # @connect
    await reader.read()  # @read
    writer.close()


async def main() -> None:
    server = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    tasks = [asyncio.create_task(executor_job(), name="executor"), asyncio.create_task(thread_call(), name="to_thread"),
             asyncio.create_task(communicate(), name="communicate"), asyncio.create_task(start_process(), name="start")]
    await asyncio.create_task(connect(port), name="connect")
    results = await asyncio.gather(*tasks)
    await results[3].wait()
    server.close()
    print("ok")


asyncio.run(main())
