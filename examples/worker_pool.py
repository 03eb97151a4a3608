"""Worker pool on asyncio.Queue: a producer enqueues 12 jobs, three named workers
(worker-1, worker-2, worker-3) process them, and once the queue is drained
(queue.join) the workers, still blocked in Queue.get, are cancelled.

Shows: asyncio.Queue, task_done/join, named tasks, cancellation at the end,
gather(return_exceptions=True) to reap cancelled tasks.
Expected output ends with ``processed 12 jobs, total 156`` and ``workers cancelled: 3``.
"""
import asyncio

JOBS = 12


async def producer(queue: "asyncio.Queue[int]") -> None:
    for job in range(1, JOBS + 1):
        await queue.put(job)
        await asyncio.sleep(0.005)


async def worker(name: str, queue: "asyncio.Queue[int]", done: "dict[str, int]") -> None:
    while True:
        job = await queue.get()
        try:
            await asyncio.sleep(0.01 * (job % 3 + 1))
            done[name] = done.get(name, 0) + 1
            done["total"] = done.get("total", 0) + job * 2
        finally:
            queue.task_done()


async def main() -> None:
    queue: "asyncio.Queue[int]" = asyncio.Queue(maxsize=4)
    done: "dict[str, int]" = {}
    workers = [
        asyncio.create_task(worker(f"worker-{i}", queue, done), name=f"worker-{i}")
        for i in range(1, 4)
    ]
    await asyncio.create_task(producer(queue), name="producer")
    await queue.join()
    for w in workers:
        w.cancel()
    outcomes = await asyncio.gather(*workers, return_exceptions=True)
    cancelled = sum(isinstance(o, asyncio.CancelledError) for o in outcomes)
    processed = sum(v for k, v in done.items() if k != "total")
    print(f"processed {processed} jobs, total {done['total']}")
    print(f"workers cancelled: {cancelled}")


if __name__ == "__main__":
    asyncio.run(main())
