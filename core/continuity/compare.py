"""Compare two shots of a scene: every measure of ``measures.MEASURES``, in that order.

Steps: register the second key frame onto the first (``drift.register``); static pixels; colour drift (3×3
scene-linear) fitted, the second frame normalised by it, content regions and lamps found on the normalised
pair, the drift fitted again without those regions; then exposure, white balance, levels, practicals, content,
and the shot-wise measures (focus, noise, wardrobe). A pair with no common view gets the shot-wise measures
only; the others say why they were not compared.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import content, drift
from .focus import focus_registered, focus_unregistered
from .follow import follow
from .grain import noise_change
from .wardrobe import wardrobe
from .measures import MEASURE_NAMES, Measurement, not_compared
from .shot_frames import ShotFrames

#: Key frames a cut pair compares (outgoing last, incoming first) and any other pair (middles).
CUT_KEYS = ("last", "first")
SETUP_KEYS = ("middle", "middle")


@dataclass
class PairAnalysis:
    """Everything measured on one pair, plus what the report draws.

    Attributes
    ----------
    measurements : dict
        Measure name → ``Measurement``, for every name of ``MEASURE_NAMES``.
    drift : ndarray or None
        3×3 scene-linear drift (second ≈ first @ D.T) when registered.
    registered : drift.Registered or None
    regions : list of content.Region
    difference : ndarray or None
        Difference map (stops) in the first frame's geometry.
    people : ndarray or None
        bool people mask used (first frame's geometry).
    static : ndarray or None
        bool: the pixels the drift was fitted on (first frame's geometry).
    """

    measurements: dict[str, Measurement]
    drift: np.ndarray | None = None
    registered: drift.Registered | None = None
    regions: list[content.Region] = field(default_factory=list)
    difference: np.ndarray | None = None
    people: np.ndarray | None = None
    static: np.ndarray | None = None

    def figures_only(self) -> "PairAnalysis":
        """This analysis without its images (kept once its scene is reported: an edit's worth stays small)."""
        return PairAnalysis(self.measurements, self.drift)

    def values(self) -> np.ndarray:
        """float32 ``(len(MEASURE_NAMES),)``: every measure's value, NaN where not compared."""
        return np.array([np.nan if self.measurements[name].value is None else self.measurements[name].value
                         for name in MEASURE_NAMES], np.float32)


def _unregistered(first: ShotFrames, first_key: str, second: ShotFrames, second_key: str, why: str) -> PairAnalysis:
    measured = {name: not_compared(name, why) for name in MEASURE_NAMES}
    measured["focus"] = focus_unregistered(first.frames[first_key], second.frames[second_key])
    measured["noise"] = noise_change(first.noise, second.noise, first.source_size == second.source_size)
    return PairAnalysis(measured)


def compare_shots(first: ShotFrames, first_key: str, second: ShotFrames, second_key: str) -> PairAnalysis:
    """Measure every continuity measure between ``first``'s and ``second``'s key frames (see module docstring)."""
    a, b = first.frames[first_key], second.frames[second_key]
    registered = drift.register(a, b)
    if registered is None:
        return _unregistered(first, first_key, second, second_key,
                             "the shots show no common view (another framing), so places cannot be matched")
    people_first = first.moving[first_key]
    people_second = drift.warp_mask(second.moving[second_key], registered)
    people = people_first | people_second
    static = drift.static_mask(a, registered.warped, registered.valid & ~people)
    if static.mean() < drift.MIN_STATIC:
        return _unregistered(first, first_key, second, second_key,
                             f"only {static.mean():.1%} of the frame is static and well exposed in both shots")
    fitted = drift.fit_drift(a, registered.warped, static)
    normalised = registered.warped @ drift.correction(fitted).T.astype(np.float32)
    regions, difference = content.find_regions(a, normalised, registered.valid, people)
    people_regions = content.region_mask(regions, people.shape, ("people",))
    practical, lamps = content.practicals(a, normalised, registered.valid, people | people_regions)
    regions = content.attribute_lights(regions, lamps)
    changed = content.region_mask(regions, people.shape, ("moved", "appeared", "disappeared", "light"))
    for box, _ in lamps:
        x, y, w, h = box
        changed[max(0, y - h):y + 2 * h, max(0, x - w):x + 2 * w] = True
    static &= ~changed & ~people_regions
    if static.mean() >= drift.MIN_STATIC:
        fitted = drift.fit_drift(a, registered.warped, static)
        normalised = registered.warped @ drift.correction(fitted).T.astype(np.float32)
    exposure_ev = drift.exposure_change(a, registered.warped, static)
    followed = None
    if people_first.any() and people_second.any():
        followed = follow(a, normalised, people_first, people_second, registered.valid,
                          first.moving_core[first_key])
    measured: dict[str, Measurement] = {
        "exposure": Measurement("exposure", exposure_ev,
                                f"{abs(exposure_ev):.2f} EV {'brighter' if exposure_ev > 0 else 'darker'} in the "
                                f"second shot, over {static.mean():.0%} of the frame (static, matched)",
                                figures={"static_share": round(float(static.mean()), 4)}),
        "white_balance": drift.white_balance(fitted, *drift.scene_neutral(a, static)),
        "practical": practical,
        "content": content.content_measure(regions, (a.shape[1], a.shape[0])),
        "focus": focus_registered(a, b, registered.homography, registered.valid, followed),
        "noise": noise_change(first.noise, second.noise, first.source_size == second.source_size),
        "wardrobe": wardrobe(a, normalised, followed),
    }
    level_pixels = registered.valid & ~people & ~changed
    measured.update({m.measure: m for m in drift.levels(a, registered.warped, level_pixels, exposure_ev)})
    return PairAnalysis({name: measured[name] for name in MEASURE_NAMES}, fitted, registered, regions, difference,
                        people | people_regions, static)
