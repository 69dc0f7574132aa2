"""The render engine end to end, as a colorist uses it from the command line."""
from __future__ import annotations

import json
import os
import warnings

import numpy as np
import pytest

from answerprint.core.cli import main
from answerprint.core.color import ColorProcessor
from answerprint.core.effects import Effect, Processor, available_effects
from answerprint.core.errors import Cancelled, OutputError, UsageError
from answerprint.core.frames import open_media, probe
from answerprint.core.params import ParamSchema
from answerprint.core.progress import CancelToken
from answerprint.core.render import RenderJob, render
from answerprint.core.render.pipeline import Pipeline, windows

from conftest import file_digest
from media_makers import write_clip


@pytest.fixture
def prores_clip(tmp_path):
    return write_clip(tmp_path / "A001C003.mov")


def _named_digest(path):
    from answerprint.core.render.sidecar import files_digest

    return files_digest([str(path)]).removeprefix("sha256:")


def frames_of(path):
    with open_media(path) as reader:
        return {number: pixels for number, pixels in reader.read()}


def test_exposure_plus_one_stop_on_10bit_prores_keeps_10_bits_and_bt709(prores_clip, tmp_path):
    out = tmp_path / "graded.mov"
    digest = file_digest(prores_clip)
    assert main(["apply", "exposure", str(prores_clip), str(out), "--param", "stops=1"]) == 0
    info = probe(out)
    assert (info.codec, info.profile, info.bit_depth) == ("prores", "HQ", 10)
    assert (info.color_tags.primaries, info.color_tags.transfer, info.color_tags.matrix, info.color_tags.range) == \
        ("bt709", "bt709", "bt709", "tv")
    graded = frames_of(out)[0]
    assert np.unique(np.round(graded[..., 1] * 65535)).size > 256, "10-bit output must keep > 256 levels"
    to_linear = ColorProcessor("Gamma 2.4 Encoded Rec.709", "ACEScg")
    before, after = to_linear(frames_of(prores_clip)[0]), to_linear(graded)
    midtones = (before > 0.05) & (after < 0.9)
    assert np.median(after[midtones] / before[midtones]) == pytest.approx(2.0, rel=0.02), "+1 stop doubles light"
    assert file_digest(prores_clip) == digest, "the source must be untouched"


def test_frame_range_with_handles_carries_timecode_and_rate(prores_clip, tmp_path):
    out = tmp_path / "range.mov"
    assert main(["apply", "identity", str(prores_clip), str(out), "--frames", "3-5", "--handles", "1"]) == 0
    info = probe(out)
    assert info.frame_count == 5  # frames 2..6
    assert info.timecode == "01:00:00:02"
    assert info.frame_rate.numerator == 24000 and info.frame_rate.denominator == 1001
    source, first_out = frames_of(prores_clip), frames_of(out)[0]
    error = {n: float(np.abs(first_out - source[n]).mean()) for n in (1, 2, 3)}
    assert error[2] < 3e-3 and error[2] < error[1] / 5 and error[2] < error[3] / 5, "output starts at frame 2"


def test_sidecar_reproduces_the_render(prores_clip, tmp_path):
    out = tmp_path / "first.mov"
    assert main(["apply", "exposure", str(prores_clip), str(out), "--param", "stops=-0.5", "--frames", "1-4"]) == 0
    record = json.loads((tmp_path / "first.mov.answerprint.json").read_text())
    assert record["schema"] == "answerprint.render/1" and record["status"] == "complete"
    assert record["effect"] == "exposure" and record["params"] == {"stops": -0.5}
    assert record["source"]["sha256"] == "sha256:" + _named_digest(prores_clip)
    assert record["frames"]["first"] == 1 and record["frames"]["last"] == 4
    assert record["colour"]["working"] == "ACEScg"
    assert record["output"]["info"]["timecode"] == "01:00:00:01" and record["output"]["info"]["frame_count"] == 4
    assert record["output"]["info"]["color_tags"]["matrix"] == "bt709"
    assert record["output"]["info"]["frame_rate"] == record["source"]["info"]["frame_rate"] == "24000/1001"
    assert {"answerprint", "av", "opencolorio", "OpenImageIO", "ffmpeg"} <= set(record["software"])
    again = tmp_path / "again.mov"
    assert main(["render", str(tmp_path / "first.mov.answerprint.json"), "--out", str(again)]) == 0
    first, second = frames_of(out), frames_of(again)
    assert first.keys() == second.keys() and all(np.array_equal(first[k], second[k]) for k in first)


