"""Does a pack's parameter contract match this answerprint's effect? One refusal line saying what differs.

A pack records its effect's parameters (``parameters.schema``) and how each acts (``parameters.bindings``) as
they were when it was trained. The effect in this answerprint has its own. They agree when:

- every parameter the pack binds still exists here, of the same kind, range and choices (a graph trained for
  strengths 0..2 is not fed 3; a renamed grain mode is not silently ignored);
- every parameter bound the same way: the graph still takes what the pack feeds it through an input, and
  what the effect applies outside the graph is not also baked or fed in the pack;
- a parameter added here since the pack was made is one the effect applies outside the graph (the pack's
  graph cannot need it); one the graph would need is a refusal.

Labels, documentation, widgets, steps and defaults may differ: this answerprint's own are shown and used.
Tensor names come from the pack: the effect feeds the tensors the pack's bindings name.
"""
from __future__ import annotations

from typing import Iterable

from ..errors import PackError
from ..params import Param, ParamSchema
from .manifest import Manifest
from .spec import ParamBinding


def _shape(param: Param) -> str:
    """Kind, range and choices of a parameter, as a refusal message shows them."""
    if param.kind == "enum":
        return f"enum of {', '.join(param.choices)}"
    if param.minimum is not None or param.maximum is not None:
        return f"{param.kind} in [{param.minimum}, {param.maximum}]"
    return param.kind


def _differs(packed: Param, code: Param) -> bool:
    return (packed.kind, packed.minimum, packed.maximum, tuple(packed.choices)) != \
        (code.kind, code.minimum, code.maximum, tuple(code.choices))


def check_parameters(manifest: Manifest, params: ParamSchema, bindings: Iterable[ParamBinding],
                     where: str | None = None) -> None:
    """Refuse a pack whose parameters or bindings do not match the effect's (see the module docstring).

    Parameters
    ----------
    manifest : Manifest
        The pack's (already validated) manifest.
    params : ParamSchema
        The effect's parameters in this answerprint.
    bindings : iterable of ParamBinding
        How this answerprint's effect expects each of ``params`` to act (tensor names are the pack's
        business and are not compared).

    Raises
    ------
    PackError
        At the first difference, in one line naming the parameter, the pack's and this answerprint's view.
    """
    effect = manifest.effect
    code_ways = {b.param: b.via for b in bindings}
    packed_ways = {b.param: b.via for b in manifest.bindings}
    code_names = set(params.names)
    for packed in manifest.params:
        if packed.name not in code_names:
            raise PackError(f"the pack binds parameter {packed.name!r}, which the {effect} effect of this "
                            "answerprint no longer has; re-train the pack or use the answerprint it was made with",
                            where)
        code = params[packed.name]
        if _differs(packed, code):
            raise PackError(f"parameter {packed.name!r} is {_shape(packed)} in the pack but {_shape(code)} in "
                            f"this answerprint's {effect} effect; re-train the pack", where)
        if packed_ways[packed.name] != code_ways[packed.name]:
            raise PackError(f"parameter {packed.name!r} acts via {packed_ways[packed.name]!r} in the pack but "
                            f"via {code_ways[packed.name]!r} in this answerprint's {effect} effect; re-train the "
                            "pack", where)
    for name in params.names:
        if name not in packed_ways and code_ways[name] != "effect":
            raise PackError(f"the pack does not bind parameter {name!r}, which this answerprint's {effect} effect "
                            f"feeds to the graph via {code_ways[name]!r}; re-train the pack", where)
