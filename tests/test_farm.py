"""The farm as a facility runs it: the same timeline through this process, Dask and Open Job Description gives
the same frames, and a worker killed mid-render loses nothing and leaves no partial frame under a final name."""
from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from fractions import Fraction

import numpy as np
import opentimelineio as otio
import pytest

from answerprint.core.cli import main
from answerprint.core.effects import Effect, Processor, available_effects
from answerprint.core.errors import Cancelled
from answerprint.core.farm.dask_runner import start_local_cluster
from answerprint.core.farm.local import run_local
from answerprint.core.farm.plan import save_plan
from answerprint.core.farm.tasks import ShotRender, split_into_tasks
from answerprint.core.frames import open_media
from answerprint.core.frames.sequence import PARTIAL_TAG, existing_frames
from answerprint.core.params import ParamSchema
from answerprint.core.progress import CancelToken
from answerprint.core.render import RenderJob, render

from media_makers import write_clip

RT, TR = otio.opentime.RationalTime, otio.opentime.TimeRange
RATE = Fraction(24)


def frame_digests(pattern) -> dict[int, str]:
    """Frame number -> SHA-256 of its decoded pixels and timecode (EXR files also carry a write date)."""
    digests = {}
    with open_media(str(pattern)) as reader:
        timecode, first = reader.info.timecode, reader.info.first_frame
        for number, pixels in reader.read():
            digest = hashlib.sha256(np.ascontiguousarray(pixels).tobytes())
            digest.update(f"{timecode}+{number - first}".encode())
            digests[number] = digest.hexdigest()
    return digests


def reference_render(source, out_dir, frames) -> dict[int, str]:
    """The shot rendered by one process in one go: what every farm run must reproduce exactly."""
    pattern = out_dir / "reference.%07d.exr"
    out_dir.mkdir(exist_ok=True)
    render(RenderJob(str(source), str(pattern), "exposure", {"stops": "1"}, frames=frames, codec="exr"))
    return frame_digests(pattern)


def one_clip_timeline(path, media, start, count, name="A001C003", timecode="01:00:00:00") -> None:
    """A one-clip .otio using source frames ``start``.. of ``media``, in source timecode as NLEs write it."""
    origin = RT.from_timecode(timecode, 24).value
    timeline = otio.schema.Timeline(name="reel1")
    track = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    timeline.tracks.append(track)
    reference = otio.schema.ExternalReference(target_url=otio.url_utils.url_from_filepath(str(media)))
    track.append(otio.schema.Clip(name=name, media_reference=reference,
                                  source_range=TR(RT(origin + start, 24), RT(count, 24))))
    otio.adapters.write_to_file(timeline, str(path))


@pytest.fixture(scope="module")
def daily(tmp_path_factory):
    """A 24-frame 10-bit ProRes daily at 24 fps, timecode 01:00:00:00."""
    return write_clip(tmp_path_factory.mktemp("farm") / "A001C003.mov", width=192, height=108, count=24,
                      rate=RATE, timecode="01:00:00:00")


class _TemporalMean(Processor):
    """A 3-frame temporal average: its output at a chunk's edge depends on frames of the next chunk."""

    temporal_radius = 1

    def __call__(self, window):
        return (window[0] + window[1] + window[2]) / np.float32(3)


def test_a_temporal_effect_rendered_in_chunks_matches_the_shot_rendered_at_once(daily, tmp_path, monkeypatch):
    monkeypatch.setitem(available_effects(), "temporal_mean", Effect(
        "temporal_mean", "3-frame average", ParamSchema(), None, lambda params, pack, context: _TemporalMean()))
    whole = tmp_path / "whole" / "shot.%04d.exr"
    whole.parent.mkdir()
    render(RenderJob(str(daily), str(whole), "temporal_mean", frames=(3, 20), codec="exr"))
    chunked = tmp_path / "chunked" / "shot.%04d.exr"
    job = RenderJob(str(daily), str(chunked), "temporal_mean", frames=(3, 20), codec="exr")
    tasks = split_into_tasks([ShotRender("shot", job, (3, 20), "exr")], chunk_frames=5)
    assert [(task.first, task.last) for task in tasks] == [(3, 7), (8, 12), (13, 17), (18, 20)]
    outcomes = run_local(list(reversed(tasks)))  # any order, as a farm runs them
    assert all(outcome.ok for outcome in outcomes) and sum(o.frames_rendered for o in outcomes) == 18
    assert frame_digests(chunked) == frame_digests(whole)
    sidecar = json.loads((chunked.parent / "shot.answerprint.json").read_text())
    assert sidecar["status"] == "complete"


