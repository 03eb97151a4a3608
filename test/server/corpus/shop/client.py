# Corpus package module: an API with async methods, used from shop/service.py and cross_module.py.
import asyncio


class Client:
    async def fetch(self) -> int:
        await asyncio.sleep(0)
        return 1

    async def close(self) -> None:
        await asyncio.sleep(0)

    def fetch_later(self):
        return self.fetch()

    @classmethod
    async def create(cls) -> "Client":
        return cls()


async def open_client() -> Client:
    return Client()


def connect():
    return open_client()
