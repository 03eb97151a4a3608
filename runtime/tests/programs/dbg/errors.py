# Line-debugger test program: an exception caught by the awaiting task, then one that escapes.
import asyncio


async def bad():
    raise ValueError("boom")  # RAISE


async def main():
    try:
        await asyncio.create_task(bad(), name="bad")
    except ValueError:
        print("caught")  # CAUGHT
    raise KeyError("top")  # UNCAUGHT


asyncio.run(main())
