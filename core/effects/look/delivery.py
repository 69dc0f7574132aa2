"""Deliver a look the way Resolve applies it natively: ``.cube`` files and, when it is simple enough, a CDL.

A look is fitted in ACEScct, but a colorist puts a ``.cube`` on the clip itself: it must take the ungraded
footage's code values (the input space: camera log, video, or scene-linear) straight to the graded code
values (the graded space). ``bake_cube`` composes input → ACEScct → look → graded through OpenColorIO and
samples it on the cube's lattice. A log or video input spans 0..1 and needs no shaper; a scene-linear input
gets a 1D shaper (the ACEScct curve over linear −0.0069..222, 65,536 entries, in the ``.cube`` itself as
Resolve's ``LUT_1D_SIZE`` block) so that the lattice is spaced in stops, not in linear light.

The delivered values stay inside the legal range of the graded encoding (``legal_range``): 0..1 for video,
display and camera-log code values, the span of ACEScct 0..1 for scene-linear. The look is fitted in ACEScct
and extrapolates beyond the graded pairs (a saturated green through an sRGB look came out at R −0.44 where the
grade is 0.02; lattice values reached −2.2 and 1.35); hosts that do not clamp would show that. The chain clamps
before sampling, so the lattice is what a clamping host shows and every host shows the same. At 33 and 65
points, trilinear and tetrahedral interpolation of an sRGB → sRGB look then agree within 0.5 ΔE00 on
photographs (``tests/test_look_delivery.py``); camera-log → Rec.709 cubes differ more, as the bare colour
conversion does (``bench/README.md``).

A CDL is fitted to the same input → graded code values and delivered only when its residual on the training
pairs is at most ``CDL_MAX_MEAN_DE00``; its residual is written into the file's description either way.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from ...color import ColorProcessor
from ...color.cdl import Cdl, fit_cdl, write_cdl
from ...color.cube import write_cube
from ...color.delta_e import delta_e_acescct, summarise
from ...color.describe import describe_space
from ...color.lut import Lut1D, Lut3D, LutProcessor
from ...color.spaces import FULL_DOMAIN, WORKING_SPACE, is_scene_linear
from .fit import sample_pairs

CUBE_SIZES = (33, 65)
CDL_MAX_MEAN_DE00 = 1.0
_SHAPER_SIZE = 65536
_CDL_SAMPLES = 20_000


def legal_range(space: str, config: str | None = None) -> tuple[float, float]:
    """The code values a delivered look may take in ``space``: 0..1 for bounded encodings (video, display, camera
    log), for scene-linear what ACEScct 0..1 spans there (about −0.0069..222 for ACEScg), unbounded for data."""
    encoding = describe_space(space, config).encoding
    if encoding == "data":
        return -np.inf, np.inf
    if encoding != "scene-linear":
        return 0.0, 1.0
    greys = np.repeat(np.array(FULL_DOMAIN, np.float32)[:, None], 3, axis=1)[None]
    to_space = ColorProcessor(WORKING_SPACE, space, config, threads=1)
    try:
        low, high = to_space(greys)[0, :, 1]
    finally:
        to_space.close()
    return float(low), float(high)


class _Chain:
    """input code values → ACEScct → look → graded code values inside ``legal_range(graded_space)``."""

    def __init__(self, look: Lut3D, input_space: str, graded_space: str, config: str | None):
        self._to_working = ColorProcessor(input_space, WORKING_SPACE, config, threads=1)
        self._look = LutProcessor(look, threads=1)
        self._to_graded = ColorProcessor(WORKING_SPACE, graded_space, config, threads=1)
        self.legal = legal_range(graded_space, config)

    def __call__(self, points: np.ndarray) -> np.ndarray:
        graded = self._to_graded(self._look(self._to_working(np.ascontiguousarray(points, dtype=np.float32))))
        return np.clip(graded, *self.legal)


def acescct_shaper(config: str | None = None) -> Lut1D:
    """The ACEScct curve as a 1D shaper over scene-linear −0.0069..222 (ACEScct 0..1), 65,536 entries."""
    to_linear = ColorProcessor(WORKING_SPACE, "ACEScg", config, threads=1)
    low, high = to_linear(np.array([[FULL_DOMAIN[0]] * 3, [FULL_DOMAIN[1]] * 3], np.float32))[:, 0]
    to_log = ColorProcessor("ACEScg", WORKING_SPACE, config, threads=1)
    linear = np.repeat(np.linspace(low, high, _SHAPER_SIZE, dtype=np.float32)[:, None], 3, axis=1)
    return Lut1D(to_log(linear), float(low), float(high))


def bake_cube(look: Lut3D, input_space: str, graded_space: str, size: int = 33, config: str | None = None) -> Lut3D:
    """The look as a LUT from ``input_space`` code values to ``graded_space`` code values (see module docstring)."""
    shaper = acescct_shaper(config) if is_scene_linear(input_space, config) else None
    return Lut3D.from_function(_Chain(look, input_space, graded_space, config), size, shaper=shaper)


def bake_error(look: Lut3D, cube: Lut3D, input_space: str, graded_space: str, config: str | None = None,
               samples: int = 100_000, seed: int = 0) -> dict[str, float]:
    """|cube − exact chain| in graded code values over random inputs in the cube's domain: ``mean``, ``p99`` and
    ``max`` of the per-pixel largest channel error. The largest errors sit at saturated colours far from any
    training pair, where the look is steepest."""
    rng = np.random.default_rng(seed)
    if cube.shaper is not None:
        to_linear = ColorProcessor(WORKING_SPACE, input_space, config, threads=1)
        points = to_linear(rng.uniform(0.05, 0.95, (samples, 3)).astype(np.float32))
    else:
        points = rng.uniform(cube.domain_min, cube.domain_max, (samples, 3)).astype(np.float32)
    exact = _Chain(look, input_space, graded_space, config)(points)
    error = np.abs(LutProcessor(cube, threads=1)(points) - exact).max(axis=1)
    return {"mean": float(error.mean()), "p99": float(np.percentile(error, 99)), "max": float(error.max())}


def write_look_cubes(look: Lut3D, input_space: str, graded_space: str, folder: str | Path, name: str,
                     sizes: Sequence[int] = CUBE_SIZES, comments: Sequence[str] = (),
                     config: str | None = None) -> dict[int, Path]:
    """Write ``<name>_<size>.cube`` for each size; returns the paths by size."""
    header = (f"answerprint look {name}: {input_space} -> {graded_space}", *comments)
    return {size: write_cube(Path(folder) / f"{name}_{size}.cube", bake_cube(look, input_space, graded_space, size,
                                                                             config), tuple(header))
            for size in sizes}


@dataclass(frozen=True)
class CdlDelivery:
    """A look fitted as a CDL.

    Attributes
    ----------
    cdl : Cdl
    mean_de00, p95_de00 : float
        Residual against the graded training pairs.
    expressible : bool
        True when ``mean_de00 ≤ CDL_MAX_MEAN_DE00`` (the CDL is then written).
    """

    cdl: Cdl
    mean_de00: float
    p95_de00: float
    expressible: bool


def fit_look_cdl(ungraded: Sequence[np.ndarray], graded: Sequence[np.ndarray], input_space: str, graded_space: str,
                 name: str, config: str | None = None) -> CdlDelivery:
    """Fit a CDL from input-space to graded-space code values of the pairs (ACEScct frames)."""
    source_working, target_working = sample_pairs(ungraded, graded, _CDL_SAMPLES)
    source = ColorProcessor(WORKING_SPACE, input_space, config, threads=1)(source_working.astype(np.float32))
    target = ColorProcessor(WORKING_SPACE, graded_space, config, threads=1)(target_working.astype(np.float32))
    fitted = fit_cdl(source, target, identifier=name)
    to_working = ColorProcessor(graded_space, WORKING_SPACE, config, threads=1)
    predicted = to_working(fitted.cdl.apply(source).astype(np.float32))
    errors = summarise(delta_e_acescct(target_working, predicted, config))
    described = Cdl(fitted.cdl.slope, fitted.cdl.offset, fitted.cdl.power, fitted.cdl.saturation, name,
                    f"answerprint look {name}: {input_space} -> {graded_space}; residual on the graded pairs: mean "
                    f"dE00 {errors['mean_de00']:.2f}, p95 {errors['p95_de00']:.2f}")
    return CdlDelivery(described, errors["mean_de00"], errors["p95_de00"], errors["mean_de00"] <= CDL_MAX_MEAN_DE00)


def write_look_cdl(delivery: CdlDelivery, folder: str | Path, name: str) -> list[Path]:
    """Write ``<name>.cdl`` and ``<name>.ccc``."""
    return [write_cdl(Path(folder) / f"{name}{suffix}", delivery.cdl) for suffix in (".cdl", ".ccc")]
