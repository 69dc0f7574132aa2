"""answerprint.core — frames, colour, packs, runtime, effects and the render engine.

Imports neither torch nor Qt: a colorist's machine needs neither. ``__version__`` is read from the installed
metadata when first asked for (reading it costs start-up time every command would pay).
"""
from __future__ import annotations

import functools


@functools.lru_cache(maxsize=1)
def _installed_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("answerprint")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0+unknown"


def __getattr__(name: str) -> str:
    if name == "__version__":
        return _installed_version()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
