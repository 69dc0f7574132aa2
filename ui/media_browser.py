"""What "open a folder" finds: its movies and image sequences, each as answerprint opens it.

Movies are files with a movie extension; images are grouped into sequences by ``core.frames.patterns``
(``A001.1001.exr`` ... → ``A001.%04d.exr``), stills stay single files. Sub-folders are not entered.
"""
from __future__ import annotations

import os

from answerprint.core.frames import IMAGE_EXTENSIONS
from answerprint.core.frames.patterns import parse_sequence_path

#: Extensions opened as movies (PyAV).
MOVIE_EXTENSIONS = (".mov", ".mxf", ".mp4", ".m4v", ".avi", ".mkv")


def media_in_folder(folder: str) -> list[str]:
    """Movies and sequence patterns (printf form) directly inside ``folder``, sorted by name."""
    found: set[str] = set()
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        extension = os.path.splitext(name)[1].lower()
        if not os.path.isfile(path) or name.startswith("."):
            continue
        if extension in MOVIE_EXTENSIONS:
            found.add(path)
        elif extension in IMAGE_EXTENSIONS:
            found.add(parse_sequence_path(path).printf)
    return sorted(found)


def expand_media(paths: list[str]) -> list[str]:
    """Command-line media: folders replaced by the media inside them, other paths kept as given."""
    media: list[str] = []
    for path in paths:
        media.extend(media_in_folder(path) if os.path.isdir(path) else [path])
    return media