def test_movie_to_exr_sequence_in_aces_keeps_float(prores_clip, tmp_path):
    out = tmp_path / "pull" / "A001C003.%04d.exr"
    out.parent.mkdir()
    assert main(["apply", "identity", str(prores_clip), str(out), "--output-space", "ACES2065-1"]) == 0
    info = probe(out)
    assert (info.codec, info.frame_count, info.bit_depth) == ("openexr", 8, 16)
    assert info.timecode == "01:00:00:00"
    assert info.first_frame == 86400, "a movie's frames are numbered by their timecode (01:00:00:00 at 23.976)"
    exr = frames_of(out)[86400]
    expected = ColorProcessor("Gamma 2.4 Encoded Rec.709", "ACES2065-1")(frames_of(prores_clip)[0])
    assert np.abs(exr - expected).max() < 2e-3


def test_output_may_not_overwrite_the_source(prores_clip):
    digest = file_digest(prores_clip)
    assert main(["apply", "identity", str(prores_clip), str(prores_clip), "--overwrite"]) == 4
    assert file_digest(prores_clip) == digest


def test_existing_output_is_kept_unless_overwrite(prores_clip, tmp_path):
    out = tmp_path / "out.mov"
    out.write_bytes(b"an earlier render")
    assert main(["apply", "identity", str(prores_clip), str(out)]) == 4
    assert out.read_bytes() == b"an earlier render"
    assert main(["apply", "identity", str(prores_clip), str(out), "--overwrite"]) == 0
    assert probe(out).frame_count == 8


def test_cancel_leaves_no_output_and_no_partial_file(prores_clip, tmp_path):
    out = tmp_path / "cancelled.mov"
    token = CancelToken()

    def cancel_after_two(event):
        if event.done == 2:
            token.cancel()

    with pytest.raises(Cancelled):
        render(RenderJob(str(prores_clip), str(out), "identity"), cancel_after_two, token)
    assert sorted(os.listdir(tmp_path)) == ["A001C003.mov"]


def test_interrupted_sequence_render_resumes_the_same_job_only(prores_clip, tmp_path):
    out = str(tmp_path / "shot.%04d.exr")
    token = CancelToken()
    with pytest.raises(Cancelled):
        render(RenderJob(str(prores_clip), out, "exposure", {"stops": 1}),
               lambda e: token.cancel() if e.done == 3 else None, token)
    written = sorted(f for f in os.listdir(tmp_path) if f.endswith(".exr"))
    assert 3 <= len(written) < 8 and not [f for f in os.listdir(tmp_path) if "partial" in f]
    with pytest.raises(OutputError, match="--resume"):
        render(RenderJob(str(prores_clip), out, "exposure", {"stops": 1}))
    with pytest.raises(OutputError, match="different render"):
        render(RenderJob(str(prores_clip), out, "exposure", {"stops": 2}, resume=True))
    result = render(RenderJob(str(prores_clip), out, "exposure", {"stops": 1}, resume=True))
    assert result.frames_skipped == len(written) and result.frames_rendered == 8 - len(written)
    whole = str(tmp_path / "whole.%04d.exr")
    render(RenderJob(str(prores_clip), whole, "exposure", {"stops": 1}))
    resumed, reference = frames_of(out), frames_of(whole)
    assert resumed.keys() == reference.keys() and all(np.array_equal(resumed[k], reference[k]) for k in resumed)


def test_progress_reports_every_frame_from_the_writer_thread(prores_clip, tmp_path):
    events = []
    render(RenderJob(str(prores_clip), str(tmp_path / "p.mov"), "identity"), events.append)
    assert [e.done for e in events] == list(range(1, 9)) and all(e.total == 8 for e in events)
    assert all(e.stage == "render" for e in events)


