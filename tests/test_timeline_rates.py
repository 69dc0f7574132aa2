"""Every frame rate the NLE formats carry reads, renders and writes back frame-accurately, drop-frame kept.

For each rate (23.976, 24, 25, 29.97 drop and non-drop, 30, 48, 50, 59.94 drop and non-drop, 60) and each of
EDL, FCP 7 XML, FCPX XML and OTIO: a clip whose source timecode crosses a minute (where drop-frame skips
frame numbers) is cut into a timeline written as its NLE would, rendered with handles, and the conformed
timeline played against the original frame by frame. What the editor's file said about timecode
(``FCM``, ``;`` timecodes, ``DF`` display formats) is still said in the written one.
"""
from __future__ import annotations

import re
from fractions import Fraction

import pytest

from answerprint.core.cli import main
from answerprint.core.frames import probe
from answerprint.core.frames.timecode import offset_timecode

from conform_check import assert_conforms
from media_makers import write_long_clip
from nle_exports import Event, Source, avid_edl, fcpx_library, premiere_xml, resolve_otio

RATES = {"23.976": (Fraction(24000, 1001), False), "24": (Fraction(24), False), "25": (Fraction(25), False),
         "29.97 NDF": (Fraction(30000, 1001), False), "29.97 DF": (Fraction(30000, 1001), True),
         "30": (Fraction(30), False), "48": (Fraction(48), False), "50": (Fraction(50), False),
         "59.94 NDF": (Fraction(60000, 1001), False), "59.94 DF": (Fraction(60000, 1001), True),
         "60": (Fraction(60), False)}
FIRST, LENGTH, HANDLES = 3, 8, 1


@pytest.fixture(scope="module")
def sources(tmp_path_factory):
    """Per rate, a 16-frame clip starting 2 frames before a minute (01:00:59:28 at 30, :22 at 24...)."""
    made = {}
    for label, (rate, drop) in RATES.items():
        fps = round(rate)
        timecode = f"01:00:59{';' if drop else ':'}{fps - 2:02d}"
        path = tmp_path_factory.mktemp(label.replace(" ", "_").replace(".", "_")) / "A001C003.mov"
        made[label] = Source(write_long_clip(path, 16, rate, timecode), timecode, rate, 16, "A001C003")
    return made


def write(fmt: str, folder, source: Source, rate: Fraction, drop: bool):
    event = Event(source, FIRST, LENGTH)
    record = f"01:00:00{';' if drop else ':'}00"
    if fmt == ".edl":
        return avid_edl(folder / "reel.edl", [event], rate, record_start=record,
                        windows_root="S:\\dailies"), ["--rate", str(rate), "--map-path",
                                                      f"S:\\dailies={source.path.parent}"]
    if fmt == ".xml":
        return premiere_xml(folder / "reel.xml", [event], rate, windows_root=None, drop=drop), []
    if fmt == ".fcpxml":
        return fcpx_library(folder / "reel.fcpxml", {"Reel 1": [event]}, rate, drop=drop), []
    return resolve_otio(folder / "reel.otio", [event], rate), []


@pytest.mark.parametrize("fmt", [".edl", ".xml", ".fcpxml", ".otio"])
@pytest.mark.parametrize("label", list(RATES))
def test_every_rate_reads_and_writes_back_frame_accurately(sources, tmp_path, label, fmt):
    rate, drop = RATES[label]
    source = sources[label]
    timeline, extra = write(fmt, tmp_path, source, rate, drop)
    out = tmp_path / "out"
    assert main(["render", str(timeline), "--effect", "identity", "--handles", str(HANDLES), "--out", str(out),
                 *extra]) == 0
    written = out / f"reel_identity{fmt}"
    render = probe(out / "A001C003_identity_v001.mov")
    assert render.frame_rate == rate and render.frame_count == LENGTH + 2 * HANDLES
    assert render.timecode == offset_timecode(source.timecode, FIRST - HANDLES, rate), "source timecode, DF kept"
    read = {"edl_rate": rate} if fmt == ".edl" else {}
    relink = None
    if fmt == ".edl":
        from answerprint.plugin.otio.relink import RelinkOptions

        relink = RelinkOptions.from_arguments(path_maps=[f"S:\\dailies={source.path.parent}"])
    assert assert_conforms(str(timeline), str(written), str(out), relink=relink,
                           expected=[Event(source, FIRST, LENGTH).shown()], **read) == 1
    text = written.read_text()
    if fmt == ".edl":
        assert f"FCM: {'DROP FRAME' if drop else 'NON-DROP FRAME'}" in text
        original = [line for line in timeline.read_text().splitlines() if not line.startswith("* FROM CLIP:")]
        assert original == [line for line in text.splitlines() if not line.startswith("* FROM CLIP:")]
    elif fmt == ".xml":
        new_file = text[text.index('<file id="file-answerprint-1">'):]
        assert f"<displayformat>{'DF' if drop else 'NDF'}</displayformat>" in new_file
        assert re.search(r"<string>01:00:59[:;]\d\d</string>|<string>01:01:00[:;]\d\d</string>", new_file)
        assert (";" in re.search(r"<string>([^<]*)</string>", new_file).group(1)) == drop
    elif fmt == ".fcpxml":
        assert f'tcFormat="{"DF" if drop else "NDF"}"' in text
