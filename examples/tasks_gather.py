"""Tasks and gather: three named tasks sleep for different times and gather collects
their results in argument order (not completion order).

Shows: asyncio.run, asyncio.create_task with names, asyncio.gather, task results.
Expected output ends with ``total: 60``.
"""
import asyncio


async def fetch(label: str, delay: float, value: int) -> int:
    await asyncio.sleep(delay)
    print(f"{label} done")
    return value


async def main() -> None:
    tasks = [
        asyncio.create_task(fetch("fetch-a", 0.03, 10), name="fetch-a"),
        asyncio.create_task(fetch("fetch-b", 0.01, 20), name="fetch-b"),
        asyncio.create_task(fetch("fetch-c", 0.05, 30), name="fetch-c"),
    ]
    results = await asyncio.gather(*tasks)
    print(f"results: {results}")
    print(f"total: {sum(results)}")


if __name__ == "__main__":
    asyncio.run(main())
