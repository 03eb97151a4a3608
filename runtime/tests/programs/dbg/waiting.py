# Line-debugger test program: a loop with nothing to do (main waits on an Event; the loop sleeps
# in select) until the console awaits release().
import asyncio

STOP = None


async def release():
    STOP.set()
    return "released"


async def main():
    global STOP
    STOP = asyncio.Event()
    await STOP.wait()  # WAIT
    print("released")


asyncio.run(main())
