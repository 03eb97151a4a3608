"""Threads and the event loop in both directions: run_in_executor pushes blocking work
to a thread pool and awaits it, and a plain thread submits a coroutine back into the
loop with run_coroutine_threadsafe and waits for its result.

Shows: loop.run_in_executor, ThreadPoolExecutor, asyncio.run_coroutine_threadsafe,
concurrent.futures.Future.result from a foreign thread.
Expected output: ``executor results: [1, 4, 9]`` then ``thread got: 42``.
"""
import asyncio
import concurrent.futures
import threading
import time


def blocking_square(n: int) -> int:
    time.sleep(0.02)  # genuinely blocking work, fine in a worker thread
    return n * n


async def answer() -> int:
    await asyncio.sleep(0.01)
    return 42


def foreign_thread(loop: asyncio.AbstractEventLoop, out: "list[int]") -> None:
    future = asyncio.run_coroutine_threadsafe(answer(), loop)
    out.append(future.result(timeout=5))


async def main() -> None:
    loop = asyncio.get_running_loop()
    with concurrent.futures.ThreadPoolExecutor(max_workers=3, thread_name_prefix="pool") as pool:
        results = await asyncio.gather(
            *(loop.run_in_executor(pool, blocking_square, n) for n in (1, 2, 3))
        )
    print(f"executor results: {results}")

    out: "list[int]" = []
    thread = threading.Thread(target=foreign_thread, args=(loop, out), name="submitter")
    thread.start()
    # Wait for the thread without blocking the loop: it needs the loop to run answer().
    await loop.run_in_executor(None, thread.join)
    print(f"thread got: {out[0]}")


if __name__ == "__main__":
    asyncio.run(main())
