# Identity probe: the user enabled coroutine origin tracking, so the never-awaited warning shows
# where the coroutine was created; that text must be exactly what a plain run prints.
import asyncio
import gc
import sys

sys.set_coroutine_origin_tracking_depth(3)


async def save() -> None:
    await asyncio.sleep(0)


def helper() -> None:
    save()


async def main() -> None:
    helper()
    gc.collect()
    print(sys.get_coroutine_origin_tracking_depth())


asyncio.run(main())
