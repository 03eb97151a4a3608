"""BUG (deliberate): a forgotten await. ``save()`` is a coroutine function; calling it
without ``await`` only creates a coroutine object, which is dropped, so nothing is
saved. Python prints "RuntimeWarning: coroutine 'save' was never awaited" to stderr
(when the object is garbage-collected) and the program still exits normally, with
status 0 and the wrong answer.

Loopscope's language server flags the marked line as ``never-awaited`` while you type,
and the runtime reports it with its origin line.
Expected output: ``saved 2 of 3 records``.
"""
import asyncio

STORE: "list[str]" = []


async def save(record: str) -> None:
    await asyncio.sleep(0.01)
    STORE.append(record)


async def main() -> None:
    await save("alpha")
    save("beta")  # BUG: missing await; the coroutine is created and never run
    await save("gamma")
    print(f"saved {len(STORE)} of 3 records")


if __name__ == "__main__":
    asyncio.run(main())
