"""Training inputs as assistant editors hand them over: folders of stills, mixed sizes and rates, timelines, bins.

Stills are real photographs (scikit-image's) written at several sizes under names that end in digits
(``shot0.png`` ... ``shot5.png``, ``aero3.tif``, ``messi5.tif``), beside a real numbered sequence and a
10-bit ProRes movie: the files, not the digits, decide which is which.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
import opentimelineio as otio
import pytest

from answerprint.core.cli import main
from answerprint.core.errors import MediaError, PackError, UnapprovedMediaError, UsageError
from answerprint.core.frames import open_media, probe
from answerprint.core.inputs import resolve_bin, resolve_inputs
from answerprint.core.inputs.options import add_dailies_arguments, dailies_from_arguments
from answerprint.core.packs import create_production_key, init_production, load_pack
from answerprint.models.cleanup import profiles
from answerprint.models.cleanup.clips import Clip, check_clips
from answerprint.models.cleanup.dataset import build_bank, plan_windows
from answerprint.models.relight.train import train_relight, train_relight_on_frames
from answerprint.ui.media_browser import clips_of

from conftest import file_digest, photo, photo_frames
from media_makers import write_clip, write_long_clip
from test_look import teal_orange

#: The graded stills of the issue: six shots, four sizes, names ending in digits.
STILL_SIZES = ((96, 72), (96, 90), (80, 60), (96, 72), (112, 84), (96, 90))
STILL_PHOTOS = ("astronaut", "coffee", "chelsea", "rocket", "astronaut", "coffee")
RT, TR = otio.opentime.RationalTime, otio.opentime.TimeRange


def still(name: str, width: int, height: int, crop: float = 0.0) -> np.ndarray:
    """A photograph resized to ``width`` x ``height`` (float32 RGB 0..1), cut ``crop`` of its width in from the left."""
    pixels = photo(name)
    pixels = pixels[:, int(crop * pixels.shape[1]):]
    return cv2.resize(pixels, (width, height), interpolation=cv2.INTER_AREA)


def write_png16(path: Path, pixels: np.ndarray) -> Path:
    cv2.imwrite(str(path), np.round(np.clip(pixels[..., ::-1], 0, 1) * 65535).astype(np.uint16))
    return path


def write_tiff8(path: Path, pixels: np.ndarray) -> Path:
    cv2.imwrite(str(path), np.round(np.clip(pixels[..., ::-1], 0, 1) * 255).astype(np.uint8))
    return path


@pytest.fixture(scope="module")
def dailies(tmp_path_factory) -> Path:
    """A day's folder: numbered graded stills of four sizes, two numbered photographs, a PNG sequence with frame
    1004 missing, and a 10-bit ProRes movie in a sub-folder."""
    root = tmp_path_factory.mktemp("day03")
    for number, ((width, height), name) in enumerate(zip(STILL_SIZES, STILL_PHOTOS)):
        write_png16(root / f"shot{number}.png", still(name, width, height))
    write_tiff8(root / "aero3.tif", still("rocket", 64, 48))
    write_tiff8(root / "messi5.tif", still("chelsea", 72, 48))
    write_clip(root / "plate.%04d.png", "png16", 64, 36, 6, rate=Fraction(24), first=1001)
    os.remove(root / "plate.1004.png")
    (root / "A").mkdir()
    write_clip(root / "A" / "A001C003.mov", width=64, height=36, count=8)
    return root


def test_numbered_stills_of_different_sizes_are_stills_and_a_sequence_stays_one_sequence(dailies):
    lines: list[str] = []
    clips = {Path(c.path).name: c for c in resolve_inputs([dailies], lines.append)}
    assert sorted(clips) == ["A001C003.mov", "aero3.tif", "messi5.tif", "plate.%04d.png",
                             *(f"shot{n}.png" for n in range(6))]
    assert [clips[f"shot{n}.png"].kind for n in range(6)] == ["still"] * 6
    assert [clips[f"shot{n}.png"].size for n in range(6)] == list(STILL_SIZES)
    assert [clips[f"shot{n}.png"].first_frame for n in range(6)] == list(range(6))
    assert clips["aero3.tif"].kind == clips["messi5.tif"].kind == "still"
    assert (clips["plate.%04d.png"].kind, clips["plate.%04d.png"].missing_frames) == ("sequence", (1004,))
    assert clips["A001C003.mov"].kind == "movie" and clips["A001C003.mov"].frame_rate == Fraction(24000, 1001)
    assert len(lines) == len(clips), "one line per clip"
    said = {line.split(": ", 1)[0].rsplit("/", 1)[-1]: line for line in lines}
    assert "still, 96x90 (png, 16-bit" in said["shot1.png"] and "differ in size" in said["shot1.png"]
    assert "the only file numbered like aero%01d.tif" in said["aero3.tif"]
    assert "sequence, 6 frames 1001-1006, 64x36, 24 fps" in said["plate.%04d.png"]
    assert "1 missing (1004)" in said["plate.%04d.png"]
    assert "movie, 8 frames 0-7, 64x36, 23.976 fps (prores HQ, 10-bit, bt709)" in said["A001C003.mov"]


def test_a_numbered_still_reads_its_own_pixels_however_its_neighbours_are_sized(dailies):
    expected = cv2.imread(str(dailies / "shot1.png"), cv2.IMREAD_UNCHANGED)[..., ::-1] / 65535.0
    clip, = resolve_inputs([dailies / "shot1.png"])
    for reader in (clip.open(), open_media(dailies / "shot1.png")):  # the render engine and the panel open paths
        with reader:
            (number, pixels), = reader.read([1])
        assert number == 1 and pixels.shape == (90, 96, 3)
        assert np.abs(pixels - expected).max() < 1e-6
    assert probe(dailies / "shot4.png").width == 112, "not the size of shot0.png, the first numbered file"


def test_one_frame_names_its_sequence_and_evenly_sized_stills_far_apart_stay_stills(dailies, tmp_path):
    sequence, = resolve_inputs([dailies / "plate.1002.png"])
    assert (sequence.kind, sequence.path, sequence.first_frame) == ("sequence", str(dailies / "plate.%04d.png"), 1001)
    for number, name in ((3, "astronaut"), (40, "coffee"), (90, "chelsea")):
        write_png16(tmp_path / f"grab_{number}.png", still(name, 64, 48))
    lines: list[str] = []
    grabs = resolve_inputs([tmp_path], lines.append)
    assert [(g.kind, g.first_frame) for g in grabs] == [("still", 3), ("still", 40), ("still", 90)]
    assert "numbered too far apart (3 of 88 numbers present)" in lines[0]


def test_an_empty_folder_and_a_missing_path_are_refused_in_one_line(tmp_path):
    (tmp_path / "notes.txt").write_text("day 3")
    with pytest.raises(MediaError, match="no movies, image sequences or stills in this folder"):
        resolve_inputs([tmp_path])
    with pytest.raises(MediaError) as missing:
        resolve_inputs([tmp_path / "A009C001.mov"])
    assert missing.value.one_line() == f"{tmp_path / 'A009C001.mov'}: no such file"


def test_the_media_browser_lists_what_the_trainers_read_and_goes_on_past_a_bad_file(dailies, tmp_path):
    (tmp_path / "broken.png").write_bytes(b"not a png")
    write_png16(tmp_path / "B001.png", still("rocket", 48, 32))
    errors, lines = [], []
    listed = clips_of([str(tmp_path), str(dailies)], lines.append, errors.append)
    assert [Path(c.path).name for c in listed][:1] == ["B001.png"]
    assert "A001C003.mov" not in {Path(c.path).name for c in listed}, "the panel does not enter sub-folders"
    assert {c.kind for c in listed if Path(c.path).name.startswith("shot")} == {"still"}
    assert len(errors) == 1 and "broken.png" in errors[0].one_line()


def test_the_continuity_check_reads_loose_shots_as_the_trainers_do(dailies):
    from answerprint.core.cli.continuity_cmd import _loose_shots

    lines: list[str] = []
    shots = _loose_shots([str(dailies / "shot1.png"), str(dailies / "plate.%04d.png"), str(dailies / "gone.mov")],
                         lines.append)
    assert [(s.name, s.media, s.first, s.last) for s in shots[:2]] == [
        ("shot1", str(dailies / "shot1.png"), 1, 1), ("plate", str(dailies / "plate.%04d.png"), 1001, 1006)]
    assert shots[2].offline == "media offline: no such file" and [s.index for s in shots] == [0, 1, 2]
    said = "\n".join(lines)
    assert len(lines) == 2 and "shot1.png: still, 96x90 (png, 16-bit" in said
    assert "plate.%04d.png: sequence, 6 frames 1001-1006" in said


# -- train look: the folder of graded stills ----------------------------------------------------------


@pytest.fixture(scope="module")
def graded_stills(tmp_path_factory):
    """``answerprint train look --pairs ungraded/ graded/`` on six numbered stills of four sizes, run as a new user
    would: from an empty folder, without ``--out``."""
    root = tmp_path_factory.mktemp("look_stills")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ANSWERPRINT_HOME", str(root / "home"))
        patch.delenv("ANSWERPRINT_SHARED_LIBRARY", raising=False)
        for side in ("ungraded", "graded"):
            (root / side).mkdir()
        for number, ((width, height), name) in enumerate(zip(STILL_SIZES, STILL_PHOTOS)):
            pixels = still(name, width, height, crop=0.1 * number)
            write_png16(root / "ungraded" / f"shot{number}.png", pixels)
            write_png16(root / "graded" / f"shot{number}.png", teal_orange(pixels))
        write_png16(root / "graded" / "pickup7.png", still("rocket", 64, 48))
        create_production_key(init_production("cobalt", "Cobalt Feature", (str(root),)))
        (root / "cwd").mkdir()
        patch.chdir(root / "cwd")
        with contextlib.redirect_stderr(io.StringIO()) as log:
            code = main(["train", "look", "--production", "cobalt", "--pairs", "../ungraded", "../graded", "--steps",
                         "8", "--progress", "lines"])
        yield {"root": root, "code": code, "log": log.getvalue()}


def test_a_folder_of_numbered_stills_of_different_sizes_trains_a_look(graded_stills):
    root = graded_stills["root"]
    assert graded_stills["code"] == 0
    installed = root / "home" / "data" / "library" / "cobalt" / "packs" / "look" / "look" / "1"
    assert {"look.onnx", "look.gather.onnx", "look_33.cube", "look_65.cube", "report.html"} <= \
        {p.name for p in installed.iterdir()}
    assert not list((root / "cwd").iterdir()), "nothing is written in the current folder"
    log = graded_stills["log"]
    assert "shot1.png: still, 96x90 (png, 16-bit" in log and "differ in size" in log
    assert "unpaired (no clip of the same name or timecode range on the other side): ungraded none; graded " \
           "pickup7" in log


def test_provenance_records_each_still_as_a_still(graded_stills, monkeypatch):
    root = graded_stills["root"]
    monkeypatch.setenv("ANSWERPRINT_HOME", str(root / "home"))
    pack = load_pack(root / "home" / "data" / "library" / "cobalt" / "packs" / "look" / "look" / "1" / "look.onnx",
                     "cobalt")
    sources = {Path(s["path"]).relative_to(root).as_posix(): s for s in pack.manifest.provenance["sources"]}
    assert all(".." not in Path(s["path"]).parts for s in sources.values()), "paths given relative are normalised"
    assert sorted(sources) == sorted(f"{side}/shot{n}.png" for side in ("ungraded", "graded") for n in range(6))
    for name, source in sources.items():
        number = int(name[-5])
        assert source["frame_ranges"] == [[number, number]]
        assert source["sha256"] == file_digest(root / name), "the still's own bytes, not a pattern's frames"


def test_a_look_version_already_installed_is_refused_before_anything_is_read(graded_stills, monkeypatch):
    from answerprint.models.look.train_look import train_look

    root = graded_stills["root"]
    monkeypatch.setenv("ANSWERPRINT_HOME", str(root / "home"))
    with pytest.raises(PackError, match="look/look@1 is already installed"):
        train_look(root / "missing", root / "missing", "cobalt", version="1")


# -- mixed dailies ----------------------------------------------------------------------------------------------


def noisy_prores(path: Path, width: int, height: int, rate: Fraction, name: str, count: int = 8) -> Path:
    rng = np.random.default_rng(len(name))
    from answerprint.core.frames import BT709, OutputSpec, open_writer

    writer = open_writer(OutputSpec(str(path), "prores_422hq", width, height, rate, color_tags=BT709))
    for number, frame in enumerate(photo_frames(width, height, count, name, 1.0)):
        writer.write(number, np.clip(frame * 0.8 + 0.1 + rng.normal(0, 0.03, frame.shape), 0, 1).astype(np.float32))
    writer.finish()
    return path


def test_cleanup_takes_clips_of_two_sizes_and_rates_and_says_how(tmp_path):
    paths = [noisy_prores(tmp_path / "A001C001.mov", 96, 64, Fraction(24), "astronaut"),
             noisy_prores(tmp_path / "B001C001.mov", 128, 80, Fraction(25), "coffee")]
    notices: list[str] = []
    clips = check_clips([Clip.from_resolved(c) for c in resolve_inputs(paths)], notices.append)
    assert [(c.width, c.height) for c in clips] == [(96, 64), (128, 80)]
    assert any("mix frame sizes: 128x80 (1), 96x64 (1); training takes crops of each clip at its own size" in n
               for n in notices)
    assert any("mix frame rates: 24.000 fps (1), 25.000 fps (1); windows never span two clips" in n for n in notices)
    plans = plan_windows(clips, 8, 2, notices.append)
    bank = build_bank(clips, plans, reach=2, crop=128, crops_per_window=2, seed=0, on_window=lambda done: None)
    assert bank.crop == 64 and bank.frames.shape[-2:] == (64, 64), "crops fit the smallest clip"
    assert {p.clip_index for p in plans} == {0, 1} and np.isfinite(bank.frames).all()


def test_cleanup_refuses_a_clip_of_another_encoding_in_one_line_naming_it(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("ANSWERPRINT_HOME", str(tmp_path / "home"))
    noisy_prores(tmp_path / "A001C001.mov", 96, 64, Fraction(24), "astronaut")
    noisy_prores(tmp_path / "A002C001.mov", 96, 64, Fraction(24), "coffee")
    (tmp_path / "grade").mkdir()
    write_clip(tmp_path / "grade" / "B001.%04d.png", "png16", 96, 64, 8, rate=Fraction(24), first=1)
    init_production("cobalt", approved_media_roots=(str(tmp_path),))
    code = main(["train", "cleanup", "--production", "cobalt", "--dailies", str(tmp_path), "--progress", "none"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == UsageError.exit_code
    assert err[-1] == (f"answerprint train: error: {tmp_path / 'grade' / 'B001.%04d.png'}: "
                       "this clip is png, 16-bit, iec61966-2-1 but 2 other clips are "
                       "prores HQ, 10-bit, bt709: cleanup learns the noise of one encoding in its code values; train "
                       "one pack per camera encoding (pass the clips of one)")
    assert not (tmp_path / "home" / "data" / "library" / "cobalt" / "packs").exists()


def test_relight_learns_from_takes_of_two_sizes_and_refuses_two_colour_spaces(tmp_path):
    light = np.linspace(0.4, 1.0, 128, dtype=np.float32)[None, :, None]
    big = [f * light for f in photo_frames(128, 80, 3, "coffee", 1.0)]
    small = [cv2.resize(f, (64, 40), interpolation=cv2.INTER_AREA) for f in photo_frames(128, 80, 3, "coffee", 1.0)]
    trained = train_relight_on_frames([big, small], "tiny", steps=6)
    assert trained.metrics["train_steps"] == 6
    write_clip(tmp_path / "A001.%04d.exr", "exr", 64, 40, 3, rate=Fraction(24), first=1)
    write_clip(tmp_path / "B001.%04d.png", "png16", 64, 40, 3, rate=Fraction(24), first=1)
    with pytest.raises(UsageError, match=r"B001\.%04d\.png: this clip is sRGB Encoded Rec\.709 \(sRGB\) but 1 other "
                                         r"clip is ACES2065-1: relight reads every clip from one colour space"):
        train_relight([tmp_path], None, "tiny")


# -- timelines and bins as dailies -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cut(tmp_path_factory):
    """Two 24 fps camera files and a cut using frames 4-13 of the first twice (overlapping) and 2-9 of the
    second, plus a clip whose media went missing; the timeline lives in an editorial folder of its own."""
    root = tmp_path_factory.mktemp("cut")
    (root / "media").mkdir()
    (root / "editorial").mkdir()
    media = {"A001C003": write_long_clip(root / "media" / "A001C003.mov", 24, Fraction(24), "01:00:00:00", 96, 64),
             "B002C011": write_long_clip(root / "media" / "B002C011.mov", 24, Fraction(24), "02:00:00:00", 96, 64,
                                         name="coffee")}
    timeline = otio.schema.Timeline(name="reel1")
    track = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    timeline.tracks.append(track)
    for name, first, count in (("A001C003", 4, 6), ("B002C011", 2, 8), ("A001C003", 8, 6)):
        origin = RT.from_timecode("01:00:00:00" if name == "A001C003" else "02:00:00:00", 24).value
        reference = otio.schema.ExternalReference(target_url=otio.url_utils.url_from_filepath(str(media[name])),
                                                  available_range=TR(RT(origin, 24), RT(24, 24)))
        track.append(otio.schema.Clip(name=name, media_reference=reference,
                                      source_range=TR(RT(origin + first, 24), RT(count, 24))))
    lost = otio.schema.ExternalReference(target_url="file:///Volumes/raid/lost/C003.mov",
                                         available_range=TR(RT(0, 24), RT(24, 24)))
    track.append(otio.schema.Clip(name="C003", media_reference=lost, source_range=TR(RT(3, 24), RT(6, 24))))
    path = root / "editorial" / "reel1.otio"
    otio.adapters.write_to_file(timeline, str(path))
    return {"root": root, "timeline": path, "media": media}


def test_a_timeline_gives_the_frames_its_clips_use_and_says_which_clips_are_left_out(cut):
    lines: list[str] = []
    clips = resolve_inputs([cut["timeline"]], lines.append)
    assert [(Path(c.path).name, c.first_frame, c.last_frame) for c in clips] == [("A001C003.mov", 4, 13),
                                                                                ("B002C011.mov", 2, 9)]
    assert any(line.startswith("reel1.otio: left out C003: ") for line in lines)
    assert any("A001C003.mov: movie, 10 frames 4-13 of 0-23" in line and "used by reel1.otio (A001C003)"
               in line for line in lines)


def test_train_cleanup_from_a_timeline_checks_the_media_and_records_only_the_frames_used(cut, monkeypatch):
    root = cut["root"]
    monkeypatch.setenv("ANSWERPRINT_HOME", str(root / "home"))
    monkeypatch.delenv("ANSWERPRINT_SHARED_LIBRARY", raising=False)
    monkeypatch.setitem(profiles.PROFILES, "quick", profiles.PROFILES["tiny"])
    create_production_key(init_production("cobalt", approved_media_roots=(str(root / "editorial"),)))
    with pytest.raises(UnapprovedMediaError, match="not under an approved media root"):
        from answerprint.models.cleanup.train import train_cleanup

        train_cleanup([cut["timeline"]], "cobalt", "tiny")
    init_production("cobalt", approved_media_roots=(str(root / "media"),))
    monkeypatch.chdir(root / "editorial")
    assert main(["train", "cleanup", "--production", "cobalt", "--dailies", str(cut["timeline"]), "--progress",
                 "none"]) == 0
    installed = root / "home" / "data" / "library" / "cobalt" / "packs" / "cleanup" / "cleanup" / "1"
    sources = load_pack(installed / "cleanup.onnx", "cobalt").manifest.provenance["sources"]
    used = {"A001C003.mov": (4, 13), "B002C011.mov": (2, 9)}
    assert {Path(s["path"]).name for s in sources} <= set(used)
    for source in sources:
        low, high = used[Path(source["path"]).name]
        assert all(low <= first <= last <= high for first, last in source["frame_ranges"])
    assert sorted(p.name for p in (root / "editorial").iterdir()) == ["reel1.otio"], "nothing beside the timeline"


def test_an_edl_is_read_at_its_rate_with_media_found_under_a_media_root(cut, tmp_path):
    edl = tmp_path / "reel1.edl"
    edl.write_text("TITLE: REEL1\nFCM: NON-DROP FRAME\n\n"
                   "001  A001C003 V     C        01:00:00:04 01:00:00:10 00:00:00:00 00:00:00:06\n"
                   "* FROM CLIP NAME: A001C003.mov\n\n")
    parser = argparse.ArgumentParser()
    add_dailies_arguments(parser)
    args = parser.parse_args(["--dailies", str(edl), "--media-root", str(cut["root"] / "media"), "--rate", "24"])
    clip, = dailies_from_arguments(args, lambda line: None)
    assert (clip.path, clip.first_frame, clip.last_frame) == (str(cut["media"]["A001C003"]), 4, 9)
    with pytest.raises(UsageError, match="no dailies given"):
        dailies_from_arguments(parser.parse_args([]), lambda line: None)


@pytest.fixture
def resolve_world(tmp_path, monkeypatch):
    from fake_resolve import World

    from answerprint.plugin.resolve import connect

    fake = World(tmp_path / "LUT")
    monkeypatch.setitem(sys.modules, "DaVinciResolveScript", fake.module())
    monkeypatch.setattr(connect, "resolve_is_running", lambda os_name=None: True)
    monkeypatch.setenv("ANSWERPRINT_HOME", str(tmp_path / "answerprint"))
    return fake


@pytest.mark.parametrize("version", [(19, 1, 3, 7, ""), (19, 0, 2, 4, "")])
def test_a_resolve_bin_gives_its_clips_over_their_marked_ranges(cut, resolve_world, version):
    from fake_resolve import scene

    resolve_world.version = version
    pool = resolve_world.resolve.GetProjectManager().CreateProject("EP104").GetMediaPool()
    pool.SetCurrentFolder(pool.AddSubFolder(pool.GetRootFolder(), "Dailies"))
    first, second = pool.ImportMedia([str(cut["media"]["A001C003"]), str(cut["media"]["B002C011"])])
    scene.mark_in_out(first, 3, 10)
    lines: list[str] = []
    clips = resolve_bin("Dailies", lines.append)
    marked = (3, 10) if version >= (19, 1) else (0, 23)
    assert [(Path(c.path).name, c.first_frame, c.last_frame) for c in clips] == [("A001C003.mov", *marked),
                                                                                ("B002C011.mov", 0, 23)]
    assert all("used by bin Dailies" in line for line in lines)
    assert resolve_world.undocumented == []
