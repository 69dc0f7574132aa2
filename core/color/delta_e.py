"""Colour differences for judging matches and looks: CIEDE2000 between ACEScct images.

ACEScct values are taken to scene-linear Rec.709 through OpenColorIO, then to CIE XYZ (D65) and CIELAB with
white at linear 1.0 (L* = 100), clipped at 0 (CIELAB has no negative light). CIEDE2000 follows Sharma, Wu and
Dalal (2005); it agrees with scikit-image's ``deltaE_ciede2000`` to 1e-6 (``tests/test_colormatch.py``).
"""
from __future__ import annotations

import numpy as np

from . import ColorProcessor
from .spaces import WORKING_SPACE

_LINEAR_709 = "Linear Rec.709 (sRGB)"
_RGB_TO_XYZ = np.array([[0.4124564, 0.3575761, 0.1804375],
                        [0.2126729, 0.7151522, 0.0721750],
                        [0.0193339, 0.1191920, 0.9503041]])
_WHITE = _RGB_TO_XYZ.sum(axis=1)


def linear_rec709_to_lab(linear: np.ndarray) -> np.ndarray:
    """CIELAB (D65, white = linear 1.0) of scene-linear Rec.709 RGB (float ``(..., 3)``; negatives clipped)."""
    xyz = np.clip(np.asarray(linear, dtype=np.float64), 0.0, None) @ _RGB_TO_XYZ.T / _WHITE
    delta = 6.0 / 29.0
    f = np.where(xyz > delta ** 3, np.cbrt(xyz), xyz / (3 * delta ** 2) + 4.0 / 29.0)
    return np.stack([116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])], axis=-1)


def acescct_to_lab(frame: np.ndarray, config: str | None = None) -> np.ndarray:
    """CIELAB of an ACEScct image (float ``(..., 3)``)."""
    flat = np.ascontiguousarray(np.asarray(frame, dtype=np.float32).reshape(-1, 3))
    processor = ColorProcessor(WORKING_SPACE, _LINEAR_709, config, threads=1)
    linear = processor(flat)
    processor.close()
    return linear_rec709_to_lab(linear).reshape(np.shape(frame))


def ciede2000(lab_reference: np.ndarray, lab_sample: np.ndarray) -> np.ndarray:
    """CIEDE2000 colour difference between two CIELAB arrays (``(..., 3)``), kL = kC = kH = 1."""
    l1, a1, b1 = np.moveaxis(np.asarray(lab_reference, dtype=np.float64), -1, 0)
    l2, a2, b2 = np.moveaxis(np.asarray(lab_sample, dtype=np.float64), -1, 0)
    c_mean = (np.hypot(a1, b1) + np.hypot(a2, b2)) / 2
    g = 0.5 * (1 - np.sqrt(c_mean ** 7 / (c_mean ** 7 + 25.0 ** 7)))
    a1p, a2p = a1 * (1 + g), a2 * (1 + g)
    c1p, c2p = np.hypot(a1p, b1), np.hypot(a2p, b2)
    h1p = np.degrees(np.arctan2(b1, a1p)) % 360
    h2p = np.degrees(np.arctan2(b2, a2p)) % 360
    dl, dc = l2 - l1, c2p - c1p
    dh = h2p - h1p
    dh = np.where(dh > 180, dh - 360, np.where(dh < -180, dh + 360, dh))
    dh = np.where(c1p * c2p == 0, 0.0, dh)
    dhh = 2 * np.sqrt(c1p * c2p) * np.sin(np.radians(dh / 2))
    l_mean, cp_mean = (l1 + l2) / 2, (c1p + c2p) / 2
    h_sum = h1p + h2p
    h_mean = np.where(np.abs(h1p - h2p) > 180, np.where(h_sum < 360, h_sum + 360, h_sum - 360), h_sum) / 2
    h_mean = np.where(c1p * c2p == 0, h_sum, h_mean)
    t = (1 - 0.17 * np.cos(np.radians(h_mean - 30)) + 0.24 * np.cos(np.radians(2 * h_mean))
         + 0.32 * np.cos(np.radians(3 * h_mean + 6)) - 0.20 * np.cos(np.radians(4 * h_mean - 63)))
    s_l = 1 + 0.015 * (l_mean - 50) ** 2 / np.sqrt(20 + (l_mean - 50) ** 2)
    s_c = 1 + 0.045 * cp_mean
    s_h = 1 + 0.015 * cp_mean * t
    r_t = (-2 * np.sqrt(cp_mean ** 7 / (cp_mean ** 7 + 25.0 ** 7))
           * np.sin(np.radians(60 * np.exp(-(((h_mean - 275) / 25) ** 2)))))
    return np.sqrt((dl / s_l) ** 2 + (dc / s_c) ** 2 + (dhh / s_h) ** 2 + r_t * (dc / s_c) * (dhh / s_h))


def delta_e_acescct(reference: np.ndarray, sample: np.ndarray, config: str | None = None) -> np.ndarray:
    """Per-pixel CIEDE2000 between two ACEScct images of the same shape."""
    return ciede2000(acescct_to_lab(reference, config), acescct_to_lab(sample, config))


def summarise(errors: np.ndarray) -> dict[str, float]:
    """Mean and 95th percentile of per-pixel ΔE00 values."""
    flat = np.asarray(errors, dtype=np.float64).ravel()
    return {"mean_de00": float(flat.mean()), "p95_de00": float(np.percentile(flat, 95))}
