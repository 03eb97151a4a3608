# A task that is still pending when it is garbage-collected: nothing references it and the only
# future it waits on is dropped too.
import asyncio
import gc


async def orphan(fut: "asyncio.Future[None]") -> None:
    await fut  # @orphan-waits


async def main() -> None:
    loop = asyncio.get_running_loop()
    asyncio.ensure_future(orphan(loop.create_future()))
    await asyncio.sleep(0.01)
    gc.collect()
    print("collected")


asyncio.run(main())
