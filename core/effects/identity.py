"""``identity``: passes frames through untouched — proves the pipeline (decode → encode) keeps precision."""
from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

from ..params import ParamSchema
from .base import Effect, Processor

if TYPE_CHECKING:
    import numpy as np


class _Identity(Processor):
    def __call__(self, window: Sequence[np.ndarray]) -> np.ndarray:
        return window[0]


EFFECT = Effect(
    name="identity",
    summary="Pass frames through unchanged (re-wrap, transcode, or test the pipeline).",
    params=ParamSchema(),
    working_space=None,
    compile=lambda params, pack, context: _Identity(),
)
