# Identity probe: sys.exit() inside a task (awaited) and inside a task nobody awaits.
import asyncio
import sys


async def quits(code: int) -> None:
    await asyncio.sleep(0)
    sys.exit(code)


async def main() -> None:
    asyncio.create_task(quits(4), name="unawaited")
    await asyncio.sleep(0.05)
    await quits(5)


asyncio.run(main())
