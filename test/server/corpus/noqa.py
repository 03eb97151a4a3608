# Corpus: `# noqa` silences exactly the named rule on one line.
import asyncio
import time


async def work() -> None:
    await asyncio.sleep(0)


async def shapes() -> None:
    # shape: noqa with the matching code
    work()  # noqa: never-awaited
    # shape: bare noqa silences everything on the line
    work()  # noqa
    # shape: noqa with another code does not silence
    work()  # noqa: dangling-task  # expect: never-awaited "work()"
    # shape: noqa with several codes
    time.sleep(1)  # noqa: never-awaited, blocking-call-in-async
    # shape: flake8-async and ruff codes for the same problems are honoured
    time.sleep(1)  # noqa: ASYNC251
    asyncio.create_task(work())  # noqa: RUF006
