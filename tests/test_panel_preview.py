"""The core's proxy preview (what the panel shows): the same pixels as a render, at proxy size, quickly redrawn."""
from __future__ import annotations

import cv2
import numpy as np
import pytest
from conftest import file_digest, photo_frames
from media_makers import write_clip

from answerprint.core.color import ColorProcessor, preview_processor
from answerprint.core.errors import ParamError, UsageError
from answerprint.core.frames import open_media
from answerprint.core.render.preview import DisplayLut, PreviewSession, proxy_size, reference_still


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return write_clip(tmp_path_factory.mktemp("preview") / "A001C003.mov", width=320, height=180, count=6)


def test_proxies_are_scaled_down_to_1080p_and_never_up():
    assert proxy_size(3840, 2160) == (1920, 1080)
    assert proxy_size(4096, 1716) == (1920, 804)
    assert proxy_size(1280, 720) == (1280, 720)


@pytest.mark.parametrize("space", ["Gamma 2.4 Encoded Rec.709", "ARRI LogC3 (EI800)", "ACEScg"])
def test_the_baked_display_shows_what_opencolorio_shows(space):
    frame = photo_frames(256, 144, 1)[0]
    if space == "ACEScg":
        frame = ColorProcessor("sRGB Encoded Rec.709 (sRGB)", "ACEScg", threads=1)(frame)
    exact = np.clip(preview_processor(space)(frame), 0, 1)
    baked = DisplayLut(space, threads=1)(frame)
    error = np.abs(baked - exact).max(axis=-1)
    assert error.mean() < 0.002 and np.percentile(error, 99) < 0.02      # 8-bit display step: 0.0039


def test_the_preview_after_frame_is_the_render_arithmetic_at_proxy_size(clip):
    source_digest = file_digest(clip)
    with PreviewSession(str(clip), "exposure", proxy_limit=(160, 90), threads=1) as session:
        frame = session.render(3, {"stops": 1})
    assert frame.before.shape == frame.after.shape == (90, 160, 3)
    assert frame.params == {"stops": 1.0}
    with open_media(str(clip)) as reader:
        (_, pixels), = reader.read([3])
    proxy = cv2.resize(pixels, (160, 90), interpolation=cv2.INTER_AREA)
    to_linear = ColorProcessor("Gamma 2.4 Encoded Rec.709", "ACEScg", threads=1)
    expected = np.clip(preview_processor("ACEScg")(to_linear(proxy) * 2.0), 0, 1)
    assert np.abs(frame.after - expected).mean() < 0.003
    assert frame.after.mean() > frame.before.mean() + 0.05
    assert file_digest(clip) == source_digest


def test_a_parameter_set_is_compiled_once_and_scrubbing_reuses_it(clip):
    with PreviewSession(str(clip), "exposure", threads=1) as session:
        first = session.render(0, {"stops": 0.5})
        again = session.render(1, {"stops": 0.5})
        other = session.render(1, {"stops": -0.5})
    assert again.compile_seconds == 0.0 and first.compile_seconds > 0.0 and other.compile_seconds > 0.0
    assert other.after.mean() < again.after.mean()


def test_the_preview_refuses_what_a_render_refuses(clip):
    with PreviewSession(str(clip), "exposure", threads=1) as session:
        with pytest.raises(ParamError, match="stops"):
            session.render(0, {"stops": 99})
        with pytest.raises(UsageError, match="outside"):
            session.render(60, {})
    with pytest.raises(UsageError, match="needs a model pack"):
        PreviewSession(str(clip), "cleanup")


def test_the_reference_still_is_shown_through_the_same_display(clip):
    still = reference_still(str(clip), -1, proxy_limit=(160, 90))
    with PreviewSession(str(clip), "identity", proxy_limit=(160, 90), threads=1) as session:
        middle = session.render(2, {})      # frames 0..5: the middle one is 2
    assert still.shape == (90, 160, 3)
    assert np.abs(still - middle.before).max() < 1e-5
