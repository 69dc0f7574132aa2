"""What every fake Resolve object shares: a call log, version and page gates, and strictness about the API.

On a real Resolve object ``hasattr`` is always True and an unknown method answers None (reference §5), which
hides an adapter's mistake until a colorist meets it. The fake is stricter than Resolve: ``hasattr`` stays
True, but calling a method the reference does not document raises ``UndocumentedCall`` (and is written into
``World.undocumented``). Methods that appeared (or disappeared) in a given Resolve version are gated with
``since`` / ``until``: called on another version they raise the same way. Documented methods keep their
documented parameters, so a call with the wrong number of arguments raises ``TypeError``. Methods the
reference documents as page-specific refuse (return False) on other pages.
"""
from __future__ import annotations

import functools
import itertools
from typing import Any, Callable

_ids = itertools.count(1)


class UndocumentedCall(AssertionError):
    """The adapter called a method the reference does not document, or one this Resolve version lacks."""


def since(version: tuple[int, ...]) -> Callable:
    """Mark a method as appearing in Resolve ``version``."""
    def mark(method: Callable) -> Callable:
        method.since = version
        return method
    return mark


def until(version: tuple[int, ...]) -> Callable:
    """Mark a method as removed from Resolve ``version`` on."""
    def mark(method: Callable) -> Callable:
        method.until = version
        return method
    return mark


def pages(*names: str) -> Callable:
    """Mark a method as working only on the named pages (it returns False elsewhere)."""
    def mark(method: Callable) -> Callable:
        method.pages = names
        return method
    return mark


class ApiObject:
    """Base of the fake API classes: public methods (CamelCase) are logged and gated."""

    def __init__(self, world: Any):
        self._world = world
        self._id = f"{type(self).__name__}-{next(_ids)}"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name, method in list(vars(cls).items()):
            if callable(method) and name[:1].isupper():
                setattr(cls, name, _gated(cls.__name__, name, method))

    def __getattr__(self, name: str) -> Callable:
        if name.startswith("_"):
            raise AttributeError(name)
        world = self.__dict__["_world"]

        def undocumented(*args: Any, **kwargs: Any) -> None:
            call = f"{type(self).__name__}.{name}"
            world.undocumented.append(call)
            raise UndocumentedCall(f"{call} is not in the documented Resolve API")

        return undocumented


def _gated(class_name: str, name: str, method: Callable) -> Callable:
    @functools.wraps(method)
    def call(self: ApiObject, *args: Any, **kwargs: Any) -> Any:
        world = self._world
        version = world.version[:3]
        if version < getattr(method, "since", (0,)) or version >= getattr(method, "until", (999,)):
            call = f"{class_name}.{name} (not in Resolve {'.'.join(map(str, version))})"
            world.undocumented.append(call)
            raise UndocumentedCall(call)
        world.calls.append(f"{class_name}.{name}")
        if world.page not in getattr(method, "pages", (world.page,)):
            return False
        return method(self, *args, **kwargs)

    return call
