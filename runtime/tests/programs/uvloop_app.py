# Runs tasks on uvloop (skipped by the tests when uvloop is not installed); ends when its "gate"
# task is cancelled.
import asyncio

import uvloop


async def child(n: int) -> int:
    await asyncio.sleep(0.01)
    return n + 1


async def main() -> None:
    t = asyncio.get_running_loop().create_task(child(1))
    t.set_name("uv-child")
    print(await t, type(asyncio.get_running_loop()).__module__)
    gate = asyncio.get_running_loop().create_task(asyncio.sleep(3600))
    gate.set_name("gate")
    try:
        await gate
    except asyncio.CancelledError:
        print("gate cancelled")


loop = uvloop.new_event_loop()
asyncio.set_event_loop(loop)
loop.run_until_complete(main())
loop.close()
