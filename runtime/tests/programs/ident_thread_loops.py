# Identity probe: threads that each run their own event loop, one of them failing.
import asyncio
import threading

results = {}


async def work(i: int) -> int:
    await asyncio.sleep(0.01 * i)
    if i == 2:
        raise ValueError("thread %d failed" % i)
    return i * i


def run(i: int) -> None:
    results[i] = asyncio.run(work(i))


threads = [threading.Thread(target=run, args=(i,), name="loop-%d" % i) for i in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(sorted(results.items()))
