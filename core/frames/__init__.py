"""Frame I/O: movies through PyAV, image sequences through OpenImageIO, at full bit depth.

``open_media(path)`` picks the reader, ``open_writer(spec)`` the writer; both share the contract in
``media``. ``probe(path)`` describes a source without decoding it.
"""
from __future__ import annotations

import os
import re

from ..errors import MediaError
from .media import (MOVIE_CODECS, SEQUENCE_CODECS, WRITE_CODECS, BT709, ColorTags, FrameReader, FrameWriter,
                    MediaInfo, OutputSpec)

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


def open_writer(spec: OutputSpec) -> FrameWriter:
    """Create the writer for ``spec.codec``; nothing is visible under the final name until ``finish()``."""
    if spec.codec in SEQUENCE_CODECS:
        from .sequence import SequenceWriter

        return SequenceWriter(spec)
    if spec.codec in MOVIE_CODECS:
        from .video import MovieWriter

        return MovieWriter(spec)
    raise MediaError(f"unknown output codec {spec.codec!r}; choose one of {', '.join(WRITE_CODECS)}", spec.path)


__all__ = [
    "BT709", "ColorTags", "FrameReader", "FrameWriter", "MediaInfo", "OutputSpec", "MOVIE_CODECS",
    "SEQUENCE_CODECS", "WRITE_CODECS", "IMAGE_EXTENSIONS", "is_sequence_path", "open_media", "open_writer", "probe",
]
