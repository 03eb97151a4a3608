# Identity probe: sys.exit(3) from inside a coroutine.
import asyncio
import sys


async def main() -> None:
    print("exiting with 3", flush=True)
    sys.exit(3)


asyncio.run(main())
