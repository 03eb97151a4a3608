# Corpus: coroutines that reach the drop through declared and inferred types (return annotations,
# TypeVar bounds, aliases, unannotated sync functions and their chains, parameter annotations,
# bare names, `return` from an async def declared non-awaitable). Each shape has its correct twin.
import asyncio
import collections.abc
import typing as t
from typing import Any, Awaitable, Coroutine, Optional, TypeVar, Union

AwaitableInt = TypeVar("AwaitableInt", bound=Awaitable[int])
Anything = TypeVar("Anything")
Job = Coroutine[Any, Any, int]


async def fetch() -> int:
    await asyncio.sleep(0)
    return 1


def compute() -> int:
    return 2


class Config:
    def __init__(self, retries: int) -> None:
        self.retries = retries

    def set_retries(self, n: int) -> None:
        self.retries = n

    @staticmethod
    def parse(text: str) -> "Config":
        return Config(len(text))


# ---- return annotations ----
def make_coroutine() -> Coroutine[Any, Any, int]:
    return fetch()


def make_awaitable() -> Awaitable[int]:
    return fetch()


def make_quoted() -> "Coroutine[Any, Any, int]":
    return fetch()


def make_union(flag: bool) -> Union[int, Awaitable[int]]:
    return fetch() if flag else 0


def make_pep604(flag: bool) -> int | Awaitable[int]:
    return fetch() if flag else 0


def make_optional(flag: bool) -> Optional[Coroutine[Any, Any, int]]:
    return fetch() if flag else None


def make_bound() -> AwaitableInt:  # type: ignore[type-var]
    ...


def make_alias() -> Job:
    return fetch()


def make_module_alias() -> t.Awaitable[int]:
    return fetch()


def make_abc() -> collections.abc.Coroutine[Any, Any, int]:
    return fetch()


def make_value() -> int:
    return 3


def make_any() -> Any:
    return 4


# ---- inferred returns of unannotated sync functions ----
def plain():
    return fetch()


def chained():
    return plain()


def chained_twice(flag):
    if flag:
        return chained()
    return make_coroutine()


def maybe_none(flag):
    if flag:
        return fetch()
    return None


def sometimes_value(flag):
    if flag:
        return fetch()
    return compute()


def launder(value: Any) -> Any:
    return value


def identity(value: Anything) -> Anything:
    return value


def untyped_identity(value):
    return value


class Runner:
    async def run(self) -> int:
        return 1

    def start(self):
        return self.run()


async def returns_and_annotations(runner: Runner) -> None:
    # shape: sync function annotated Coroutine[...], result dropped
    make_coroutine()  # expect: never-awaited "make_coroutine()"
    # shape: sync function annotated Awaitable[...], result dropped
    make_awaitable()  # expect: never-awaited "make_awaitable()"
    # shape: string annotation
    make_quoted()  # expect: never-awaited "make_quoted()"
    # shape: Union containing Awaitable, result dropped
    make_union(True)  # expect: never-awaited "make_union(True)"
    # shape: PEP 604 union containing Awaitable, result dropped
    make_pep604(True)  # expect: never-awaited "make_pep604(True)"
    # shape: Optional[Coroutine], result dropped
    make_optional(True)  # expect: never-awaited "make_optional(True)"
    # shape: TypeVar bound to Awaitable
    make_bound()  # expect: never-awaited "make_bound()"
    # shape: module-level alias of Coroutine[...]
    make_alias()  # expect: never-awaited "make_alias()"
    # shape: typing imported as a module alias
    make_module_alias()  # expect: never-awaited "make_module_alias()"
    # shape: collections.abc.Coroutine
    make_abc()  # expect: never-awaited "make_abc()"
    # shape: declared Coroutine used in a condition
    if make_coroutine():  # expect: coroutine-in-condition "make_coroutine()"
        pass
    # shape: unannotated sync function returning a coroutine
    plain()  # expect: never-awaited "plain()"
    # shape: chain of unannotated sync functions
    chained()  # expect: never-awaited "chained()"
    # shape: chain through an annotated factory on every branch
    chained_twice(True)  # expect: never-awaited "chained_twice(True)"
    # shape: coroutine or None, dropped
    maybe_none(True)  # expect: never-awaited "maybe_none(True)"
    # shape: coroutine laundered through a function taking and returning Any
    launder(fetch())  # expect: never-awaited "launder(fetch())"
    # shape: coroutine through a generic identity function
    identity(fetch())  # expect: never-awaited "identity(fetch())"
    # shape: coroutine through an unannotated identity function
    untyped_identity(fetch())  # expect: never-awaited "untyped_identity(fetch())"
    # shape: sync method returning self.<async method>()
    runner.start()  # expect: never-awaited "runner.start()"
    # shape: declared coroutine kept in a local never used
    pending = make_awaitable()  # expect: never-awaited "make_awaitable()"


