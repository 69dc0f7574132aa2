"""Relinking: media found as written, through path maps (command line or config), or under media roots by file
name, reel, clip name and source timecode; ambiguous clips listed, never guessed; a report of it all.
"""
from __future__ import annotations

import json
from fractions import Fraction

import opentimelineio as otio
import pytest

from answerprint.core.cli import main
from answerprint.core.frames.timecode import frames_to_timecode, timecode_to_frames
from answerprint.plugin.otio.relink import PathMap, written_path

from media_makers import write_long_clip

RATE = Fraction(24)


@pytest.mark.parametrize("url, path", [
    ("file://localhost/D%3a/show/A001C003.mov", "D:/show/A001C003.mov"),   # Premiere on Windows
    ("S:\\SHOW\\DAILIES\\A001C003.mov", "S:/SHOW/DAILIES/A001C003.mov"),  # Avid EDL FROM CLIP
    ("file:///C:/show/a%20b.mov", "C:/show/a b.mov"),
    ("\\\\editsrv\\show\\A001C003.mov", "//editsrv/show/A001C003.mov"),  # a UNC path
    ("file:///Volumes/RAID/show/A001C003.mov", "/Volumes/RAID/show/A001C003.mov"),  # a Mac
    ("file://localhost/Volumes/RAID/A.mov", "/Volumes/RAID/A.mov"),
    ("media/A.mov", "media/A.mov"),
])
def test_media_urls_read_as_the_paths_they_name(url, path):
    assert written_path(url) == path


def test_path_maps_replace_prefixes_windows_ones_whatever_their_case():
    assert PathMap.parse("S:\\=/mnt/show/").apply("s:/SHOW/a.mov") == "/mnt/show/SHOW/a.mov"
    assert PathMap.parse("/Volumes/RAID/=/mnt/raid/").apply("/Volumes/RAID/x/a.mov") == "/mnt/raid/x/a.mov"
    assert PathMap.parse("\\\\EditSrv\\show=/mnt/show").apply("//editsrv/show/a.mov") == "/mnt/show/a.mov"
    assert PathMap.parse("/Volumes/RAID/=/mnt/raid/").apply("/volumes/raid/a.mov") is None, "POSIX paths are exact"
    for bad in ("S:\\", "=/mnt", "S:\\="):
        assert main(["render", "x.otio", "--effect", "identity", "--out", "o", "--map-path", bad]) == 2


@pytest.fixture(scope="module")
def roots(tmp_path_factory):
    """Two shoot days on a server: the same camera clip name on both days, a renamed retake, a copied clip."""
    root = tmp_path_factory.mktemp("server")
    (root / "day1").mkdir()
    (root / "day2").mkdir()
    made = {}
    for key, relative, timecode, photo in [("A1", "day1/A001C003.mov", "01:00:00:00", "astronaut"),
                                           ("A2", "day2/A001C003.mov", "05:00:00:00", "coffee"),
                                           ("B", "day1/B002C011_retake.mov", "02:00:00:00", "chelsea"),
                                           ("C1", "day1/C003.mov", "03:00:00:00", "rocket"),
                                           ("C2", "day2/C003.mov", "03:00:00:00", "rocket"),
                                           ("D", "day2/D004C001.mov", "04:00:00:00", "astronaut")]:
        made[key] = write_long_clip(root / relative, 24, RATE, timecode, name=photo)
    return root, made


def premiere_edl(events) -> str:
    """A Premiere-style EDL: every reel ``AX``, the clip name is the file name (``* FROM CLIP NAME:``)."""
    lines, record = ["TITLE:   Relink_Test", "FCM: NON-DROP FRAME", ""], 86400

    def tc(frames):
        return frames_to_timecode(frames, RATE)

    for number, (reel, name, start, length) in enumerate(events, start=1):
        src = timecode_to_frames(start, RATE)
        lines.append(f"{number:03d}  {reel:8} V     C        {tc(src)} {tc(src + length)} {tc(record)} "
                     f"{tc(record + length)}")
        if name:
            lines.append(f"* FROM CLIP NAME:  {name}")
        record += length
    return "\n".join(lines) + "\n"


