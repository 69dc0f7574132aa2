"""A VFX pull says what it is: EXR/DPX headers carry the colour space, and frames are numbered like the source.

Checked by reading the written files' headers back with OpenImageIO, as a compositing package would.
"""
from __future__ import annotations

import numpy as np
import OpenImageIO as oiio
import pytest

from answerprint.core.cli import main
from answerprint.core.color.describe import describe_space
from answerprint.core.frames import probe

from media_makers import write_clip

AP1_ACES_WHITE = (0.713, 0.293, 0.165, 0.830, 0.128, 0.044, 0.32168, 0.33767)
REC709_D65 = (0.64, 0.33, 0.30, 0.60, 0.15, 0.06, 0.3127, 0.3290)


def header(path) -> dict:
    image = oiio.ImageInput.open(str(path))
    try:
        return {attribute.name: attribute.value for attribute in image.spec().extra_attribs}
    finally:
        image.close()


def apply(*args: str) -> None:
    assert main(["apply", "identity", *args, "--progress", "none"]) == 0


@pytest.fixture
def clip(tmp_path):
    """Four frames of Rec.709 ProRes starting at 01:00:00:00, 23.976 fps."""
    return write_clip(tmp_path / "A001C001.mov", width=96, height=54, count=4)


def test_exr_pull_carries_chromaticities_interop_id_and_ocio_name(clip, tmp_path):
    apply(str(clip), str(tmp_path / "pull.%04d.exr"), "--output-space", "ACEScg")
    attributes = header(tmp_path / "pull.86400.exr")
    assert np.allclose(attributes["chromaticities"], AP1_ACES_WHITE, atol=1e-4)
    assert attributes["colorInteropID"] == "lin_ap1_scene"
    assert attributes["answerprint/colorSpace"] == "ACEScg"


def test_a_movie_pull_is_numbered_by_timecode_or_from_start_frame(clip, tmp_path):
    apply(str(clip), str(tmp_path / "tc.%04d.exr"))
    info = probe(tmp_path / "tc.%04d.exr")
    assert (info.first_frame, info.last_frame, info.timecode) == (86400, 86403, "01:00:00:00")
    apply(str(clip), str(tmp_path / "vfx.%04d.exr"), "--start-frame", "1001", "--frames", "1-3")
    info = probe(tmp_path / "vfx.%04d.exr")
    assert (info.first_frame, info.last_frame, info.timecode) == (1001, 1003, "01:00:00:01")
    assert header(tmp_path / "vfx.1002.exr")["smpte:TimeCode"] == header(tmp_path / "tc.86402.exr")["smpte:TimeCode"]


def test_a_sequence_pull_keeps_the_source_numbers(tmp_path):
    plate = write_clip(tmp_path / "plate.%04d.exr", "exr", 64, 36, 3, first=1001, timecode=None)
    apply(str(plate), str(tmp_path / "out.%04d.exr"))
    assert sorted(p.name for p in tmp_path.glob("out.*.exr")) == ["out.1001.exr", "out.1002.exr", "out.1003.exr"]


def test_dpx_pull_says_bt709_and_names_its_space(clip, tmp_path):
    apply(str(clip), str(tmp_path / "pull.%04d.dpx"))
    attributes = header(tmp_path / "pull.86400.dpx")
    assert attributes["dpx:Transfer"] == "ITU-R 709-4" and attributes["dpx:Colorimetric"] == "ITU-R 709-4"
    assert attributes["ImageDescription"] == "Gamma 2.4 Encoded Rec.709"
    tags = probe(tmp_path / "pull.%04d.dpx").color_tags
    assert (tags.primaries, tags.transfer) == ("bt709", "bt709"), "read back as the BT.709 it says it is"


def test_published_and_measured_chromaticities():
    assert np.allclose(describe_space("Gamma 2.4 Encoded Rec.709").chromaticities, REC709_D65, atol=1e-4)
    logc = describe_space("ARRI LogC3 (EI800)")
    assert logc.interop_id == "ocio:arrilogc3_awg3_scene" and logc.encoding == "log"
    # ARRI Wide Gamut 3 as the config maps it into ACES: published primaries within the D65 → ACES white shift.
    assert np.allclose(logc.chromaticities[:6], (0.684, 0.313, 0.221, 0.848, 0.0861, -0.102), atol=0.025)
    assert np.allclose(logc.chromaticities[6:], AP1_ACES_WHITE[6:], atol=1e-4)
    assert describe_space("Raw").chromaticities is None
