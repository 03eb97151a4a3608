# Loopscope runtime: makes asyncio programs observable and steppable by a debugger.
# Public API only; the machinery lives in the _private modules (see runtime/README.md).
from ._launcher import Installation, install, listen
from ._wire import PACKAGE_VERSION as __version__, PROTOCOL_VERSION  # version: package.json, via the generator

__all__ = ["listen", "install", "Installation", "PROTOCOL_VERSION", "__version__"]
