"""Timeouts and cancellation: wait_for gives up on a slow operation and cancels it;
an explicit Task.cancel() is observed inside the task (which cleans up and re-raises);
shield keeps an inner task running even though the outer wait timed out.

Shows: asyncio.wait_for + TimeoutError, Task.cancel, CancelledError handling,
asyncio.shield.
Expected output ends with ``shielded task still finished: saved``.
"""
import asyncio


async def slow(result: str, delay: float) -> str:
    await asyncio.sleep(delay)
    return result


async def cleanup_on_cancel(log: "list[str]") -> None:
    try:
        await asyncio.sleep(10)
    except asyncio.CancelledError:
        log.append("cleaned up")
        raise


async def main() -> None:
    # 1. wait_for: the inner coroutine is cancelled when the timeout expires.
    try:
        await asyncio.wait_for(slow("never", 5), timeout=0.05)
    except asyncio.TimeoutError:
        print("wait_for timed out after 0.05 s")

    # 2. cancel: the task sees CancelledError at its await, cleans up, re-raises.
    log: "list[str]" = []
    task = asyncio.create_task(cleanup_on_cancel(log), name="sleeper")
    await asyncio.sleep(0.01)
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        print(f"task {task.get_name()} cancelled: {task.cancelled()}, {log[0]}")

    # 3. shield: the outer wait times out, the shielded task carries on.
    inner = asyncio.create_task(slow("saved", 0.1), name="shielded")
    try:
        await asyncio.wait_for(asyncio.shield(inner), timeout=0.02)
    except asyncio.TimeoutError:
        print("outer wait timed out, inner cancelled? " + str(inner.cancelled()))
    print(f"shielded task still finished: {await inner}")


if __name__ == "__main__":
    asyncio.run(main())
