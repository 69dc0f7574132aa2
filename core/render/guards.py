"""Checks made before a single frame is rendered, so that nothing is lost when a render cannot finish.

Sources are never overwritten; output folders are proved writable; a disk that cannot hold the output
is refused up front (a disk that fills mid-render is handled by the writers' atomic rename).
"""
from __future__ import annotations

import os
import shutil
import tempfile

from ..errors import OutputError
from ..frames import MediaInfo, is_sequence_path
from ..frames.patterns import parse_sequence_path

#: Rough bytes per pixel per frame, per output codec, for the up-front free-space check.
_BYTES_PER_PIXEL = {"prores_422hq": 0.55, "prores_4444xq": 1.4, "dnxhr_hqx": 0.55, "dnxhr_444": 1.1,
                    "exr": 4.0, "dpx10": 4.0, "dpx16": 6.0, "tiff16": 6.0, "png16": 4.0, "jpeg": 0.5}


def _canonical(path: str) -> str:
    """A path normalised for comparison: real folder; a sequence, or one frame of it, as prefix%dsuffix."""
    if is_sequence_path(path):
        pattern = parse_sequence_path(path)
        directory, name = pattern.directory, f"{pattern.prefix}%d{pattern.suffix}"
    else:
        directory, name = os.path.split(os.path.abspath(path))
    return os.path.join(os.path.realpath(directory or "."), name)


def refuse_source_overwrite(source: MediaInfo, output: str) -> None:
    """Refuse an output that is, or would write into, the source.

    Raises
    ------
    OutputError
        When the output names the source file or the source's sequence pattern.
    """
    same = _canonical(source.path) == _canonical(output)
    if not same and os.path.exists(output) and os.path.exists(source.path):
        same = os.path.samefile(source.path, output)
    if same:
        raise OutputError("the output would overwrite the source; choose another name", output)


def ensure_writable(output: str) -> str:
    """Prove the output's folder exists and accepts a new file; returns that folder.

    Raises
    ------
    OutputError
        When the folder is missing, not a folder, or refuses writes (permissions, read-only disk).
    """
    folder = os.path.dirname(os.path.abspath(output))
    if not os.path.isdir(folder):
        raise OutputError("the output folder does not exist or is not a folder", folder)
    try:
        handle, probe_path = tempfile.mkstemp(prefix=".answerprint-write-test-", dir=folder)
        os.close(handle)
        os.unlink(probe_path)
    except OSError as error:
        raise OutputError(f"the output folder is not writable ({error.strerror})", folder) from None
    return folder


def ensure_free_space(folder: str, codec: str, width: int, height: int, frame_count: int) -> None:
    """Refuse a render whose estimated output size exceeds the free space of ``folder``.

    Raises
    ------
    OutputError
        With the estimate and the free space, in GB.
    """
    estimate = _BYTES_PER_PIXEL.get(codec, 6.0) * width * height * frame_count
    free = shutil.disk_usage(folder).free
    if estimate > free:
        raise OutputError(f"not enough free space: the output needs about {estimate / 1e9:.1f} GB, "
                          f"{free / 1e9:.1f} GB free", folder)
