# Corpus package: re-exports for cross-module resolution (no findings here).
from .client import Client as Client
from .client import open_client
from .service import Service
