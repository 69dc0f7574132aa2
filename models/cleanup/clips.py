"""Training clips: where frames come from, and the checks that turn bad dailies into clear messages.

A ``Clip`` reads frames by index, from a movie or image sequence (``open_media``) or from frames held in
memory (benchmarks, tests). ``check_clips`` applies the rules for bad input before anything is trained:

- mixed frame sizes are refused, listing each size and its clips: noise and grain depend on the format
  (a proxy or a windowed sensor mode has other noise), so one pack is trained per format;
- mixed frame rates only produce a notice: the rate does not change the noise;
- blank clips (black or flat: no picture to learn from) are left out with a notice;
- too little footage is refused: fewer than ``MIN_TOTAL_FRAMES`` usable frames, or no clip with
  ``MIN_CLIP_FRAMES`` frames (temporal training needs a frame, its neighbours and a further frame on a side).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Callable, Sequence

import cv2
import numpy as np

from answerprint.core.errors import MediaError, UsageError
from answerprint.core.frames import open_media

#: Fewest usable frames over all clips (a single short VFX plate of 7 frames can still be cleaned).
MIN_TOTAL_FRAMES = 7
#: Fewest frames a clip needs for temporal training (frame t, t±1 as inputs, t±2 as the target).
MIN_CLIP_FRAMES = 5
#: A frame whose blurred luma spans less than this (code values, 0.5th to 99.5th percentile) is blank.
BLANK_SPREAD = 0.02
#: Frames of each clip looked at to decide whether it is blank.
BLANK_PROBES = 3


@dataclass
class Clip:
    """One clip of training footage.

    Attributes
    ----------
    name : str
        Path of a movie/sequence, or a label for in-memory frames.
    width, height : int
        Frame size in pixels.
    frame_count : int
        Frames available (indices 0..frame_count−1).
    frame_rate : Fraction or None
        Frames per second, when known.
    path : str or None
        The media path (None for in-memory frames).
    first_frame : int
        Frame number of index 0 in the source's own numbering.
    camera : str or None
        The camera the file names (``MediaInfo.camera``); None when it does not say, or for in-memory frames.
    """

    name: str
    width: int
    height: int
    frame_count: int
    frame_rate: Fraction | None = None
    path: str | None = None
    first_frame: int = 0
    camera: str | None = None
    _frames: Sequence[np.ndarray] | None = field(default=None, repr=False)

    @classmethod
    def from_frames(cls, frames: Sequence[np.ndarray], name: str) -> "Clip":
        """A clip of float32 H×W×3 frames held in memory (code values)."""
        if not len(frames):
            return cls(name, 0, 0, 0, _frames=frames)
        height, width = frames[0].shape[:2]
        return cls(name, width, height, len(frames), _frames=frames)

    @classmethod
    def from_media(cls, path: str | os.PathLike) -> "Clip":
        """A movie or image sequence, described by probing it (nothing decoded yet).

        Raises
        ------
        MediaError
            When the path cannot be opened as media, or a sequence has missing frames.
        """
        with open_media(path) as reader:
            info = reader.info
        if info.missing_frames:
            raise MediaError(f"{len(info.missing_frames)} frame(s) missing from the sequence "
                             f"(first {info.missing_frames[0]}); render or remove them before training", path)
        return cls(os.fspath(path), info.width, info.height, info.frame_count, info.frame_rate, os.fspath(path),
                   info.first_frame, info.camera)

    def read(self, indices: Sequence[int]) -> list[np.ndarray]:
        """Frames at ``indices`` (0-based, any order), float32 H×W×3 code values."""
        if self._frames is not None:
            return [np.ascontiguousarray(self._frames[i], np.float32) for i in indices]
        wanted = sorted(set(indices))
        with open_media(self.path) as reader:
            decoded = {number - self.first_frame: pixels
                       for number, pixels in reader.read([self.first_frame + i for i in wanted])}
        return [decoded[i] for i in indices]

    def frame_numbers(self, first_index: int, last_index: int) -> tuple[int, int]:
        """Inclusive frame numbers, in the source's numbering, of an index range."""
        return self.first_frame + first_index, self.first_frame + last_index


def is_blank(frame: np.ndarray) -> bool:
    """True for a frame with no picture: its lightly blurred luma spans less than BLANK_SPREAD code values."""
    luma = frame[..., 0] * 0.2126 + frame[..., 1] * 0.7152 + frame[..., 2] * 0.0722
    small = cv2.GaussianBlur(np.ascontiguousarray(luma, np.float32), (0, 0), 2.0)
    low, high = np.percentile(small, (0.5, 99.5))
    return bool(high - low < BLANK_SPREAD)


def _describe_sizes(clips: Sequence[Clip]) -> str:
    by_size: dict[tuple[int, int], list[str]] = {}
    for clip in clips:
        by_size.setdefault((clip.width, clip.height), []).append(os.path.basename(clip.name) or clip.name)
    return "; ".join(f"{w}x{h}: {', '.join(names[:4])}{' ...' if len(names) > 4 else ''}"
                     for (w, h), names in sorted(by_size.items(), key=lambda item: -len(item[1])))


def check_clips(clips: Sequence[Clip], notify: Callable[[str], None]) -> list[Clip]:
    """The clips training can use, after the bad-input rules (see the module docstring).

    Parameters
    ----------
    clips : sequence of Clip
        Every clip the user gave.
    notify : callable
        Receives one line per notice (mixed rates, clips left out).

    Returns
    -------
    list of Clip
        The clips to train on, in the given order.

    Raises
    ------
    UsageError
        Mixed frame sizes, nothing but blank clips, or too little footage.
    """
    if not clips:
        raise UsageError("no dailies given: pass at least one clip with --dailies")
    if len({(c.width, c.height) for c in clips}) > 1:
        raise UsageError("the dailies mix frame sizes (" + _describe_sizes(clips) + "); noise differs between "
                         "formats, so train one pack per size: pass the clips of one size")
    rates = {c.frame_rate for c in clips if c.frame_rate}
    if len(rates) > 1:
        listed = ", ".join(f"{float(r):.3f}" for r in sorted(rates))
        notify(f"the dailies mix frame rates ({listed} fps); the rate does not change the noise, training goes on")
    usable = []
    for clip in clips:
        probes = sorted({round(i) for i in np.linspace(0, clip.frame_count - 1, BLANK_PROBES)}) if clip.frame_count else []
        if probes and all(is_blank(frame) for frame in clip.read(probes)):
            notify(f"{clip.name}: left out, the clip is blank (black or flat): there is no picture to learn from")
            continue
        usable.append(clip)
    if not usable:
        raise UsageError("every clip given is blank (black or flat); nothing to learn the noise from")
    total = sum(c.frame_count for c in usable)
    longest = max(c.frame_count for c in usable)
    if total < MIN_TOTAL_FRAMES or longest < MIN_CLIP_FRAMES:
        raise UsageError(f"too little footage to learn from: {total} usable frame(s), longest clip {longest}; "
                         f"training needs at least {MIN_TOTAL_FRAMES} frames and one clip of "
                         f"{MIN_CLIP_FRAMES} or more consecutive frames")
    return usable
