"""``exposure``: a gain in stops, applied in scene-linear light (ACEScg), as a camera's exposure would."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

from ..params import Param, ParamSchema
from .base import Effect, EffectContext, Processor

if TYPE_CHECKING:
    import numpy as np


class _Exposure(Processor):
    def __init__(self, stops: float):
        import numpy as np  # the effect is declared without numpy (``base``)

        self.gain = np.float32(2.0 ** stops)

    def __call__(self, window: Sequence[np.ndarray]) -> np.ndarray:
        return window[0] * self.gain


def _compile(params: dict[str, Any], pack: Any, context: EffectContext) -> _Exposure:
    return _Exposure(params["stops"])


EFFECT = Effect(
    name="exposure",
    summary="Change exposure by a number of stops in scene-linear light.",
    params=ParamSchema([
        Param("stops", "float", 0.0, minimum=-10.0, maximum=10.0, unit="stops", label="Exposure",
              doc="Exposure change; +1 doubles the light, -1 halves it.", widget="slider", step=0.1),
    ]),
    working_space="scene_linear",
    compile=_compile,
)
