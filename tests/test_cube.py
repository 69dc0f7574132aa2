""".cube files: what answerprint writes, OpenColorIO reads the same way; what it cannot read, it says where."""
from __future__ import annotations

import itertools
import tempfile
from pathlib import Path

import colour
import cv2
import numpy as np
import PyOpenColorIO as ocio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from skimage import data

from answerprint.core.color.cube import CubeError, read_cube, write_cube
from answerprint.core.color.lut import INTERPOLATIONS, Lut1D, Lut3D, LutProcessor, apply_lut
from answerprint.core.color.processor import CHUNK_PIXELS
from answerprint.core.errors import UsageError

SAMPLE_CUBES = Path(colour.__file__).parent / "io" / "luts" / "tests" / "resources"
_names = itertools.count()


def a_grade(points: np.ndarray) -> np.ndarray:
    """A smooth, clearly non-separable grade to bake into LUTs."""
    r, g, b = points[:, 0], points[:, 1], points[:, 2]
    return np.stack([r ** 2 + 0.1 * g, 0.5 * np.sin(2 * g) + 0.2 * b, np.sqrt(np.abs(b)) - 0.05 * r], axis=-1)


def ocio_apply(path: Path, pixels: np.ndarray, interpolation: str = "tetrahedral") -> np.ndarray:
    """``pixels`` through OpenColorIO's own reading of ``path``, interpolated ``tetrahedral`` or ``trilinear``."""
    transform = ocio.FileTransform(str(path))
    transform.setInterpolation(INTERPOLATIONS[interpolation])
    out = np.ascontiguousarray(pixels, dtype=np.float32).copy()
    ocio.Config.CreateRaw().getProcessor(transform).getDefaultCPUProcessor().applyRGB(out)
    return out


def fresh(folder: Path, suffix: str = ".cube") -> Path:
    """A path never used before in this process (OCIO caches files by path)."""
    return folder / f"lut{next(_names)}{suffix}"


@pytest.mark.parametrize("interpolation", ["tetrahedral", "trilinear"])
@pytest.mark.parametrize("domain, shaped", [((0.0, 1.0), False), ((-0.2, 1.5), False), ((0.0, 1.0), True)])
def test_a_written_cube_gives_the_same_result_in_opencolorio_as_in_the_core(tmp_path, domain, shaped, interpolation):
    shaper = Lut1D(np.repeat(np.linspace(0, 1, 1024)[:, None] ** 0.5, 3, axis=1), -0.1, 4.0) if shaped else None
    lut = Lut3D.from_function(a_grade, 33, *domain, shaper=shaper, interpolation=interpolation)
    path = write_cube(fresh(tmp_path), lut, ("a test grade",))
    frame = np.random.default_rng(0).uniform(-0.3, 1.6, (200, 300, 3)).astype(np.float32)
    core = apply_lut(frame, read_cube(path).interpolated(interpolation), threads=2)
    assert np.abs(ocio_apply(path, frame, interpolation) - core).max() <= 1e-5
    assert np.abs(apply_lut(frame, lut) - core).max() <= 1e-5


def test_luts_are_tetrahedral_unless_told_and_the_two_readings_differ_between_lattice_points(tmp_path):
    def crossed(points: np.ndarray) -> np.ndarray:  # channels mixed by products: the readings differ inside cells
        r, g, b = points[:, 0], points[:, 1], points[:, 2]
        return np.stack([r * g + 0.2 * b, g * b, np.sqrt(r * b)], axis=-1)

    path = write_cube(fresh(tmp_path), Lut3D.from_function(crossed, 9))
    lut = read_cube(path)
    assert lut.interpolation == "tetrahedral"
    pixels = np.random.default_rng(4).uniform(0, 1, (5000, 3)).astype(np.float32)
    tetrahedral, trilinear = apply_lut(pixels, lut), apply_lut(pixels, lut.interpolated("trilinear"))
    assert np.array_equal(tetrahedral, ocio_apply(path, pixels, "tetrahedral"))
    assert np.array_equal(trilinear, ocio_apply(path, pixels, "trilinear"))
    assert np.abs(tetrahedral - trilinear).max() > 1e-3
    lattice = Lut3D.identity(9).table.reshape(-1, 3).astype(np.float32)  # both agree on the lattice itself
    assert np.abs(apply_lut(lattice, lut) - apply_lut(lattice, lut.interpolated("trilinear"))).max() <= 1e-6
    with pytest.raises(UsageError, match="tetrahedral or trilinear"):
        lut.interpolated("cubic")


