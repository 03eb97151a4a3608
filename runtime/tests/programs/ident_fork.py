# Identity probe: os.fork() inside a running task; the child exits through sys.exit (atexit runs).
import asyncio
import os
import sys


async def main() -> None:
    await asyncio.sleep(0)
    pid = os.fork()
    if pid == 0:
        print("child", flush=True)
        sys.exit(3)
    _, status = os.waitpid(pid, 0)
    print("parent saw", os.waitstatus_to_exitcode(status) if hasattr(os, "waitstatus_to_exitcode") else status >> 8)


asyncio.run(main())
