"""Image-sequence file naming: patterns (``shot.%04d.exr``, ``shot.####.exr``), frame paths, folder scans.

A sequence is ``<directory>/<prefix><frame number, zero-padded><suffix>``. Accepted spellings:

* printf: ``shot.%04d.exr`` (``%d`` = no padding; a width without ``0``, ``%4d``, is read as zero padding);
* hashes: ``shot.####.exr`` or ``shot.@@@@.exr``, one character per digit;
* one frame of a sequence: ``shot.1001.exr`` (the last run of digits before the extension is the frame
  number, its length the padding);
* a still without any number: ``still.png`` (a one-frame "sequence", frame 0).

Frame numbers are non-negative integers; a frame number wider than the padding is written in full
(``%04d`` and 12345 give ``shot.12345.exr``), as printf does.
"""
from __future__ import annotations

import os
import re
from typing import NamedTuple

_TOKEN = re.compile(r"%0?(\d*)d|#+|@+")
_FRAME_DIGITS = re.compile(r"(\d+)(?=\.[^.]+$)")

#: The frame number a still (a path with no frame number) is given.
STILL_FRAME = 0


class SequencePattern(NamedTuple):
    """Where the frames of one sequence live and how they are named.

    Attributes
    ----------
    directory : str
        Folder holding the frames (``""`` for the current folder).
    prefix, suffix : str
        File name text before and after the frame number (``"shot."`` and ``".exr"``).
    padding : int or None
        Minimum digits of the frame number (4 for ``%04d``, 0 for ``%d``); None for a still, whose file
        name carries no frame number.
    """

    directory: str
    prefix: str
    padding: int | None
    suffix: str

    @property
    def printf(self) -> str:
        """The pattern in printf form (``dir/shot.%04d.exr``); a still's own path."""
        if self.padding is None:
            token = ""
        else:
            token = f"%0{self.padding}d" if self.padding else "%d"
        return os.path.join(self.directory, f"{self.prefix}{token}{self.suffix}")

    def frame_path(self, frame_number: int) -> str:
        """Path of frame ``frame_number`` (a still's path whatever the number)."""
        if self.padding is None:
            return os.path.join(self.directory, self.prefix + self.suffix)
        return os.path.join(self.directory, f"{self.prefix}{frame_number:0{self.padding}d}{self.suffix}")

    def frame_number(self, file_name: str) -> int | None:
        """Frame number of ``file_name`` (a bare name, no folder) when it belongs to this sequence, else None.

        Only names written exactly as ``frame_path`` would write them match: ``%04d`` matches
        ``shot.1001.exr`` but neither ``shot.01001.exr`` nor ``shot.101.exr``.
        """
        if self.padding is None:
            return STILL_FRAME if file_name == self.prefix + self.suffix else None
        if not (file_name.startswith(self.prefix) and file_name.endswith(self.suffix)):
            return None
        digits = file_name[len(self.prefix):len(file_name) - len(self.suffix)]
        if not (digits.isascii() and digits.isdigit()):
            return None
        number = int(digits)
        return number if digits == f"{number:0{self.padding}d}" else None


def parse_sequence_path(path: str | os.PathLike) -> SequencePattern:
    """Split a sequence pattern, a single frame's path or a still's path into a ``SequencePattern``.

    Only the file name is searched for a frame token or number, never the folder names.
    """
    text = os.fspath(path)
    directory, name = os.path.split(text)
    tokens = list(_TOKEN.finditer(name))
    if tokens:
        token = tokens[-1]
        if token.group(0).startswith("%"):
            padding = int(token.group(1) or 0)
        else:
            padding = len(token.group(0))
        return SequencePattern(directory, name[:token.start()], padding, name[token.end():])
    digits = list(_FRAME_DIGITS.finditer(name))
    if digits:
        run = digits[-1]
        return SequencePattern(directory, name[:run.start()], len(run.group(1)), name[run.end():])
    return SequencePattern(directory, name, None, "")


def sequence_frame_path(pattern: str | os.PathLike, frame_number: int) -> str:
    """Path of frame ``frame_number`` of the sequence ``pattern`` (any spelling ``parse_sequence_path`` reads)."""
    return parse_sequence_path(pattern).frame_path(frame_number)


def existing_frames(pattern: str | os.PathLike) -> list[int]:
    """Frame numbers present on disk for ``pattern``, ascending; empty when none or the folder is missing.

    Used by the render engine to resume an interrupted sequence render: every frame listed is a complete
    file, since writers only ever rename finished frames into place.
    """
    return scan_frames(parse_sequence_path(pattern))


def scan_frames(pattern: SequencePattern) -> list[int]:
    """Frame numbers of ``pattern`` present as regular files in its folder, ascending."""
    try:
        entries = list(os.scandir(pattern.directory or "."))
    except OSError:
        return []
    numbers = set()
    for entry in entries:
        number = pattern.frame_number(entry.name)
        if number is not None and entry.is_file():
            numbers.add(number)
    return sorted(numbers)
