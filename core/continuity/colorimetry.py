"""Colorimetry of continuity figures: scene-linear ACEScg → CIE XYZ, CCT and Duv, CIEDE2000, Bradford CAT.

ACEScg goes to scene-linear Rec.709 through OpenColorIO (the pinned config has no XYZ space), then to CIE XYZ
(D65) with the Rec.709 matrix ``color.delta_e`` uses for its CIELAB, so a ΔE00 here means what it means
in colour match. CCT and Duv follow Ohno (2014, LEUKOS 10:1): the distance to the Planckian locus in CIE 1960
uv, signed positive above it; the locus is Krystek's (1985) rational approximation, within 1e-4 uv of
Planck's law from 1000 K to 15000 K, searched on the mired scale. Chromatic adaptation is Bradford's.

Units: kelvin for CCT, uv (CIE 1960) for Duv; XYZ with Y = 1 at scene-linear 1.0.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from ..color import ColorProcessor
from ..color.delta_e import ciede2000, linear_rec709_to_lab

#: Scene-linear AP1 (ACEScg), the space continuity measures in.
LINEAR_SPACE = "ACEScg"
_LINEAR_709 = "Linear Rec.709 (sRGB)"
_RGB709_TO_XYZ = np.array([[0.4124564, 0.3575761, 0.1804375],
                           [0.2126729, 0.7151522, 0.0721750],
                           [0.0193339, 0.1191920, 0.9503041]])
_BRADFORD = np.array([[0.8951, 0.2664, -0.1614], [-0.7502, 1.7135, 0.0367], [0.0389, -0.0685, 1.0296]])
#: The CCT search range (kelvin).
CCT_RANGE = (1000.0, 15000.0)


def _convert(pixels: np.ndarray, source: str, target: str) -> np.ndarray:
    flat = np.ascontiguousarray(np.asarray(pixels, np.float32).reshape(-1, 3))
    processor = ColorProcessor(source, target, threads=1)
    try:
        return processor(flat).reshape(np.shape(pixels)).astype(np.float64)
    finally:
        processor.close()


def acescg_to_rec709(pixels: np.ndarray) -> np.ndarray:
    """Scene-linear Rec.709 of scene-linear ACEScg pixels (``(..., 3)`` float)."""
    return _convert(pixels, LINEAR_SPACE, _LINEAR_709)


def rec709_to_acescg(pixels: np.ndarray) -> np.ndarray:
    """Scene-linear ACEScg of scene-linear Rec.709 pixels (``(..., 3)`` float)."""
    return _convert(pixels, _LINEAR_709, LINEAR_SPACE)


def acescg_to_xyz(pixels: np.ndarray) -> np.ndarray:
    """CIE XYZ (D65, Y = 1 at linear 1.0) of scene-linear ACEScg pixels."""
    return acescg_to_rec709(pixels) @ _RGB709_TO_XYZ.T


def xyz_to_acescg(xyz: np.ndarray) -> np.ndarray:
    """Scene-linear ACEScg of CIE XYZ (D65) values."""
    return rec709_to_acescg(np.asarray(xyz, np.float64) @ np.linalg.inv(_RGB709_TO_XYZ).T)


def acescg_to_lab(pixels: np.ndarray) -> np.ndarray:
    """CIELAB (D65, L* = 100 at linear 1.0) of scene-linear ACEScg pixels."""
    return linear_rec709_to_lab(acescg_to_rec709(pixels))


def delta_e00_acescg(reference: np.ndarray, sample: np.ndarray) -> np.ndarray:
    """CIEDE2000 between scene-linear ACEScg colours (``(..., 3)``)."""
    return ciede2000(acescg_to_lab(reference), acescg_to_lab(sample))


def xyz_to_uv(xyz: np.ndarray) -> np.ndarray:
    """CIE 1960 uv of XYZ (``(..., 3)`` → ``(..., 2)``)."""
    x, y, z = np.moveaxis(np.asarray(xyz, np.float64), -1, 0)
    denominator = np.maximum(x + 15 * y + 3 * z, 1e-12)
    return np.stack([4 * x / denominator, 6 * y / denominator], axis=-1)


def planck_uv(kelvin: np.ndarray | float) -> np.ndarray:
    """CIE 1960 uv of the Planckian radiator at ``kelvin`` (Krystek 1985; 1000..15000 K)."""
    t = np.asarray(kelvin, np.float64)
    u = (0.860117757 + 1.54118254e-4 * t + 1.28641212e-7 * t ** 2) / (1 + 8.42420235e-4 * t + 7.08145163e-7 * t ** 2)
    v = (0.317398726 + 4.22806245e-5 * t + 4.20481691e-8 * t ** 2) / (1 - 2.89741816e-5 * t + 1.61456053e-7 * t ** 2)
    return np.stack([u, v], axis=-1)


def uv_to_xy(uv: np.ndarray) -> np.ndarray:
    """CIE 1931 xy of CIE 1960 uv."""
    u, v = np.moveaxis(np.asarray(uv, np.float64), -1, 0)
    denominator = 2 * u - 8 * v + 4
    return np.stack([3 * u / denominator, 2 * v / denominator], axis=-1)


def xy_to_xyz(xy: np.ndarray, luminance: float = 1.0) -> np.ndarray:
    """XYZ with ``Y = luminance`` of CIE 1931 xy."""
    x, y = np.moveaxis(np.asarray(xy, np.float64), -1, 0)
    return np.stack([x * luminance / y, np.full_like(x, luminance), (1 - x - y) * luminance / y], axis=-1)


def cct_duv(xyz: np.ndarray) -> tuple[float, float]:
    """Correlated colour temperature (K) and Duv of one XYZ colour (Ohno's definitions, see module docstring).

    Returns the CCT clamped to ``CCT_RANGE`` and the signed distance (uv) to the locus at that CCT.
    """
    uv = xyz_to_uv(np.asarray(xyz, np.float64).reshape(3))
    low, high = 1e6 / CCT_RANGE[1], 1e6 / CCT_RANGE[0]
    mireds = np.linspace(low, high, 400)
    distance = np.linalg.norm(planck_uv(1e6 / mireds) - uv, axis=-1)
    best = int(np.argmin(distance))
    left, right = mireds[max(best - 1, 0)], mireds[min(best + 1, mireds.size - 1)]
    golden = (np.sqrt(5) - 1) / 2
    for _ in range(60):  # golden-section search between the neighbours of the best table entry
        a, b = right - golden * (right - left), left + golden * (right - left)
        if np.linalg.norm(planck_uv(1e6 / a) - uv) < np.linalg.norm(planck_uv(1e6 / b) - uv):
            right = b
        else:
            left = a
    kelvin = 1e6 / ((left + right) / 2)
    locus = planck_uv(kelvin)
    offset = uv - locus
    return float(kelvin), float(np.sign(offset[1]) * np.linalg.norm(offset))


def planck_xyz(kelvin: float, luminance: float = 1.0) -> np.ndarray:
    """XYZ of the Planckian radiator at ``kelvin`` with ``Y = luminance``."""
    return xy_to_xyz(uv_to_xy(planck_uv(kelvin)), luminance)


@lru_cache(maxsize=1)
def acescg_to_cones() -> np.ndarray:
    """3×3 matrix from scene-linear ACEScg to Bradford cone responses (``cones = K @ rgb``)."""
    return _BRADFORD @ acescg_to_xyz(np.eye(3)).T


def bradford_adaptation(source_white_xyz: np.ndarray, target_white_xyz: np.ndarray) -> np.ndarray:
    """The 3×3 XYZ → XYZ Bradford matrix taking colours seen under ``source_white`` to ``target_white``."""
    source_cone = _BRADFORD @ np.asarray(source_white_xyz, np.float64)
    target_cone = _BRADFORD @ np.asarray(target_white_xyz, np.float64)
    return np.linalg.inv(_BRADFORD) @ np.diag(target_cone / source_cone) @ _BRADFORD


def white_balance_error_matrix(scene_kelvin: float, balanced_kelvin: float) -> np.ndarray:
    """3×3 ACEScg → ACEScg matrix (row vectors: ``pixels @ M.T``) of a camera balanced for ``balanced_kelvin``
    under a ``scene_kelvin`` light: neutrals take the cast of ``scene_kelvin`` relative to ``balanced_kelvin``
    (balanced for 5300 K under 5600 K light, the picture goes cooler).

    Computed in XYZ: adapt from the white at ``balanced_kelvin`` to the white at ``scene_kelvin`` (Bradford),
    then as seen relative to D65, expressed in ACEScg through OpenColorIO.
    """
    adapt = bradford_adaptation(planck_xyz(balanced_kelvin), planck_xyz(scene_kelvin))
    basis = np.eye(3)
    xyz = acescg_to_xyz(basis)
    return xyz_to_acescg(xyz @ adapt.T).T