async def returns_and_annotations_correct(runner: Runner) -> None:
    # shape: declared coroutine awaited
    await make_coroutine()
    await make_quoted()
    await make_alias()
    # shape: declared awaitable handed to gather
    await asyncio.gather(make_awaitable(), make_abc(), make_module_alias())
    # shape: union result checked before awaiting (a condition on a union is legitimate)
    maybe = make_optional(False)
    if maybe:
        await maybe
    value = make_union(False)
    if isinstance(value, int):
        print(value)
    if make_union(False):
        pass
    # shape: non-awaitable and Any annotations dropped
    make_value()
    make_any()
    # shape: inferred chains awaited
    await plain()
    await chained()
    await chained_twice(False)
    await runner.start()
    # shape: function returning a coroutine on one path and a value on another: unknown, silent
    sometimes_value(True)
    # shape: laundering and identity functions given plain values
    launder(compute())
    identity(compute())
    untyped_identity(3)
    # shape: laundered coroutine awaited
    await launder(fetch())
    await identity(fetch())
    # shape: maybe-coroutine assigned and used
    later = maybe_none(True)
    if later is not None:
        await later


# ---- parameter annotations ----
def needs_int(n: int) -> int:
    return n


def needs_text(*, text: str) -> str:
    return text


def needs_config(config: Config) -> None:
    print(config)


def needs_ints(*values: int) -> int:
    return sum(values)


def takes_any(value: Any) -> None:
    print(value)


def takes_untyped(value) -> None:
    print(value)


def takes_awaitable(value: Awaitable[int]) -> Awaitable[int]:
    return value


def takes_optional_awaitable(value: Optional[Awaitable[int]] = None) -> None:
    print(value)


def takes_object(value: object) -> None:
    print(value)


def takes_typevar(value: Anything) -> None:
    print(value)


async def parameters(config: Config) -> None:
    # shape: coroutine to a parameter annotated int
    needs_int(fetch())  # expect: coroutine-misused "fetch()"
    # shape: coroutine to a keyword-only parameter annotated str
    needs_text(text=fetch())  # expect: coroutine-misused "fetch()"
    # shape: coroutine to a parameter annotated with a plain class
    needs_config(fetch())  # expect: coroutine-misused "fetch()"
    # shape: coroutine to *args annotated int
    needs_ints(1, fetch())  # expect: coroutine-misused "fetch()"
    # shape: coroutine to a constructor parameter annotated int
    Config(fetch())  # expect: coroutine-misused "fetch()"
    # shape: coroutine to a bound method parameter annotated int
    config.set_retries(fetch())  # expect: coroutine-misused "fetch()"
    # shape: coroutine to a static method parameter annotated str
    Config.parse(fetch())  # expect: coroutine-misused "fetch()"
    # shape: declared coroutine (sync factory) to a parameter annotated int
    needs_int(make_coroutine())  # expect: coroutine-misused "make_coroutine()"
    # shape: coroutine held in a local, then passed to a parameter annotated int
    job = fetch()
    needs_int(job)  # expect: coroutine-misused "job"


async def parameters_correct(config: Config) -> None:
    # shape: awaited before passing
    needs_int(await fetch())
    needs_text(text=str(await fetch()))
    config.set_retries(await fetch())
    # shape: Any, unannotated, object, TypeVar and awaitable parameters
    takes_any(fetch())
    takes_untyped(fetch())
    takes_object(fetch())
    takes_typevar(fetch())
    await takes_awaitable(fetch())
    takes_optional_awaitable(fetch())
    # shape: maybe-coroutine (union) passed to a typed parameter: not certain, silent
    takes_any(make_union(True))


# ---- statements and returns ----
async def bare_name() -> None:
    # shape: bare name of a coroutine-valued variable as a statement
    job = fetch()
    job  # expect: never-awaited "job"


async def bare_name_correct() -> None:
    # shape: the variable is awaited
    job = fetch()
    await job
    # shape: a bare name of a plain value
    count = compute()
    count


async def returns_int() -> int:
    # shape: return of a coroutine from async def declared int
    return fetch()  # expect: never-awaited "fetch()"


async def returns_none() -> None:
    # shape: return of a coroutine from async def declared None
    return plain()  # expect: never-awaited "plain()"


async def returns_config() -> Config:
    # shape: return of a coroutine held in a local, declared as a plain class
    job = fetch()
    return job  # expect: never-awaited "job"


async def returns_awaited() -> int:
    # shape: awaited before returning
    return await fetch()


async def returns_awaitable() -> Awaitable[int]:
    # shape: declared awaitable: returning the coroutine is the contract
    return fetch()


async def returns_unannotated():
    # shape: no declared type
    return fetch()


async def returns_any() -> Any:
    # shape: declared Any
    return fetch()


def returns_from_sync() -> Awaitable[int]:
    # shape: sync factory returning the coroutine it declares
    return fetch()


# ---- nested functions ----
async def nested_functions() -> None:
    def local_factory():
        return fetch()

    # shape: local unannotated function returning a module-level coroutine
    local_factory()  # expect: never-awaited "local_factory()"

    def wrap(fetch):
        def inner():
            return fetch()

        # shape: the name is the enclosing function's parameter, not the module's async def: silent
        inner()
        return inner

    wrap(compute)