def test_an_edl_of_reels_and_clip_names_relinks_under_media_roots(roots, tmp_path, capsys):
    root, made = roots
    edl = tmp_path / "relink.edl"
    edl.write_text(premiere_edl([
        ("AX", "A001C003.mov", "01:00:00:04", 6),       # clip name, and day 1 by its timecode
        ("AX", "A001C003.mov", "05:00:00:10", 6),       # clip name, and day 2 by its timecode
        ("B002C011", "B002C011 (retake)", "02:00:00:02", 5),  # the reel names the renamed file
        ("AX", "C003.mov", "03:00:00:01", 4),           # two copies hold it: ambiguous
        ("AX", None, "04:00:00:08", 4),                 # no name at all: source timecode alone
        ("Z999", "Z999.mov", "09:00:00:00", 4)]))       # nowhere
    out = tmp_path / "out"
    assert main(["render", str(edl), "--effect", "exposure", "--out", str(out), "--media-root", str(root)]) == 0
    err = capsys.readouterr().err.replace("\n", "")
    assert "media: 4 found (2 clip name, 1 reel, 1 timecode), 1 ambiguous, 1 offline" in err
    assert f"ambiguous: C003.mov: ambiguous by clip name: {made['C1']}, {made['C2']}" in err
    report = json.loads((out / "relink_exposure.relink.json").read_text())
    assert [(f["clip"], f["how"], f["media"]) for f in report["found"]] == [
        ("A001C003.mov", "clip name", str(made["A1"])), ("A001C003.mov", "clip name", str(made["A2"])),
        ("B002C011 (retake)", "reel", str(made["B"])), ("005", "timecode", str(made["D"]))]
    assert [(f["reel"], f["render"]) for f in report["found"]][2] == (
        "B002C011", str(out / "B002C011_retake_exposure_v001.mov")), "the reel-to-render map"
    assert [a["clip"] for a in report["ambiguous"]] == ["C003.mov"]
    assert [(o["clip"], o["reason"][:13]) for o in report["offline"]] == [("Z999.mov", "media offline")]
    assert sorted(p.name for p in out.glob("*.mov")) == [
        "A001C003-2_exposure_v001.mov", "A001C003_exposure_v001.mov", "B002C011_retake_exposure_v001.mov",
        "D004C001_exposure_v001.mov"], "named after the file found, no event number, no .mov.mov"
    written = (out / "relink_exposure.edl").read_text().splitlines()
    events = [line for line in written if line[:3].isdigit()]
    assert [line.split()[1] for line in events] == ["AX", "AX", "B002C011", "AX", "AX", "Z999"], "reels kept"
    assert written.count(f"* FROM CLIP: {out / 'A001C003_exposure_v001.mov'}") == 1
    assert sum(line.startswith("* FROM CLIP:") for line in written) == 4, "unrendered events are left as they were"

    premiere = tmp_path / "premiere.edl"  # all reels AX, no paths: as Premiere writes an EDL
    premiere.write_text(premiere_edl([("AX", "A001C003.mov", "01:00:00:04", 6)]))
    assert main(["render", str(premiere), "--effect", "exposure", "--out", str(tmp_path / "p"),
                 "--media-root", str(root / "day1")]) == 0
    assert f"* OTIO REFERENCE FROM: {tmp_path / 'p' / 'A001C003_exposure_v001.mov'}" in \
        (tmp_path / "p" / "premiere_exposure.edl").read_text().splitlines(), \
        "a path Premiere ignores: a FROM CLIP line would make it name the clip UNKNOWN"


def test_path_maps_and_media_roots_from_a_config(roots, tmp_path, capsys):
    root, made = roots
    timeline = otio.schema.Timeline(name="mac")
    track = otio.schema.Track(kind=otio.schema.TrackKind.Video)
    timeline.tracks.append(track)
    for url, start in [("file:///Volumes/RAID/day1/A001C003.mov", 86402),   # mapped
                       ("file:///Volumes/Other/D004C001.mov", 4 * 86400 + 1)]:  # only under a root
        track.append(otio.schema.Clip(name=url.rsplit("/", 1)[1], source_range=otio.opentime.TimeRange(
            otio.opentime.RationalTime(start, 24), otio.opentime.RationalTime(5, 24)),
            media_reference=otio.schema.ExternalReference(target_url=url)))
    otio.adapters.write_to_file(timeline, str(tmp_path / "mac.otio"))
    config = tmp_path / "relink.toml"
    config.write_text(f'[relink]\nmedia_roots = ["{root / "day2"}"]\n\n[relink.path_map]\n'
                      f'"/Volumes/RAID/" = "{root}/"\n')
    out = tmp_path / "out"
    assert main(["render", str(tmp_path / "mac.otio"), "--effect", "identity", "--out", str(out),
                 "--relink-config", str(config)]) == 0
    assert "2 found (1 file name, 1 path map)" in capsys.readouterr().err.replace("\n", "")
    conformed = otio.adapters.read_from_file(str(out / "mac_identity.otio"))
    originals = [c.media_references()["DEFAULT_MEDIA"].target_url for c in conformed.find_clips()]
    assert originals[0] == "file:///Volumes/RAID/day1/A001C003.mov", "the original reference is kept as written"
    config.write_text("[relink\n")
    assert main(["render", str(tmp_path / "mac.otio"), "--effect", "identity", "--out", str(tmp_path / "o2"),
                 "--relink-config", str(config)]) == 2
    assert "not a readable relink config" in capsys.readouterr().err


def test_relative_media_paths_still_resolve_from_the_conformed_timeline(tmp_path):
    (tmp_path / "edit").mkdir()
    (tmp_path / "media").mkdir()
    write_long_clip(tmp_path / "media" / "A001C003.mov", 12, RATE, "01:00:00:00")
    timeline = otio.schema.Timeline(name="rel")
    track = otio.schema.Track(kind=otio.schema.TrackKind.Video)
    timeline.tracks.append(track)
    for name, start in (("used", 86402), ("beyond the media", 86440)):
        track.append(otio.schema.Clip(name=name, source_range=otio.opentime.TimeRange(
            otio.opentime.RationalTime(start, 24), otio.opentime.RationalTime(4, 24)),
            media_reference=otio.schema.ExternalReference(target_url="../media/A001C003.mov")))
    otio.adapters.write_to_file(timeline, str(tmp_path / "edit" / "rel.otio"))
    assert main(["render", str(tmp_path / "edit" / "rel.otio"), "--effect", "identity",
                 "--out", str(tmp_path / "out")]) == 0
    written = otio.adapters.read_from_file(str(tmp_path / "out" / "rel_identity.otio"))
    left_alone = written.find_clips()[1].media_reference.target_url
    assert otio.url_utils.filepath_from_url(left_alone) == str(tmp_path / "media" / "A001C003.mov")
