"""The look effect: a production's learned grade, fitted from graded pairs and delivered as native LUTs.

- ``pairs``: graded pairs found in two folders, read into ACEScct, misaligned or unusable pairs refused;
- ``fit`` (+ ``prior``): the global look, a curves-and-matrix prior plus a smooth, monotonic lattice;
- ``delivery``: the look as ``.cube`` files from the footage's space to the graded space, and as a CDL;
- ``pack``: what a ``look`` pack carries in its signed manifest;
- ``effect``: the processor applying the pack's LUT (or its adaptive network) to frames.

``EFFECT`` is declared here; the processor is imported when it is first compiled. Training is
``answerprint.models.look``.
"""
from __future__ import annotations

from ...color import WORKING_SPACE
from ...params import ParamSchema
from ..base import Deferred, Effect, Trainer

EFFECT = Effect(
    name="look",
    summary="Apply the production look learned from graded pairs (answerprint train look).",
    params=ParamSchema(),
    working_space=WORKING_SPACE,
    compile=Deferred(f"{__name__}.effect:compile_look"),
    needs_pack=True,
    trainer=Trainer(summary="Learn the production look from graded pairs: a signed pack, 33/65-point .cube files "
                            "and a CDL when it fits.", command="answerprint.models.look.cli"),
    host_form="answerprint.models.hosts.export:look_host_model",
)
