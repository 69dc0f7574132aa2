"""The colour of a virtual light: correlated colour temperature (kelvin) and tint, as scene-linear ACEScg gains.

The light's chromaticity lies on the Planckian locus (Kim et al. 2002 cubic fit, 1667–25000 K) moved across
it by the tint (CIE 1960 uv, ``MAX_TINT_DUV`` at tint ±1: positive = magenta, below the locus; negative =
green). It is turned into linear Rec.709 RGB (the sRGB primaries' XYZ matrix, IEC 61966-2-1) and then into
ACEScg through the pinned OCIO config, and divided by the same for ``NEUTRAL_KELVIN`` so that 6500 K with
no tint is exactly (1, 1, 1). The gains are scaled to unit ACEScg luminance, so colour never changes the
light's intensity in stops. The effect applies them relative to the colour of the light already on the shot
(``shading_ops.add_light``).
"""
from __future__ import annotations

import functools

import numpy as np

from ...color import ColorProcessor
from .params import NEUTRAL_KELVIN

#: Tint ±1 moves the chromaticity this far from the Planckian locus (CIE 1960 Δuv).
MAX_TINT_DUV = 0.02
#: ACEScg (AP1) luminance weights.
ACESCG_LUMINANCE = np.array([0.2722287, 0.6740818, 0.0536895], np.float64)
_XYZ_TO_LINEAR_REC709 = np.array([[3.2404542, -1.5371385, -0.4985314],
                                  [-0.9692660, 1.8760108, 0.0415560],
                                  [0.0556434, -0.2040259, 1.0572252]])


def planckian_xy(kelvin: float) -> np.ndarray:
    """CIE 1931 xy of a black body at ``kelvin`` (clamped to 1667–25000 K), Kim et al. 2002."""
    t = float(np.clip(kelvin, 1667.0, 25000.0))
    if t <= 4000.0:
        x = -0.2661239e9 / t ** 3 - 0.2343589e6 / t ** 2 + 0.8776956e3 / t + 0.179910
    else:
        x = -3.0258469e9 / t ** 3 + 2.1070379e6 / t ** 2 + 0.2226347e3 / t + 0.240390
    if t <= 2222.0:
        y = -1.1063814 * x ** 3 - 1.34811020 * x ** 2 + 2.18555832 * x - 0.20219683
    elif t <= 4000.0:
        y = -0.9549476 * x ** 3 - 1.37418593 * x ** 2 + 2.09137015 * x - 0.16748867
    else:
        y = 3.0817580 * x ** 3 - 5.87338670 * x ** 2 + 3.75112997 * x - 0.37001483
    return np.array([x, y])


def _uv(xy: np.ndarray) -> np.ndarray:
    x, y = xy
    d = -2 * x + 12 * y + 3
    return np.array([4 * x / d, 6 * y / d])


def _xy(uv: np.ndarray) -> np.ndarray:
    u, v = uv
    d = 2 * u - 8 * v + 4
    return np.array([3 * u / d, 2 * v / d])


def tinted_xy(kelvin: float, tint: float) -> np.ndarray:
    """xy of ``kelvin`` moved across the locus by ``tint`` (−1 green … +1 magenta, see the module docstring)."""
    uv = _uv(planckian_xy(kelvin))
    tangent = _uv(planckian_xy(kelvin + 10.0)) - _uv(planckian_xy(kelvin - 10.0))
    normal = np.array([-tangent[1], tangent[0]]) / np.linalg.norm(tangent)
    if normal[1] < 0:  # point "above" the locus, towards green
        normal = -normal
    return _xy(uv - tint * MAX_TINT_DUV * normal)


def _linear_rec709(xy: np.ndarray) -> np.ndarray:
    x, y = xy
    return _XYZ_TO_LINEAR_REC709 @ np.array([x / y, 1.0, (1 - x - y) / y])


@functools.lru_cache(maxsize=256)
def light_gains_acescg(kelvin: float, tint: float = 0.0) -> tuple[float, float, float]:
    """ACEScg gains of a light of ``kelvin`` and ``tint`` relative to the neutral white, unit luminance.

    Parameters
    ----------
    kelvin : float
        Correlated colour temperature, K (1800–16000 in the effect).
    tint : float
        −1 (green) … +1 (magenta).

    Returns
    -------
    tuple of 3 floats
        Multipliers for ACEScg R, G, B; (1, 1, 1) at 6500 K and tint 0.

    Example
    -------
    >>> r, g, b = light_gains_acescg(3200.0)   # tungsten: r > 1 > b
    """
    to_acescg = ColorProcessor("Linear Rec.709 (sRGB)", "ACEScg", threads=1)
    rgb = np.stack([_linear_rec709(tinted_xy(kelvin, tint)), _linear_rec709(tinted_xy(NEUTRAL_KELVIN, 0.0))])
    acescg = to_acescg(rgb.astype(np.float32)[None])[0].astype(np.float64)
    gains = acescg[0] / acescg[1]
    gains /= float(gains @ ACESCG_LUMINANCE)
    return tuple(float(g) for g in gains)
