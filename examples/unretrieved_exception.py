"""BUG (deliberate): a task exception that is never retrieved. ``sync_inventory()``
raises, but nobody awaits its task or calls ``.result()``/``.exception()``, so the
error is silently lost; the program prints a cheerful summary and exits 0. The only
trace is asyncio's "Task exception was never retrieved" log on stderr, printed when
the task object is garbage-collected, far from where it failed.

Loopscope's runtime reports an ``unretrieved-exception`` finding at the marked line,
where the task was created, naming the line that raised.
Expected output: ``inventory sync scheduled`` then ``done, 0 errors reported``.
"""
import asyncio
import gc


async def sync_inventory() -> None:
    await asyncio.sleep(0.01)
    raise ConnectionError("inventory service refused the connection")


async def main() -> None:
    task = asyncio.create_task(sync_inventory(), name="sync-inventory")  # BUG: never awaited, its exception is lost
    print("inventory sync scheduled")
    await asyncio.sleep(0.05)  # the task fails meanwhile
    del task
    gc.collect()  # makes asyncio's "never retrieved" log appear now rather than at exit
    print("done, 0 errors reported")


if __name__ == "__main__":
    asyncio.run(main())
