"""Whole timelines as an assistant editor hands them over: OTIO, OTIOZ, EDL, FCP 7 XML and FCPX XML.

Each round trip renders every video clip's used range plus handles and reads the conformed timeline back
with OpenTimelineIO, as Resolve, Premiere, Avid or Final Cut would: the clips point at the renders, keep
their source timecode, and the offline clip is reported and left alone.
"""
from __future__ import annotations

import os
from fractions import Fraction

import numpy as np
import opentimelineio as otio
import pytest

from answerprint.core.cli import main
from answerprint.core.errors import OutputError
from answerprint.core.frames import open_media, probe
from answerprint.core.frames.timecode import offset_timecode
from answerprint.core.render import RenderJob, render
from answerprint.plugin.otio.timeline_io import write_timeline

from conftest import file_digest
from media_makers import write_clip

RATE = 24
RT, TR = otio.opentime.RationalTime, otio.opentime.TimeRange
HANDLES = 2
#: Clip name -> (photograph, source start timecode, first used frame, used frames).
CLIPS = {"A001C003": ("astronaut", "01:00:00:00", 4, 10), "B002C011": ("coffee", "02:10:00:00", 2, 12)}
FORMATS = {".otio": "otio_json", ".otioz": "otioz", ".edl": "cmx_3600", ".xml": "fcp_xml", ".fcpxml": "fcpx_xml"}


@pytest.fixture(scope="module")
def dailies(tmp_path_factory):
    """Two 24-frame 10-bit ProRes dailies at 24 fps with camera timecode."""
    folder = tmp_path_factory.mktemp("dailies")
    return {name: write_clip(folder / f"{name}.mov", width=192, height=108, count=24, rate=Fraction(RATE),
                             timecode=tc, name=photo)
            for name, (photo, tc, _, _) in CLIPS.items()}


def edit(dailies) -> otio.schema.Timeline:
    """Reel 1: the two dailies with a gap between them, then a clip whose media went missing."""
    timeline = otio.schema.Timeline(name="reel1", global_start_time=RT(86400, RATE))
    track = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    timeline.tracks.append(track)
    for name, (_, timecode, first, count) in CLIPS.items():
        origin = RT.from_timecode(timecode, RATE).value
        media = otio.schema.ExternalReference(target_url=otio.url_utils.url_from_filepath(str(dailies[name])),
                                              available_range=TR(RT(origin, RATE), RT(24, RATE)))
        track.append(otio.schema.Clip(name=name, media_reference=media,
                                      source_range=TR(RT(origin + first, RATE), RT(count, RATE))))
        track.append(otio.schema.Gap(source_range=TR(RT(0, RATE), RT(5, RATE))))
    lost = otio.schema.ExternalReference(target_url="file:///Volumes/raid/lost/C003.mov",
                                         available_range=TR(RT(0, RATE), RT(24, RATE)))
    track.append(otio.schema.Clip(name="C003", media_reference=lost, source_range=TR(RT(3, RATE), RT(6, RATE))))
    return timeline


def write_edit(dailies, path) -> None:
    options = {}
    if path.suffix == ".otioz":
        from opentimelineio.adapters.file_bundle_utils import MediaReferencePolicy

        options["media_policy"] = MediaReferencePolicy.MissingIfNotFile
    otio.adapters.write_to_file(edit(dailies), str(path), adapter_name=FORMATS[path.suffix], **options)


def clips_by_name(path, suffix, unpack_to=None) -> dict[str, otio.schema.Clip]:
    """The clips of a timeline as an NLE reads it (an .otioz unpacked into ``unpack_to``)."""
    options = {"extract_to_directory": str(unpack_to)} if suffix == ".otioz" else {}
    if unpack_to:
        os.makedirs(unpack_to, exist_ok=True)
    return {clip.name: clip for clip in otio.adapters.read_from_file(str(path), adapter_name=FORMATS[suffix],
                                                                      **options).find_clips()}


def media_path(clip, base_dir) -> str:
    return os.path.join(base_dir, otio.url_utils.filepath_from_url(clip.media_reference.target_url))


