"""The compiled relight: decompose → operate on the shading only → reflectance × new shading.

Per frame window (scene-linear ACEScg):

1. every frame of the window is analysed by the pack's network at analysis size (cached, so each frame once);
2. shading statistics are pooled over the window (``temporal_radius`` frames each side) so level-driven
   operations do not flicker;
3. on the centre frame's analysis-size shading: match the reference take's lighting → key/fill ratio →
   shadow lift → the virtual light → highlight roll-off (``shading_ops``);
4. the change of shading (new / old, per channel) is brought to full size in stops and multiplies the
   frame: frame × S'/S = reflectance × S', so the reflectance is exactly the one the network found and all
   surface texture and colour pass through untouched.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

import cv2
import numpy as np

from .decompose import ShadingCache, layers_from_shading
from .light_color import light_gains_acescg
from .lights import Light, light_weight
from .normals import flat_normals, normals_from_shading
from .shading_ops import (ShadingStats, add_light, change_key_fill, floor_shading, lift_shadows, luminance,
                          match_lighting, roll_off_highlights)

#: Scene-linear level the ``light`` review shows "no change" at (mid grey).
MID_GREY = 0.18


@dataclass(frozen=True)
class RelightSettings:
    """The resolved parameters of one relight, in the units of ``core.relight.params``."""

    light: Light
    light_stops: float
    light_gains: tuple[float, float, float]
    normals: str
    key_fill_stops: float
    shadow_lift: float
    highlight_rolloff: float
    match_amount: float
    temporal_radius: int
    review: str

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> "RelightSettings":
        light = Light(params["light_type"], params["light_x"], params["light_y"], params["light_radius"],
                      params["light_falloff"], params["light_azimuth"], params["light_elevation"])
        return cls(light, params["light_stops"], light_gains_acescg(params["light_kelvin"], params["light_tint"]),
                   params["normals"], params["key_fill_stops"], params["shadow_lift"], params["highlight_rolloff"],
                   params["match_amount"], params["temporal_radius"], params["review"])


def relight_shading(shading: np.ndarray, stats: ShadingStats, settings: RelightSettings,
                    reference: ShadingStats | None = None, normals: np.ndarray | None = None) -> np.ndarray:
    """Step 3 of the module docstring on one shading (H×W×3, scene-linear); returns the new shading.

    ``normals`` (H×W×3) override the settings' normals source (e.g. geometry from a stereo pair).
    """
    new = shading
    if reference is not None and settings.match_amount > 0:
        new = match_lighting(new, stats, reference, settings.match_amount)
    if settings.key_fill_stops:
        new = change_key_fill(new, stats, settings.key_fill_stops)
    if settings.shadow_lift > 0:
        new = lift_shadows(new, stats, settings.shadow_lift)
    if settings.light_stops:
        if normals is None:
            normals = (normals_from_shading(luminance(shading)) if settings.normals == "from_shading"
                       else flat_normals(*shading.shape[:2]))
        new = add_light(new, stats, light_weight(settings.light, normals), settings.light_stops,
                        settings.light_gains)
    if settings.highlight_rolloff > 0:
        new = roll_off_highlights(new, stats, settings.highlight_rolloff)
    return floor_shading(new, stats)


class RelightProcessor:
    """A compiled relight (see the module docstring): holds the shading model, settings and reference stats.

    Parameters
    ----------
    settings : RelightSettings
        What to do to the shading.
    model : callable
        [N, 3, h, w] scene-linear ACEScg → shading [N, 3, h, w] (the pack's graph).
    analysis_side : int
        Long side, pixels, the model analyses frames at.
    reference_frames : sequence of ndarray, optional
        Scene-linear ACEScg frames of the reference take to match.
    """

    def __init__(self, settings: RelightSettings, model: Callable[[np.ndarray], np.ndarray], analysis_side: int,
                 reference_frames: Sequence[np.ndarray] = ()):
        self.settings = settings
        self.temporal_radius = settings.temporal_radius
        self._shadings = ShadingCache(model, analysis_side, 2 * settings.temporal_radius + 2)
        self._reference = (ShadingStats.pooled([ShadingStats.measure(self._shadings(f)) for f in reference_frames])
                           if reference_frames else None)

    def __call__(self, window: Sequence[np.ndarray]) -> np.ndarray:
        centre = window[len(window) // 2]
        shadings = [self._shadings(frame) for frame in window]
        stats = ShadingStats.pooled([ShadingStats.measure(s) for s in shadings])
        shading = shadings[len(window) // 2]
        review = self.settings.review
        if review in ("reflectance", "shading"):
            layers = layers_from_shading(centre, shading)
            return layers.reflectance if review == "reflectance" else layers.shading
        new = relight_shading(shading, stats, self.settings, self._reference)
        log_ratio = np.log2(new / shading).astype(np.float32)
        height, width = centre.shape[:2]
        ratio = np.exp2(cv2.resize(log_ratio, (width, height), interpolation=cv2.INTER_LINEAR))
        if review == "light":
            return (MID_GREY * ratio).astype(np.float32)
        return (centre * ratio).astype(np.float32)
