"""Graded pairs: find them in two folders, read them into the working space, and refuse unusable ones.

A production's look is learned from K pairs — the same frame before and after grading. The ungraded and the
graded folders hold stills, image sequences or movies; a clip in one is paired with the clip of the same
name in the other (extensions may differ: ``A001C003.mov`` with ``A001C003.png``), and movies or sequences
left over are paired by timecode (the graded clip's timecode range inside the ungraded one's). From each
clip pair up to ``frames_per_clip`` frames, evenly spread over the frames both hold, become pairs.

A pair must show the same picture at the same size: a graded frame of another size, shifted, cropped or
re-framed, or a black or flat frame, is refused with a one-line ``MediaError`` naming the files.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ..color import ColorProcessor
from ..errors import MediaError, UsageError
from ..frames import IMAGE_EXTENSIONS, MediaInfo, open_media, probe
from ..frames.patterns import parse_sequence_path
from ..frames.timecode import timecode_to_frames
from .spaces import WORKING_SPACE

#: Below this correlation of gradient magnitudes the graded frame does not show the ungraded picture.
MIN_STRUCTURE_CORRELATION = 0.5
#: Largest shift (pixels at the 512-pixel analysis size) still counted as aligned.
MAX_SHIFT_PX = 1.5
_ANALYSIS_WIDTH = 512
#: Phase-correlation peak above which a measured shift is real (another picture peaks far lower).
_CLEAR_PEAK = 0.1
_MOVIE_EXTENSIONS = (".mov", ".mp4", ".mxf", ".avi", ".mkv")


@dataclass(frozen=True)
class FramePair:
    """One ungraded frame and its graded counterpart.

    Attributes
    ----------
    name : str
        Clip name, and frame unless both are stills, for messages and reports (``A001C003 @ 1012``).
    ungraded, graded : str
        Paths (movie, still, or sequence pattern).
    ungraded_frame, graded_frame : int
        Frame numbers within each.
    """

    name: str
    ungraded: str
    ungraded_frame: int
    graded: str
    graded_frame: int


def _clips(folder: str | os.PathLike) -> dict[str, tuple[str, int | None]]:
    """Clip name → (path, still frame number) for every media file in ``folder``.

    A movie or an image sequence (files numbered after a ``.`` or ``_``: ``shot.1001.exr``) is one clip with
    no still frame number; any other image is a still (``A001C003.png`` is the still A001C003, not frame 3).
    """
    root = Path(folder)
    if not root.is_dir():
        raise UsageError("not a folder of graded pairs", os.fspath(folder))
    clips: dict[str, tuple[str, int | None]] = {}
    for entry in sorted(root.iterdir()):
        suffix = entry.suffix.lower()
        if not entry.is_file() or suffix not in IMAGE_EXTENSIONS + _MOVIE_EXTENSIONS:
            continue
        pattern = parse_sequence_path(entry)
        if suffix in _MOVIE_EXTENSIONS:
            clips.setdefault(entry.stem, (str(entry), None))
        elif pattern.padding is not None and pattern.prefix[-1:] in (".", "_"):
            clips.setdefault(pattern.prefix[:-1] or entry.stem, (pattern.printf, None))
        else:
            number = int(entry.name[len(pattern.prefix):len(entry.name) - len(pattern.suffix)]) \
                if pattern.padding is not None else 0
            clips.setdefault(entry.stem, (str(entry), number))
    return clips


def _info(clip: tuple[str, int | None]) -> MediaInfo:
    """What a clip holds; a still holds its one frame."""
    path, still_frame = clip
    info = probe(path)
    return info if still_frame is None else info.with_(first_frame=still_frame, frame_count=1, timecode=None)


def _start(info: MediaInfo) -> int | None:
    return timecode_to_frames(info.timecode, info.frame_rate) if info.timecode else None


def _frames_of(name: str, ungraded: MediaInfo, graded: MediaInfo, count: int) -> list[FramePair]:
    """Up to ``count`` pairs spread over the frames both clips hold (aligned by timecode when both have one)."""
    u_start, g_start = _start(ungraded), _start(graded)
    offset = (g_start - u_start) if u_start is not None and g_start is not None else 0
    first = max(0, offset)
    last = min(ungraded.frame_count, offset + graded.frame_count) - 1
    if last < first:
        raise MediaError(f"clip {name}: the graded frames do not overlap the ungraded ones in timecode",
                         graded.path)
    picks = sorted({int(round(v)) for v in np.linspace(first, last, min(count, last - first + 1))})
    single = ungraded.frame_count == 1 and graded.frame_count == 1
    return [FramePair(name if single else f"{name} @ {ungraded.first_frame + i}", ungraded.path,
                      ungraded.first_frame + i, graded.path, graded.first_frame + i - offset) for i in picks]


def find_pairs(ungraded_folder: str | os.PathLike, graded_folder: str | os.PathLike,
               frames_per_clip: int = 3) -> list[FramePair]:
    """Pair the clips of two folders by name, then by timecode (see the module docstring).

    Raises
    ------
    UsageError
        When a path is not a folder, or no pair is found (the message lists the unpaired clips).
    MediaError
        When a paired clip cannot be read, or paired clips share no frames.
    """
    ungraded, graded = _clips(ungraded_folder), _clips(graded_folder)
    pairs: list[FramePair] = []
    for name in sorted(set(ungraded) & set(graded)):
        pairs += _frames_of(name, _info(ungraded[name]), _info(graded[name]), frames_per_clip)
    left_ungraded = {n: _info(c) for n, c in ungraded.items() if n not in graded and c[1] is None}
    for name, clip in sorted(graded.items()):
        if name in ungraded or clip[1] is not None:
            continue
        info = _info(clip)
        match = next((n for n, u in left_ungraded.items() if _contains(u, info)), None)
        if match is not None:
            pairs += _frames_of(f"{match}/{name}", left_ungraded.pop(match), info, frames_per_clip)
    if not pairs:
        raise UsageError(f"no graded pairs: nothing in {os.fspath(graded_folder)} matches a clip of "
                         f"{os.fspath(ungraded_folder)} by name or timecode "
                         f"(ungraded: {', '.join(sorted(ungraded)[:5]) or 'none'}; "
                         f"graded: {', '.join(sorted(graded)[:5]) or 'none'})")
    return pairs


def _contains(ungraded: MediaInfo, graded: MediaInfo) -> bool:
    u_start, g_start = _start(ungraded), _start(graded)
    if u_start is None or g_start is None or ungraded.frame_rate != graded.frame_rate:
        return False
    return u_start <= g_start and g_start + graded.frame_count <= u_start + ungraded.frame_count


def read_frame(path: str, frame: int) -> np.ndarray:
    """Frame ``frame`` of a movie, still or sequence, as float32 code values ``(H, W, 3)``.

    Raises
    ------
    MediaError
        When it cannot be read.
    """
    with open_media(path) as reader:
        for _, pixels in reader.read([frame]):
            return pixels
    raise MediaError(f"frame {frame} cannot be read", path)


def load_pair(pair: FramePair, ungraded_space: str, graded_space: str,
              config: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The pair's two frames in ACEScct, checked (``check_pair``).

    Raises
    ------
    MediaError
        When a frame cannot be read or the pair is unusable.
    ColorError
        When a colour space is unknown.
    """
    ungraded = ColorProcessor(ungraded_space, WORKING_SPACE, config)(read_frame(pair.ungraded, pair.ungraded_frame))
    graded = ColorProcessor(graded_space, WORKING_SPACE, config)(read_frame(pair.graded, pair.graded_frame))
    check_pair(ungraded, graded, f"{pair.name} ({pair.ungraded} / {pair.graded})")
    return ungraded, graded


