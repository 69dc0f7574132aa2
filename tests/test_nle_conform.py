"""A cut from each NLE, with retimes and dissolves, renders and conforms back frame-accurately.

Each timeline is written the way its NLE exports (``nle_exports``): Avid's EDL, Premiere's FCP 7 XML,
Final Cut's FCPXML library, Resolve's OTIO. Each is rendered through the identity effect and the conformed
timeline is played against the original (``conform_check``): every frame of every clip must show the same
source frame, through its render. The written timeline must also keep what the NLE wrote: reels, ``FCM``,
speed lines, Time Remap filters, the library's events and projects.
"""
from __future__ import annotations

import json
import re
from fractions import Fraction

import pytest

from answerprint.core.cli import main
from answerprint.core.frames import probe
from answerprint.core.frames.timecode import offset_timecode
from answerprint.plugin.otio.relink import RelinkOptions

from conform_check import assert_conforms
from media_makers import write_long_clip
from nle_exports import Event, Source, avid_edl, fcpx_library, premiere_project, premiere_xml, resolve_otio

RATE = Fraction(24)
HANDLES = 2


@pytest.fixture(scope="module")
def dailies(tmp_path_factory):
    """Two 72-frame 24 fps camera files with timecode and reel names (64x36, one-pixel pan a frame)."""
    folder = tmp_path_factory.mktemp("dailies")
    sources = {"A": Source(folder / "A001C003.mov", "01:00:00:00", RATE, 72, "A001C003"),
               "B": Source(folder / "B002C011.mov", "02:00:00:00", RATE, 72, "B002C011")}
    for source, photo in zip(sources.values(), ("astronaut", "coffee")):
        write_long_clip(source.path, source.frames, source.rate, source.timecode, name=photo)
    return sources


def render(timeline, out, *extra):
    return main(["render", str(timeline), "--effect", "identity", "--handles", str(HANDLES), "--out", str(out),
                 *map(str, extra)])


def rendered_ranges(out) -> dict[str, tuple[int, int]]:
    """Render name -> (first, last) source frame, from the renders' own start timecode and length."""
    ranges = {}
    for movie in sorted(out.glob("*.mov")):
        info = probe(movie)
        ranges[movie.stem] = (info.timecode, info.frame_count)
    return ranges


def test_avid_edl_with_speed_change_freeze_reverse_and_dissolve(dailies, tmp_path, capsys):
    a, b = dailies["A"], dailies["B"]
    events = [Event(a, 4, 10), Event(b, 2, 12, Fraction(119, 60)),  # M2 047.6 in a 24 fps EDL
              Event(a, 30, 5, Fraction(0)), Event(b, 40, 8, dissolve=6), Event(a, 60, 6, Fraction(-1))]
    edl = avid_edl(tmp_path / "REEL_1_V3.edl", events, RATE, windows_root="S:\\SHOW\\DAILIES")
    text = edl.read_text()
    out = tmp_path / "renders"
    dailies_dir = str(a.path.parent)
    assert render(edl, out, "--map-path", f"S:\\SHOW\\DAILIES={dailies_dir}") == 0
    err = capsys.readouterr().err.replace("\n", "")
    assert "media: 5 found (5 path map), 0 ambiguous, 0 offline" in err

    written = (out / "REEL_1_V3_identity.edl").read_text()
    assert sorted(p.name for p in out.glob("*.mov")) == [
        "A001C003-2_identity_v001.mov", "A001C003-3_identity_v001.mov", "A001C003_identity_v001.mov",
        "B002C011-2_identity_v001.mov", "B002C011_identity_v001.mov"], "named after the source, no 001_ prefix"
    for line_in, line_out in zip(text.splitlines(), written.splitlines()):
        if not re.match(r"^\* (FROM|TO) CLIP:", line_in):
            assert line_in == line_out, "every line but the media paths is the editor's own"
    assert "FCM: NON-DROP FRAME" in written and "M2   B002C011       047.6" in written
    assert f"* FROM CLIP: {out / 'B002C011_identity_v001.mov'}" in written

    # the speed change needs source 2 .. ceil(2 + 11 * 119/60) = 24, the freeze frame one frame, the reverse
    # 60 down to 55, the dissolve's outgoing clip (the freeze) nothing more, the incoming one none before
    assert rendered_ranges(out) == {
        "A001C003_identity_v001": (offset_timecode(a.timecode, 4 - HANDLES, RATE), 10 + 2 * HANDLES),
        "B002C011_identity_v001": (offset_timecode(b.timecode, 2 - HANDLES, RATE), 23 + 2 * HANDLES),
        "A001C003-2_identity_v001": (offset_timecode(a.timecode, 30 - HANDLES, RATE), 1 + 2 * HANDLES),
        "B002C011-2_identity_v001": (offset_timecode(b.timecode, 40 - HANDLES, RATE), 8 + 2 * HANDLES),
        "A001C003-3_identity_v001": (offset_timecode(a.timecode, 55 - HANDLES, RATE), 6 + 2 * HANDLES)}
    assert_conforms(str(edl), str(out / "REEL_1_V3_identity.edl"), str(out), expect_rendered=5,
                    expected=[event.shown() for event in events],
                    relink=RelinkOptions.from_arguments(path_maps=[f"S:\\SHOW\\DAILIES={dailies_dir}"]))


