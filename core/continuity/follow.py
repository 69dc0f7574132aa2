"""Following people from one registered frame to the other, so that the same surface is compared in both.

Actors stand elsewhere from take to take, so a costume pixel of one shot is not at the same place in the other
even once the frames are registered. Each people region of the first frame (a connected part of its moving
regions) is found again in the second frame (registered onto it, colour drift taken out) by template matching
of log luminance (normalised cross-correlation, mean taken out: a brighter take still matches), searching
``SEARCH`` of the frame width around it; the template is the region's own moving pixels (the actor, not the
still background the region was grown over). A region without enough of them, or whose best match correlates
under ``MIN_MATCH``, is not followed at all. A pixel is followed only where
the match holds locally: on texture (7×7 spread of log luminance ≥ 0.05 stops) matching the texture it lands
on (local cross-correlation ≥ 0.7) and landing on the second frame's people. An arm that moved otherwise than
the body fails that test and is left out; flat surfaces follow nothing.

Frames: scene-linear ACEScg proxies in the first frame's geometry; masks bool.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .drift import luminance

#: Least share of the frame the followed people must cover for a comparison of the people (fewer pixels are a
#: sliver of an actor, or a match by chance).
MIN_FOLLOWED = 0.01
#: How far (share of the frame width) an actor is looked for around where they stood in the first frame.
SEARCH = 0.12
#: Least normalised cross-correlation of the best place for an actor to count as found there.
MIN_MATCH = 0.6
_FLOOR = 2.0 ** -7


@dataclass(frozen=True)
class Followed:
    """Where each first-frame pixel is in the second frame (``map_x``, ``map_y``, float32, pixels) and which
    pixels are followed people (bool)."""

    map_x: np.ndarray
    map_y: np.ndarray
    people: np.ndarray

    def carry(self, image: np.ndarray, interpolation: int = cv2.INTER_LINEAR) -> np.ndarray:
        """A second-frame image sampled at the first frame's pixels."""
        return cv2.remap(image, self.map_x, self.map_y, interpolation, borderMode=cv2.BORDER_REPLICATE)


def log_luminance(frame: np.ndarray) -> np.ndarray:
    """log2 scene-linear luminance, floored at 2⁻⁷."""
    return np.log2(np.maximum(luminance(frame), _FLOOR)).astype(np.float32)


def local_correlation(a: np.ndarray, b: np.ndarray, size: int = 7) -> tuple[np.ndarray, np.ndarray]:
    """Normalised cross-correlation of ``size``² patches of two images, and the first's local spread."""
    box = (size, size)
    mean_a, mean_b = cv2.blur(a, box), cv2.blur(b, box)
    var_a = np.maximum(cv2.blur(a * a, box) - mean_a ** 2, 0)
    var_b = np.maximum(cv2.blur(b * b, box) - mean_b ** 2, 0)
    covariance = cv2.blur(a * b, box) - mean_a * mean_b
    return covariance / np.sqrt(np.maximum(var_a * var_b, 1e-12)), np.sqrt(var_a)


def _displacement(first_log: np.ndarray, second_log: np.ndarray,
                  template_mask: np.ndarray) -> tuple[int, int] | None:
    """Where (dx, dy) the template (``first_log`` under ``template_mask``) is best found in the second frame,
    within ``SEARCH`` of the width (the second frame is edge-padded: an actor may step partly out of frame);
    None when even the best place correlates under ``MIN_MATCH`` (the actor is not there to be found)."""
    ys, xs = np.nonzero(template_mask)
    x0, x1, y0, y1 = xs.min(), xs.max() + 1, ys.min(), ys.max() + 1
    reach = int(SEARCH * first_log.shape[1])
    padded = cv2.copyMakeBorder(second_log, reach, reach, reach, reach, cv2.BORDER_REPLICATE)
    search = np.ascontiguousarray(padded[y0:y1 + 2 * reach, x0:x1 + 2 * reach])
    template = np.ascontiguousarray(first_log[y0:y1, x0:x1])
    mask = np.ascontiguousarray(template_mask[y0:y1, x0:x1].astype(np.float32))
    scores = np.nan_to_num(cv2.matchTemplate(search, template, cv2.TM_CCOEFF_NORMED, mask=mask), nan=-1.0,
                           posinf=-1.0, neginf=-1.0)
    best_y, best_x = np.unravel_index(int(np.argmax(scores)), scores.shape)
    if scores[best_y, best_x] < MIN_MATCH:
        return None
    return int(best_x - reach), int(best_y - reach)


def follow(first: np.ndarray, second: np.ndarray, people_first: np.ndarray, people_second: np.ndarray,
           valid: np.ndarray, core_first: np.ndarray) -> Followed:
    """Follow the first frame's people into the second (see the module docstring); ``core_first`` are the
    first frame's moving pixels themselves (``people.moving_mask``), the templates."""
    first_log, second_log = log_luminance(first), log_luminance(second)
    height, width = first_log.shape
    map_x, map_y = np.meshgrid(np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32))
    count, labels = cv2.connectedComponents(people_first.astype(np.uint8))
    untrusted = np.zeros((height, width), bool)
    for label in range(1, count):
        region = labels == label
        template_mask = region & core_first
        if template_mask.mean() < MIN_FOLLOWED / 4:
            untrusted[region] = True
            continue
        found = _displacement(first_log, second_log, template_mask)
        if found is None:
            untrusted[region] = True
            continue
        map_x[region] += found[0]
        map_y[region] += found[1]
    followed = Followed(map_x, map_y, np.zeros((height, width), bool))
    inside = (map_x >= 0) & (map_x <= width - 1) & (map_y >= 0) & (map_y <= height - 1)
    correlation, spread = local_correlation(first_log, followed.carry(second_log))
    lands = followed.carry(people_second.astype(np.uint8), cv2.INTER_NEAREST) > 0
    trusted = inside & (spread >= 0.05) & (correlation >= 0.7) & lands & people_first & valid & ~untrusted
    return Followed(map_x, map_y, trusted)
