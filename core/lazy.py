"""A package's public names imported from their modules on first use (PEP 562 module ``__getattr__``).

``core.color`` and ``core.packs`` re-export their modules' names this way, so importing the package (or one
light module of it, such as ``packs.spec``) loads none of the heavy ones (OpenColorIO, jsonschema,
cryptography) until a name that needs them is used.
"""
from __future__ import annotations

import importlib
import sys
from typing import Any, Callable, Mapping


def lazy_attributes(package: str, where: Mapping[str, str]) -> Callable[[str], Any]:
    """The ``__getattr__`` of ``package``: ``name`` is imported from its module ``where[name]`` (relative to the
    package) when first asked for, then kept in the package's namespace."""

    def __getattr__(name: str) -> Any:
        if name not in where:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f".{where[name]}", package), name)
        setattr(sys.modules[package], name, value)
        return value

    return __getattr__
