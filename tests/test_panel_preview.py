"""The core's proxy preview (what the panel shows): the same pixels as a render, at proxy size, quickly redrawn."""
from __future__ import annotations

import os

import cv2
import numpy as np
import pytest
from conftest import file_digest, photo_frames
from media_makers import write_clip
from skimage.color import deltaE_ciede2000, rgb2lab

from answerprint.core.color import ColorProcessor, preview_processor
from answerprint.core.color.display import PREVIEW_DISPLAY, DisplayView, default_display_view, display_views
from answerprint.core.color.lut import apply_lut, lattice_points
from answerprint.core.effects import EffectContext, get_effect
from answerprint.core.errors import ParamError, UsageError
from answerprint.core.frames import open_media, probe
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
    expected = np.clip(preview_processor("ACEScg", display_view=frame.display)(to_linear(proxy) * 2.0), 0, 1)
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
    with PreviewSession(str(clip), "cleanup", proxy_limit=(160, 90), threads=1) as session:
        with pytest.raises(UsageError, match="needs a model pack"):
            session.render(0, {})
        untouched = session.render_untouched(0)
    assert np.array_equal(untouched.before, untouched.after), "the clip is shown while a pack is chosen"


def test_the_reference_still_is_shown_through_the_same_display(clip):
    still = reference_still(str(clip), -1, proxy_limit=(160, 90))
    with PreviewSession(str(clip), "identity", proxy_limit=(160, 90), threads=1) as session:
        middle = session.render(2, {})      # frames 0..5: the middle one is 2
    assert still.shape == (90, 160, 3)
    assert np.abs(still - middle.before).max() < 1e-5


# -- colour match in the preview: fitted once per reference, folded into the display, close to the render --------

VIDEO = "Gamma 2.4 Encoded Rec.709"


def graded_still(clip, path, gains=(1.1, 1.0, 0.82)):
    """Frame 0 of ``clip`` with a warm (or, with other ``gains``, cool) grade, as a 16-bit PNG: a reference."""
    with open_media(str(clip)) as reader:
        (_, pixels), = reader.read([0])
    graded = np.clip(pixels * np.float32(gains), 0, 1)
    cv2.imwrite(str(path), np.round(graded[..., ::-1] * 65535).astype(np.uint16))
    return path


def compiled_match(clip, reference, prepared=None, **context):
    """The colour-match processor for ``clip``, compiled as a render does unless ``context`` says otherwise, or
    bound to ``prepared`` (a ``PreparedMatch``, as the preview does)."""
    effect = get_effect("colormatch")
    params = effect.params.resolve({"reference": str(reference), "reference_space": VIDEO,
                                    "strength": context.pop("strength", 1.0), "mask": context.pop("mask", None)})
    if prepared is not None:
        return prepared.bind(params)
    return effect.compile(params, None, EffectContext(probe(str(clip)), VIDEO, threads=1, **context))


def prepared_match(clip):
    """A colour match prepared for ``clip`` as the preview prepares it (at full resolution here)."""
    context = EffectContext(probe(str(clip)), VIDEO, threads=1)
    return get_effect("colormatch").prepare_for(None, context)


def on_display(frame_acescct):
    """ACEScct pixels as OpenColorIO's exact display picture, in CIE Lab (for ΔE00)."""
    return rgb2lab(np.clip(preview_processor("ACEScct")(frame_acescct), 0, 1))


@pytest.fixture(scope="module")
def reference(clip, tmp_path_factory):
    return graded_still(clip, tmp_path_factory.mktemp("reference") / "hero.png")


def test_a_new_strength_blends_the_kept_fit_instead_of_refitting(clip, reference):
    prepared = prepared_match(clip)
    full = compiled_match(clip, reference, prepared)
    half = compiled_match(clip, reference, prepared, strength=0.5)
    assert len(prepared.fits) == 1                           # one fit, two strengths
    identity = lattice_points(full.lut.size, full.lut.domain_min, full.lut.domain_max)
    assert np.abs(half.lut.table - (identity + 0.5 * (full.lut.table - identity))).max() < 1e-6
    assert "common view match at strength 0.5" in half.message
    rendered = compiled_match(clip, reference, strength=0.5)      # a render: no cache, full resolution
    assert np.abs(rendered.lut.table - half.lut.table).max() < 1e-6


def test_a_reference_exported_again_under_the_same_name_is_refitted(clip, tmp_path):
    path = graded_still(clip, tmp_path / "hero.png")
    prepared = prepared_match(clip)
    warm = compiled_match(clip, path, prepared)
    os.utime(graded_still(clip, path, gains=(0.85, 1.0, 1.15)), ns=(1, 1))
    cool = compiled_match(clip, path, prepared)
    assert len(prepared.fits) == 2
    grey = np.full((1, 1, 3), 0.4, np.float32)                  # ACEScct mid grey
    assert apply_lut(grey, warm.lut)[0, 0, 0] > apply_lut(grey, warm.lut)[0, 0, 2]
    assert apply_lut(grey, cool.lut)[0, 0, 0] < apply_lut(grey, cool.lut)[0, 0, 2]


@pytest.fixture(scope="module")
def wide_clip(tmp_path_factory):
    return write_clip(tmp_path_factory.mktemp("wide") / "A001C007.mov", width=640, height=360, count=3)


