"""The effect registry: every module in this package that defines ``EFFECT``, plus plug-ins.

An effect's module is named after it (``exposure.py`` defines the ``exposure`` effect), so naming the effects
(``effect_names``, for ``--help``) imports none of them and ``get_effect`` imports only the one asked for: a
render pays for its own effect only. Third-party effects register a module through the ``answerprint.effects``
entry-point group (entry name = effect name).
"""
from __future__ import annotations

import importlib
import pkgutil

from ..errors import UsageError
from .base import Effect, EffectContext, Prepared, Processor, declared

_NOT_EFFECTS = {"base"}


def _module_names() -> list[str]:
    return [m.name for m in pkgutil.iter_modules(__path__) if m.name not in _NOT_EFFECTS]


def _plugin_points() -> dict[str, object]:
    from importlib.metadata import entry_points

    return {ep.name: ep for ep in entry_points(group="answerprint.effects")}


def effect_names() -> list[str]:
    """The installed effects' names, sorted, without importing them."""
    return sorted(set(_module_names()) | set(_plugin_points()))


#: The effects loaded so far, by name (``available_effects`` loads them all).
_LOADED: dict[str, Effect] = {}


def _load(name: str) -> Effect | None:
    """The effect ``name``: already loaded, else from its own module or its entry point; None when none defines it."""
    if name in _LOADED:
        return _LOADED[name]
    if name in _module_names():
        effect = getattr(importlib.import_module(f"{__name__}.{name}"), "EFFECT", None)
    elif name in (points := _plugin_points()):
        effect = getattr(points[name].load(), "EFFECT", None)  # type: ignore[attr-defined]
    else:
        return None
    if not (isinstance(effect, Effect) and effect.name == name):
        return None
    _LOADED[name] = effect
    return effect


def available_effects() -> dict[str, Effect]:
    """Every installed effect by name (imports them all: for the panel's effect list). The registry itself:
    an effect added to it (a test's) is found by ``get_effect`` too."""
    for name in effect_names():
        _load(name)
    return _LOADED


def get_effect(name: str) -> Effect:
    """The effect called ``name`` (only its module is imported).

    Raises
    ------
    UsageError
        When no such effect is installed; the message lists those that are.
    """
    effect = _load(name) if name.isidentifier() else None
    if effect is None:
        raise UsageError(f"unknown effect; available: {', '.join(effect_names())}", name)
    return effect


__all__ = ["Effect", "EffectContext", "Prepared", "Processor", "available_effects", "declared", "effect_names",
           "get_effect"]