def test_premiere_xml_with_time_remap_reverse_and_dissolve(dailies, tmp_path, capsys):
    a, b = dailies["A"], dailies["B"]
    events = [Event(a, 4, 10), Event(b, 2, 12, Fraction(1, 2)), Event(a, 40, 8, dissolve=6),
              Event(b, 50, 6, Fraction(-1)), Event(b, 60, 6, Fraction(3, 2))]
    xml = premiere_xml(tmp_path / "reel1_v3.xml", events, RATE, windows_root="D:/show")
    out = tmp_path / "renders"
    assert render(xml, out, "--map-path", f"D:\\show={a.path.parent}") == 0
    conformed = (out / "reel1_v3_identity.xml").read_text()
    assert conformed.count("<effectid>timeremap</effectid>") == 3, "the Time Remap filters are kept"
    assert "masterclip-1" not in conformed, "a re-pointed clip is no longer its camera file's master clip"
    assert conformed.count('<clipitem id="clipitem-10') == 5, "the audio clip items are kept"
    assert "D%3a/show/A001C003.mov" in conformed, "the audio keeps the camera file, its definition moved to it"
    assert assert_conforms(str(xml), str(out / "reel1_v3_identity.xml"), str(out),
                           expected=[event.shown() for event in events],
                           relink=RelinkOptions.from_arguments(path_maps=[f"D:\\show={a.path.parent}"])) == 5
    # dissolve centred on the cut: 3 frames of the incoming clip before its cut, 3 of the outgoing after its end
    ranges = rendered_ranges(out)
    assert ranges["B002C011_identity_v001"] == (offset_timecode(b.timecode, 2 - HANDLES, RATE), 8 + 2 * HANDLES), \
        "50 %: its 12 frames show source 2..7.5, the 3 under the dissolve after it 8..9"
    assert ranges["A001C003-2_identity_v001"] == (offset_timecode(a.timecode, 40 - 3 - HANDLES, RATE),
                                                  3 + 8 + 2 * HANDLES)
    # 150 %: XML counts its in point in retimed frames, so its render starts a multiple of 3 frames into the
    # file (57, not 58) for the in point to stay whole: 60 - 2 handles, down to 57; 60 + 5 x 1.5 = 67.5 -> 68, +2
    assert ranges["B002C011-3_identity_v001"] == (offset_timecode(b.timecode, 57, RATE), 70 - 57 + 1)


def test_final_cut_library_with_two_projects_retime_and_dissolve(dailies, tmp_path, capsys):
    a, b = dailies["A"], dailies["B"]
    projects = {"Cut 1": [Event(a, 4, 10), Event(b, 2, 12, Fraction(1, 2)), Event(a, 40, 8, dissolve=6)],
                "Cut 2": [Event(b, 30, 6), Event(a, 20, 4, Fraction(-1))]}
    library = fcpx_library(tmp_path / "Show.fcpxml", projects, RATE, connected=Event(b, 60, 4))
    out = tmp_path / "renders"
    assert render(library, out) == 0
    written = (out / "Show_identity.fcpxml").read_text()
    for kept in ('<library location="file:///Volumes/RAID/Show.fcpbundle/">', '<event name="Dailies Day 1"',
                 '<project name="Cut 1"', '<project name="Cut 2"', "<smart-collection", "<timeMap>",
                 '<transition name="Cross Dissolve"', 'value="A001C003 in"'):
        assert kept in written, f"{kept} is written back"
    assert written.count('srcEnable="audio"') == 4, "each re-pointed asset clip keeps its sound, connected"
    shown = [e.shown() for e in projects["Cut 1"]] + [Event(b, 60, 4).shown()] + [e.shown() for e in projects["Cut 2"]]
    assert assert_conforms(str(library), str(out / "Show_identity.fcpxml"), str(out), expected=shown) == 6

    only = tmp_path / "only"
    assert render(library, only, "--project", "Cut 2") == 0
    assert len(list(only.glob("*.mov"))) == 2, "--project renders that project alone"
    assert assert_conforms(str(library), str(only / "Show_identity.fcpxml"), str(only), project="Cut 2") == 2
    written = (only / "Show_identity.fcpxml").read_text()
    assert '<project name="Cut 1"' in written and written.count("answerprint-") >= 2, \
        "the other project is written back as it was"
    assert render(library, tmp_path / "x", "--project", "Cut 9") == 2
    assert "it holds: Dailies Day 1/Cut 1, Dailies Day 1/Cut 2" in capsys.readouterr().err.replace("\n", "")


