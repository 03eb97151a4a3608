# Identity probe: KeyboardInterrupt at module level after a completed asyncio.run.
import asyncio


async def main() -> str:
    await asyncio.sleep(0)
    return "ran"


print(asyncio.run(main()))
raise KeyboardInterrupt
