# Identity probe: reads stdin through the event loop (run_in_executor) and echoes it.
import asyncio
import sys


async def main() -> None:
    loop = asyncio.get_running_loop()
    data = await loop.run_in_executor(None, sys.stdin.read)
    for line in data.splitlines():
        print(line.upper())
    print("lines:", len(data.splitlines()), file=sys.stderr)


asyncio.run(main())
