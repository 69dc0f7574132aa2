"""Long work shows progress wherever it runs: a bar on a terminal, plain lines in a log, JSON for farms and hosts.

The non-terminal cases run the real command in a child process whose stderr is a pipe, as a farm job, a log
file or the Resolve console sees it.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from answerprint.core.progress import ProgressEvent, ProgressTracker, format_duration

from media_makers import write_clip

LINE = re.compile(r"^answerprint apply exposure: render (\d+)% \((\d+)/(\d+) frames\) eta (\?|\d+:\d\d)")


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def run_apply(*args: str) -> subprocess.CompletedProcess:
    """``answerprint apply ...`` in a child whose stdout and stderr are pipes (not a terminal)."""
    return subprocess.run([sys.executable, "-m", "answerprint.core.cli", "apply", *args], capture_output=True,
                          text=True, timeout=120)


@pytest.fixture
def clip(tmp_path):
    return write_clip(tmp_path / "A001C001.mov", count=24, width=192, height=108)


def test_a_log_gets_plain_lines_with_percent_frames_and_eta(clip, tmp_path):
    done = run_apply("exposure", str(clip), str(tmp_path / "out.mov"), "--param", "stops=1", "--progress-every", "0")
    assert done.returncode == 0, done.stderr
    lines = [LINE.match(line) for line in done.stderr.splitlines() if line.startswith("answerprint apply exposure:")]
    assert len(lines) == 24 and all(lines), done.stderr
    assert [int(m.group(2)) for m in lines] == list(range(1, 25)) and {m.group(3) for m in lines} == {"24"}
    assert lines[-1].group(1) == "100" and lines[-1].group(4) == "0:00"
    assert re.fullmatch(r"\d+:\d\d", lines[5].group(4)), "the ETA is known once the pace is"
    assert "wrote 24 frame(s)" in done.stderr.splitlines()[-1]
    assert done.stdout == ""


def test_plain_lines_are_rate_limited_to_one_every_few_seconds(clip, tmp_path):
    done = run_apply("exposure", str(clip), str(tmp_path / "out.mov"), "--param", "stops=1")
    progress = [line for line in done.stderr.splitlines() if LINE.match(line)]
    seconds = float(re.search(r"in ([\d.]+) s", done.stderr).group(1))
    assert done.returncode == 0 and 2 <= len(progress) <= 2 + seconds // 5, done.stderr
    assert LINE.match(progress[0]).group(2) == "1" and LINE.match(progress[-1]).group(1) == "100"


def test_json_progress_is_one_object_per_line_on_stdout(clip, tmp_path):
    done = run_apply("exposure", str(clip), str(tmp_path / "out.%04d.exr"), "--param", "stops=1",
                     "--progress", "json", "--progress-every", "0")
    assert done.returncode == 0, done.stderr
    events = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(events) == 24
    assert set(events[0]) == {"stage", "done", "total", "percent", "eta_s", "elapsed_s", "message"}
    assert [e["done"] for e in events] == list(range(1, 25)) and events[-1]["percent"] == 100.0
    assert events[-1]["eta_s"] == 0 and events[-1]["message"].startswith("frame ") and events[0]["stage"] == "render"
    assert "render" not in done.stderr


def test_progress_none_prints_only_the_result(clip, tmp_path):
    done = run_apply("identity", str(clip), str(tmp_path / "out.mov"), "--progress", "none")
    assert done.returncode == 0 and done.stdout == "" and done.stderr.count("\n") == 1, done.stderr


def test_eta_follows_the_pace_and_a_time_budget_bounds_it():
    clock = FakeClock()
    tracker = ProgressTracker(every_s=5.0, clock=clock)
    report, due = tracker.update(ProgressEvent(0, 30, "render"))
    assert due and report.eta_s is None and report.percent == 0
    clock.now += 5.0
    report, due = tracker.update(ProgressEvent(10, 30, "render"))
    assert due and report.eta_s == pytest.approx(10.0) and report.percent == pytest.approx(100 / 3)
    clock.now += 1.0
    report, due = tracker.update(ProgressEvent(12, 30, "render", time_left_s=3.0))
    assert not due and report.eta_s == 3.0, "a training run stops at its time budget"
    clock.now += 1.0
    assert tracker.update(ProgressEvent(30, 30, "render"))[1], "the last step is always printed"
    assert not tracker.update(ProgressEvent(30, 30, "render"))[1], "but only once"
    report, due = tracker.update(ProgressEvent(1, 100, "train"))
    assert due and report.elapsed_s == 0 and report.eta_s is None, "a new stage starts its own pace"


def test_durations_read_like_a_clock():
    assert (format_duration(0), format_duration(59.6), format_duration(3725), format_duration(None)) == \
           ("0:00", "1:00", "1:02:05", "?")
