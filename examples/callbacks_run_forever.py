"""Plain callbacks with run_forever: call_soon runs callbacks in FIFO order on the next
tick, call_later fires after a delay, and a final callback calls loop.stop() so
run_forever returns. No coroutines at all: this is the loop's bare scheduling.

Shows: new_event_loop, call_soon, call_later, loop.stop, run_forever.
Expected output ends with ``stopped after 4 callbacks``.
"""
import asyncio


def main() -> None:
    loop = asyncio.new_event_loop()
    fired: "list[str]" = []

    def record(label: str) -> None:
        fired.append(label)
        print(f"callback {label}")

    def finish() -> None:
        record("stop")
        loop.stop()

    loop.call_soon(record, "soon-1")
    loop.call_soon(record, "soon-2")
    loop.call_later(0.02, record, "later-20ms")
    loop.call_later(0.05, finish)
    try:
        loop.run_forever()
    finally:
        loop.close()
    print(f"stopped after {len(fired)} callbacks")


if __name__ == "__main__":
    main()
