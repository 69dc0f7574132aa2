"""The compiled relight: decompose → operate on the shading only → reflectance × new shading.

Per frame window (scene-linear ACEScg):

1. every frame of the window is analysed by the pack's network at analysis size (cached, so each frame once);
2. shading statistics are pooled over the window (``temporal_radius`` frames each side) so level-driven
   operations do not flicker;
3. on the centre frame's analysis-size shading: match the reference take's lighting → key/fill ratio →
   shadow lift → the virtual light (added, or replacing the shot's key: ``light_mode``) → highlight
   roll-off (``shading_ops``);
4. the change of shading (new / old, per channel) is brought to full size in stops and multiplies the
   frame: frame × S'/S = reflectance × S', so the reflectance is exactly the one the network found and all
   surface texture and colour pass through untouched.

With normals from a depth pass (``depth_pass``), a replaced key is computed on the full-size normals: the
analysis-size pipeline gets the key's change reduced to its size, and the detail it loses (the full-size
change over its reduced copy, in stops) is put back in step 4, so fine relief is relit at full resolution.
The processor asks the engine for the frame number (``wants_frame_number``), so a per-frame pass gives each
frame the normals of its own frame.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

import cv2
import numpy as np

from ...bands import for_each_band
from .decompose import ShadingCache, analyse, layers_from_shading
from .depth_pass import DepthPass
from .light_color import light_gains_acescg
from .lights import Light, light_weight
from .normals import flat_normals, normals_from_shading
from .shading_ops import (
    ShadingStats,
    add_light,
    change_key_fill,
    directional_swap_ratio,
    floor_shading,
    lift_shadows,
    luminance,
    match_lighting,
    roll_off_highlights,
)

#: Scene-linear level the ``light`` review shows "no change" at (mid grey).
MID_GREY = 0.18


@dataclass(frozen=True, kw_only=True)
class RelightSettings:
    """The resolved parameters of one relight, in the units of ``core.effects.relight.params``.

    ``key`` is the shot's current key (a directional ``Light``), ``key_gains`` its ACEScg colour relative to
    the ambient light's and ``ambient_share`` the ambient level relative to the key's; they are used only
    when ``light_mode`` is ``replace_key``.
    """

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
    light_mode: str
    key: Light
    key_gains: tuple[float, float, float]
    ambient_share: float

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> "RelightSettings":
        light = Light(params["light_type"], x=params["light_x"], y=params["light_y"], radius=params["light_radius"],
                      falloff=params["light_falloff"], azimuth_deg=params["light_azimuth"],
                      elevation_deg=params["light_elevation"])
        key = Light("directional", azimuth_deg=params["key_azimuth"], elevation_deg=params["key_elevation"])
        return cls(light=light, light_stops=params["light_stops"],
                   light_gains=light_gains_acescg(params["light_kelvin"], params["light_tint"]),
                   normals=params["normals"], key_fill_stops=params["key_fill_stops"],
                   shadow_lift=params["shadow_lift"], highlight_rolloff=params["highlight_rolloff"],
                   match_amount=params["match_amount"], temporal_radius=params["temporal_radius"],
                   review=params["review"], light_mode=params["light_mode"], key=key,
                   key_gains=light_gains_acescg(params["key_kelvin"], 0.0), ambient_share=params["ambient_share"])

    @property
    def replaces_key(self) -> bool:
        """True when the light replaces the shot's key instead of adding to its light."""
        return self.light_mode == "replace_key"

    def key_swap_ratio(self, normals: np.ndarray) -> np.ndarray:
        """The change of shading (H×W×3, unitless) when the new key replaces the current one on ``normals``.

        The new key comes from the light's azimuth and elevation, in its colour, ``light_stops`` stronger than
        the current key (``shading_ops.directional_swap_ratio``).
        """
        new_gains = np.asarray(self.light_gains, np.float32) * np.float32(2.0 ** self.light_stops)
        return directional_swap_ratio(normals, self.key.direction, self.light.direction, self.ambient_share,
                                      self.key_gains, new_gains)


def surface_normals(shading: np.ndarray, settings: RelightSettings) -> np.ndarray:
    """Normals (H×W×3) of the settings' single-image source for ``shading``: ``from_shading`` or ``flat``.

    Raises ``ValueError`` for ``depth_map``, whose normals come from the pass (``depth_pass.DepthPass``).
    """
    if settings.normals == "from_shading":
        return normals_from_shading(luminance(shading))
    if settings.normals == "flat":
        return flat_normals(*shading.shape[:2])
    raise ValueError(f"normals {settings.normals!r} must be passed in, they do not come from the shading")


