# Identity probe: fork() while the program has a thread of its own (3.12+ warns, with or without Loopscope).
import asyncio
import os
import threading

stop = threading.Event()
helper = threading.Thread(target=stop.wait, name="helper")
helper.start()


async def main() -> None:
    await asyncio.sleep(0)
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    print("forked with a thread")


asyncio.run(main())
stop.set()
helper.join()