@pytest.mark.parametrize("suffix", list(FORMATS))
def test_round_trip_points_clips_at_renders_with_source_timecode_kept(dailies, tmp_path, capsys, suffix):
    timeline = tmp_path / f"reel1{suffix}"
    write_edit(dailies, timeline)
    before = {name: file_digest(path) for name, path in dailies.items()} | {"timeline": file_digest(timeline)}
    out = tmp_path / "renders"
    assert main(["render", str(timeline), "--effect", "exposure", "--param", "stops=1",
                 "--handles", str(HANDLES), "--out", str(out)]) == 0
    assert "offline: C003" in capsys.readouterr().err, "the missing clip is reported"

    unpacked = tmp_path / "unpacked"
    conformed = clips_by_name(out / f"reel1_exposure{suffix}", suffix, unpacked)
    renders_dir = unpacked / "media" if suffix == ".otioz" else out  # an .otioz carries its media inside
    for name, (_, timecode, first, count) in CLIPS.items():
        clip = conformed[name]
        assert clip.source_range.start_time.to_timecode() == offset_timecode(timecode, first, probe(dailies[name])
                                                                             .frame_rate)
        assert clip.source_range.duration.value == count
        render_path = media_path(clip, unpacked)
        assert os.path.dirname(render_path) == str(renders_dir) and os.path.isfile(render_path)
        info = probe(render_path)
        assert info.frame_count == count + 2 * HANDLES, "used range plus handles"
        assert info.timecode == offset_timecode(timecode, first - HANDLES, info.frame_rate), "source TC kept"
        assert (info.codec, info.bit_depth) == ("prores", 10)
    lost = conformed["C003"].media_reference  # an .otioz cannot bundle missing media: it holds no reference
    assert isinstance(lost, otio.schema.MissingReference) if suffix == ".otioz" else \
        lost.target_url.endswith("lost/C003.mov"), "the offline clip is left on its media"
    after = {name: file_digest(path) for name, path in dailies.items()} | {"timeline": file_digest(timeline)}
    assert after == before, "sources and the timeline read are never modified"
    assert main(["render", str(timeline), "--effect", "exposure", "--param", "stops=1", "--handles", str(HANDLES),
                 "--out", str(out), "--resume"]) == 0, "a finished render resumes to nothing, in every format"
    assert "0 frame(s) written" in capsys.readouterr().err.replace("\n", " ")


def test_renders_hold_the_same_pixels_as_applying_the_effect_to_the_clip(dailies, tmp_path):
    timeline = tmp_path / "reel1.otio"
    write_edit(dailies, timeline)
    assert main(["render", str(timeline), "--effect", "exposure", "--param", "stops=1",
                 "--handles", str(HANDLES), "--out", str(tmp_path / "renders")]) == 0
    _, _, first, count = CLIPS["B002C011"]
    direct = render(RenderJob(str(dailies["B002C011"]), str(tmp_path / "direct.mov"), "exposure", {"stops": "1"},
                    frames=(first, first + count - 1), handles=HANDLES))
    with open_media(tmp_path / "renders" / "B002C011_exposure_v001.mov") as farm, open_media(direct.outputs[0]) as single:
        for (_, a), (_, b) in zip(farm.read(), single.read(), strict=True):
            np.testing.assert_array_equal(a, b)


def test_sequence_renders_are_image_sequence_references_in_otio(dailies, tmp_path):
    timeline = tmp_path / "reel1.otio"
    write_edit(dailies, timeline)
    assert main(["render", str(timeline), "--effect", "identity", "--codec", "exr", "--chunk", "5",
                 "--out", str(tmp_path / "renders")]) == 0
    clip = clips_by_name(tmp_path / "renders" / "reel1_identity.otio", ".otio")["A001C003"]
    reference = clip.media_reference
    assert isinstance(reference, otio.schema.ImageSequenceReference)
    first_file = otio.url_utils.filepath_from_url(reference.target_url_for_image_number(0))
    info = probe(first_file)
    assert (info.codec, info.first_frame, info.frame_count) == ("openexr", 86404, 10), "numbered by timecode"
    assert info.timecode == "01:00:00:04" and reference.start_frame == 86404
    assert clip.media_references()["DEFAULT_MEDIA"].target_url.endswith("A001C003.mov"), "original kept"


