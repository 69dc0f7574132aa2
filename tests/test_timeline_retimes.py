"""Retimes and transitions: the source frames rendered are exactly the ones the edit shows, plus handles.

Events modelled on the speed-effect EDL otio-cmx3600-adapter tests against (an Avid export: 47.6 fps in a
24 fps EDL, freeze frames with ``M2 000.0`` and ``FF``), reverses, dissolves and wipes with no handles,
speed ramps (refused, saying why) and a clip whose rate is not the timeline's.
"""
from __future__ import annotations

import json
from fractions import Fraction

import opentimelineio as otio
import pytest

from answerprint.core.cli import main
from answerprint.core.frames import probe
from answerprint.plugin.otio.edl import EdlFile
from answerprint.plugin.otio.retime import used_frames

from conform_check import assert_conforms
from media_makers import write_long_clip
from nle_exports import Event, Source, fcpx_library, premiere_xml, resolve_otio

RT, TR = otio.opentime.RationalTime, otio.opentime.TimeRange

SPEED_EDL = """TITLE: Speed_Effects_Test
FCM: NON-DROP FRAME
001  Z677_4C. V     C        01:00:01:21 01:00:07:03 01:00:00:00 01:00:05:06
* FROM CLIP NAME:  Z677_4C (ANIM10)
002  Z682_156 V     C        01:00:10:21 01:00:10:22 01:00:05:06 01:00:05:23
M2   Z682_156       000.0                01:00:10:21
* FROM CLIP NAME:  Z682_156 (LAY3) FF
* * FREEZE FRAME
003  Z686_5A. V     C        01:00:06:00 01:00:08:22 01:00:05:23 01:00:07:11
M2   Z686_5A.       047.6                01:00:06:00
* FROM CLIP NAME:  Z686_5A (LAY2) (47.56 FPS)
004  Z690_2B. V     C        01:00:20:00 01:00:19:00 01:00:07:11 01:00:08:11
M2   Z690_2B.       -024.0               01:00:20:00
* FROM CLIP NAME:  Z690_2B (LAY1) REVERSE
005  Z677_4C. V     C        01:00:30:00 01:00:30:00 01:00:08:11 01:00:08:11
005  Z682_156 V     D    012 01:00:40:00 01:00:41:00 01:00:08:11 01:00:09:11
* FROM CLIP NAME:  Z677_4C (ANIM10)
* TO CLIP NAME:  Z682_156 (LAY3)
006  Z682_156 V     C        01:00:50:00 01:00:50:00 01:00:09:11 01:00:09:11
006  Z677_4C. V     W001 008 01:00:12:00 01:00:13:00 01:00:09:11 01:00:10:11
* TO CLIP NAME:  Z677_4C (ANIM10)
"""


def test_speed_change_freeze_reverse_and_transitions_need_exactly_the_frames_they_show(tmp_path):
    edl = tmp_path / "speed.edl"
    edl.write_text(SPEED_EDL)
    edit = EdlFile.read(str(edl), Fraction(24))  # held: clips lose their track when the timeline goes
    clips = edit.timeline.video_tracks()[0].find_clips()
    hour = 86400
    spans = [tuple(frame - hour for frame in used_frames(clip, 24).span) for clip in clips]
    assert spans[0] == (45, 170), "a cut: its own frames"
    assert spans[1] == (10 * 24 + 21, 10 * 24 + 21), "a freeze frame needs its one frame, not 17"
    assert spans[2] == (144, 214), "47.6 fps over 36 frames: 144 + 35 x 47.6/24 = 213.4, so 144..214"
    assert spans[3] == (20 * 24 - 23 - 12, 20 * 24), \
        "reverse at 100 % runs down from its source in, and 12 frames further under the dissolve out of it"
    assert spans[4] == (40 * 24, 41 * 24 - 1 + 8), "dissolved in (no frames before its cut), wiped out: 8 after"
    assert spans[5] == (12 * 24, 13 * 24 - 1), "the wiped-in clip: its own 24 frames"
    assert [type(e).__name__ for e in clips[3].effects] == ["LinearTimeWarp"], \
        "a 100 % reverse keeps its M2 although source and record lengths match"


@pytest.fixture(scope="module")
def daily(tmp_path_factory):
    folder = tmp_path_factory.mktemp("retime_daily")
    return Source(write_long_clip(folder / "C001.mov", 60, Fraction(24), "01:00:00:00"), "01:00:00:00",
                  Fraction(24), 60, "C001")


