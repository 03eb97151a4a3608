# Identity probe: prints what a script can observe about how it was started.
import asyncio
import os
import sys


async def child(n: int) -> int:
    await asyncio.sleep(0)
    return n * 2


async def main() -> None:
    print(await asyncio.gather(*(child(i) for i in range(3))))
    print(asyncio.current_task().get_name(), asyncio.get_running_loop().get_task_factory())


print(__name__, __file__, sys.argv, sys.path[0], sorted(k for k in globals() if k.startswith("__")))
print(__loader__.name, __spec__, __package__, sys.modules["__main__"].__dict__ is globals())
print(sys.get_coroutine_origin_tracking_depth(), "LOOPSCOPE_TOKEN" in os.environ)
asyncio.run(main())
sys.stdout.write("no newline at end")