def test_the_written_text_is_resolves_dialect_without_a_title_line(tmp_path):
    lut = Lut3D.from_function(a_grade, 5, 0.0, 2.0, shaper=Lut1D(np.tile(np.linspace(0, 1, 8)[:, None], 3)))
    text = write_cube(fresh(tmp_path), lut, ("made by a test",)).read_text()
    header = [line for line in text.splitlines() if line and not line[0].isdigit() and not line.startswith("-")]
    assert header == ["# made by a test", "LUT_1D_SIZE 8", "LUT_1D_INPUT_RANGE 0.0000000 1.0000000", "LUT_3D_SIZE 5",
                      "LUT_3D_INPUT_RANGE 0.0000000 2.0000000"]


def test_red_varies_fastest_in_the_rows(tmp_path):
    text = write_cube(fresh(tmp_path), Lut3D.identity(2)).read_text().splitlines()
    assert text[1:4] == ["0.0000000 0.0000000 0.0000000", "1.0000000 0.0000000 0.0000000",
                         "0.0000000 1.0000000 0.0000000"]


@pytest.mark.parametrize("path", sorted(SAMPLE_CUBES.glob("*_cube/*.cube")), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_colour_sciences_sample_cubes_read_as_opencolorio_or_colour_science_read_them(path):
    try:
        lut = read_cube(path)
    except CubeError as error:
        assert "not a 3D LUT" in str(error)
        return
    pixels = np.random.default_rng(1).uniform(0, 1, (2000, 3)).astype(np.float32)
    for interpolation, colour_reading in (("tetrahedral", colour.algebra.table_interpolation_tetrahedral),
                                          ("trilinear", colour.algebra.table_interpolation_trilinear)):
        try:
            expected = ocio_apply(path, pixels, interpolation)
        except ocio.Exception:  # OCIO's Resolve reader refuses a TITLE line beside a shaper; colour-science reads it
            read = colour.read_LUT(str(path))
            kwargs = {"interpolator": colour_reading}
            expected = read.apply(pixels, LUT3D=kwargs) if isinstance(read, colour.LUTSequence) else \
                read.apply(pixels, **kwargs)
        assert np.abs(apply_lut(pixels, lut.interpolated(interpolation)) - expected).max() <= 1e-5


@pytest.mark.parametrize("interpolation", ["tetrahedral", "trilinear"])
def test_resampling_17_to_33_and_65_is_exact(interpolation):
    lut = Lut3D.from_function(a_grade, 17, interpolation=interpolation)
    pixels = np.random.default_rng(2).uniform(0, 1, (20000, 3)).astype(np.float32)
    for size in (33, 65):
        assert lut.resampled(size).interpolation == interpolation
        assert np.abs(apply_lut(pixels, lut.resampled(size)) - apply_lut(pixels, lut)).max() <= 1e-6


def test_the_lut_processor_applies_a_uhd_sized_band_like_one_call():
    lut = Lut3D.from_function(a_grade, 33)
    frame = np.random.default_rng(3).uniform(0, 1, (270, 480, 3)).astype(np.float32)
    threaded, single = LutProcessor(lut, threads=2), LutProcessor(lut, threads=1)
    assert np.array_equal(threaded(frame), single(frame))
    assert frame.dtype == np.float32 and threaded(frame).shape == frame.shape


@pytest.mark.parametrize("interpolation", ["tetrahedral", "trilinear"])
def test_a_photograph_through_a_65_cube_matches_opencolorios_own_processor(tmp_path, interpolation):
    # Rows of 1001 pixels: each band's runs of CHUNK_PIXELS end mid-row; values run below 0 and above 1.
    photo = cv2.resize(data.astronaut().astype(np.float32) / 255.0, (1001, 700), interpolation=cv2.INTER_CUBIC)
    photo = photo * 1.3 - 0.1
    assert photo.shape[0] * photo.shape[1] > 8 * CHUNK_PIXELS
    lut = Lut3D.from_function(a_grade, 65, interpolation=interpolation)
    path = write_cube(fresh(tmp_path), lut)
    before = photo.copy()
    core = LutProcessor(read_cube(path).interpolated(interpolation), threads=2)(photo)
    assert np.array_equal(photo, before)
    assert np.abs(core - ocio_apply(path, photo, interpolation)).max() <= 1e-5
    assert np.abs(core - photo).max() > 0.1


VALID = "LUT_3D_SIZE 2\n" + "".join(f"{r} {g} {b}\n" for b in (0, 1) for g in (0, 1) for r in (0, 1))


def rows(count: int) -> str:
    return "0 0 0\n" * count


@pytest.mark.parametrize("text, message, line", [
    ("LUT_3D_SIZE 1\n" + rows(1), "LUT_3D_SIZE must be one whole number in 2..256", 1),
    ("LUT_3D_SIZE two\n" + rows(8), "LUT_3D_SIZE must be one whole number", 1),
    ("LUT_3D_SIZE 2 2\n" + rows(8), "LUT_3D_SIZE must be one whole number", 1),
    ("LUT_3D_SIZE 2\n" + rows(7), "7 data rows, expected 8 (missing rows)", 8),
    ("LUT_3D_SIZE 2\n" + rows(9), "more data rows than the 8 expected", 10),
    ("LUT_3D_SIZE 2\n" + rows(3) + "nan 0 0\n" + rows(4), "three finite numbers, got 'nan 0 0'", 5),
    ("LUT_3D_SIZE 2\n" + rows(3) + "0 1e999 0\n" + rows(4), "three finite numbers", 5),
    ("LUT_3D_SIZE 2\n" + rows(2) + "0 0\n" + rows(5), "three finite numbers, got '0 0'", 4),
    ("LUT_3D_SIZE 2\n" + rows(2) + "0 0 0 0\n" + rows(5), "three finite numbers", 4),
    ("LUT_3D_SIZE 2\n" + rows(2) + "0 zero 0\n" + rows(5), "three finite numbers", 4),
    ("LUT_3D_SIZE 2\nLUT_SIZE_3D 2\n" + rows(8), "unknown keyword LUT_SIZE_3D", 2),
    ("LUT_3D_SIZE 2\nLUT_3D_SIZE 2\n" + rows(8), "LUT_3D_SIZE given twice (first on line 1)", 2),
    ("LUT_3D_SIZE 2\n" + rows(4) + "DOMAIN_MIN 0 0 0\n" + rows(4), "keyword DOMAIN_MIN after the data rows", 6),
    ("LUT_3D_SIZE 2\nDOMAIN_MIN 0 0\n" + rows(8), "DOMAIN_MIN takes 3 finite numbers", 2),
    ("LUT_3D_SIZE 2\nLUT_3D_INPUT_RANGE 1 0\n" + rows(8), "input range is empty", 2),
    ("LUT_1D_SIZE 2\n" + rows(2), "not a 3D LUT", None),
    ("", "no LUT_3D_SIZE line", None),
    ("# only a comment\n", "no LUT_3D_SIZE line", None),
])
def test_a_malformed_cube_is_refused_naming_the_file_and_line(tmp_path, text, message, line):
    path = tmp_path / "bad.cube"
    path.write_text(text)
    with pytest.raises(CubeError) as caught:
        read_cube(path)
    assert message in str(caught.value)
    assert caught.value.where == (f"{path}:{line}" if line else str(path))
    assert "\n" not in str(caught.value)


def test_binary_junk_and_missing_files_are_cube_errors(tmp_path):
    junk = tmp_path / "junk.cube"
    junk.write_bytes(b"\x89PNG\r\n\x1a\n\x00\xff")
    with pytest.raises(CubeError, match="not a text file"):
        read_cube(junk)
    with pytest.raises(CubeError, match="cannot read"):
        read_cube(tmp_path / "absent.cube")


def test_the_valid_example_reads():
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "ok.cube"
        path.write_text(VALID)
        assert np.array_equal(read_cube(path).table, Lut3D.identity(2).table)


_LINES = st.sampled_from(["LUT_3D_SIZE 2", "LUT_3D_SIZE 3", "LUT_1D_SIZE 2", "TITLE \"x\"", "DOMAIN_MIN 0 0 0",
                          "DOMAIN_MAX 1 1 1", "LUT_3D_INPUT_RANGE 0 1", "LUT_1D_INPUT_RANGE -1 2", "# comment", "",
                          "0 0 0", "1 0.5 0.25", "nan 0 0", "0 0", "1e400 0 0", "-0 -0 -0", "\x00", "LUT_3D_SIZE 999"])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.lists(_LINES, max_size=40).map("\n".join), st.text(max_size=300),
                 st.lists(_LINES, min_size=1, max_size=12).map(lambda lines: VALID + "\n".join(lines))))
def test_fuzzed_cube_text_reads_or_raises_only_cube_errors(text):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.cube"
        path.write_bytes(text.encode("utf-8", errors="surrogatepass"))
        try:
            lut = read_cube(path)
        except CubeError as error:
            assert error.where.startswith(str(path)) and "\n" not in str(error)
        else:
            assert np.isfinite(lut.table).all() and lut.table.shape[-1] == 3
