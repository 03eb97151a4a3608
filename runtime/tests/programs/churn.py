# Short tasks faster than a debugger can be told about them one by one: 6 batches of 10,000
# gathered tasks, of which every 100th fails and every 100th (offset 1) is cancelled, beside two
# long-lived tasks. Prints how many ended each way, as the program itself counted them.
import asyncio
import sys
import json


async def short(i: int, ev: asyncio.Event) -> int:
    await ev.wait()
    if i % 100 == 0:
        raise ValueError(i)
    return i


async def long_lived(ev: asyncio.Event) -> str:
    await ev.wait()
    return "long"


async def main() -> None:
    counts = {"result": 0, "exception": 0, "cancelled": 0}
    end = asyncio.Event()
    keep = [asyncio.create_task(long_lived(end), name="long-%d" % n) for n in range(2)]
    for _ in range(6):
        ev = asyncio.Event()
        tasks = [asyncio.create_task(short(i, ev)) for i in range(10_000)]
        await asyncio.sleep(0)
        for t in tasks[1::100]:
            t.cancel()
        ev.set()
        for r in await asyncio.gather(*tasks, return_exceptions=True):
            kind = "cancelled" if isinstance(r, asyncio.CancelledError) else "exception" if isinstance(r, Exception) else "result"
            counts[kind] += 1
    end.set()
    await asyncio.gather(*keep)
    counts["result"] += len(keep)
    print(json.dumps(counts))


if sys.argv[1:] == ["uvloop"]:  # the same under uvloop.run(): a loop whose scheduler is C
    import uvloop
    uvloop.run(main())
else:
    asyncio.run(main())
