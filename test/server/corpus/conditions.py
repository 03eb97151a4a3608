# Corpus: coroutines used where a truth value is expected (rule coroutine-in-condition).
import asyncio


async def ready() -> bool:
    await asyncio.sleep(0)
    return True


async def shapes(flag: bool) -> None:
    # shape: if
    if ready():  # expect: coroutine-in-condition "ready()"
        pass
    # shape: elif
    if flag:
        pass
    elif ready():  # expect: coroutine-in-condition "ready()"
        pass
    # shape: while
    while ready():  # expect: coroutine-in-condition "ready()"
        break
    # shape: not
    done = not ready()  # expect: coroutine-in-condition "ready()"
    # shape: and (left operand)
    both = ready() and flag  # expect: coroutine-in-condition "ready()"
    # shape: or inside if (right operand is truth-tested too)
    if flag or ready():  # expect: coroutine-in-condition "ready()"
        pass
    # shape: assert
    assert ready()  # expect: coroutine-in-condition "ready()"
    # shape: name holding a coroutine tested in if
    pending = ready()
    if pending:  # expect: coroutine-in-condition "pending"
        await pending
    # shape: ternary condition
    value = 1 if ready() else 2  # expect: coroutine-in-condition "ready()"
    # shape: comprehension filter
    picked = [x for x in range(3) if ready()]  # expect: coroutine-in-condition "ready()"
    print(done, both, value, picked)
