# loopscope.install(): in-process instrumentation with no debugger; events go to a counting sink.
import asyncio

import loopscope

inst = loopscope.install({"maxFinishedTasks": 10})


async def job(i: int) -> int:
    await asyncio.sleep(0)
    return i


async def main() -> int:
    return sum(await asyncio.gather(*(job(i) for i in range(100))))


print(asyncio.run(main()))
inst.flush()
print(inst.tasks_total, inst.events > 100, inst.batches > 0, inst.bytes > 1000)
