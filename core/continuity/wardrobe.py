"""Wardrobe colour: has what the people wear changed colour between the shots?

The people are followed from the first frame into the second (``follow``: registered, colour drift taken
out), so each costume pixel is compared with the same costume pixel however the actor moved (both blurred by
σ 1.5 px; pixels darker than L* 25 left out, the proxy's noise swamps their colour). The people's colours are
split into four (k-means in CIELAB); for each colour holding 15 % of them, the median colour of its pixels in the
first shot is compared with the median of the same pixels in the second (the median keeps noise and the pixels
a few misaligned edges mix out, a change of dye is in every pixel): ΔE00, lightness weighed half (the light on an actor
changes as they move; textile colour tolerances weigh lightness half, as CMC 2:1 does). The figure is the
worst colour's.

Frames: scene-linear ACEScg proxies in the first frame's geometry.
"""
from __future__ import annotations

import cv2
import numpy as np

from ..color.delta_e import ciede2000
from .colorimetry import acescg_to_lab
from .follow import MIN_FOLLOWED, Followed
from .measures import Measurement, not_compared

#: Share of the people a colour must hold to be compared.
MIN_CLUSTER = 0.15
#: People pixels darker than this (L*) are left out.
MIN_LIGHTNESS = 25.0
#: Lightness differences count this many times less than colour ones.
LIGHTNESS_WEIGHT = 2.0
_CLUSTERS = 4
_SAMPLES = 6000


def _dominant_colours(lab: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Labels (k-means, four colours) of ``lab`` pixels and each colour's share."""
    cv2.setRNGSeed(seed)
    criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 30, 0.1)
    _, labels, _ = cv2.kmeans(lab.astype(np.float32), _CLUSTERS, None, criteria, 3, cv2.KMEANS_PP_CENTERS)
    labels = labels.ravel()
    return labels, np.bincount(labels, minlength=_CLUSTERS) / len(labels)


def wardrobe(first: np.ndarray, second: np.ndarray, followed: Followed | None) -> Measurement:
    """Colour change of the people (ΔE00, see the module docstring); ``second`` registered onto ``first``."""
    if followed is None:
        return not_compared("wardrobe", "no people (moving regions) in one of the shots")
    if followed.people.mean() < MIN_FOLLOWED:
        return not_compared("wardrobe", "the people could not be followed from one shot to the other")
    chosen = np.flatnonzero(followed.people)
    if chosen.size > _SAMPLES:
        chosen = np.random.default_rng(0).choice(chosen, _SAMPLES, replace=False)
    lab_first = acescg_to_lab(cv2.GaussianBlur(first, (0, 0), 1.5).reshape(-1, 3)[chosen])
    lab_second = acescg_to_lab(followed.carry(cv2.GaussianBlur(second, (0, 0), 1.5)).reshape(-1, 3)[chosen])
    lit = lab_first[:, 0] >= MIN_LIGHTNESS
    if lit.sum() < MIN_FOLLOWED * followed.people.size / 2:
        return not_compared("wardrobe", "the people are too dark on the proxies to judge their colours")
    chosen, lab_first, lab_second = chosen[lit], lab_first[lit], lab_second[lit]
    labels, shares = _dominant_colours(lab_first, 0)
    worst, worst_label = 0.0, int(np.argmax(shares))
    for label in np.flatnonzero(shares >= MIN_CLUSTER):
        typical_first = np.median(lab_first[labels == label], axis=0)
        typical_second = np.median(lab_second[labels == label], axis=0)
        typical_second[0] = typical_first[0] + (typical_second[0] - typical_first[0]) / LIGHTNESS_WEIGHT
        difference = float(ciede2000(typical_first, typical_second))
        if difference > worst:
            worst, worst_label = difference, int(label)
    colour = lab_first[labels == worst_label].mean(axis=0)
    height, width = followed.people.shape
    ys, xs = np.unravel_index(chosen[labels == worst_label], (height, width))
    box = (xs.min() / width, ys.min() / height, (xs.max() - xs.min() + 1) / width, (ys.max() - ys.min() + 1) / height)
    return Measurement("wardrobe", worst, f"the people's colour around L* {colour[0]:.0f}, a* {colour[1]:.0f}, "
                                          f"b* {colour[2]:.0f} changed by ΔE00 {worst:.1f} "
                                          f"({shares[worst_label]:.0%} of them)", box=box,
                       figures={"followed_pixels": int(followed.people.sum())})
