"""An explicit event loop without asyncio.run: new_event_loop + set_event_loop,
ensure_future to schedule coroutines as tasks, run_until_complete to drive them,
then an orderly shutdown of async generators and close.

Shows: the pre-3.7 style of driving a loop, still common in older code bases.
Expected output ends with ``sum of squares: 30``.
"""
import asyncio


async def square(n: int) -> int:
    await asyncio.sleep(0.01 * n)
    return n * n


async def summarize(futures: "list[asyncio.Future[int]]") -> int:
    values = [await f for f in futures]
    print(f"squares: {values}")
    return sum(values)


def main() -> None:
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        futures = [asyncio.ensure_future(square(n), loop=loop) for n in range(1, 5)]
        total = loop.run_until_complete(summarize(futures))
        print(f"sum of squares: {total}")
        loop.run_until_complete(loop.shutdown_asyncgens())
    finally:
        asyncio.set_event_loop(None)
        loop.close()


if __name__ == "__main__":
    main()
