# Corpus: coroutines resolved across modules of the workspace (package re-exports through
# __init__.py, aliases, absolute and dotted imports, inferred returns defined in another module).
import shop.client as client_alias
from shop import Client, Service, open_client
from shop.client import connect


async def across_modules() -> None:
    client = Client()
    # shape: method of a class re-exported by a package __init__
    client.fetch()  # expect: never-awaited "client.fetch()"
    # shape: method of a class from an aliased module import
    client_alias.Client().close()  # expect: never-awaited "client_alias.Client().close()"
    # shape: async method of a class from another module, through its constructor
    Service(client).refresh()  # expect: never-awaited "Service(client).refresh()"
    # shape: sync method of another module returning self.<async method>()
    client.fetch_later()  # expect: never-awaited "client.fetch_later()"
    # shape: unannotated sync function of another module returning a coroutine
    connect()  # expect: never-awaited "connect()"
    # shape: async factory re-exported by the package
    open_client()  # expect: never-awaited "open_client()"


async def across_modules_correct() -> None:
    client = await open_client()
    # shape: the same calls awaited
    await client.fetch()
    await client_alias.Client().close()
    await Service(client).refresh()
    await client.fetch_later()
    await connect()
