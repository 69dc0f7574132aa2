"""Continuity on the hosts' timelines: scenes from an OTIO timeline's markers, flags back as markers that survive
OTIO, CMX 3600 EDL and FCP 7 XML, clips at another frame rate, and Resolve's items marked (and fixed) through
the documented API only."""
from __future__ import annotations

from fractions import Fraction

import opentimelineio as otio
import pytest
from continuity_makers import SPACE, setup
from fake_resolve import scene

from answerprint.core.cli import main
from answerprint.core.demo.takes import render_take, write_take
from answerprint.plugin.otio.continuity import read_shots
from answerprint.plugin.resolve import cli

RATE = 24
RT, TR = otio.opentime.RationalTime, otio.opentime.TimeRange
#: Three takes of one set-up; the middle one a third of a stop over.
TAKES = {"A001C001": None, "A001C002": "exposure_up", "A001C003": None}
ADAPTERS = {".otio": "otio_json", ".edl": "cmx_3600", ".xml": "fcp_xml"}


@pytest.fixture(scope="module")
def takes(tmp_path_factory):
    folder = tmp_path_factory.mktemp("takes")
    return {name: write_take(folder / f"{name}.mov", render_take(setup(), 20 + index, 10, change), SPACE,
                             timecode=f"12:0{index}:00:00", rate=Fraction(RATE))
            for index, (name, change) in enumerate(TAKES.items())}


def edit(takes, names=None, scene_marker: bool = True) -> otio.schema.Timeline:
    """Frames 1-8 of every take cut one after the other, a 'Scene 1' marker at the start."""
    timeline = otio.schema.Timeline(name="reel1", global_start_time=RT(86400, RATE))
    track = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    timeline.tracks.append(track)
    for index, (name, path) in enumerate(takes.items()):
        origin = RT.from_timecode(f"12:0{index}:00:00", RATE).value
        media = otio.schema.ExternalReference(target_url=otio.url_utils.url_from_filepath(str(path)),
                                              available_range=TR(RT(origin, RATE), RT(10, RATE)))
        track.append(otio.schema.Clip(name=(names or {}).get(name, name), media_reference=media,
                                      source_range=TR(RT(origin + 1, RATE), RT(8, RATE))))
    if scene_marker:
        timeline.tracks.markers.append(otio.schema.Marker(name="Scene 1", marked_range=TR(RT(0, RATE), RT(1, RATE))))
    return timeline


def test_scenes_come_from_the_timeline_markers_and_flags_go_back_as_clip_markers(takes, tmp_path):
    path = tmp_path / "reel1.otio"
    otio.adapters.write_to_file(edit(takes), str(path))
    assert main(["continuity", str(path), "--out", str(tmp_path / "out"), "--input-space", SPACE]) == 0
    marked = otio.adapters.read_from_file(str(tmp_path / "out" / "reel1_continuity.otio"))
    clips = {clip.name: clip for clip in marked.find_clips()}
    assert len(clips["A001C001"].markers) == 0
    for name, index in (("A001C002", 1), ("A001C003", 2)):          # cut pairs: the incoming shot's first frame
        marker, = clips[name].markers
        assert "exposure" in marker.name and marker.color == otio.schema.MarkerColor.RED
        origin = RT.from_timecode(f"12:0{index}:00:00", RATE).value
        assert marker.marked_range.start_time == RT(origin + 1, RATE)
        assert "exposure" in marker.comment
    assert len(otio.adapters.read_from_file(str(path)).find_clips()[1].markers) == 0    # the edit read is untouched


