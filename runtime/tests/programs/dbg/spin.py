# Line-debugger test program: one task spins in a CPU loop (pause anywhere), or blocks in time.sleep or
# in a threading.Lock's acquire.
import asyncio
import sys
import threading
import time


async def spin():
    keep = True
    n = 0
    while keep:
        n += 1  # SPIN
    return n


async def nap():
    delay = float(sys.argv[2]) if len(sys.argv) > 2 else 1.5
    time.sleep(delay)  # BLOCK
    return delay


async def locked():
    lock = threading.Lock()
    lock.acquire()
    threading.Timer(float(sys.argv[2]), lock.release).start()
    got = lock.acquire()  # LOCK
    return got


async def main():
    which = sys.argv[1]
    coro = {"spin": spin, "nap": nap, "lock": locked}[which]()
    result = await asyncio.create_task(coro, name=which)
    print("done", which, result > 0)


asyncio.run(main())
