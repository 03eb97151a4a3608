# Corpus: tasks nobody keeps (rule dangling-task).
import asyncio
from asyncio import create_task


async def job() -> None:
    await asyncio.sleep(0)


async def shapes() -> None:
    # shape: create_task result discarded
    asyncio.create_task(job())  # expect: dangling-task "asyncio.create_task(job())"
    # shape: ensure_future result discarded
    asyncio.ensure_future(job())  # expect: dangling-task "asyncio.ensure_future(job())"
    # shape: task kept only in a local that is never used
    t = asyncio.create_task(job())  # expect: dangling-task "asyncio.create_task(job())"
    # shape: loop.create_task discarded
    loop = asyncio.get_running_loop()
    loop.create_task(job())  # expect: dangling-task "loop.create_task(job())"
    # shape: imported create_task discarded
    create_task(job())  # expect: dangling-task "create_task(job())"
    # shape: tasks collected in a list that is never used
    pending = [asyncio.create_task(job()) for _ in range(3)]  # expect: dangling-task "asyncio.create_task(job())"


async def kept() -> None:
    # shape: tasks collected in a list and awaited
    pending = [asyncio.create_task(job()) for _ in range(3)]
    await asyncio.gather(*pending)
    # shape: task handed to a TaskGroup-like owner
    async with asyncio.TaskGroup() as tg:
        tg.create_task(job())
