"""The effect registry: every effect in this package (a module or a package of its own), plus plug-ins.

The one place the CLI (``apply``, ``render``, ``train``, ``demo``, ``packs``), the panel, the farm and the hosts
find effects, their trainers and their demo steps. An effect is named after its module or package: a simple one
is a module defining ``EFFECT`` (``exposure.py``); a trained one is a package holding everything it applies with
(``cleanup/``: schema, contract, processor, helpers) and declaring ``EFFECT`` in its ``__init__`` with the
standard library and its schema only, its processor named by dotted path (``base.Deferred``). Naming the
effects (``effect_names``, for ``--help``) imports none of them; loading them all (``available_effects``: the
panel, ``train --help``, Resolve's menu installer, which has only the standard library) imports no numpy,
OpenCV or onnxruntime; a render pays for its own effect's processor only. Trainers live beside them in
``answerprint.models.<name>``, named by dotted path too (``Effect.trainer``, ``Effect.demo_step``) and imported
only when they run.

Third-party effects register a module defining ``EFFECT`` through the ``answerprint.effects`` entry-point group
(entry name = effect name): adding a trained effect touches no file of answerprint. A plug-in that fails to
import or defines no matching ``EFFECT`` is reported once, in one line on the ``answerprint.effects`` log
(stderr when logging is not set up), and skipped: ``get_effect`` refuses it with the reason, every other
effect and command works.
"""
from __future__ import annotations

import importlib
import logging
import pkgutil

from ..errors import UsageError
from .base import Deferred, Effect, EffectContext, Prepared, Processor, Trainer, declared

_NOT_EFFECTS = {"base"}
_log = logging.getLogger(__name__)

#: What is trained and shown in the demo without being an effect: continuity learns the thresholds of a check
#: and renders nothing (``answerprint continuity``).
_CHECK_TRAINERS = {"continuity": Trainer("answerprint.models.continuity.train:train_continuity",
                                         "continuity thresholds: the normal take-to-take variation of the "
                                         "dailies' set-ups")}
_CHECK_DEMO_STEPS = {"continuity": "answerprint.models.continuity.demo"}


def _effect_modules() -> dict[str, str]:
    """Each built-in effect's name → the module or package defining its ``EFFECT`` (imports none of them)."""
    return {m.name: f"{__name__}.{m.name}" for m in pkgutil.iter_modules(__path__) if m.name not in _NOT_EFFECTS}


def _plugin_points() -> dict[str, object]:
    from importlib.metadata import entry_points

    return {ep.name: ep for ep in entry_points(group="answerprint.effects")}


def effect_names() -> list[str]:
    """The installed effects' names, sorted, without importing them (a broken plug-in is named until loaded)."""
    return sorted((set(_effect_modules()) | set(_plugin_points())) - set(_BROKEN))


#: The effects loaded so far, by name (``available_effects`` loads them all).
_LOADED: dict[str, Effect] = {}
#: Plug-ins that could not be loaded, by name: why, in words (reported once when found).
_BROKEN: dict[str, str] = {}


def _load(name: str) -> Effect | None:
    """The effect ``name``: already loaded, else from its own module or its entry point; None when none defines
    it or its plug-in is broken."""
    if name in _LOADED:
        return _LOADED[name]
    if name in _BROKEN:
        return None
    if name in (built_in := _effect_modules()):
        effect = getattr(importlib.import_module(built_in[name]), "EFFECT", None)
    elif name in (points := _plugin_points()):
        effect = _load_plugin(name, points[name])
    else:
        return None
    if not (isinstance(effect, Effect) and effect.name == name):
        return None
    _LOADED[name] = effect
    return effect


def _load_plugin(name: str, point: object) -> Effect | None:
    """A plug-in's ``EFFECT``; None, reported once and remembered, when it cannot be imported or defines none."""
    where = getattr(point, "value", name)
    try:
        effect = getattr(point.load(), "EFFECT", None)  # type: ignore[attr-defined]
    except Exception as error:  # any failure of a third party's module: skip it, keep the others
        reason = f"{where} failed to import: {type(error).__name__}: {error}".replace("\n", " ")
    else:
        if isinstance(effect, Effect) and effect.name == name:
            return effect
        reason = f"{where} defines no EFFECT named {name!r}"
    _BROKEN[name] = reason
    return None


def available_effects() -> dict[str, Effect]:
    """Every installed effect by name (imports them all: for the panel's effect list); a broken plug-in is
    reported once, in one line, and left out. The registry itself: an effect added to it (a test's) is found by
    ``get_effect`` too."""
    for name in effect_names():
        if _load(name) is None and name in _BROKEN:
            _log.warning("answerprint: effect plug-in %r skipped: %s", name, _BROKEN[name])
    return _LOADED


def get_effect(name: str) -> Effect:
    """The effect called ``name`` (only its module is imported).

    Raises
    ------
    UsageError
        When no such effect is installed (the message lists those that are) or its plug-in is broken (why).
    """
    effect = _load(name) if name.isidentifier() else None
    if effect is None:
        if name in _BROKEN:
            raise UsageError(f"effect plug-in skipped: {_BROKEN[name]}", name)
        raise UsageError(f"unknown effect; available: {', '.join(effect_names())}", name)
    return effect


def trainers() -> dict[str, Trainer]:
    """Everything ``answerprint train`` can learn, by name: each effect's trainer and the checks' (loads every
    effect, none of the trainers)."""
    found = {name: effect.trainer for name, effect in available_effects().items() if effect.trainer is not None}
    return {**_CHECK_TRAINERS, **found}


def demo_steps() -> dict[str, str]:
    """The modules of ``answerprint demo``'s steps by name: each effect's and the checks' (none imported)."""
    found = {name: effect.demo_step for name, effect in available_effects().items() if effect.demo_step}
    return {**_CHECK_DEMO_STEPS, **found}


__all__ = ["Deferred", "Effect", "EffectContext", "Prepared", "Processor", "Trainer", "available_effects",
           "declared", "demo_steps", "effect_names", "get_effect", "trainers"]
