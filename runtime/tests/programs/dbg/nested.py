# Line-debugger test program: function breakpoints whose code does not start at offset 0 on 3.12+
# (an `async def` awaited by the main coroutine, a closure with a free variable).
import asyncio


async def inner(x):
    y = x + 1  # INNER
    await asyncio.sleep(0)
    return y * 2


def make_counter():
    count = [0]

    def bump(step):
        count[0] += step  # BUMP
        return count[0]
    return bump


async def outer():
    r = await inner(5)  # CALL
    print("r", r, make_counter()(3))


asyncio.run(outer())
