"""Learned-look .cube files under the two interpolations Resolve offers: trilinear and tetrahedral.

For each case the look is fitted from three graded photographs (scikit-image's), delivered as 33- and 65-point
``.cube`` files by ``look.delivery.bake_cube`` and applied by OpenColorIO with ``INTERP_LINEAR`` and
``INTERP_TETRAHEDRAL`` to four photographs (the three plus an unseen one) converted into the look's input space;
the two pictures are compared in CIEDE2000 (graded space → linear Rec.709 → CIELAB). Cases:

* ``srgb look``: an sRGB → sRGB teal-and-orange look (the test suite's);
* ``logc3 demo look``: the demo's show look, ARRI LogC3 (EI800) → Gamma 2.4 Rec.709;
* ``logc3 conversion``: the bare colour conversion LogC3 → Gamma 2.4 Rec.709 (no look), clamped to 0..1 — what a
  33-point lattice can do for that encoding pair at all.

A second table reads the fitted look itself (the 17³ ACEScct lattice a look pack holds, ``look_fit``) both ways
and compares each with the exact grade on the same photographs: the fit solves for trilinear reading, so this
says which interpolation the core must apply a learned look with.

    .venv/bin/python bench/bench_cube_interpolation.py
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np
import PyOpenColorIO as ocio
from skimage import data

from answerprint.core.color import ColorProcessor
from answerprint.core.color.cube import write_cube
from answerprint.core.color.delta_e import ciede2000, linear_rec709_to_lab
from answerprint.core.color.lut import INTERPOLATIONS, Lut3D, apply_lut
from answerprint.core.color.spaces import WORKING_SPACE, look_domain
from answerprint.core.demo.colormatch import GRADED_SPACE, demo_show_look
from answerprint.core.effects.look.delivery import bake_cube
from answerprint.core.effects.look.fit import fit_global_look

SRGB, LOGC = "sRGB Encoded Rec.709 (sRGB)", "ARRI LogC3 (EI800)"
TRAINING, SHOWN = ("astronaut", "coffee", "chelsea"), ("astronaut", "coffee", "chelsea", "rocket")


def photo(name: str, width: int | None = None) -> np.ndarray:
    pixels = getattr(data, name)()[..., :3].astype(np.float32) / 255.0
    if width:
        pixels = cv2.resize(pixels, (width, int(pixels.shape[0] * width / pixels.shape[1])), interpolation=cv2.INTER_AREA)
    return pixels


def teal_orange(rgb: np.ndarray) -> np.ndarray:
    """The test suite's sRGB show look (tests/test_look.py)."""
    luma = rgb @ np.array([0.2126, 0.7152, 0.0722], np.float32)
    weight = np.clip((luma - 0.15) / 0.6, 0, 1)[..., None]
    tinted = rgb + (1 - weight) * np.array([-0.05, 0.01, 0.06], np.float32) + weight * np.array([0.06, 0, -0.07],
                                                                                                 np.float32)
    luma = tinted @ np.array([0.2126, 0.7152, 0.0722], np.float32)
    return np.clip(luma[..., None] + 1.2 * (tinted - luma[..., None]), 0, 1).astype(np.float32)


def srgb_look(size: int) -> Lut3D:
    to_working = ColorProcessor(SRGB, WORKING_SPACE, threads=1)
    low, high = look_domain(SRGB)
    fit = fit_global_look([to_working(photo(n, 128)) for n in TRAINING],
                          [to_working(teal_orange(photo(n, 128))) for n in TRAINING], domain_min=low, domain_max=high,
                          samples=60_000)
    return bake_cube(fit.lut, SRGB, SRGB, size)


def logc_demo_fit() -> Lut3D:
    """The demo look fitted from three LogC3 photographs and their graded versions (ACEScct → ACEScct, 17³)."""
    to_camera, to_working = ColorProcessor(SRGB, LOGC), ColorProcessor(LOGC, WORKING_SPACE)
    to_graded, graded_to_working = ColorProcessor(WORKING_SPACE, GRADED_SPACE), ColorProcessor(GRADED_SPACE,
                                                                                               WORKING_SPACE)
    ungraded = [to_working(to_camera(photo(n, 128))) for n in TRAINING]
    graded = [graded_to_working(np.clip(to_graded(demo_show_look(u)), 0, 1)) for u in ungraded]
    low, high = look_domain(LOGC)
    return fit_global_look(ungraded, graded, domain_min=low, domain_max=high, samples=60_000).lut


