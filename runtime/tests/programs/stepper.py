# Driven entirely by the debugger: two workers spin on sleep(0) until they are cancelled; main
# holds locals of every interesting shape for the variables/evaluate requests.
import asyncio


class Bad:
    def __repr__(self) -> str:
        raise RuntimeError("repr exploded")


class Point:
    def __init__(self, x: int, y: int) -> None:
        self.x = x
        self.y = y

    @property
    def boom(self) -> int:
        raise AssertionError("a property must never be run by evaluate")


async def worker(name: str) -> int:
    total = 0
    i = 0
    while True:
        total += i
        i += 1
        await asyncio.sleep(0)  # @worker-yield


async def main() -> None:
    data = {"items": list(range(100)), "name": "main", "point": Point(1, 2)}
    bad = Bad()
    huge = "x" * 100_000
    tasks = [asyncio.create_task(worker("w%d" % i), name="w%d" % i) for i in range(2)]
    results = await asyncio.gather(*tasks, return_exceptions=True)  # @main-waits
    print([type(r).__name__ for r in results], len(data), type(bad).__name__, len(huge))


asyncio.run(main())
