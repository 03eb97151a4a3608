# Corpus package module: methods of a class imported from a sibling module (relative imports).
from . import client as client_module
from .client import Client, open_client
from .client import Client as AliasedClient


class Service:
    def __init__(self, client: Client) -> None:
        self.client = client

    async def start(self) -> None:
        # shape: self.attr assigned from an awaited async constructor
        self.conn = await open_client()
        # shape: method of a class imported from a sibling module, on an annotated attribute
        self.client.fetch()  # expect: never-awaited "self.client.fetch()"
        # shape: method on self.attr typed by the awaited constructor
        self.conn.close()  # expect: never-awaited "self.conn.close()"
        # shape: self.attr assigned from an awaited async classmethod constructor
        self.made = await Client.create()
        self.made.fetch()  # expect: never-awaited "self.made.fetch()"
        # shape: aliased class imported from a sibling module
        AliasedClient().fetch()  # expect: never-awaited "AliasedClient().fetch()"
        # shape: module imported relatively, class through it
        client_module.Client().close()  # expect: never-awaited "client_module.Client().close()"

    async def start_correct(self) -> None:
        # shape: the same calls awaited
        self.conn = await open_client()
        await self.client.fetch()
        await self.conn.close()
        await AliasedClient().fetch()
        self.made = await Client.create()
        await self.made.fetch()

    async def refresh(self) -> int:
        return await self.client.fetch()