def test_temporal_windows_repeat_edge_frames_and_keep_order():
    frames = [(n, np.full((1, 1, 3), n, np.float32)) for n in range(10, 15)]
    got = [(n, [int(f[0, 0, 0]) for f in w]) for n, w in windows(iter(frames), 2)]
    assert got == [(10, [10, 10, 10, 11, 12]), (11, [10, 10, 11, 12, 13]), (12, [10, 11, 12, 13, 14]),
                   (13, [11, 12, 13, 14, 14]), (14, [12, 13, 14, 14, 14])]


def test_a_failing_stage_stops_the_others_and_its_error_reaches_the_caller():
    written = []

    def process(frames):
        for number, pixels in frames:
            if number == 3:
                raise RuntimeError("model failed on frame 3")
            yield number, pixels

    frames = ((n, np.zeros((2, 2, 3), np.float32)) for n in range(100))
    with pytest.raises(RuntimeError, match="frame 3"):
        Pipeline(CancelToken()).run(frames, process, lambda n, px: written.append(n))
    assert written == list(range(len(written))) and len(written) <= 3, "nothing after the failure is written"


@pytest.mark.parametrize("output", ["plate.%04d.exr", "plate.####.exr", "plate.1002.exr", "plate.%d.exr"])
def test_output_naming_the_source_sequence_or_one_of_its_frames_is_refused(tmp_path, output):
    write_clip(tmp_path / "plate.%04d.exr", "exr", 64, 36, 3, first=1001)
    digests = {p.name: file_digest(p) for p in tmp_path.iterdir()}
    with pytest.raises(OutputError, match="overwrite the source"):
        render(RenderJob(str(tmp_path / "plate.%04d.exr"), str(tmp_path / output), "identity", overwrite=True))
    assert {p.name: file_digest(p) for p in tmp_path.iterdir()} == digests


class _FrameStamp(Processor):
    """A per-frame pass: paints the source frame number it is given (a quarter per frame past 1000), and says so."""

    wants_frame_number = True
    notes = ("painted with the source frame number",)

    def __call__(self, window, frame_number=None):
        return np.full_like(window[0], (frame_number - 1000) / 4)


class _Undeclared:
    """A plug-in's processor from before the features were declared: a radius and a call, nothing else."""

    temporal_radius = 0

    def __call__(self, window):
        return window[0]


def _register(monkeypatch, name, processor):
    monkeypatch.setitem(available_effects(), name, Effect(name, name, ParamSchema(), None,
                                                          lambda params, pack, context: processor))


def test_a_per_frame_pass_gets_each_source_frame_number_and_its_notes_come_back(tmp_path, monkeypatch):
    write_clip(tmp_path / "plate.%04d.exr", "exr", 32, 18, 3, first=1001)
    _register(monkeypatch, "frame_stamp", _FrameStamp())
    (tmp_path / "out").mkdir()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = render(RenderJob(str(tmp_path / "plate.%04d.exr"), str(tmp_path / "out" / "stamp.%04d.exr"),
                                  "frame_stamp"))
    assert {n: float(np.unique(pixels)[0]) for n, pixels in frames_of(tmp_path / "out" / "stamp.%04d.exr").items()} \
        == {1001: 0.25, 1002: 0.5, 1003: 0.75}
    assert result.notes == ["painted with the source frame number"]
    assert json.loads(open(result.sidecar).read())["notes"] == result.notes


def test_a_processor_that_does_not_declare_its_features_is_refused_before_the_first_frame(prores_clip, tmp_path,
                                                                                          monkeypatch):
    _register(monkeypatch, "undeclared", _Undeclared())
    with pytest.raises(UsageError, match="does not declare wants_frame_number, lut, notes"):
        render(RenderJob(str(prores_clip), str(tmp_path / "out.mov"), "undeclared"))
    assert os.listdir(tmp_path) == [prores_clip.name]
