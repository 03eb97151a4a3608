# Does a little asyncio work, prints, exits 3: used to check the program outlives its debugger.
import asyncio
import sys


async def main() -> None:
    for i in range(20):
        await asyncio.sleep(0.005)
    print("finished work")


asyncio.run(main())
sys.exit(3)
