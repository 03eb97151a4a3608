# Probe for test_records.py: instruments this process (patches only, no writer thread, so nothing
# drains the session), exercises task records, and prints what it saw as one JSON object.
import asyncio
import json
import sys
import weakref

from loopscope import _launcher
from loopscope._session import MAX_STALE_MARKS, TaskInfo, info_of

S = _launcher.SESSION  # the process's session, made and wired by the launcher
_launcher.install_patches()


async def main() -> dict:
    out: dict = {"maxStale": MAX_STALE_MARKS}
    ev = asyncio.Event()

    async def waiter() -> None:
        await ev.wait()

    tasks = [asyncio.create_task(waiter(), name="waiter-%d" % i) for i in range(100)]
    await asyncio.sleep(0)
    refs = [weakref.getweakrefs(t) for t in tasks]
    out["oneRefEach"] = all(len(r) == 1 and r[0].__class__ is TaskInfo for r in refs)
    out["allTasksSeesThem"] = set(tasks) <= asyncio.all_tasks()
    out["names"] = sorted({info_of(t).name for t in tasks[:3]})
    tasks[1].set_name("renamed")
    out["renamed"] = info_of(tasks[1]).name
    out["liveBefore"] = S.live_count
    # Taken out of asyncio's registry by hand: the task is no longer listed there, its record is
    # still found and counted.
    first = tasks[0]
    rec = info_of(first)
    asyncio.tasks._unregister_task(first)
    out["unregisteredHidden"] = first not in asyncio.all_tasks()
    out["unregisteredKept"] = info_of(first) is rec and S.find(rec.id) is rec
    ev.set()
    await asyncio.gather(*tasks)
    out["liveAfter"] = S.live_count
    out["endedName"] = rec.name
    # Marked tasks that are still alive stay listed while thousands of others finish.
    keep = asyncio.Event()
    sleepers = [asyncio.create_task(keep.wait()) for _ in range(10)]
    await asyncio.sleep(0)
    for _ in range(5):
        await asyncio.gather(*(asyncio.sleep(0) for _ in range(1000)))
    out["dirtyLen"] = len(S.dirty)
    out["sleepersListed"] = all(info_of(t).dirty and any(i is info_of(t) for i in S.dirty) for t in sleepers)
    keep.set()
    await asyncio.gather(*sleepers)
    return out


print(json.dumps(asyncio.run(main())))
sys.stdout.flush()
