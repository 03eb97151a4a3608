# Identity probe: an unhandled KeyboardInterrupt (exit by SIGINT, traceback on stderr).
import asyncio


async def main() -> None:
    raise KeyboardInterrupt


asyncio.run(main())
