"""The one-click colour fix: the shot-match correction that removes a flagged exposure or white-balance drift.

Within a scene, the shot at fault is the one in the most pairs flagged for exposure or white balance (the odd
one out; on a tie, the later one), and it is matched to the partner of those pairs flagged least. The
correction is the inverse of the pair's fitted drift (``drift.fit_drift``: gains on the Bradford cone
responses, fitted on static regions only), so it changes the shot's exposure and white balance and nothing else:
it is one global colour transform, which cannot add, remove or move anything in the picture, and content
changes are left exactly as they are. It is delivered by colour match's own route: a ``.cube`` from the shot's
colour space to itself (``look.delivery``), which the Resolve adapter puts on the clip's grade and any
grading system loads. The fix is checked where it was fitted: the shot's key frame is taken to its code values,
through the ``.cube``, and back, and compared with the reference over the static regions: the mean colours of a
6×4 grid of tiles, so that noise and a pixel of misregistration between two takes do not count (mean ΔE00 over
the tiles, before and after).
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from ..color import ColorProcessor
from ..color.cube import read_cube
from ..color.lut import Lut3D, LutProcessor
from ..color.spaces import WORKING_SPACE
from ..effects.look.delivery import write_look_cubes
from .colorimetry import LINEAR_SPACE, delta_e00_acescg
from .measures import COLOUR_MEASURES
from .scenes import PlannedPair, Shot

#: Lattice size of the fix ``.cube``.
CUBE_SIZE = 33
#: Static pixels a tile needs to enter the fix's check.
MIN_TILE_PIXELS = 50
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


@dataclass(frozen=True)
class FixPlan:
    """Which shot to correct towards which, through which compared pair, and the 3×3 scene-linear ACEScg
    correction (``pixels @ correction.T``) taking the shot to its reference."""

    shot: Shot
    reference: Shot
    pair: PlannedPair
    correction: np.ndarray
    measures: tuple[str, ...]


@dataclass(frozen=True)
class ColourFix:
    """A written fix and how well it works on the frames it was fitted on.

    Attributes
    ----------
    plan : FixPlan
    cube : Path
        ``.cube`` from the shot's colour space to itself.
    space : str
        That colour space.
    before_de00, after_de00 : float
        Mean ΔE00 to the reference over the static regions, before and after the ``.cube``.
    """

    plan: FixPlan
    cube: Path
    space: str
    before_de00: float
    after_de00: float


def plan_fixes(flagged: Sequence[tuple[PlannedPair, tuple[str, ...], np.ndarray]]) -> list[FixPlan]:
    """The fixes for one scene, from its pairs flagged for colour: ``(pair, colour measures flagged, drift)``,
    ``drift`` the pair's fitted 3×3 (second ≈ first @ drift.T)."""
    remaining = [item for item in flagged if set(item[1]) & set(COLOUR_MEASURES)]
    plans = []
    while remaining:
        counts: dict[int, int] = {}
        for pair, _, _ in remaining:
            for shot in (pair.first, pair.second):
                counts[shot.index] = counts.get(shot.index, 0) + 1
        culprit = max(counts, key=lambda index: (counts[index], index))
        involved = [item for item in remaining if culprit in (item[0].first.index, item[0].second.index)]
        pair, measures, drift = min(involved, key=lambda item: (counts[_partner(item[0], culprit).index],
                                                                 _partner(item[0], culprit).index))
        correction = np.linalg.inv(drift) if pair.second.index == culprit else np.asarray(drift, np.float64)
        shot = pair.second if pair.second.index == culprit else pair.first
        plans.append(FixPlan(shot, _partner(pair, culprit), pair, correction,
                             tuple(m for m in measures if m in COLOUR_MEASURES)))
        remaining = [item for item in remaining if culprit not in (item[0].first.index, item[0].second.index)]
    return plans


def _partner(pair: PlannedPair, index: int) -> Shot:
    return pair.first if pair.second.index == index else pair.second


def _bare(shot: Shot) -> str:
    """A shot's name without its media's file extension (hosts name clips ``A001C002.mov``)."""
    stem, extension = os.path.splitext(shot.name)
    return stem if shot.media and extension and shot.media.lower().endswith(extension.lower()) else shot.name


def correction_lut(correction: np.ndarray, size: int = CUBE_SIZE) -> Lut3D:
    """The scene-linear correction as an ACEScct → ACEScct LUT."""
    to_linear = ColorProcessor(WORKING_SPACE, LINEAR_SPACE, threads=1)
    to_log = ColorProcessor(LINEAR_SPACE, WORKING_SPACE, threads=1)
    matrix = np.asarray(correction, np.float32)

    def mapping(points: np.ndarray) -> np.ndarray:
        linear = to_linear(np.ascontiguousarray(points, np.float32))
        return to_log(np.ascontiguousarray(linear @ matrix.T))

    return Lut3D.from_function(mapping, size)


def apply_cube_to_linear(frame_linear: np.ndarray, cube: Lut3D, space: str) -> np.ndarray:
    """A scene-linear ACEScg frame taken to ``space``'s code values, through ``cube``, and back."""
    to_code = ColorProcessor(LINEAR_SPACE, space, threads=1)
    to_linear = ColorProcessor(space, LINEAR_SPACE, threads=1)
    return to_linear(LutProcessor(cube, threads=1)(to_code(np.ascontiguousarray(frame_linear, np.float32))))


def write_fix(plan: FixPlan, space: str, folder: Path, first: np.ndarray, warped_second: np.ndarray,
              static: np.ndarray) -> ColourFix:
    """Write the fix's ``.cube`` into ``folder`` and check it on the pair's frames (first frame's geometry)."""
    name = _UNSAFE.sub("_", f"{_bare(plan.shot)}_to_{_bare(plan.reference)}").strip("_")[:80] + "_continuity"
    comments = (f"answerprint continuity fix: {plan.shot.name} matched to {plan.reference.name} "
                f"({', '.join(plan.measures)}); a global colour transform, content untouched",)
    path = write_look_cubes(correction_lut(plan.correction), space, space, folder, name, (CUBE_SIZE,),
                            comments)[CUBE_SIZE]
    cube = read_cube(path)
    shot_is_second = plan.shot.index == plan.pair.second.index
    reference, shot = (first, warped_second) if shot_is_second else (warped_second, first)
    fixed = apply_cube_to_linear(shot, cube, space)
    means = [tile_means(image, static) for image in (reference, shot, fixed)]
    before = float(delta_e00_acescg(means[0], means[1]).mean())
    after = float(delta_e00_acescg(means[0], means[2]).mean())
    return ColourFix(plan, path, space, before, after)


def tile_means(frame: np.ndarray, mask: np.ndarray, rows: int = 4, columns: int = 6) -> np.ndarray:
    """Mean colour of ``mask``'s pixels in each tile of a ``rows × columns`` grid that has at least
    ``MIN_TILE_PIXELS`` of them: ``(tiles, 3)``."""
    height, width = mask.shape
    means = []
    for row in range(rows):
        for column in range(columns):
            window = (slice(row * height // rows, (row + 1) * height // rows),
                      slice(column * width // columns, (column + 1) * width // columns))
            chosen = mask[window]
            if chosen.sum() >= MIN_TILE_PIXELS:
                means.append(frame[window][chosen].mean(axis=0))
    return np.array(means).reshape(-1, 3)
