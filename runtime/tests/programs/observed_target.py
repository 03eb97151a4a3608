# Observer-death target: prints on stdout and stderr for about a second, then fills a pipe's
# worth, records that it reached its end in the file named by argv[1], and exits with code 7.
# With a second argument "uvloop", the same under uvloop.run().
import asyncio
import sys


async def worker(i: int) -> None:
    await asyncio.sleep(0.01)
    print("line", i, flush=True)
    print("err", i, file=sys.stderr, flush=True)


async def main() -> None:
    for i in range(80):
        await worker(i)
    sys.stdout.write("x" * 200_000 + "\n")
    sys.stdout.flush()


if sys.argv[2:] == ["uvloop"]:  # the same under uvloop.run(): a loop whose scheduler is C
    import uvloop
    uvloop.run(main())
else:
    asyncio.run(main())
with open(sys.argv[1], "w") as f:
    f.write("finished")
print("bye")
sys.exit(7)
