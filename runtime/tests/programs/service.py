# A long-running service that lets a debugger attach later via loopscope.listen(); it serves
# until its "serve" task is cancelled (by the attached debugger, in the tests).
import asyncio
import sys

import loopscope


async def main() -> None:
    host, port, token_file = loopscope.listen(port=0)
    print("listening", host, port, token_file, flush=True)
    serve = asyncio.create_task(asyncio.sleep(3600), name="serve")
    try:
        await serve
    except asyncio.CancelledError:
        print("stopped by the debugger", flush=True)


asyncio.run(main())
sys.exit(0)
