# Loopscope runtime: makes asyncio programs observable and steppable by a debugger.
# Public API only; the machinery lives in the _private modules (see runtime/README.md).
from ._launcher import Installation, install, listen
from ._wire import PROTOCOL_VERSION

__version__ = "0.1.0"
__all__ = ["listen", "install", "Installation", "PROTOCOL_VERSION", "__version__"]