def _structure(frame: np.ndarray, width: int) -> np.ndarray:
    """Gradient magnitude of the frame's mean channel at ``width`` pixels wide, zero-mean, unit-norm."""
    scale = width / frame.shape[1]
    grey = np.ascontiguousarray(frame.mean(axis=2), dtype=np.float32)
    small = cv2.resize(grey, (width, max(8, int(round(frame.shape[0] * scale)))), interpolation=cv2.INTER_AREA)
    magnitude = cv2.magnitude(cv2.Sobel(small, cv2.CV_32F, 1, 0), cv2.Sobel(small, cv2.CV_32F, 0, 1))
    magnitude -= magnitude.mean()
    return magnitude / max(float(np.linalg.norm(magnitude)), 1e-12)


def check_pair(ungraded: np.ndarray, graded: np.ndarray, where: str) -> None:
    """Refuse a pair that cannot teach a look.

    Parameters
    ----------
    ungraded, graded : ndarray
        float32 ``(H, W, 3)`` in ACEScct.
    where : str
        Names the pair in messages.

    Raises
    ------
    MediaError
        When the sizes differ, a frame holds NaN/Inf, is black or flat, or the graded frame does not show
        the same picture in the same place (shifted, re-framed, another shot): gradient structure correlation
        below ``MIN_STRUCTURE_CORRELATION`` or a shift above ``MAX_SHIFT_PX``.
    """
    if ungraded.shape != graded.shape:
        raise MediaError(f"the graded frame is {graded.shape[1]}x{graded.shape[0]} but the ungraded one is "
                         f"{ungraded.shape[1]}x{ungraded.shape[0]}; a pair must be the same frame at the same size",
                         where)
    for label, frame in (("ungraded", ungraded), ("graded", graded)):
        if not np.isfinite(frame).all():
            raise MediaError(f"the {label} frame holds NaN or infinite values", where)
        if float(np.std(frame.mean(axis=2))) < 2e-3:
            raise MediaError(f"the {label} frame is black or flat: it shows no picture to learn from", where)
    width = min(_ANALYSIS_WIDTH, ungraded.shape[1])
    before, after = _structure(ungraded, width), _structure(graded, width)
    correlation = float(np.sum(before * after))
    window = cv2.createHanningWindow(before.shape[::-1], cv2.CV_32F)
    # phaseCorrelate may window its inputs in place: give it copies
    (shift_x, shift_y), peak = cv2.phaseCorrelate(before.copy(), after.copy(), window)
    if peak >= _CLEAR_PEAK and max(abs(shift_x), abs(shift_y)) > MAX_SHIFT_PX:
        scale = ungraded.shape[1] / width
        raise MediaError(f"the graded frame is shifted by about ({shift_x * scale:+.0f}, {shift_y * scale:+.0f}) px "
                         "against the ungraded one; pairs must be pixel-aligned", where)
    if correlation < MIN_STRUCTURE_CORRELATION:
        raise MediaError(f"the graded frame does not show the ungraded picture (structure correlation "
                         f"{correlation:.2f} < {MIN_STRUCTURE_CORRELATION}): another shot, or re-framed", where)
