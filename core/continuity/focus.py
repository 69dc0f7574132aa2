"""Focus on the subject: has the second shot lost (or gained) fine detail where it matters?

Sharpness per pixel is the energy of the fine gradient (log luminance smoothed by σ 0.7 px) over that of the
coarse one (σ 2 px), both averaged over σ 3 px, in stops (log2). Defocus takes fine detail first, so the ratio
falls; it does not depend on exposure or contrast. Each frame's map is made in its own geometry, then the
second's is warped onto the first (warping the picture itself would soften it). Only textured pixels count
(coarse energy above the frame's median): on flat surfaces the ratio is the noise's.

The subject: the people, followed from one shot to the other (``follow``), when the pixels followed cover at
least ``MIN_FOLLOWED`` of the frame; else the most detailed quarter of a 6×4 grid of tiles of the first frame. The figure is
the median change over the subject (stops; negative: the second shot is softer). Pairs without a common view
compare each shot's own most detailed tiles.

Frames: scene-linear ACEScg proxies.
"""
from __future__ import annotations

import cv2
import numpy as np

from .follow import MIN_FOLLOWED, Followed, log_luminance
from .measures import Measurement


def sharpness_map(frame: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-pixel sharpness (stops) and a bool map of the textured pixels it is meaningful on."""
    grey = log_luminance(frame)

    def energy(sigma: float) -> np.ndarray:
        smooth = cv2.GaussianBlur(grey, (0, 0), sigma)
        gradient = cv2.Sobel(smooth, cv2.CV_32F, 1, 0) ** 2 + cv2.Sobel(smooth, cv2.CV_32F, 0, 1) ** 2
        return cv2.GaussianBlur(gradient, (0, 0), 3.0)

    fine, coarse = energy(0.7), energy(2.0)
    textured = coarse > np.median(coarse)
    return np.log2(np.maximum(fine, 1e-9) / np.maximum(coarse, 1e-9)).astype(np.float32), textured


def detail_tiles(frame: np.ndarray, keep: float = 0.25) -> np.ndarray:
    """bool mask of the most detailed ``keep`` share of a 6×4 grid of tiles (gradient energy)."""
    height, width = frame.shape[:2]
    grey = cv2.GaussianBlur(log_luminance(frame), (0, 0), 2.0)
    energy = cv2.Sobel(grey, cv2.CV_32F, 1, 0) ** 2 + cv2.Sobel(grey, cv2.CV_32F, 0, 1) ** 2
    tiles = [(y, x) for y in range(4) for x in range(6)]
    scores = [energy[y * height // 4:(y + 1) * height // 4, x * width // 6:(x + 1) * width // 6].mean()
              for y, x in tiles]
    chosen = np.zeros((height, width), bool)
    for index in np.argsort(scores)[::-1][:max(1, round(keep * len(tiles)))]:
        y, x = tiles[index]
        chosen[y * height // 4:(y + 1) * height // 4, x * width // 6:(x + 1) * width // 6] = True
    return chosen


def box_of(mask: np.ndarray) -> tuple[float, float, float, float] | None:
    """x, y, width, height (fractions of the frame) around a mask; None when it is empty."""
    ys, xs = np.nonzero(mask)
    if not len(xs):
        return None
    height, width = mask.shape
    return (xs.min() / width, ys.min() / height, (xs.max() - xs.min() + 1) / width, (ys.max() - ys.min() + 1) / height)


def _measurement(change: float, subject: str, region: np.ndarray) -> Measurement:
    state = "softer" if change < 0 else "sharper"
    return Measurement("focus", change, f"{subject} {abs(change):.2f} stops {state} in the second shot",
                       box=box_of(region), figures={"subject": subject, "pixels": int(region.sum())})


def focus_registered(first: np.ndarray, second: np.ndarray, homography: np.ndarray, valid: np.ndarray,
                     followed: Followed | None) -> Measurement:
    """Focus change of a registered pair: ``second`` in its own geometry, ``homography`` second → first."""
    sharp_first, textured = sharpness_map(first)
    sharp_second, _ = sharpness_map(second)
    size = first.shape[1::-1]
    warped = cv2.warpPerspective(sharp_second, homography, size, flags=cv2.INTER_LINEAR)
    if followed is not None and followed.people.mean() >= MIN_FOLLOWED:
        region = followed.people & textured
        change = followed.carry(warped)[region] - sharp_first[region]
        subject = "the people"
    else:
        region = detail_tiles(first) & textured & valid
        change = warped[region] - sharp_first[region]
        subject = "the most detailed part of the frame"
    return _measurement(float(np.median(change)) if change.size else 0.0, subject, region)


def focus_unregistered(first: np.ndarray, second: np.ndarray) -> Measurement:
    """Focus change between two framings with no common view: each frame's own most detailed tiles."""
    sharp_first, textured_first = sharpness_map(first)
    sharp_second, textured_second = sharpness_map(second)
    region_first = detail_tiles(first) & textured_first
    region_second = detail_tiles(second) & textured_second
    change = float(np.median(sharp_second[region_second]) - np.median(sharp_first[region_first]))
    return _measurement(change, "the most detailed part of each frame", region_first)