def test_a_match_fitted_on_frames_scaled_for_the_preview_looks_like_the_renders(wide_clip, tmp_path):
    reference = graded_still(wide_clip, tmp_path / "hero.png")
    mask = np.full((360, 640, 3), 65535, np.uint16)
    mask[:, :160] = 0                                             # leave the left quarter out
    cv2.imwrite(str(tmp_path / "mask.png"), mask)
    with open_media(str(wide_clip)) as reader:
        (_, pixels), = reader.read([1])
    frame = ColorProcessor(VIDEO, "ACEScct", threads=1)(pixels)
    for given in ({}, {"mask": str(tmp_path / "mask.png")}):
        render = compiled_match(wide_clip, reference, **given)
        preview = compiled_match(wide_clip, reference, analysis_size=320, **given)
        assert "common view" in preview.message and "common view" in render.message
        difference = deltaE_ciede2000(on_display(apply_lut(frame, render.lut)), on_display(apply_lut(frame, preview.lut)))
        assert difference.mean() < 1.0 and np.percentile(difference, 99) < 3.0      # ΔE00 1: just noticeable


def test_a_lut_effect_is_folded_into_the_display_and_shows_what_opencolorio_shows(clip, reference):
    with PreviewSession(str(clip), "colormatch", threads=1) as session:
        processor = session.processor({"reference": str(reference), "reference_space": VIDEO})[0]
        frame = session.render(4, {"reference": str(reference), "reference_space": VIDEO, "strength": 0.7})
        weaker = session.processor({"reference": str(reference), "reference_space": VIDEO, "strength": 0.7})[0]
    with open_media(str(clip)) as reader:
        (_, pixels), = reader.read([4])
    working = ColorProcessor(VIDEO, "ACEScct", threads=1)(pixels)
    exact_after = np.clip(preview_processor("ACEScct", display_view=frame.display)(apply_lut(working, weaker.lut)),
                          0, 1)
    exact_before = np.clip(preview_processor(VIDEO)(pixels), 0, 1)
    for shown, exact in ((frame.after, exact_after), (frame.before, exact_before)):
        error = np.abs(shown - exact).max(axis=-1)
        assert error.mean() < 0.002 and np.percentile(error, 99) < 0.02      # 8-bit display step: 0.0039
    assert np.abs(processor.lut.table - weaker.lut.table).max() > 0.01    # the strength reached the picture
    assert frame.after[..., 0].mean() > frame.before[..., 0].mean() + 0.01  # warmer, like the reference


def test_scrubbing_decodes_the_same_pixels_as_a_render(clip):
    with open_media(str(clip), random_access=True) as scrubbing, open_media(str(clip)) as rendering:
        scrubbed = {number: pixels for number in (4, 1, 5) for _, pixels in scrubbing.read([number])}
        rendered = dict(rendering.read([1, 4, 5]))
    assert all(np.array_equal(scrubbed[n], rendered[n]) for n in (1, 4, 5))


# -- the display the viewer shows: a video clip at its own code values, or the display and view chosen ----------

def test_a_rec709_clip_is_shown_at_its_own_code_values_on_the_rec709_display(clip):
    with open_media(str(clip)) as reader:
        (_, pixels), = reader.read([2])
    with PreviewSession(str(clip), "identity", proxy_limit=(320, 180), threads=1) as session:
        frame = session.render(2, {})
        assert frame.display == DisplayView("Rec.1886 Rec.709 - Display", "Un-tone-mapped") == session.display_view
        error = np.abs(frame.before - pixels)
        assert error.mean() < 0.001 and error.max() < 0.004, "within one 8-bit display step of the file"
        assert np.median(frame.before) == pytest.approx(np.median(pixels), abs=0.002)
        session.set_display(PREVIEW_DISPLAY)
        through_aces = session.render(2, {})
    assert through_aces.display == PREVIEW_DISPLAY
    assert np.median(through_aces.before) < np.median(pixels) - 0.05, "the ACES SDR view shows video darker"


def test_scene_referred_footage_defaults_to_the_aces_sdr_view_and_any_config_view_can_be_chosen():
    assert default_display_view("ARRI LogC3 (EI800)") == PREVIEW_DISPLAY
    assert default_display_view("sRGB Encoded Rec.709 (sRGB)") == DisplayView("sRGB - Display", "Un-tone-mapped")
    choices = display_views()
    assert DisplayView("Display P3 - Display", "ACES 2.0 - SDR 100 nits (P3 D65)") in choices
    assert DisplayView("Rec.2100-PQ - Display", "ACES 2.0 - HDR 1000 nits (P3 D65)") in choices


def test_a_new_display_refolds_a_colour_match_without_refitting(clip, reference):
    given = {"reference": str(reference), "reference_space": VIDEO}
    p3 = DisplayView("Display P3 - Display", "ACES 2.0 - SDR 100 nits (P3 D65)")
    with PreviewSession(str(clip), "colormatch", threads=1) as session:
        first = session.render(1, given)
        session.set_display(p3)
        again = session.render(1, given)
        processor = session.processor(given)[0]
    assert first.compile_seconds > 0 and again.compile_seconds == 0, "the fit is kept"
    with open_media(str(clip)) as reader:
        (_, pixels), = reader.read([1])
    working = ColorProcessor(VIDEO, "ACEScct", threads=1)(pixels)
    exact = np.clip(preview_processor("ACEScct", display_view=p3)(apply_lut(working, processor.lut)), 0, 1)
    assert again.display == p3 and np.abs(again.after - exact).max(axis=-1).mean() < 0.002
