"""The colour spaces colour match works in, and the input cube a look's lattice spans.

Looks and shot matches are fitted and applied in ACEScct: a log encoding of scene-linear AP1, where equal
steps are equal fractions of a stop (as on a colorist's log timeline), so a lattice spends its points evenly
across the exposure range.
"""
from __future__ import annotations

import numpy as np

from . import WORKING_SPACE, ColorProcessor, load_config, resolve_space
from .lut import lattice_points

#: ACEScct 0..1 spans scene-linear −0.0069 to 222: what a scene-linear source can put in front of a look.
FULL_DOMAIN = (0.0, 1.0)
_MARGIN = 0.02


def is_scene_linear(space: str, config: str | None = None) -> bool:
    """True when ``space`` is unbounded scene-linear (its code values are not confined to 0..1)."""
    ocio_config = load_config(config)
    return ocio_config.getColorSpace(resolve_space(ocio_config, space)).getEncoding() == "scene-linear"


def look_domain(input_space: str, config: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The ACEScct box (per-channel minimum and maximum) a look's lattice spans for sources in ``input_space``.

    ``FULL_DOMAIN`` tightened to the colours the space's 0..1 code values can express (plus a 2% margin), so
    no lattice point is wasted on colours the source cannot carry: an sRGB or Rec.709 source fills only
    ACEScct 0.06..0.56, half of each axis, while camera log and scene-linear sources keep the full 0..1.

    Raises
    ------
    ColorError
        When ``input_space`` is unknown.
    """
    if is_scene_linear(input_space, config):
        return np.full(3, FULL_DOMAIN[0]), np.full(3, FULL_DOMAIN[1])
    codes = lattice_points(17).astype(np.float32).reshape(-1, 3)
    to_working = ColorProcessor(input_space, WORKING_SPACE, config, threads=1)
    working = to_working(codes)
    to_working.close()
    low, high = working.min(axis=0).astype(np.float64), working.max(axis=0).astype(np.float64)
    margin = (high - low) * _MARGIN
    return np.maximum(low - margin, FULL_DOMAIN[0]), np.minimum(high + margin, FULL_DOMAIN[1])
