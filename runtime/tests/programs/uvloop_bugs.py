# A uvloop service with real bugs: a step that blocks the loop (time.sleep) and a task whose
# exception is never retrieved. Run with argument "install" for uvloop.install() + asyncio.run,
# else uvloop.run().
import asyncio
import sys
import time

import uvloop


async def blocker() -> None:
    await asyncio.sleep(0)
    time.sleep(0.3)  # BLOCKING LINE


async def failing() -> None:
    await asyncio.sleep(0)
    raise ValueError("boom")


async def worker(n: int) -> int:
    for _ in range(3):
        await asyncio.sleep(0)
    return n


async def main() -> None:
    await asyncio.gather(*(worker(i) for i in range(5)))
    await asyncio.get_running_loop().create_task(blocker())
    t = asyncio.get_running_loop().create_task(failing())
    await asyncio.sleep(0.05)
    del t
    print("done", type(asyncio.get_running_loop()).__module__)


if len(sys.argv) > 1 and sys.argv[1] == "install":
    uvloop.install()
    asyncio.run(main())
else:
    uvloop.run(main())
