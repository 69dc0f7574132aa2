"""Frame I/O: movies through PyAV, image sequences through OpenImageIO, at full bit depth.

``open_media(path)`` picks the reader, ``open_writer(spec)`` the writer; both share the contract in
``media``. ``probe(path)`` describes a source without decoding it.
"""
from __future__ import annotations

import os
import re

from ..errors import MediaError, OutputError
from .media import (MOVIE_CODECS, SEQUENCE_CODECS, WRITE_CODECS, BT709, ColorTags, FrameReader, FrameWriter,
                    MediaInfo, OutputSpec, SpaceTags)

#: Extensions read as still images / image sequences (OpenImageIO); everything else is a movie (PyAV).
IMAGE_EXTENSIONS = (".exr", ".dpx", ".tif", ".tiff", ".png", ".jpg", ".jpeg", ".cin")
_PATTERN = re.compile(r"(%0?\d*d|#+|@+)")


def is_sequence_path(path: str | os.PathLike) -> bool:
    """True when ``path`` names an image or image sequence rather than a movie."""
    text = os.fspath(path)
    return bool(_PATTERN.search(os.path.basename(text))) or text.lower().endswith(IMAGE_EXTENSIONS)


def open_media(path: str | os.PathLike, random_access: bool = False) -> FrameReader:
    """Open a movie or image sequence for reading, read-only.

    ``random_access=True`` says frames will be read one at a time, out of order (a preview): a movie then
    decodes each with the lowest latency (see ``video.MovieReader``).

    Raises
    ------
    MediaError
        When the path does not exist, is unreadable, or is not media answerprint can decode.
    """
    text = os.fspath(path)
    if is_sequence_path(text):
        from .sequence import SequenceReader

        return SequenceReader(text)
    if not os.path.exists(text):
        raise MediaError("no such file", text)
    from .video import MovieReader

    return MovieReader(text, random_access)


def probe(path: str | os.PathLike) -> MediaInfo:
    """Describe a source (size, rate, timecode, codec, bit depth, colour tags, missing frames)."""
    with open_media(path) as reader:
        return reader.info


def check_output(spec: OutputSpec, frame_count: int = 1) -> None:
    """Refuse, before anything is written, an output whose writer could not complete ``frame_count`` frames:
    a codec that does not write the output's extension, a still name for several frames, an unknown EXR
    compression, a timecode or size the format cannot carry (what ``open_writer`` would refuse, and more).

    Raises
    ------
    OutputError
        Naming the output and the problem.
    """
    if spec.codec in SEQUENCE_CODECS:
        from .sequence import check_sequence_output

        check_sequence_output(spec, frame_count)
    elif spec.codec in MOVIE_CODECS:
        from .video import check_movie_output

        check_movie_output(spec)
    else:
        raise OutputError(f"unknown output codec {spec.codec!r}; choose one of {', '.join(WRITE_CODECS)}", spec.path)


def open_writer(spec: OutputSpec) -> FrameWriter:
    """Create the writer for ``spec.codec``; nothing is visible under the final name until ``finish()``."""
    if spec.codec in SEQUENCE_CODECS:
        from .sequence import SequenceWriter

        return SequenceWriter(spec)
    if spec.codec in MOVIE_CODECS:
        from .video import MovieWriter

        return MovieWriter(spec)
    raise OutputError(f"unknown output codec {spec.codec!r}; choose one of {', '.join(WRITE_CODECS)}", spec.path)


__all__ = [
    "BT709", "ColorTags", "FrameReader", "FrameWriter", "MediaInfo", "OutputSpec", "SpaceTags", "MOVIE_CODECS",
    "SEQUENCE_CODECS", "WRITE_CODECS", "IMAGE_EXTENSIONS", "check_output", "is_sequence_path", "open_media",
    "open_writer", "probe",
]
