"""A learned look's .cube stays inside its output encoding and looks the same under both interpolations Resolve offers."""
from __future__ import annotations

import itertools

import numpy as np
import PyOpenColorIO as ocio
import pytest
from test_look import SRGB, small, teal_orange, to_working

from answerprint.core.color import ColorProcessor
from answerprint.core.color.cube import write_cube
from answerprint.core.color.delta_e import ciede2000, linear_rec709_to_lab
from answerprint.core.color.lut import apply_lut
from answerprint.core.color.spaces import look_domain
from answerprint.core.effects.look.delivery import bake_cube, bake_error, legal_range
from answerprint.core.effects.look.fit import fit_global_look

_names = itertools.count()


@pytest.fixture(scope="module")
def srgb_look():
    """An sRGB → sRGB show look fitted from three graded photographs (the issue's case)."""
    names = ("astronaut", "coffee", "chelsea")
    low, high = look_domain(SRGB)
    fit = fit_global_look([to_working(small(n)) for n in names], [to_working(teal_orange(small(n))) for n in names],
                          domain_min=low, domain_max=high, samples=60_000)
    return fit.lut


def through_opencolorio(path, pixels: np.ndarray, interpolation) -> np.ndarray:
    transform = ocio.FileTransform(str(path))
    transform.setInterpolation(interpolation)
    out = np.ascontiguousarray(pixels, dtype=np.float32).copy()
    ocio.Config.CreateRaw().getProcessor(transform).getDefaultCPUProcessor().applyRGB(out)
    return out


@pytest.mark.parametrize("size", [33, 65])
def test_an_srgb_look_cube_holds_only_srgb_code_values(srgb_look, size):
    cube = bake_cube(srgb_look, SRGB, SRGB, size)
    assert cube.table.min() >= 0.0 and cube.table.max() <= 1.0
    green = np.array([[0.1, 0.9, 0.1]], np.float32)
    graded, delivered = teal_orange(green)[0], apply_lut(green, cube)[0]
    assert np.abs(delivered - graded).max() < 0.06, "a saturated green keeps its grade instead of R -0.44"
    assert bake_error(srgb_look, cube, SRGB, SRGB)["max"] < 0.1, "the exact look is clamped the same way"


@pytest.mark.parametrize("size", [33, 65])
def test_trilinear_and_tetrahedral_give_the_same_picture(srgb_look, size, tmp_path):
    path = write_cube(tmp_path / f"look{next(_names)}_{size}.cube", bake_cube(srgb_look, SRGB, SRGB, size))
    pictures = np.concatenate([small(n, 256).reshape(-1, 3) for n in ("astronaut", "coffee", "chelsea", "rocket")])
    to_linear = ColorProcessor(SRGB, "Linear Rec.709 (sRGB)", threads=1)
    trilinear, tetrahedral = (linear_rec709_to_lab(to_linear(through_opencolorio(path, pictures, interpolation)))
                              for interpolation in (ocio.INTERP_LINEAR, ocio.INTERP_TETRAHEDRAL))
    difference = ciede2000(trilinear, tetrahedral)
    assert difference.max() < 0.5 and difference.mean() < 0.05


def test_scene_linear_deliveries_stay_within_what_acescct_spans():
    low, high = legal_range("ACEScg")
    assert low == pytest.approx(-0.00692, abs=1e-4) and high == pytest.approx(222.86, rel=1e-3)
    assert legal_range("ARRI LogC3 (EI800)") == (0.0, 1.0) == legal_range("Gamma 2.4 Encoded Rec.709")
