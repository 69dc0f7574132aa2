"""Every output check runs before the first frame; a render that fails mid-way leaves nothing claiming more.

A refusal leaves no file under a final name and no sidecar; a render that stops part-way keeps its complete
frames for ``--resume`` with a sidecar that says why it stopped, never "in progress".
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import OpenImageIO as oiio
import pytest

from answerprint.core.cli import main
from answerprint.core.errors import Cancelled
from answerprint.core.progress import CancelToken
from answerprint.core.render import RenderJob, render

from conftest import file_digest, photo_frames
from media_makers import write_clip


def run_cli(capsys, *args: str) -> tuple[int, str]:
    code = main([*args, "--progress", "none"])
    return code, capsys.readouterr().err.strip()


def left(folder: Path, *sources: str) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name not in sources)


@pytest.fixture
def clip(tmp_path):
    return write_clip(tmp_path / "A001C001.mov", width=96, height=54, count=4)


def test_several_frames_to_a_name_without_frame_number_are_refused_before_writing(clip, tmp_path, capsys):
    code, err = run_cli(capsys, "apply", "identity", str(clip), str(tmp_path / "o.exr"))
    assert code == 4 and "o.exr" in err and "4 frames cannot go to a still" in err and len(err.splitlines()) == 1
    assert left(tmp_path, clip.name) == []


def test_a_single_frame_may_go_to_a_still(clip, tmp_path, capsys):
    code, err = run_cli(capsys, "apply", "identity", str(clip), str(tmp_path / "o.exr"), "--frames", "2")
    assert code == 0, err
    assert left(tmp_path, clip.name) == ["o.exr", "o.exr.answerprint.json"]


@pytest.mark.parametrize("output, codec, says", [
    ("o.%04d.dpx", "exr", "codec exr writes .exr files"),
    ("o.%04d.exr", "dpx10", "codec dpx10 writes .dpx files"),
    ("o.mp4", "prores_422hq", "movies are written as QuickTime .mov"),
])
def test_a_codec_that_does_not_write_the_extension_is_refused_before_writing(clip, tmp_path, capsys, output, codec,
                                                                             says):
    code, err = run_cli(capsys, "apply", "identity", str(clip), str(tmp_path / output), "--codec", codec)
    assert code == 4 and says in err
    assert left(tmp_path, clip.name) == [], "no sidecar, no frame"


def test_an_existing_output_is_kept_and_refused_before_rendering(clip, tmp_path, capsys):
    out = tmp_path / "o.mov"
    assert run_cli(capsys, "apply", "exposure", str(clip), str(out), "--param", "stops=1")[0] == 0
    digests = {p.name: file_digest(p) for p in tmp_path.iterdir()}
    code, err = run_cli(capsys, "apply", "identity", str(clip), str(out))
    assert code == 4 and "pass --overwrite" in err
    assert {p.name: file_digest(p) for p in tmp_path.iterdir()} == digests


def test_nan_found_mid_render_removes_the_frames_and_the_sidecar(tmp_path, capsys):
    folder = tmp_path / "comp"
    folder.mkdir()
    frames = photo_frames(48, 27, 4)
    frames[2][3, 3] = np.nan
    for number, frame in enumerate(frames, 1001):
        out = oiio.ImageOutput.create("openexr")
        assert out.open(str(folder / f"comp.{number}.exr"), oiio.ImageSpec(48, 27, 3, "half"))
        assert out.write_image(frame) and out.close()
    code, err = run_cli(capsys, "apply", "identity", str(folder / "comp.%04d.exr"), str(tmp_path / "o.%04d.exr"))
    assert code == 3 and "frame 1003" in err and "NaN/Inf" in err
    assert left(tmp_path, "comp") == [], "frames 1001-1002 were written, then removed with the sidecar"


def test_a_cancelled_sequence_keeps_its_frames_for_resume_and_says_so(clip, tmp_path, capsys):
    out = tmp_path / "o.%04d.exr"
    token = CancelToken()

    def cancel_after_two(event):
        if event.done == 2:
            token.cancel()

    with pytest.raises(Cancelled):
        render(RenderJob(str(clip), str(out), "identity", start_frame=1001), cancel_after_two, token)
    record = json.loads((tmp_path / "o.answerprint.json").read_text())
    on_disk = sorted(p.name for p in tmp_path.glob("o.*.exr"))
    assert record["status"] == "cancelled" and record["error"] == "cancelled by the user"
    assert record["frames_on_disk"] == len(on_disk) >= 2 and on_disk[0] == "o.1001.exr"
    code, err = run_cli(capsys, "apply", "identity", str(clip), str(out), "--start-frame", "1001", "--resume")
    assert code == 0 and f"({len(on_disk)} resumed)" in err
    assert json.loads((tmp_path / "o.answerprint.json").read_text())["status"] == "complete"


def test_a_missing_or_broken_ocio_config_is_a_colour_error(clip, tmp_path, capsys):
    code, err = run_cli(capsys, "apply", "identity", str(clip), str(tmp_path / "o.mov"), "--ocio",
                        "/missing/config.ocio")
    assert code == 5 and err.endswith("/missing/config.ocio: cannot load the OCIO config: the file does not exist")
    broken = tmp_path / "broken.ocio"
    broken.write_text("ocio_profile_version: [\n")
    code, err = run_cli(capsys, "apply", "identity", str(clip), str(tmp_path / "o.mov"), "--ocio", str(broken))
    assert code == 5 and "broken.ocio: cannot load the OCIO config" in err and len(err.splitlines()) == 1
    assert left(tmp_path, clip.name, "broken.ocio") == []
