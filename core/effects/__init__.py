"""The effect registry: every module in this package that defines ``EFFECT``, plus plug-ins.

Third-party effects register a module through the ``answerprint.effects`` entry-point group.
"""
from __future__ import annotations

import functools
import importlib
import pkgutil
from importlib.metadata import entry_points

from ..errors import UsageError
from .base import Effect, EffectContext, Processor


@functools.lru_cache(maxsize=1)
def available_effects() -> dict[str, Effect]:
    """Every installed effect by name."""
    found: dict[str, Effect] = {}
    for module_info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        effect = getattr(module, "EFFECT", None)
        if isinstance(effect, Effect):
            found[effect.name] = effect
    for ep in entry_points(group="answerprint.effects"):
        effect = getattr(ep.load(), "EFFECT", None)
        if isinstance(effect, Effect):
            found.setdefault(effect.name, effect)
    return found


def get_effect(name: str) -> Effect:
    """The effect called ``name``.

    Raises
    ------
    UsageError
        When no such effect is installed; the message lists those that are.
    """
    effects = available_effects()
    if name not in effects:
        raise UsageError(f"unknown effect; available: {', '.join(sorted(effects))}", name)
    return effects[name]


__all__ = ["Effect", "EffectContext", "Processor", "available_effects", "get_effect"]