def logc_demo_look(size: int) -> Lut3D:
    return bake_cube(logc_demo_fit(), LOGC, GRADED_SPACE, size)


def fitted_look_against_its_grade() -> dict[str, tuple[float, float, float]]:
    """Mean, 99th percentile and maximum ΔE00 between the exact demo grade and the fitted 17³ look read each way,
    on the four photographs at 512 px (LogC3 → ACEScct → look → Gamma 2.4 Rec.709, clipped)."""
    to_camera, to_working = ColorProcessor(SRGB, LOGC), ColorProcessor(LOGC, WORKING_SPACE)
    to_graded, to_linear = ColorProcessor(WORKING_SPACE, GRADED_SPACE), ColorProcessor(GRADED_SPACE,
                                                                                       "Linear Rec.709 (sRGB)")
    shown = np.concatenate([to_working(to_camera(photo(n, 512))).reshape(-1, 3) for n in SHOWN])[None]

    def lab(acescct: np.ndarray) -> np.ndarray:
        return linear_rec709_to_lab(to_linear(np.clip(to_graded(acescct), 0, 1))[0])

    truth, fit = lab(demo_show_look(shown)), logc_demo_fit()
    out = {}
    for interpolation in INTERPOLATIONS:
        difference = ciede2000(lab(apply_lut(shown, fit.interpolated(interpolation))), truth)
        out[interpolation] = (float(difference.mean()), float(np.percentile(difference, 99)), float(difference.max()))
    return out


def logc_conversion(size: int) -> Lut3D:
    convert = ColorProcessor(LOGC, GRADED_SPACE, threads=1)
    return Lut3D.from_function(lambda points: np.clip(convert(points[None])[0], 0, 1), size)


def compare(lut: Lut3D, input_space: str, graded_space: str, folder: Path) -> tuple[float, float, float]:
    """Mean, 99th percentile and maximum ΔE00 between trilinear and tetrahedral on the photographs."""
    path = write_cube(folder / f"cube_{id(lut)}.cube", lut)
    to_input = ColorProcessor(SRGB, input_space)
    pixels = np.concatenate([to_input(photo(n)).reshape(-1, 3) for n in SHOWN]).astype(np.float32)
    to_linear = ColorProcessor(graded_space, "Linear Rec.709 (sRGB)")
    labs = []
    for interpolation in (ocio.INTERP_LINEAR, ocio.INTERP_TETRAHEDRAL):
        transform = ocio.FileTransform(str(path))
        transform.setInterpolation(interpolation)
        out = pixels.copy()
        ocio.Config.CreateRaw().getProcessor(transform).getDefaultCPUProcessor().applyRGB(out)
        labs.append(linear_rec709_to_lab(to_linear(np.clip(out, 0, 1)[None])[0]))
    difference = ciede2000(*labs)
    return float(difference.mean()), float(np.percentile(difference, 99)), float(difference.max())


def main() -> int:
    cases = {"srgb look": (srgb_look, SRGB, SRGB), "logc3 demo look": (logc_demo_look, LOGC, GRADED_SPACE),
             "logc3 conversion": (logc_conversion, LOGC, GRADED_SPACE)}
    print("| case | size | lattice min | lattice max | ΔE00 mean | p99 | max |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as folder:
        for name, (make, input_space, graded_space) in cases.items():
            for size in (33, 65):
                lut = make(size)
                mean, p99, worst = compare(lut, input_space, graded_space, Path(folder))
                print(f"| {name} | {size} | {lut.table.min():.3f} | {lut.table.max():.3f} | {mean:.3f} | {p99:.3f} | "
                      f"{worst:.3f} |")
    print("\n| fitted 17³ logc3 demo look read | ΔE00 to the exact grade: mean | p99 | max |\n|---|---:|---:|---:|")
    for interpolation, (mean, p99, worst) in fitted_look_against_its_grade().items():
        print(f"| {interpolation} | {mean:.3f} | {p99:.3f} | {worst:.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
