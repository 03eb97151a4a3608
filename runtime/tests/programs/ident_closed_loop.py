# Identity probe: asyncio and threading calls that raise where Loopscope patches them (a closed
# loop's call_soon, call_later, create_task and a running loop's close; a thread started twice):
# each traceback printed as it comes, then one left uncaught.
import asyncio
import threading
import traceback


async def job() -> None:
    pass


def attempts(loop: asyncio.AbstractEventLoop) -> None:
    for call in (lambda: loop.call_soon(print), lambda: loop.call_later(1, print),
                 lambda: loop.create_task(job())):
        try:
            call()
        except RuntimeError:
            traceback.print_exc()


async def close_running() -> None:
    try:
        asyncio.get_running_loop().close()
    except RuntimeError:
        traceback.print_exc()


loop = asyncio.new_event_loop()
loop.close()
attempts(loop)
asyncio.run(close_running())
t = threading.Thread(target=print, args=("thread ran",))
t.start()
t.join()
try:
    t.start()
except RuntimeError:
    traceback.print_exc()
loop.call_soon(print)
