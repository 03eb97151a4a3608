# Corpus: a file with a syntax error still gets diagnostics for the parts that parse.
import asyncio


async def work() -> None:
    await asyncio.sleep(0)


async def fine() -> None:
    # shape: finding before a broken function
    work()  # expect: never-awaited "work()"


async def broken() -> None:
    # shape: broken statement is not guessed at
    x = work(
    y = 1 +


async def after() -> None:
    # shape: finding after a broken function
    work()  # expect: never-awaited "work()"
