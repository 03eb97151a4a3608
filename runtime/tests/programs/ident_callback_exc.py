# Identity probe: exceptions raised in done-callbacks and in call_soon callbacks are logged by the loop.
import asyncio


def bad_done(fut: "asyncio.Future[int]") -> None:
    raise RuntimeError("done-callback failed for %r" % fut.result())


def bad_soon() -> None:
    raise LookupError("call_soon callback failed")


async def main() -> None:
    loop = asyncio.get_running_loop()
    fut = loop.create_future()
    fut.add_done_callback(bad_done)
    fut.set_result(42)
    loop.call_soon(bad_soon)
    await asyncio.sleep(0.01)
    print("main survives")


asyncio.run(main())
