# Identity probe: a failed task never awaited, alive until the interpreter shuts down.
import asyncio

keep = []


async def boom() -> None:
    raise ConnectionError("refused")


async def main() -> None:
    keep.append(asyncio.create_task(boom(), name="lost"))
    await asyncio.sleep(0.01)
    print("main done")


asyncio.run(main())
