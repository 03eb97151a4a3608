# Identity probe: an exception escapes asyncio.run with a chained cause.
import asyncio


async def parse(text: str) -> int:
    try:
        return int(text)
    except ValueError as e:
        raise RuntimeError("cannot parse %r" % text) from e


async def main() -> None:
    print("parsing")
    await asyncio.gather(parse("12"), parse("twelve"))


asyncio.run(main())
