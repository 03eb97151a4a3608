"""TaskGroup (Python 3.11+): structured concurrency. Three children run inside an
``async with asyncio.TaskGroup()``; the block waits for all of them. A second group
shows that when one child fails, its siblings are cancelled and the failure surfaces
as an ExceptionGroup.

On Python older than 3.11 the program prints a message and exits with status 0
(nothing to show there). Expected output ends with ``siblings cancelled: 2``.
"""
import asyncio
import sys

if sys.version_info < (3, 11):
    print(f"taskgroup.py needs Python 3.11+ (asyncio.TaskGroup); this is {sys.version.split()[0]}, skipping")
    raise SystemExit(0)


async def child(name: str, delay: float) -> str:
    await asyncio.sleep(delay)
    return name.upper()


async def failing(delay: float) -> None:
    await asyncio.sleep(delay)
    raise ValueError("child-fail gave up")


async def patient(cancelled: "list[str]", name: str) -> None:
    try:
        await asyncio.sleep(10)
    except asyncio.CancelledError:
        cancelled.append(name)
        raise


async def main() -> None:
    async with asyncio.TaskGroup() as tg:
        tasks = [tg.create_task(child(n, d), name=n) for n, d in (("a", 0.03), ("b", 0.01), ("c", 0.02))]
    print(f"group results: {[t.result() for t in tasks]}")

    cancelled: "list[str]" = []
    try:
        async with asyncio.TaskGroup() as tg:
            tg.create_task(patient(cancelled, "p1"), name="p1")
            tg.create_task(patient(cancelled, "p2"), name="p2")
            tg.create_task(failing(0.01), name="child-fail")
    except ExceptionGroup as group:  # a plain except, so older Pythons can still parse the file
        print(f"caught: {group.exceptions[0]!r}")
    print(f"siblings cancelled: {len(cancelled)}")


if __name__ == "__main__":
    asyncio.run(main())
