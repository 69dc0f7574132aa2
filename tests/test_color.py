"""Colour management: a pinned config, camera logs, and conversions that come back exactly."""
from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from answerprint.core.color import PINNED_CONFIG, ColorProcessor, config_uri, default_source_space, load_config
from answerprint.core.errors import ColorError
from answerprint.core.frames import ColorTags, MediaInfo

from conftest import photo_frames

CAMERA_LOGS = ["ARRI LogC3 (EI800)", "ARRI LogC4", "S-Log3 S-Gamut3.Cine", "V-Log V-Gamut",
               "Log3G10 REDWideGamutRGB", "ACEScct"]


def test_default_config_is_a_pinned_version_not_latest(monkeypatch):
    monkeypatch.delenv("OCIO", raising=False)
    assert config_uri() == PINNED_CONFIG
    assert "latest" not in PINNED_CONFIG and "_ocio-v" in PINNED_CONFIG


def test_ocio_environment_variable_wins_over_the_pinned_config(monkeypatch, tmp_path):
    config = load_config(PINNED_CONFIG)
    path = tmp_path / "show.ocio"
    path.write_text(config.serialize())
    monkeypatch.setenv("OCIO", str(path))
    assert config_uri() == str(path)
    assert ColorProcessor("ACEScg", "ACEScct").target_space == "ACEScct"


@pytest.mark.parametrize("log_space", CAMERA_LOGS)
def test_camera_log_to_acescg_and_back_is_exact(log_space):
    frame = photo_frames(96, 64, 1)[0] * 0.9 + 0.05  # log code values well inside 0..1
    to_linear = ColorProcessor(log_space, "ACEScg")
    back = ColorProcessor("ACEScg", log_space)
    linear = to_linear(frame)
    assert not np.allclose(linear, frame, atol=1e-2), "a log → linear conversion must change the values"
    assert np.abs(back(linear) - frame).max() < 1e-4


def test_rec709_and_srgb_round_trip_through_scene_linear():
    frame = photo_frames(96, 64, 1)[0]
    for space in ("Gamma 2.4 Encoded Rec.709", "sRGB Encoded Rec.709 (sRGB)", "ACEScct"):
        linear = ColorProcessor(space, "scene_linear")(frame)
        assert np.abs(ColorProcessor("scene_linear", space)(linear) - frame).max() < 1e-4


def test_logc3_mid_grey_lands_on_scene_linear_018():
    # ARRI LogC3 EI800 encodes 18 % grey at code 0.391 (ARRI's published curve).
    grey = np.full((4, 4, 3), 0.3910, np.float32)
    linear = ColorProcessor("arri_logc3_ei800", "ACEScg")(grey)
    assert np.allclose(linear, 0.18, atol=2e-3)


def test_aliases_resolve_and_unknown_space_is_refused_with_a_hint():
    assert ColorProcessor("slog3_sgamut3cine", "acescg").source_space == "S-Log3 S-Gamut3.Cine"
    with pytest.raises(ColorError, match="unknown colour space 'LogC9'"):
        ColorProcessor("LogC9", "ACEScg")


def test_processor_never_modifies_its_input():
    frame = photo_frames(64, 64, 1)[0]
    before = frame.copy()
    ColorProcessor("ACEScct", "ACEScg")(frame)
    assert np.array_equal(frame, before)


def test_sources_get_a_sensible_default_space():
    base = dict(path="x", kind="movie", width=8, height=8, frame_rate=Fraction(24), first_frame=0, frame_count=1)
    assert default_source_space(MediaInfo(**base, codec="openexr")) == "ACES2065-1"
    assert default_source_space(MediaInfo(**base, codec="png")) == "sRGB Encoded Rec.709 (sRGB)"
    tagged = MediaInfo(**base, codec="prores", color_tags=ColorTags("bt709", "bt709", "bt709", "tv"))
    assert default_source_space(tagged) == "Gamma 2.4 Encoded Rec.709"


def test_preview_goes_through_the_aces_sdr_view_and_rolls_off_highlights():
    from answerprint.core.color import preview_processor

    ramp = np.array([[[0.18] * 3, [1.0] * 3, [4.0] * 3, [16.0] * 3]], np.float32)
    shown = preview_processor("ACEScg")(ramp)[0, :, 1]
    assert 0.3 < shown[0] < 0.5, "mid grey sits in the middle of the display range"
    assert np.all(np.diff(shown) > 0) and shown[-1] <= 1.0, "highlights roll off instead of clipping"


@pytest.mark.parametrize("shape", [(270, 480, 3), (7, 5, 3), (1000, 3)])
def test_banded_conversion_gives_opencolorios_own_result_exactly(shape):
    import PyOpenColorIO as ocio

    frame = np.random.default_rng(5).uniform(-0.1, 1.2, shape).astype(np.float32)
    converter = ColorProcessor("ARRI LogC3 (EI800)", "ACEScct", threads=2)
    config = load_config(None)
    expected = frame.copy()
    config.getProcessor(converter.source_space, converter.target_space).getOptimizedCPUProcessor(
        ocio.BIT_DEPTH_F32, ocio.BIT_DEPTH_F32, ocio.OPTIMIZATION_LOSSLESS).applyRGB(expected)
    converted = converter(frame[:, ::-1] if frame.ndim == 3 else frame)  # a strided view is read as well
    assert converted.dtype == np.float32 and converted.flags.c_contiguous
    assert np.array_equal(converted[:, ::-1] if frame.ndim == 3 else converted, expected)
