"""Files and folders as clips: which numbered images are one sequence and which are stills, decided by the files.

Names alone cannot tell ``shot.1001.exr`` ... ``shot.1100.exr`` (a sequence) from ``shot0.png`` ...
``shot5.png`` (six graded stills of different shots) or ``aero3.tif`` (one photograph). Images whose names
differ only in the number before the extension are one sequence when the files agree:

- every file has the same size (display window), channel count, pixel type and file format, read from the
  headers (all of them up to ``HEADER_SAMPLE`` files, else that many spread over the numbers, first and last
  included: a stray frame elsewhere is refused when it is read, naming it);
- the number is not a camera clip number (``A001C003.png``, ``A001C004.png`` are stills of two clips);
- the numbers are written alike (one zero-padded width, or all unpadded);
- there are at least two, and as many present as missing between the first and the last (the gaps are
  reported as missing frames).

Anything else is read as stills, each file on its own, and the reason is kept for the one line that reports it.
Movies are the files with a movie extension; other files (sound, notes, timelines inside a folder) are not
clips. Hidden files and folders are skipped.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Callable, Iterable

from ..errors import AnswerprintError, MediaError
from ..frames import IMAGE_EXTENSIONS, MediaInfo, probe
from ..frames.patterns import SequencePattern

#: Extensions read as movies when a folder is listed.
MOVIE_EXTENSIONS = (".mov", ".mxf", ".mp4", ".m4v", ".avi", ".mkv")
#: Most headers read to decide whether numbered images are one sequence.
HEADER_SAMPLE = 64
#: A name ending in a camera roll and clip number (``A001C003``, ``B012_C004``: ARRI, RED, Sony and Blackmagic
#: name clips so): its last number counts clips, a frame number would follow it (``A001C003.0001.exr``).
_CAMERA_CLIP = re.compile(r"(?:^|[^A-Za-z0-9])[A-Za-z]\d{3}_?[Cc]$")
_NUMBERED = re.compile(r"^(?P<prefix>.*?)(?P<digits>\d+)(?P<suffix>\.[^.]+)$")


@dataclass(frozen=True)
class FoundClip:
    """A clip as the files decided it, before it is probed: ``kind``, its path (pattern for a sequence), and
    the reason when numbered images were read as stills."""

    kind: str
    path: str
    note: str = ""


def is_movie(path: str) -> bool:
    return path.lower().endswith(MOVIE_EXTENSIONS)


def is_image(path: str) -> bool:
    return path.lower().endswith(IMAGE_EXTENSIONS)


def media_files(folder: str, recursive: bool) -> list[str]:
    """Movies and images inside ``folder`` (and its sub-folders when ``recursive``), hidden ones skipped, sorted.

    Raises
    ------
    MediaError
        When the folder cannot be listed.
    """
    found: list[str] = []
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as error:
        raise MediaError(f"cannot list the folder ({error.strerror or error})", folder) from None
    for entry in entries:
        if entry.name.startswith("."):
            continue
        if entry.is_dir(follow_symlinks=False):
            if recursive:
                found += media_files(entry.path, recursive)
        elif entry.is_file() and (is_movie(entry.name) or is_image(entry.name)):
            found.append(entry.path)
    return found


def _header_key(path: str) -> tuple:
    """(width, height, channels, pixel type, bits, file format) of an image, from its header only."""
    import OpenImageIO as oiio

    image = oiio.ImageInput.open(path)
    if image is None:
        raise MediaError(f"cannot read this image: {' '.join(oiio.geterror().split())}", path)
    try:
        spec = image.spec()
        return (spec.full_width, spec.full_height, spec.nchannels, str(spec.format),
                spec.get_int_attribute("oiio:BitsPerSample", 0), image.format_name())
    finally:
        image.close()


def _sample(items: list, count: int) -> list:
    """Up to ``count`` items spread evenly, the first and last included."""
    if len(items) <= count:
        return items
    step = (len(items) - 1) / (count - 1)
    return [items[round(i * step)] for i in range(count)]


def _runs(files: list[tuple[str, str]]) -> list[tuple[int, list[tuple[str, str]]]]:
    """Numbered files of one prefix and suffix split by how the number is written: (padding, files).

    One width for all: that zero padding. Several widths, none zero-padded: unpadded (``%d``). Otherwise one
    run per width (``shot01`` and ``shot001`` are not one sequence).
    """
    widths = {len(digits) for _, digits in files}
    if len(widths) == 1:
        return [(widths.pop(), files)]
    if not any(len(digits) > 1 and digits.startswith("0") for _, digits in files):
        return [(0, files)]
    return [(width, [f for f in files if len(f[1]) == width]) for width in sorted(widths)]


def _decide_run(directory: str, prefix: str, suffix: str, padding: int,
                files: list[tuple[str, str]]) -> list[FoundClip]:
    """One sequence, or one still per file, for numbered images of one naming pattern (module docstring)."""
    pattern = SequencePattern(directory, prefix, padding, suffix).printf
    numbers = sorted(int(digits) for _, digits in files)
    if len(files) == 1:
        return [FoundClip("still", files[0][0], f"the only file numbered like {os.path.basename(pattern)}")]
    if _CAMERA_CLIP.search(prefix):
        return [FoundClip("still", path, "a camera clip name (roll and clip number), not a frame number")
                for path, _ in sorted(files, key=lambda f: int(f[1]))]
    keys = {_header_key(path) for path, _ in _sample(sorted(files, key=lambda f: int(f[1])), HEADER_SAMPLE)}
    span = numbers[-1] - numbers[0] + 1
    if len(keys) == 1 and span - len(numbers) <= len(numbers):
        return [FoundClip("sequence", pattern)]
    if len(keys) > 1:
        sizes = {key[:2] for key in keys}
        why = "differ in size" if len(sizes) > 1 else "differ in file format or pixel type"
    else:
        why = f"are numbered too far apart ({len(numbers)} of {span} numbers present)"
    note = f"read alone: the {len(files)} files numbered like {os.path.basename(pattern)} {why}"
    return [FoundClip("still", path, note) for path, _ in sorted(files, key=lambda f: int(f[1]))]


def decide_images(paths: Iterable[str], on_error: Callable[[AnswerprintError], None] | None = None
                  ) -> list[FoundClip]:
    """Sequences and stills among image files (see the module docstring), in name order of their first file.

    ``on_error``, when given, receives the error of a naming pattern whose headers cannot be read, and its
    files are left out; without it the error is raised.

    Raises
    ------
    MediaError
        When an image header cannot be read (and no ``on_error`` is given).
    """
    groups: dict[tuple[str, str, str], list[tuple[str, str]]] = {}
    clips: list[tuple[str, FoundClip]] = []
    for path in paths:
        directory, name = os.path.split(path)
        match = _NUMBERED.match(name)
        if match is None:
            clips.append((path, FoundClip("still", path)))
        else:
            groups.setdefault((directory, match["prefix"], match["suffix"]), []).append((path, match["digits"]))
    for (directory, prefix, suffix), files in groups.items():
        for padding, run in _runs(files):
            try:
                decided = _decide_run(directory, prefix, suffix, padding, run)
            except AnswerprintError as error:
                if on_error is None:
                    raise
                on_error(error)
                continue
            clips += [(min(path for path, _ in run) if d.kind == "sequence" else d.path, d) for d in decided]
    return [clip for _, clip in sorted(clips, key=lambda item: item[0])]


def siblings(path: str) -> list[str]:
    """The image files beside ``path`` named like it but for their number (``path`` included)."""
    directory, name = os.path.split(path)
    match = _NUMBERED.match(name)
    if match is None:
        return [path]
    prefix, suffix = match["prefix"], match["suffix"]
    try:
        names = os.listdir(directory or ".")
    except OSError:
        return [path]
    same = re.compile(re.escape(prefix) + r"\d+" + re.escape(suffix) + "$")
    return [os.path.join(directory, other) for other in sorted(names) if same.match(other)]


def clip_of_image(path: str) -> FoundClip:
    """What one given image file is: the sequence it is a frame of, or a still (decided with its siblings)."""
    for found in decide_images(siblings(path)):
        if found.path == path or (found.kind == "sequence" and _is_frame_of(path, found.path)):
            return found
    return FoundClip("still", path)


def _is_frame_of(path: str, pattern: str) -> bool:
    from ..frames.patterns import parse_sequence_path

    parsed = parse_sequence_path(pattern)
    return os.path.dirname(path) == parsed.directory and parsed.frame_number(os.path.basename(path)) is not None


def probe_found(found: FoundClip) -> MediaInfo:
    """Probe a decided clip (a still through its own file only)."""
    if found.kind == "still":
        from ..frames.sequence import SequenceReader

        with SequenceReader(found.path, still=True) as reader:
            return reader.info
    return probe(found.path)


def found_in(paths: Iterable[str], on_error: Callable[[AnswerprintError], None] | None = None) -> list[FoundClip]:
    """Movies as they are, images decided into sequences and stills (``decide_images``), sorted by path."""
    movies, images = [], []
    for path in paths:
        (movies if is_movie(path) else images).append(path)
    found = [FoundClip("movie", path) for path in movies] + decide_images(images, on_error)
    return sorted(found, key=lambda f: f.path)
