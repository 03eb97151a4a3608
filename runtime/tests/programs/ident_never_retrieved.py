# Identity probe: a task whose exception is never retrieved (asyncio logs it when the task is freed).
import asyncio
import gc


async def boom() -> None:
    raise ValueError("nobody looks")


async def main() -> None:
    t = asyncio.ensure_future(boom())
    await asyncio.sleep(0.01)
    del t
    gc.collect()
    print("end of main")


asyncio.run(main())
