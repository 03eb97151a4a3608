# `python -m pkgdemo`: prints its view of the world, then fails.
import asyncio
import sys

print(__name__, __file__, sys.argv, sys.path[0], __package__, __spec__.name)


async def main() -> None:
    raise LookupError("missing " + " ".join(sys.argv[1:]))


asyncio.run(main())
