# Identity probe: asyncio.run twice in a row, and a nested asyncio.run refused inside a running loop.
import asyncio


async def inner() -> int:
    return 1


async def nested() -> None:
    coro = inner()
    try:
        asyncio.run(coro)
    except RuntimeError as e:
        print("nested:", e)
    finally:
        coro.close()


async def main(n: int) -> int:
    await asyncio.sleep(0)
    return n * 2


print(asyncio.run(main(1)))
print(asyncio.run(main(2)))
asyncio.run(nested())
