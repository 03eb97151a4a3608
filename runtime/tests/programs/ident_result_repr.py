# Identity probe: task results whose __repr__ has a side effect (prints, counts). The runtime must
# describe results without running that code: the output and the count stay what a plain run shows.
import asyncio

CALLS = []


class Noisy:
    def __repr__(self) -> str:
        CALLS.append(1)
        print("repr called")
        return "Noisy()"


async def make() -> Noisy:
    await asyncio.sleep(0)
    return Noisy()


async def pair() -> list:
    await asyncio.sleep(0)
    return [1, "two", (3.0, None), {"k": b"v"}]


async def main() -> None:
    a = await asyncio.create_task(make(), name="noisy")
    b = await asyncio.create_task(pair(), name="plain")
    print(type(a).__name__, b, len(CALLS))


asyncio.run(main())