def test_dissolves_are_covered_with_no_handles_and_the_written_otio_keeps_the_retimes(daily, tmp_path):
    events = [Event(daily, 10, 8, Fraction(3, 2)), Event(daily, 40, 6, dissolve=6), Event(daily, 52, 4, Fraction(0))]
    timeline = resolve_otio(tmp_path / "t.otio", events, Fraction(24))
    out = tmp_path / "out"
    assert main(["render", str(timeline), "--effect", "identity", "--out", str(out)]) == 0, "handles 0"
    # 1.5x over 8 frames plus the dissolve's 3 after: 10 .. 10 + 10 x 1.5 = 25; the incoming clip from 3 before
    assert {m.stem: (probe(m).timecode, probe(m).frame_count) for m in out.glob("*.mov")} == {
        "C001_identity_v001": ("01:00:00:10", 16), "C001-2_identity_v001": ("01:00:01:13", 9),
        "C001-3_identity_v001": ("01:00:02:04", 1)}
    assert assert_conforms(str(timeline), str(out / "t_identity.otio"), str(out),
                           expected=[e.shown() for e in events]) == 3
    written = otio.adapters.read_from_file(str(out / "t_identity.otio"))
    effects = [[(type(e).__name__, e.time_scalar) for e in c.effects] for c in written.find_clips()]
    assert effects == [[("LinearTimeWarp", 1.5)], [], [("FreezeFrame", 0.0)]], "the retimes stay in the edit"


def test_speed_ramps_are_reported_not_guessed(daily, tmp_path, capsys):
    xml = premiere_xml(tmp_path / "ramp.xml", [Event(daily, 4, 8, Fraction(1, 2))], Fraction(24), windows_root=None)
    xml.write_text(xml.read_text().replace("<name>variablespeed</name><valuemin>0</valuemin><valuemax>1</valuemax>"
                                           "<value>0</value>", "<name>variablespeed</name><valuemin>0</valuemin>"
                                           "<valuemax>1</valuemax><value>1</value>"))
    ramp = fcpx_library(tmp_path / "ramp.fcpxml", {"P": [Event(daily, 4, 8, Fraction(1, 2))]}, Fraction(24))
    text = ramp.read_text()  # hold the first frame for two frames, then catch up: a ramp
    second = text.index("<timept", text.index("<timeMap>") + 20)
    ramp.write_text(text[:second] + '<timept time="1/12s" value="21601/6s" interp="smooth2"/>' + text[second:])
    for timeline in (xml, ramp):
        assert main(["render", str(timeline), "--effect", "identity", "--out", str(tmp_path / timeline.suffix)]) == 0
        err = capsys.readouterr().err.replace("\n", "")
        assert "0 found" in err and "not a constant speed" in err, err
    assert not list(tmp_path.glob("*/*.mov")), "nothing rendered from a guess"


def test_a_clip_at_another_rate_than_its_timeline_renders_at_its_own_rate(tmp_path):
    """A 25 fps camera clip cut into a 24 fps timeline for two seconds: 50 source frames at 25 fps."""
    source = write_long_clip(tmp_path / "D001C001.mov", 60, Fraction(25), "10:00:00:00")
    timeline = otio.schema.Timeline(name="mixed", global_start_time=RT(86400, 24))
    track = otio.schema.Track(kind=otio.schema.TrackKind.Video)
    timeline.tracks.append(track)
    track.append(otio.schema.Gap(source_range=TR(RT(0, 24), RT(12, 24))))
    start = 36 * 3600 * 25 + 5
    track.append(otio.schema.Clip(name="D001C001", source_range=TR(RT(start, 25), RT(50, 25)),
                                  media_reference=otio.schema.ExternalReference(
                                      target_url=str(source), available_range=TR(RT(start - 5, 25), RT(60, 25)))))
    otio.adapters.write_to_file(timeline, str(tmp_path / "mixed.otio"))
    assert main(["render", str(tmp_path / "mixed.otio"), "--effect", "identity", "--handles", "2",
                 "--out", str(tmp_path / "out")]) == 0
    render = probe(tmp_path / "out" / "D001C001_identity_v001.mov")
    assert (render.frame_rate, render.frame_count, render.timecode) == (25, 54, "10:00:00:03")
    written = otio.adapters.read_from_file(str(tmp_path / "out" / "mixed_identity.otio"))
    clip = written.find_clips()[0]
    assert clip.range_in_parent() == TR(RT(12, 24), RT(48, 24)), "still two seconds at the same record frame"
    assert clip.media_reference.available_range == TR(RT(start - 2, 25), RT(54, 25))
    report = json.loads((tmp_path / "out" / "mixed_identity.relink.json").read_text())
    assert report["found"][0]["how"] == "as written"