def relight_shading(shading: np.ndarray, stats: ShadingStats, settings: RelightSettings,
                    reference: ShadingStats | None = None, normals: np.ndarray | None = None,
                    key_swap: np.ndarray | None = None) -> np.ndarray:
    """Step 3 of the module docstring on one shading (H×W×3, scene-linear); returns the new shading.

    ``normals`` (H×W×3) override the settings' normals source (e.g. geometry from a depth pass);
    ``key_swap`` (H×W×3) is a precomputed ``RelightSettings.key_swap_ratio`` for a replaced key.
    """
    new = shading
    if reference is not None and settings.match_amount > 0:
        new = match_lighting(new, stats, reference, settings.match_amount)
    if settings.key_fill_stops:
        new = change_key_fill(new, stats, settings.key_fill_stops)
    if settings.shadow_lift > 0:
        new = lift_shadows(new, stats, settings.shadow_lift)
    if settings.replaces_key:
        if key_swap is None:
            key_swap = settings.key_swap_ratio(normals if normals is not None else surface_normals(shading, settings))
        new = (new * key_swap).astype(np.float32)
    elif settings.light_stops:
        if normals is None:
            normals = surface_normals(shading, settings)
        new = add_light(new, stats, light_weight(settings.light, normals), settings.light_stops,
                        settings.light_gains)
    if settings.highlight_rolloff > 0:
        new = roll_off_highlights(new, stats, settings.highlight_rolloff)
    return floor_shading(new, stats)


def reference_stats(model: Callable[[np.ndarray], np.ndarray], analysis_side: int,
                    frames: Sequence[np.ndarray]) -> ShadingStats:
    """The pooled shading statistics of a reference take's frames (scene-linear ACEScg), as a match reads them."""
    return ShadingStats.pooled([ShadingStats.measure(analyse(frame, model, analysis_side)) for frame in frames])


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
    depth : DepthPass, optional
        The shot's depth or disparity pass; its normals replace the settings' normals source.
    shadings : ShadingCache, optional
        Analysis-size shadings shared with other processors of the same model and source (a preview's binds,
        ``effects.relight``), so a new parameter set does not analyse the frames again; it must hold at least
        ``2 * temporal_radius + 2`` frames. Default: a cache of this processor's own.
    reference : ShadingStats, optional
        The reference take's pooled shading statistics when already measured, instead of ``reference_frames``.

    Attributes
    ----------
    wants_frame_number : bool
        True: the render engine and the preview call it as ``processor(window, frame_number)``
        (``effects.base.Processor``), which picks the depth pass's frame.
    """

    wants_frame_number = True

    def __init__(self, settings: RelightSettings, model: Callable[[np.ndarray], np.ndarray], *, analysis_side: int,
                 reference_frames: Sequence[np.ndarray] = (), depth: DepthPass | None = None,
                 shadings: ShadingCache | None = None, reference: ShadingStats | None = None):
        self.settings = settings
        self.temporal_radius = settings.temporal_radius
        self._shadings = shadings or ShadingCache(model, analysis_side, 2 * settings.temporal_radius + 2)
        if reference is None and reference_frames:
            reference = reference_stats(model, analysis_side, reference_frames)
        self._reference = reference
        self._depth = depth

    def _new_log_ratio(self, shading: np.ndarray, stats: ShadingStats, height: int, width: int,
                       frame_number: int | None) -> np.ndarray:
        """log2 of new / old shading at ``height``×``width`` (steps 3 and 4 of the module docstring).

        ``frame_number`` is the shot's frame being relit; it picks the depth pass's frame.
        """
        small_h, small_w = shading.shape[:2]
        normals = key_swap = detail = None
        if self._depth is not None:
            normals = self._depth.normals_for(small_h, small_w, frame_number)
            if self.settings.replaces_key:
                full_normals = self._depth.normals_for(height, width, frame_number)
                log_swap = np.log2(self.settings.key_swap_ratio(full_normals))
                log_swap_small = cv2.resize(log_swap, (small_w, small_h), interpolation=cv2.INTER_AREA)
                key_swap = np.exp2(log_swap_small)
                detail = log_swap - cv2.resize(log_swap_small, (width, height), interpolation=cv2.INTER_LINEAR)
        new = relight_shading(shading, stats, self.settings, self._reference, normals, key_swap)
        log_ratio = cv2.resize(np.log2(new / shading).astype(np.float32), (width, height),
                               interpolation=cv2.INTER_LINEAR)
        return log_ratio if detail is None else log_ratio + detail

    def __call__(self, window: Sequence[np.ndarray], frame_number: int | None = None) -> np.ndarray:
        """The relit centre frame of ``window`` (scene-linear ACEScg, H×W×3 float32), or the review asked for.

        ``frame_number`` is the shot's number of the centre frame; a depth pass of several frames needs it
        (``depth_pass.DepthPass.normals_for``), every other source of normals ignores it.
        """
        centre = window[len(window) // 2]
        shadings = [self._shadings(frame) for frame in window]
        stats = ShadingStats.pooled([ShadingStats.measure(s) for s in shadings])
        shading = shadings[len(window) // 2]
        review = self.settings.review
        if review in ("reflectance", "shading"):
            layers = layers_from_shading(centre, shading)
            return layers.reflectance if review == "reflectance" else layers.shading
        log_ratio = self._new_log_ratio(shading, stats, *centre.shape[:2], frame_number)
        if review == "light":
            return (MID_GREY * np.exp2(log_ratio)).astype(np.float32)
        relit = np.empty(centre.shape, np.float32)

        def band(rows: slice) -> None:  # element-wise, so the bands give the whole frame's values exactly
            np.multiply(centre[rows], np.exp2(log_ratio[rows]), out=relit[rows])

        for_each_band(centre.shape[0], band)
        return relit
