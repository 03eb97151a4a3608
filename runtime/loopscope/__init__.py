# Loopscope runtime: makes asyncio programs observable and steppable by a debugger.
# Public API only; the machinery lives in the _private modules.
__version__ = "0.1.0"
__all__ = ["__version__"]
