# Identity probe: KeyboardInterrupt raised inside a gathered coroutine.
import asyncio


async def quiet() -> None:
    await asyncio.sleep(10)


async def interrupted() -> None:
    await asyncio.sleep(0)
    raise KeyboardInterrupt


async def main() -> None:
    await asyncio.gather(quiet(), interrupted())


asyncio.run(main())
