"""The colormatch effect: bring a shot to a reference frame, a chart, or a fitted LUT, in ACEScct.

- ``transfer`` (+ ``register``): shot match through a common view, or MKL statistics with hold-back;
- ``chart``: ColorChecker detection or four corners, root-polynomial / Cheung fit;
- ``params``: the parameter schema;
- ``effect``: its prepare (reference read and fitted once) and bind (strength).

Everything ends as a 3D LUT (``answerprint.core.color.lut``); the production's learned look is its own effect
(``answerprint.core.effects.look``). ``EFFECT`` is declared here with the schema only; the fitting code is
imported when it is first prepared.
"""
from __future__ import annotations

from ...color import WORKING_SPACE
from ..base import Deferred, Effect, compile_by_binding
from .params import colormatch_params

_PREPARE = Deferred(f"{__name__}.effect:PreparedMatch")

EFFECT = Effect(
    name="colormatch",
    summary="Match a shot to a reference frame (or a ColorChecker), holding back when it would make it worse.",
    params=colormatch_params(),
    working_space=WORKING_SPACE,
    compile=compile_by_binding(_PREPARE),
    prepare=_PREPARE,
)
