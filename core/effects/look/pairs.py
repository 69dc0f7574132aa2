"""Graded pairs: find them in two folders, read them into the working space, and refuse unusable ones.

A production's look is learned from K pairs — the same frame before and after grading. The ungraded and the
graded folders hold stills, image sequences or movies, read as the input resolver decides (``core.inputs``:
numbered stills of different sizes are stills, not a sequence); a clip in one is paired with the clip of the
same name in the other (extensions may differ: ``A001C003.mov`` with ``A001C003.png``), and movies or
sequences left over are paired by timecode (the graded clip's timecode range inside the ungraded one's); the
clips left unpaired are listed. From each clip pair up to ``frames_per_clip`` frames, evenly spread over the
frames both hold, become pairs.

A pair must show the same picture at the same size (pairs may differ in size from each other): a graded frame
of another size, shifted, cropped or re-framed, or a black or flat frame, is refused with a one-line
``MediaError`` naming the files.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Callable

import cv2
import numpy as np

from ...color import ColorProcessor
from ...color.spaces import WORKING_SPACE
from ...errors import MediaError, UsageError
from ...frames import FrameReader, open_media
from ...frames.timecode import timecode_to_frames
from ...inputs import ResolvedClip, resolve_inputs

#: Below this correlation of gradient magnitudes the graded frame does not show the ungraded picture.
MIN_STRUCTURE_CORRELATION = 0.5
#: Largest shift (pixels at the 512-pixel analysis size) still counted as aligned.
MAX_SHIFT_PX = 1.5
_ANALYSIS_WIDTH = 512
#: Phase-correlation peak above which a measured shift is real (another picture peaks far lower).
_CLEAR_PEAK = 0.1
#: Unpaired clip names a message lists before "and N more".
_NAMES_SHOWN = 5


@dataclass(frozen=True)
class FramePair:
    """One ungraded frame and its graded counterpart.

    Attributes
    ----------
    name : str
        Clip name, and frame unless both are stills, for messages and reports (``A001C003 @ 1012``).
    ungraded, graded : ResolvedClip
        The two clips (movie, still, or sequence).
    ungraded_frame, graded_frame : int
        Frame numbers within each.
    """

    name: str
    ungraded: ResolvedClip
    ungraded_frame: int
    graded: ResolvedClip
    graded_frame: int


def folder_clips(folder: str | os.PathLike, notify: Callable[[str], None]) -> dict[str, ResolvedClip]:
    """Clip name → clip for every clip in ``folder`` (sub-folders included), as the input resolver decides.

    Raises
    ------
    UsageError
        When ``folder`` is not a folder.
    MediaError
        When it holds no clip, or one cannot be read.
    """
    if not os.path.isdir(folder):
        raise UsageError("not a folder of graded pairs", os.fspath(folder))
    clips: dict[str, ResolvedClip] = {}
    for clip in resolve_inputs([folder], notify):
        kept = clips.setdefault(clip.name, clip)
        if kept is not clip:
            notify(f"{clip.path}: left out, it has the name {clip.name} of {kept.path} (names pair the clips)")
    return clips


def _start(clip: ResolvedClip) -> int | None:
    """First frame used, in timecode frames; None for a still or a clip without timecode."""
    info = clip.info
    if clip.kind == "still" or not info.timecode:
        return None
    return timecode_to_frames(info.timecode, info.frame_rate) + clip.first_frame - info.first_frame


def _frames_of(name: str, ungraded: ResolvedClip, graded: ResolvedClip, count: int) -> list[FramePair]:
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
    return [FramePair(name if single else f"{name} @ {ungraded.first_frame + i}", ungraded,
                      ungraded.first_frame + i, graded, graded.first_frame + i - offset) for i in picks]


def _listed(names: list[str]) -> str:
    return ", ".join(names[:_NAMES_SHOWN]) + (f" and {len(names) - _NAMES_SHOWN} more"
                                              if len(names) > _NAMES_SHOWN else "")


def find_pairs(ungraded_folder: str | os.PathLike, graded_folder: str | os.PathLike, frames_per_clip: int = 3,
               notify: Callable[[str], None] = lambda line: None) -> list[FramePair]:
    """Pair the clips of two folders by name, then by timecode (see the module docstring).

    ``notify`` receives one line per clip found (what it was read as), and one listing the clips left unpaired.

    Raises
    ------
    UsageError
        When a path is not a folder, or no pair is found (the message lists the unpaired clips).
    MediaError
        When a clip cannot be read, or paired clips share no frames.
    """
    ungraded, graded = folder_clips(ungraded_folder, notify), folder_clips(graded_folder, notify)
    pairs: list[FramePair] = []
    for name in sorted(set(ungraded) & set(graded)):
        pairs += _frames_of(name, ungraded[name], graded[name], frames_per_clip)
    left_ungraded = {n: c for n, c in ungraded.items() if n not in graded and _start(c) is not None}
    unpaired_graded = []
    for name, clip in sorted(graded.items()):
        if name in ungraded:
            continue
        match = next((n for n, u in left_ungraded.items() if _contains(u, clip)), None)
        if match is None:
            unpaired_graded.append(name)
        else:
            pairs += _frames_of(f"{match}/{name}", left_ungraded.pop(match), clip, frames_per_clip)
    paired = {pair.ungraded.name for pair in pairs}
    unpaired_ungraded = sorted(n for n in ungraded if n not in paired)
    unpaired = (f"ungraded {_listed(unpaired_ungraded) or 'none'}; graded {_listed(unpaired_graded) or 'none'}")
    if not pairs:
        raise UsageError(f"no graded pairs: nothing in {os.fspath(graded_folder)} matches a clip of "
                         f"{os.fspath(ungraded_folder)} by name or timecode ({unpaired})")
    if unpaired_ungraded or unpaired_graded:
        notify(f"unpaired (no clip of the same name or timecode range on the other side): {unpaired}")
    return pairs


def _contains(ungraded: ResolvedClip, graded: ResolvedClip) -> bool:
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
    return _one_frame(open_media(path), frame, path)


def _one_frame(reader: FrameReader, frame: int, where: str) -> np.ndarray:
    with reader:
        for _, pixels in reader.read([frame]):
            return pixels
    raise MediaError(f"frame {frame} cannot be read", where)


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
    before = _one_frame(pair.ungraded.open(), pair.ungraded_frame, pair.ungraded.path)
    after = _one_frame(pair.graded.open(), pair.graded_frame, pair.graded.path)
    ungraded = ColorProcessor(ungraded_space, WORKING_SPACE, config)(before)
    graded = ColorProcessor(graded_space, WORKING_SPACE, config)(after)
    check_pair(ungraded, graded, f"{pair.name} ({pair.ungraded.path} / {pair.graded.path})")
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
