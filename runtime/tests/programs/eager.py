# 3.12+ eager_task_factory: a task that finishes in its first (eager) step, and one that suspends
# after creating a child during its eager step.
import asyncio


async def sync() -> str:
    return "done eagerly"


async def inner() -> int:
    return 42


async def slow() -> int:
    child = asyncio.create_task(inner(), name="inner")
    await asyncio.sleep(0.01)
    return await child


async def main() -> None:
    loop = asyncio.get_running_loop()
    loop.set_task_factory(asyncio.eager_task_factory)
    a = asyncio.create_task(sync(), name="sync")
    b = asyncio.create_task(slow(), name="slow")  # @slow
    print(await a, await b, loop.get_task_factory() is asyncio.eager_task_factory)


asyncio.run(main())
