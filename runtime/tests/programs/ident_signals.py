# Identity probe: a loop signal handler, then death by an unhandled SIGTERM.
import asyncio
import os
import signal


async def main() -> None:
    loop = asyncio.get_running_loop()
    got = asyncio.Event()
    loop.add_signal_handler(signal.SIGUSR1, lambda: (print("got SIGUSR1"), got.set()))
    os.kill(os.getpid(), signal.SIGUSR1)
    await got.wait()
    loop.remove_signal_handler(signal.SIGUSR1)
    print("now SIGTERM", flush=True)
    signal.raise_signal(signal.SIGTERM)


asyncio.run(main())
