# Line-debugger test program: a second event loop in its own thread keeps ticking while the main
# loop's task reaches a breakpoint.
import asyncio
import threading


def side():
    async def ticker():
        for _ in range(150):
            await asyncio.sleep(0.01)
    asyncio.run(ticker())


async def main():
    t = threading.Thread(target=side, name="side-loop")
    t.start()
    await asyncio.sleep(0.1)
    marker = "main"  # MAIN-BP
    await asyncio.get_running_loop().run_in_executor(None, t.join)
    print("joined", marker)


asyncio.run(main())