def test_local_dask_and_openjd_render_the_same_frames(daily, tmp_path):
    timeline = tmp_path / "reel1.otio"
    one_clip_timeline(timeline, daily, start=2, count=16)
    reference = reference_render(daily, tmp_path / "reference", (2, 17))
    common = ["render", str(timeline), "--effect", "exposure", "--param", "stops=1", "--codec", "exr",
              "--chunk", "6"]
    for farm in ("local", "dask", "openjd"):
        extra = ["--run"] if farm == "openjd" else []
        assert main(common + ["--farm", farm, "--out", str(tmp_path / farm)] + extra) == 0, farm
        shot = tmp_path / farm / "A001C003_exposure_v001" / "A001C003_exposure_v001.%07d.exr"
        assert frame_digests(shot) == reference, f"{farm} frames differ from one process"
        clip = otio.adapters.read_from_file(str(tmp_path / farm / "reel1_exposure.otio")).find_clips()[0]
        assert clip.media_reference.target_url_base.endswith("/A001C003_exposure_v001/")
    bundle = json.loads((tmp_path / "openjd" / "reel1_exposure.openjd" / "template.json").read_text())
    assert bundle["steps"][0]["parameterSpace"]["taskParameterDefinitions"][0]["range"] == "0-2"


def test_an_openjd_bundle_is_valid_for_submission_and_the_timeline_points_to_the_coming_renders(daily, tmp_path,
                                                                                                 capsys):
    timeline = tmp_path / "reel1.otio"
    one_clip_timeline(timeline, daily, start=0, count=24)
    assert main(["render", str(timeline), "--effect", "exposure", "--codec", "dpx10", "--chunk", "10",
                 "--farm", "openjd", "--out", str(tmp_path / "out")]) == 0
    assert "3 task(s)" in capsys.readouterr().err
    bundle = tmp_path / "out" / "reel1_exposure.openjd"
    check = subprocess.run([sys.executable, "-m", "openjd", "check", str(bundle / "template.json")],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    values = json.loads((bundle / "parameter_values.json").read_text())["parameterValues"]
    assert {item["name"] for item in values} == {"Plan", "Python"}
    assert not (tmp_path / "out" / "A001C003_exposure_v001").exists(), "nothing rendered until the farm runs it"
    clip = otio.adapters.read_from_file(str(tmp_path / "out" / "reel1_exposure.otio")).find_clips()[0]
    assert clip.media_reference.target_url_base.endswith("/A001C003_exposure_v001/")
    assert clip.media_reference.name_suffix == ".dpx"


@pytest.fixture(scope="module")
def long_daily(tmp_path_factory):
    """A 48-frame 480x270 ProRes daily: long enough to kill a worker in the middle of its chunk."""
    return write_clip(tmp_path_factory.mktemp("farm_long") / "B002C011.mov", width=480, height=270, count=48,
                      rate=RATE, timecode="02:00:00:00", name="coffee")


def kill_when_frames_appear(pattern, pids, total, killed: dict) -> None:
    """SIGKILL ``pids`` once some, not all, frames of ``pattern`` are on disk; note which were there."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        present = existing_frames(str(pattern))
        if 2 <= len(present) < total:
            killed["mtimes"] = {n: os.stat(pattern.parent / (pattern.name % n)).st_mtime_ns for n in present}
            for pid in pids():
                os.kill(pid, signal.SIGKILL)
            killed["pids"] = True
            return
        time.sleep(0.002)


def assert_complete_and_identical(pattern, reference, killed) -> None:
    assert killed.get("pids"), "the workers were killed mid-render"
    assert frame_digests(pattern) == reference, "every frame present and bit-identical to one process"
    for number, mtime in killed["mtimes"].items():
        assert os.stat(pattern.parent / (pattern.name % number)).st_mtime_ns == mtime, \
            f"frame {number}, finished before the kill, was kept, not rendered again"
    assert not [name for name in os.listdir(pattern.parent) if PARTIAL_TAG in name], "no partial file left"


def test_killing_dask_workers_mid_render_loses_no_frame(long_daily, tmp_path):
    from dask.distributed import Client

    timeline = tmp_path / "reel1.otio"
    one_clip_timeline(timeline, long_daily, start=0, count=48, name="B002C011", timecode="02:00:00:00")
    reference = reference_render(long_daily, tmp_path / "reference", (0, 47))
    pattern = tmp_path / "out" / "B002C011_exposure_v001" / "B002C011_exposure_v001.%07d.exr"
    with start_local_cluster(2) as cluster, Client(cluster) as client:
        killed: dict = {}
        killer = threading.Thread(target=kill_when_frames_appear, daemon=True, args=(
            pattern, lambda: list(client.run(os.getpid).values()), 48, killed))
        killer.start()
        code = main(["render", str(timeline), "--effect", "exposure", "--param", "stops=1", "--codec", "exr",
                     "--chunk", "24", "--farm", "dask", "--scheduler", cluster.scheduler_address,
                     "--out", str(tmp_path / "out")])
        killer.join()
    assert code == 0
    assert_complete_and_identical(pattern, reference, killed)


def test_killing_an_openjd_task_process_then_rerunning_it_loses_no_frame(long_daily, tmp_path):
    reference = reference_render(long_daily, tmp_path / "reference", (0, 47))
    pattern = tmp_path / "shot" / "shot.%07d.exr"
    job = RenderJob(str(long_daily), str(pattern), "exposure", {"stops": "1"}, frames=(0, 47), codec="exr")
    plan = tmp_path / "reel1.farm.json"
    save_plan(str(plan), split_into_tasks([ShotRender("shot", job, (0, 47), "exr")], chunk_frames=48), "reel1")
    command = [sys.executable, "-m", "answerprint.core.farm", str(plan), "0"]
    task = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    killed: dict = {}
    kill_when_frames_appear(pattern, lambda: [task.pid], 48, killed)
    assert task.wait() == -signal.SIGKILL
    retry = subprocess.run(command, capture_output=True, text=True)
    assert retry.returncode == 0, retry.stderr
    rendered, kept = map(int, re.search(r"(\d+) frame\(s\) rendered, (\d+) already complete", retry.stdout).groups())
    assert kept >= len(killed["mtimes"]) and rendered + kept == 48
    assert_complete_and_identical(pattern, reference, killed)


def test_a_plan_that_is_not_one_and_a_task_out_of_range_are_refused(tmp_path):
    bogus = tmp_path / "bogus.json"
    bogus.write_text('{"schema": "answerprint.render/1"}')
    run = subprocess.run([sys.executable, "-m", "answerprint.core.farm", str(bogus), "0"], capture_output=True,
                         text=True)
    assert run.returncode == 2 and "not a farm plan" in run.stderr
    save_plan(str(tmp_path / "empty.farm.json"), [], "reel1")
    run = subprocess.run([sys.executable, "-m", "answerprint.core.farm", str(tmp_path / "empty.farm.json"), "3"],
                         capture_output=True, text=True)
    assert run.returncode == 2 and "task 3 does not exist" in run.stderr


def test_cancelling_a_render_keeps_finished_frames_and_the_next_run_finishes_them(daily, tmp_path):
    pattern = tmp_path / "shot" / "shot.%04d.exr"
    job = RenderJob(str(daily), str(pattern), "exposure", {"stops": "1"}, frames=(0, 23), codec="exr")
    tasks = split_into_tasks([ShotRender("shot", job, (0, 23), "exr")], chunk_frames=8)
    cancel = CancelToken()
    seen = []

    def cancel_after_ten_frames(event):
        seen.append(event)
        if event.done >= 10:
            cancel.cancel()

    with pytest.raises(Cancelled):
        run_local(tasks, cancel_after_ten_frames, cancel)
    kept = existing_frames(str(pattern))
    assert 10 <= len(kept) < 24 and seen[-1].total == 24
    outcomes = run_local(tasks)
    assert sum(o.frames_skipped for o in outcomes) == len(kept)
    assert frame_digests(pattern) == reference_render(daily, tmp_path / "reference", (0, 23))