@pytest.mark.parametrize("extension", [".edl", ".xml"])
def test_markers_round_trip_through_edl_comments_and_fcp_xml(takes, tmp_path, extension):
    path = tmp_path / f"reel1{extension}"
    slates = {name: f"SC01A_T{index + 1}" for index, name in enumerate(takes)}
    otio.adapters.write_to_file(edit(takes, slates, scene_marker=False), str(path), adapter_name=ADAPTERS[extension])
    assert main(["continuity", str(path), "--out", str(tmp_path / "out"), "--input-space", SPACE]) == 0
    written = tmp_path / "out" / f"reel1_continuity{extension}"
    back = {clip.name: clip for clip in otio.adapters.read_from_file(str(written), adapter_name=ADAPTERS[extension])
            .find_clips()}
    marker, = back["SC01A_T2"].markers
    assert "exposure" in marker.name.lower() and "vs SC01A_T1".lower() in marker.name.lower()
    if extension == ".edl":
        assert "* LOC:" in written.read_text()
    else:
        assert "exposure" in marker.metadata["fcp_xml"]["comment"]
    assert len(back["SC01A_T1"].markers) == 0


def test_a_clip_at_another_frame_rate_is_read_on_its_own_frames(takes, tmp_path):
    fast = write_take(tmp_path / "A001C009.mov", render_take(setup(), 30, 12), SPACE, timecode="13:00:00:00",
                      rate=Fraction(25))
    timeline = edit(takes)
    origin = RT.from_timecode("13:00:00:00", 25).value
    media = otio.schema.ExternalReference(target_url=otio.url_utils.url_from_filepath(str(fast)),
                                          available_range=TR(RT(origin, 25), RT(12, 25)))
    timeline.tracks[0].append(otio.schema.Clip(name="A001C009", media_reference=media,
                                               source_range=TR(RT(origin + 2, 25), RT(8, 25))))
    lost = otio.schema.ExternalReference(target_url="file:///Volumes/raid/lost/A001C010.mov")
    timeline.tracks[0].append(otio.schema.Clip(name="A001C010", media_reference=lost,
                                               source_range=TR(RT(0, RATE), RT(5, RATE))))
    path = tmp_path / "reel1.otio"
    otio.adapters.write_to_file(timeline, str(path))
    shots, markers, _ = read_shots(str(path), str(tmp_path))
    by_name = {shot.name: shot for shot in shots}
    assert (by_name["A001C009"].first, by_name["A001C009"].last, by_name["A001C009"].offline) == (2, 9, "")
    assert by_name["A001C010"].offline.startswith("media offline")
    assert markers == [(0, "Scene 1")]
    assert [by_name[name].record_frame for name in ("A001C001", "A001C002", "A001C003")] == [0, 8, 16]


def resolve_edit(world, takes):
    """The three takes cut in Resolve (frames 1-8), their Scene and Take set in the Metadata panel."""
    project = world.resolve.GetProjectManager().CreateProject("EP104")
    media_pool = project.GetMediaPool()
    clips = media_pool.ImportMedia([str(path) for path in takes.values()])
    for take, clip in enumerate(clips, start=1):
        assert clip.SetMetadata({"Scene": "1", "Take": str(take)})
    media_pool.CreateEmptyTimeline("reel 1")
    items = media_pool.AppendToTimeline([{"mediaPoolItem": clip, "startFrame": 1, "endFrame": 9} for clip in clips])
    return items


def test_resolve_items_are_marked_and_the_drifted_one_fixed_through_the_documented_api(world, takes, tmp_path):
    items = resolve_edit(world, takes)
    settings = ["--settings", str(tmp_path / "resolve.json")]
    out = ["--out", str(tmp_path / "check"), "--input-space", SPACE]
    assert cli.main([*settings, "continuity", *out]) == 0
    assert scene.item_markers(items[0]) == {}
    for item in items[1:]:
        (frame, marker), = scene.item_markers(item).items()
        assert frame == 0 and marker["color"] == "Red" and "exposure" in marker["name"]
        assert marker["customData"] == "answerprint-continuity"
    assert scene.graded_lut(items[1]) == ""
    out[1] = str(tmp_path / "check_fix")
    assert cli.main([*settings, "continuity", "--fix", "--production", "ep104", *out]) == 1   # markers already there
    assert scene.graded_lut(items[1]).startswith("answerprint/ep104/A001C002_to_A001C001_continuity")
    assert scene.graded_lut(items[0]) == "" and scene.graded_lut(items[2]) == ""
    assert world.undocumented == []
