# The scale suite's programs (run as `python programs.py WORKLOAD ARGS...`): shaped like services
# that churn tasks, each printing one line that says what it did, so a run can be checked.
#   million N BATCH   N short tasks, BATCH at a time, each awaiting an Event, gathered
#   alive N           N tasks alive at once on one Event, then released and gathered
#   churn SECONDS RATE  RATE short tasks a second (each sleeps 1-20 ms) for SECONDS
import asyncio
import sys


async def short(ev: asyncio.Event) -> None:
    await ev.wait()  # IDLE STEP


async def batches(n: int, batch: int, hold: float) -> None:
    """n short tasks, `batch` alive at a time, released after `hold` seconds and gathered."""
    for _ in range(0, n, batch):
        ev = asyncio.Event()
        tasks = [asyncio.create_task(short(ev)) for _ in range(batch)]
        await asyncio.sleep(hold)
        ev.set()
        await asyncio.gather(*tasks)


async def handler(i: int) -> int:
    await asyncio.sleep(0.001 + (i % 20) / 1000.0)  # IDLE STEP
    return i


async def churn(seconds: float, rate: int) -> str:
    """Exactly seconds × rate tasks, made at `rate` a second (so the output is the same each run)."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    total = int(seconds * rate)
    made = 0
    pending: "set[asyncio.Task[int]]" = set()
    while made < total:
        due = min(total, int((loop.time() - start) * rate))
        while made < due:
            t = asyncio.create_task(handler(made))
            pending.add(t)
            t.add_done_callback(pending.discard)
            made += 1
        await asyncio.sleep(0.01)  # IDLE STEP (makes at most 50 tasks)
    await asyncio.gather(*pending)
    return "churn %d" % made


def main() -> None:
    kind, args = sys.argv[1], sys.argv[2:]
    if kind == "million":
        asyncio.run(batches(int(args[0]), int(args[1]), 0.0))
        print("million %s" % args[0])
    elif kind == "alive":
        asyncio.run(batches(int(args[0]), int(args[0]), 0.5))
        print("alive %s" % args[0])
    else:
        print(asyncio.run(churn(float(args[0]), int(args[1]))))


if __name__ == "__main__":
    main()