def test_resolve_otio_with_retime_freeze_reverse_and_dissolve(dailies, tmp_path):
    a, b = dailies["A"], dailies["B"]
    events = [Event(a, 4, 10), Event(b, 2, 12, Fraction(3, 2)), Event(a, 30, 5, Fraction(0)),
              Event(b, 40, 8, dissolve=6), Event(a, 60, 6, Fraction(-1))]
    timeline = resolve_otio(tmp_path / "Timeline 1.otio", events, RATE)
    out = tmp_path / "renders"
    assert render(timeline, out) == 0
    assert assert_conforms(str(timeline), str(out / "Timeline 1_identity.otio"), str(out),
                           expected=[event.shown() for event in events]) == 5
    report = json.loads((out / "Timeline 1_identity.relink.json").read_text())
    assert [f["how"] for f in report["found"]] == ["as written"] * 5 and report["offline"] == []


@pytest.mark.parametrize("fmt", [".edl", ".xml", ".fcpxml"])
def test_image_sequence_renders_conform_in_nle_formats(dailies, tmp_path, fmt):
    """EXR renders: ``name.[first-last].exr`` in an EDL, the first frame's file in XML and FCPX."""
    a, b = dailies["A"], dailies["B"]
    events = [Event(a, 4, 6), Event(b, 2, 6, Fraction(1, 2), dissolve=2)]
    if fmt == ".edl":
        timeline = avid_edl(tmp_path / "r.edl", events, RATE, windows_root="\\\\editsrv\\show")
        extra = ["--map-path", f"\\\\editsrv\\show={a.path.parent}"]
    elif fmt == ".xml":
        timeline, extra = premiere_xml(tmp_path / "r.xml", events, RATE, windows_root=None), []
    else:
        timeline, extra = fcpx_library(tmp_path / "r.fcpxml", {"R": events}, RATE), []
    out = tmp_path / "out"
    assert render(timeline, out, "--codec", "exr", *extra) == 0
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == ["A001C003_identity_v001",
                                                                    "B002C011_identity_v001"]
    written = out / f"r_identity{fmt}"
    if fmt == ".edl":  # files are numbered by the source's timecode (frames 4..9 of a clip that starts at a.start)
        first = a.start + 4
        assert (f"* FROM CLIP: {out}/A001C003_identity_v001/A001C003_identity_v001.[{first:07d}-{first + 5:07d}].exr"
                in written.read_text())
    relink = RelinkOptions.from_arguments(path_maps=extra[1:]) if extra else None
    assert assert_conforms(str(timeline), str(written), str(out), relink=relink,
                           expected=[e.shown() for e in events]) == 2


def test_a_premiere_project_with_two_sequences_renders_both_or_the_one_picked(dailies, tmp_path, capsys):
    a, b = dailies["A"], dailies["B"]
    sequences = {"reel1_v3": [Event(a, 4, 6), Event(b, 10, 6)], "reel2_v1": [Event(b, 10, 6), Event(a, 50, 4)]}
    project = premiere_project(tmp_path / "EP104.xml", sequences, RATE)
    out = tmp_path / "out"
    assert render(project, out) == 0
    assert sorted(p.stem for p in out.glob("*.mov")) == ["A001C003-2_identity_v001", "A001C003_identity_v001",
                                                         "B002C011_identity_v001"], "b 10..15 is rendered once"
    assert assert_conforms(str(project), str(out / "EP104_identity.xml"), str(out),
                           expected=[e.shown() for events in sequences.values() for e in events]) == 4
    written = (out / "EP104_identity.xml").read_text()
    assert written.count('<file id="file-answerprint-2">') == 1 and written.count('<file id="file-answerprint-2" />') \
        == 1, "the shared render is defined once and referenced by the second sequence"
    only = tmp_path / "only"
    assert render(project, only, "--project", "reel2_v1") == 0
    assert sorted(p.stem for p in only.glob("*.mov")) == ["A001C003_identity_v001", "B002C011_identity_v001"]
    assert assert_conforms(str(project), str(only / "EP104_identity.xml"), str(only), project="reel2_v1") == 2
    assert render(project, tmp_path / "x", "--project", "reel9") == 2
    assert "no sequence 'reel9' in it; it holds: reel1_v3, reel2_v1" in capsys.readouterr().err.replace("\n", "")


def test_an_edl_in_latin_1_is_written_back_in_latin_1_byte_for_byte_but_its_paths(dailies, tmp_path):
    """Older Avid EDLs are Latin-1: a clip name with an accent must come back as the same byte."""
    edl = tmp_path / "latin.edl"
    edl.write_bytes("TITLE: Sc\xe8ne 12\r\nFCM: NON-DROP FRAME\r\n"
                    "001  A001C003 V     C        01:00:00:04 01:00:00:10 01:00:00:00 01:00:00:06\r\n"
                    "* FROM CLIP NAME:  A001C003 pr\xe9-g\xe9n\xe9rique\r\n".encode("latin-1"))
    out = tmp_path / "out"
    assert render(edl, out, "--media-root", dailies["A"].path.parent) == 0
    written = (out / "latin_identity.edl").read_bytes()
    assert written == edl.read_bytes() + f"* FROM CLIP: {out / 'A001C003_identity_v001.mov'}\r\n".encode("latin-1")
