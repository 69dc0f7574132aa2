"""Training clips: where frames come from, and the checks that turn bad dailies into clear messages.

A ``Clip`` reads frames by index, from a clip the input resolver decided (``core.inputs``: a movie, an image
sequence or a still, restricted to the frames a timeline or bin uses) or from frames held in memory
(benchmarks, tests). ``check_clips`` applies the rules for bad input before anything is trained:

- mixed encodings are refused, naming the clip that differs: the noise is learned in code values, and a
  clip of another codec, bit depth or colour encoding (transfer, primaries, matrix, range) has other noise;
- mixed frame sizes train together: training takes crops, each inside its own clip's frame, and the dead-pixel
  maps are per camera and size (a notice says so; a downscaled proxy has less noise than its original);
- mixed frame rates only produce a notice: windows never span two clips, so the rate changes nothing learned;
- stills are left out with a notice (temporal training needs neighbouring frames);
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
from answerprint.core.frames import MediaInfo
from answerprint.core.inputs import ResolvedClip, mixed_note, refuse_odd_clip, resolve_inputs

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
    source : ResolvedClip or None
        The clip as the input resolver decided it (None for in-memory frames).
    """

    name: str
    width: int
    height: int
    frame_count: int
    frame_rate: Fraction | None = None
    path: str | None = None
    first_frame: int = 0
    camera: str | None = None
    source: ResolvedClip | None = field(default=None, repr=False)
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
        """A movie, image sequence or still, as the input resolver decides it (nothing decoded yet).

        Raises
        ------
        MediaError
            When the path cannot be opened as media, or a sequence has missing frames.
        """
        resolved, = resolve_inputs([path], recursive=False)
        return cls.from_resolved(resolved)

    @classmethod
    def from_resolved(cls, source: ResolvedClip) -> "Clip":
        """A clip the input resolver decided, over the frames it says to use.

        Raises
        ------
        MediaError
            When frames are missing from the range used.
        """
        if source.missing_frames:
            missing = source.missing_frames
            raise MediaError(f"{len(missing)} frame(s) missing from the sequence (first {missing[0]}); render or "
                             "remove them before training", source.path)
        return cls(source.path, source.width, source.height, source.frame_count, source.frame_rate, source.path,
                   source.first_frame, source.info.camera, source)

    @property
    def info(self) -> MediaInfo | None:
        """The source as probed (None for in-memory frames)."""
        return self.source.info if self.source else None

    @property
    def is_sequence(self) -> bool:
        """True for an image sequence (whose frames are files of their own)."""
        return self.source is not None and self.source.kind == "sequence"

    def read(self, indices: Sequence[int]) -> list[np.ndarray]:
        """Frames at ``indices`` (0-based, any order), float32 H×W×3 code values."""
        if self._frames is not None:
            return [np.ascontiguousarray(self._frames[i], np.float32) for i in indices]
        wanted = sorted(set(indices))
        with self.source.open() as reader:
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


def _size(size: tuple[int, int]) -> str:
    return f"{size[0]}x{size[1]}"


def _rate(rate: Fraction) -> str:
    return f"{float(rate):.3f} fps"


def check_clips(clips: Sequence[Clip], notify: Callable[[str], None]) -> list[Clip]:
    """The clips training can use, after the bad-input rules (see the module docstring).

    Parameters
    ----------
    clips : sequence of Clip
        Every clip the user gave.
    notify : callable
        Receives one line per notice (mixed sizes or rates, clips left out).

    Returns
    -------
    list of Clip
        The clips to train on, in the given order.

    Raises
    ------
    UsageError
        Mixed encodings (naming the clip that differs), nothing but blank clips or stills, too little footage.
    """
    if not clips:
        raise UsageError("no dailies given: pass at least one clip with --dailies")
    moving = []
    for clip in clips:
        if clip.source is not None and clip.source.kind == "still":
            notify(f"{clip.name}: left out, a still has no neighbouring frames to learn the noise from")
        else:
            moving.append(clip)
    sources = [c.source for c in moving if c.source is not None]
    refuse_odd_clip(sources, lambda c: c.encoding, lambda c: c.encoding_text,
                    "cleanup learns the noise of one encoding in its code values; train one pack per camera "
                    "encoding (pass the clips of one)")
    for note in (mixed_note(moving, lambda c: (c.width, c.height), _size, "frame sizes",
                            "training takes crops of each clip at its own size (a downscaled proxy has less noise "
                            "than its camera original: pass originals)"),
                 mixed_note(moving, lambda c: c.frame_rate, _rate, "frame rates",
                            "windows never span two clips, so the rate does not change what is learned")):
        if note:
            notify(note)
    usable = []
    for clip in moving:
        probes = sorted({round(i) for i in np.linspace(0, clip.frame_count - 1, BLANK_PROBES)}) if clip.frame_count else []
        if probes and all(is_blank(frame) for frame in clip.read(probes)):
            notify(f"{clip.name}: left out, the clip is blank (black or flat): there is no picture to learn from")
            continue
        usable.append(clip)
    if not usable:
        raise UsageError("every clip given is blank (black or flat) or a still; nothing to learn the noise from")
    total = sum(c.frame_count for c in usable)
    longest = max(c.frame_count for c in usable)
    if total < MIN_TOTAL_FRAMES or longest < MIN_CLIP_FRAMES:
        raise UsageError(f"too little footage to learn from: {total} usable frame(s), longest clip {longest}; "
                         f"training needs at least {MIN_TOTAL_FRAMES} frames and one clip of "
                         f"{MIN_CLIP_FRAMES} or more consecutive frames")
    return usable
