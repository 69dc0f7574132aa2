"""Operations on the shading layer (scene-linear ACEScg, ``H×W×3``, > 0): lights, key/fill, lift, roll-off, match.

Shading statistics (``ShadingStats``) are measured on a shading's luminance in stops (log2) and pooled over
the frames of a temporal window, so an operation driven by them (key/fill pivot, roll-off knee, match)
changes slowly from frame to frame instead of flickering with each frame's content.

The result of every operation is again a shading; the render multiplies it by the unchanged reflectance.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from .light_color import ACESCG_LUMINANCE

#: Shading is never brought below this fraction of its median (keeps reflectance × shading finite).
SHADING_FLOOR = 1e-4
#: Highlight roll-off starts this many stops above the median shading.
ROLLOFF_KNEE_STOPS = 2.0
#: Pixels stats are measured on, at most (the shading is subsampled evenly).
STATS_SAMPLES = 65536


def luminance(rgb: np.ndarray) -> np.ndarray:
    """ACEScg luminance of an ``...×3`` array."""
    return (rgb @ ACESCG_LUMINANCE.astype(np.float32)).astype(np.float32)


@dataclass(frozen=True)
class ShadingStats:
    """What the shading-driven operations need to know about a shot's shading.

    Attributes
    ----------
    median_stops : float
        Median of log2 shading luminance.
    fill_stops, key_stops : float
        10th and 90th percentiles of log2 shading luminance (the fill and the key levels).
    mean_stops, spread_stops : float
        Mean and standard deviation of log2 shading luminance.
    chroma : tuple of 3 floats
        Mean shading colour divided by its luminance (the light's colour), ACEScg.
    """

    median_stops: float
    fill_stops: float
    key_stops: float
    mean_stops: float
    spread_stops: float
    chroma: tuple[float, float, float]

    @property
    def median(self) -> float:
        """Median shading luminance, linear."""
        return float(2.0 ** self.median_stops)

    @classmethod
    def measure(cls, shading: np.ndarray) -> "ShadingStats":
        """Statistics of one shading (H×W×3, scene-linear)."""
        flat = shading.reshape(-1, 3)
        flat = flat[::max(1, flat.shape[0] // STATS_SAMPLES)].astype(np.float64)
        lum = np.maximum(flat @ ACESCG_LUMINANCE, 1e-8)
        stops = np.log2(lum)
        fill, median, key = np.percentile(stops, (10, 50, 90))
        chroma = flat.mean(axis=0) / max(float(lum.mean()), 1e-8)
        return cls(float(median), float(fill), float(key), float(stops.mean()), float(stops.std()),
                   tuple(float(c) for c in chroma))

    @classmethod
    def pooled(cls, stats: Sequence["ShadingStats"]) -> "ShadingStats":
        """The mean of several frames' statistics (a temporal window)."""
        def mean(name: str) -> float:
            return float(np.mean([getattr(s, name) for s in stats]))

        chroma = tuple(float(c) for c in np.mean([s.chroma for s in stats], axis=0))
        return cls(mean("median_stops"), mean("fill_stops"), mean("key_stops"), mean("mean_stops"),
                   mean("spread_stops"), chroma)


def _scale_luminance(shading: np.ndarray, new_luminance: np.ndarray) -> np.ndarray:
    old = np.maximum(luminance(shading), 1e-8)
    return (shading * (new_luminance / old)[..., None]).astype(np.float32)


def change_key_fill(shading: np.ndarray, stats: ShadingStats, stops: float) -> np.ndarray:
    """Widen (``stops`` > 0) or narrow the key-to-fill ratio by ``stops``, pivoting on the median."""
    ratio = max(stats.key_stops - stats.fill_stops, 0.1)
    contrast = max((ratio + stops) / ratio, 0.05)
    log_lum = np.log2(np.maximum(luminance(shading), 1e-8))
    new = stats.median_stops + contrast * (log_lum - stats.median_stops)
    return _scale_luminance(shading, np.exp2(new))


def lift_shadows(shading: np.ndarray, stats: ShadingStats, amount: float) -> np.ndarray:
    """Add an even fill of ``amount`` × the median shading, in the shot's own light colour."""
    return (shading + amount * stats.median * np.asarray(stats.chroma, np.float32)).astype(np.float32)


def roll_off_highlights(shading: np.ndarray, stats: ShadingStats, amount: float) -> np.ndarray:
    """Compress shading luminance above ``ROLLOFF_KNEE_STOPS`` over the median towards the knee.

    Above the knee K: L' = K + (L − K) / (1 + 4·amount·(L − K)/K); below it nothing changes. Shading colour is
    kept, so surfaces keep their colour in the highlights.
    """
    knee = stats.median * 2.0 ** ROLLOFF_KNEE_STOPS
    lum = luminance(shading)
    over = np.maximum(lum - knee, 0.0)
    new = np.where(over > 0, knee + over / (1.0 + 4.0 * amount * over / knee), lum)
    return _scale_luminance(shading, new)


def match_lighting(shading: np.ndarray, stats: ShadingStats, reference: ShadingStats, amount: float) -> np.ndarray:
    """Move the shading's level, contrast (in stops) and colour towards the reference take's by ``amount``."""
    log_lum = np.log2(np.maximum(luminance(shading), 1e-8))
    spread = reference.spread_stops / max(stats.spread_stops, 1e-3)
    matched = reference.mean_stops + (log_lum - stats.mean_stops) * spread
    new_lum = np.exp2(log_lum + amount * (matched - log_lum))
    colour = (np.asarray(reference.chroma) / np.maximum(np.asarray(stats.chroma), 1e-6)) ** amount
    return (_scale_luminance(shading, new_lum) * colour.astype(np.float32)).astype(np.float32)


def add_light(shading: np.ndarray, stats: ShadingStats, weight: np.ndarray, stops: float,
              gains: Sequence[float]) -> np.ndarray:
    """Add a light of ``stops`` where ``weight`` (H×W, from ``lights.light_weight``) falls, in colour ``gains``.

    Positive stops add irradiance: (2^stops − 1) × the median shading × weight × gains × the shot's own light
    colour, so shadows are lit as a real light would light them (more, relative to what they had, than lit
    areas), and neutral gains add light of the colour already lighting the shot (surface colours then stay
    exactly as they were, whatever colour the decomposition gave the light). Negative stops take the fraction
    1 − 2^stops of the existing shading away where the weight is 1, as a flag would.
    """
    if stops >= 0:
        colour = np.asarray(gains, np.float32) * np.asarray(stats.chroma, np.float32)
        added = (2.0 ** stops - 1.0) * stats.median * weight[..., None] * colour
        return (shading + added).astype(np.float32)
    keep = 1.0 + (2.0 ** stops - 1.0) * np.clip(weight, 0.0, 1.0)
    return (shading * keep[..., None]).astype(np.float32)


def directional_swap_ratio(normals: np.ndarray, old: np.ndarray, new: np.ndarray, ambient: float,
                           old_gains: Sequence[float] = (1.0, 1.0, 1.0),
                           new_gains: Sequence[float] = (1.0, 1.0, 1.0)) -> np.ndarray:
    """How much a shading changes when one directional light replaces another on Lambertian ``normals``.

    Returns H×W×3 float32 (unitless, > 0): (ambient + gains_new·max(n·l_new, 0)) / (ambient +
    gains_old·max(n·l_old, 0)), the exact change for a scene lit by an even ambient plus one sun, with
    ``ambient`` the ambient level relative to the old sun's on a surface facing it (unitless, > 0), ``old`` and
    ``new`` unit vectors towards the lights (``lights.Light.direction``) and the gains ACEScg multipliers
    relative to the ambient light's colour and level.
    """
    def lit(direction: np.ndarray, gains: Sequence[float]) -> np.ndarray:
        cosine = np.maximum(np.sum(normals * direction, axis=-1), 0.0)[..., None]
        return ambient + cosine * np.asarray(gains, np.float32)

    return (lit(new, new_gains) / lit(old, old_gains)).astype(np.float32)


def swap_directional_light(shading: np.ndarray, normals: np.ndarray, old: np.ndarray, new: np.ndarray,
                           ambient: float, old_gains: Sequence[float] = (1.0, 1.0, 1.0),
                           new_gains: Sequence[float] = (1.0, 1.0, 1.0)) -> np.ndarray:
    """Replace one directional light by another on Lambertian surfaces: ``shading`` × ``directional_swap_ratio``."""
    return (shading * directional_swap_ratio(normals, old, new, ambient, old_gains, new_gains)).astype(np.float32)


def floor_shading(shading: np.ndarray, stats: ShadingStats) -> np.ndarray:
    """The shading with every channel kept above ``SHADING_FLOOR`` × the median."""
    return np.maximum(shading, SHADING_FLOOR * stats.median).astype(np.float32)