def test_running_again_refuses_then_resumes_without_rendering_twice(dailies, tmp_path, capsys):
    timeline = tmp_path / "reel1.xml"
    write_edit(dailies, timeline)
    out = tmp_path / "renders"
    command = ["render", str(timeline), "--effect", "exposure", "--param", "stops=0.5", "--out", str(out)]
    assert main(command) == 0
    movies = {path: file_digest(path) for path in out.glob("*.mov")}
    assert len(movies) == 2
    capsys.readouterr()
    assert main(command) == 4
    assert "pass --resume" in capsys.readouterr().err
    assert main(command + ["--resume"]) == 0
    assert "0 frame(s) written, 22 already complete" in capsys.readouterr().err.replace("\n", " ")
    assert {path: file_digest(path) for path in out.glob("*.mov")} == movies


def test_unknown_timeline_format_and_missing_effect_are_refused(dailies, tmp_path, capsys):
    aaf = tmp_path / "reel1.aaf"
    aaf.write_bytes(b"not read")
    assert main(["render", str(aaf), "--effect", "exposure", "--out", str(tmp_path / "o")]) == 2
    assert ".otio" in capsys.readouterr().err
    timeline = tmp_path / "reel1.otio"
    write_edit(dailies, timeline)
    assert main(["render", str(timeline), "--out", str(tmp_path / "o")]) == 2
    assert "--effect" in capsys.readouterr().err


def test_a_timeline_the_adapter_cannot_read_back_is_refused_and_not_left_behind(tmp_path, capsys):
    """otio-fcpx-xml-adapter 1.0 writes FCPX at 23.976 fps with an empty frameDuration: refused, no file."""
    daily = write_clip(tmp_path / "A001C003.mov", width=192, height=108, count=12, timecode="01:00:00:00")
    rate = 24000 / 1001
    timeline = otio.schema.Timeline(name="ntsc")
    track = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    timeline.tracks.append(track)
    media = otio.schema.ExternalReference(target_url=otio.url_utils.url_from_filepath(str(daily)),
                                          available_range=TR(RT(86400, rate), RT(12, rate)))
    track.append(otio.schema.Clip(name="A001C003", media_reference=media,
                                  source_range=TR(RT(86402, rate), RT(6, rate))))
    source = tmp_path / "ntsc.otio"
    otio.adapters.write_to_file(timeline, str(source))
    with pytest.raises(OutputError, match="cannot write it"):
        write_timeline(otio.adapters.read_from_file(str(source)), str(tmp_path / "ntsc.fcpxml"), overwrite=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["A001C003.mov", "ntsc.otio"]


def test_a_shot_that_fails_is_reported_and_keeps_its_media_while_the_others_render(dailies, tmp_path, capsys):
    (tmp_path / "scan").mkdir()
    scan = write_clip(tmp_path / "scan" / "R1_010.%04d.exr", codec="exr", width=192, height=108, count=12,
                      rate=Fraction(RATE), timecode="03:00:00:00", first=1001)
    os.remove(str(scan).replace("%04d", "1006"))  # a frame lost from the scan, inside the used range
    timeline = edit(dailies)
    scan_media = otio.schema.ImageSequenceReference(
        target_url_base=otio.url_utils.url_from_filepath(str(tmp_path / "scan")) + "/", name_prefix="R1_010.",
        name_suffix=".exr", start_frame=1001, frame_zero_padding=4, rate=RATE,
        available_range=TR(RT.from_timecode("03:00:00:00", RATE), RT(12, RATE)))
    timeline.video_tracks()[0].append(otio.schema.Clip(
        name="R1_010", media_reference=scan_media,
        source_range=TR(RT.from_timecode("03:00:00:02", RATE), RT(8, RATE))))
    otio.adapters.write_to_file(timeline, str(tmp_path / "reel1.otio"))
    assert main(["render", str(tmp_path / "reel1.otio"), "--effect", "identity",
                 "--out", str(tmp_path / "renders")]) == 1
    err = capsys.readouterr().err.replace("\n", "")
    assert "failed: R1_010_identity_v001" in err and "missing" in err and "rendered 2/3 shot(s)" in err
    conformed = clips_by_name(tmp_path / "renders" / "reel1_identity.otio", ".otio")
    assert conformed["R1_010"].media_reference.target_url_base.endswith("/scan/"), "kept on the scan"
    assert conformed["A001C003"].media_reference.target_url.endswith("/renders/A001C003_identity_v001.mov")
