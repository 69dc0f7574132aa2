"""Bad input gets a one-line error naming the file and the problem, and loses nothing.

Every case: non-zero exit, a message naming the file and what is wrong, no file under the final name, no
partial file left behind, and the source's bytes unchanged.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import av
import numpy as np
import OpenImageIO as oiio
import pytest

from answerprint.core.cli import main

from conftest import file_digest, photo_frames
from media_makers import write_clip


def run_cli(capsys, *args: str) -> tuple[int, str]:
    code = main(list(args))
    err = capsys.readouterr().err.strip()
    return code, err


def assert_nothing_written(folder: Path, *keep: str) -> None:
    left = sorted(p.name for p in folder.iterdir() if p.name not in keep)
    assert left == [], f"files left behind: {left}"


def write_exr(path: Path, pixels: np.ndarray) -> None:
    out = oiio.ImageOutput.create(str(path))
    assert out.open(str(path), oiio.ImageSpec(pixels.shape[1], pixels.shape[0], 3, "half"))
    assert out.write_image(pixels.astype(np.float32)) and out.close()


@pytest.fixture
def clip(tmp_path):
    return write_clip(tmp_path / "A001C001.mov")


def test_truncated_movie_is_refused(tmp_path, capsys, clip):
    truncated = tmp_path / "truncated.mov"
    truncated.write_bytes(clip.read_bytes()[: clip.stat().st_size // 2])
    digest = file_digest(truncated)
    code, err = run_cli(capsys, "apply", "identity", str(truncated), str(tmp_path / "out.mov"))
    assert code == 3 and "truncated.mov" in err and len(err.splitlines()) == 1
    assert file_digest(truncated) == digest
    assert_nothing_written(tmp_path, "A001C001.mov", "truncated.mov")


def test_corrupt_movie_is_refused(tmp_path, capsys):
    corrupt = tmp_path / "corrupt.mov"
    corrupt.write_bytes(np.random.default_rng(1).integers(0, 256, 200_000, dtype=np.uint8).tobytes())
    digest = file_digest(corrupt)
    code, err = run_cli(capsys, "apply", "identity", str(corrupt), str(tmp_path / "out.mov"))
    assert code == 3 and "corrupt.mov" in err and len(err.splitlines()) == 1
    assert file_digest(corrupt) == digest
    assert_nothing_written(tmp_path, "corrupt.mov")


def test_sequence_with_missing_frames_is_refused_naming_them(tmp_path, capsys):
    folder = tmp_path / "plate"
    folder.mkdir()
    write_clip(folder / "plate.%04d.exr", "exr", 64, 36, 5, first=1001)
    (folder / "plate.1003.exr").unlink()
    code, err = run_cli(capsys, "apply", "identity", str(folder / "plate.####.exr"), str(tmp_path / "out.mov"))
    assert code == 3 and "plate.%04d.exr" in err and "missing" in err and "1003" in err
    assert_nothing_written(tmp_path, "plate")


def test_unsupported_codec_is_refused(tmp_path, capsys):
    mpeg4 = tmp_path / "divx.avi"
    with av.open(str(mpeg4), "w") as container:
        stream = container.add_stream("mpeg4", rate=24)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for frame in photo_frames(64, 48, 3):
            video = av.VideoFrame.from_ndarray((frame * 255).astype(np.uint8), format="rgb24")
            container.mux(stream.encode(video.reformat(format="yuv420p")))
        container.mux(stream.encode())
    code, err = run_cli(capsys, "apply", "identity", str(mpeg4), str(tmp_path / "out.mov"))
    assert code == 3 and "divx.avi" in err and "unsupported codec 'mpeg4'" in err
    assert_nothing_written(tmp_path, "divx.avi")


def test_nan_and_inf_pixels_are_refused_unless_fixed(tmp_path, capsys):
    folder = tmp_path / "comp"
    folder.mkdir()
    frames = photo_frames(64, 36, 3)
    frames[1][5, 5] = np.nan
    frames[1][6, 6] = np.inf
    for number, frame in enumerate(frames, 1001):
        write_exr(folder / f"comp.{number}.exr", frame)
    digests = {p.name: file_digest(p) for p in folder.iterdir()}
    out = tmp_path / "out.%04d.exr"
    code, err = run_cli(capsys, "apply", "identity", str(folder / "comp.%04d.exr"), str(out))
    assert code == 3 and "comp.%04d.exr" in err and "frame 1002" in err and "NaN/Inf" in err
    assert not list(tmp_path.glob("out.1002.exr")) and not list(tmp_path.glob("*partial*"))
    assert main(["apply", "identity", str(folder / "comp.%04d.exr"), str(out), "--fix-nonfinite", "--overwrite"]) == 0
    assert {p.name: file_digest(p) for p in folder.iterdir()} == digests


def test_absurd_dimensions_are_refused_before_allocating(tmp_path, capsys):
    huge = tmp_path / "huge.exr"
    write_exr(huge, np.zeros((1, 20000, 3), np.float32))
    code, err = run_cli(capsys, "apply", "identity", str(huge), str(tmp_path / "out.exr"))
    assert code == 3 and "huge.exr" in err and "absurd frame size 20000x1" in err
    assert_nothing_written(tmp_path, "huge.exr")


def test_unreadable_path_is_refused(tmp_path, capsys):
    code, err = run_cli(capsys, "apply", "identity", str(tmp_path / "nowhere.mov"), str(tmp_path / "out.mov"))
    assert code == 3 and "nowhere.mov" in err and "no such file" in err
    code, err = run_cli(capsys, "probe", str(tmp_path))
    assert code == 3 and str(tmp_path) in err
    assert_nothing_written(tmp_path)


def _run_without_root_override(args: list[str]) -> subprocess.CompletedProcess:
    """Run the CLI in a child that obeys file permissions even as root (CAP_DAC_OVERRIDE dropped)."""
    command = [sys.executable, "-m", "answerprint.core.cli", *args]
    if os.geteuid() == 0:
        caps = "-dac_override,-dac_read_search"
        command = ["setpriv", f"--bounding-set={caps}", f"--inh-caps={caps}", "--", *command]
    return subprocess.run(command, capture_output=True, text=True)


def test_output_folder_not_writable_is_refused(clip, tmp_path, capsys):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    digest = file_digest(clip)
    try:
        result = _run_without_root_override(["apply", "identity", str(clip), str(locked / "out.mov")])
    finally:
        locked.chmod(0o755)
    assert result.returncode == 4, result.stderr
    assert "locked" in result.stderr and "not writable" in result.stderr
    assert list(locked.iterdir()) == [] and file_digest(clip) == digest
    code, err = run_cli(capsys, "apply", "identity", str(clip), str(clip / "x" / "out.mov"))
    assert code == 4 and "does not exist or is not a folder" in err


def test_disk_full_mid_render_leaves_no_half_written_output(clip, tmp_path):
    # The child process may write at most 150 kB per file: the output fails part-way, as on a full disk.
    out = tmp_path / "full.mov"
    digest = file_digest(clip)
    code = ("import resource, signal, sys; signal.signal(signal.SIGXFSZ, signal.SIG_IGN); "
            "resource.setrlimit(resource.RLIMIT_FSIZE, (150_000, 150_000)); "
            "from answerprint.core.cli import main; "
            f"sys.exit(main(['apply', 'exposure', {str(clip)!r}, {str(out)!r}, '--param', 'stops=1']))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 4, result.stderr
    errors = [line for line in result.stderr.splitlines() if "error" in line]
    assert len(errors) == 1 and "full.mov" in errors[0] and result.stderr.strip().endswith(errors[0])
    assert_nothing_written(tmp_path, "A001C001.mov")
    assert file_digest(clip) == digest
