# Identity probe: asyncio.run() called from inside a running loop (a common mistake): the
# RuntimeError and the "never awaited" warning for the coroutine it was given, then a traceback.
import asyncio


async def inner() -> int:
    return 1


async def main() -> None:
    try:
        asyncio.run(inner())
    except RuntimeError as e:
        print("caught:", e)
    asyncio.run(inner())


asyncio.run(main())
