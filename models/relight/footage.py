"""The dailies as relight training material: frames at analysis size in scene-linear ACEScg, and aligned pairs.

Reflectance must agree between two views of the same surfaces, so pairs are what the losses learn from:

- **within a shot**: frames of one clip. A locked-off shot is aligned already; a pan or a drift is aligned
  by a global translation (phase correlation on log luminance);
- **across takes**: frames of different clips of the same set-up (found the same way: a confident phase
  correlation with a small shift), typically lit differently.

A pair records its two frames and the shift that carries the second onto the first (``Footage.aligned``
warps it and gives the mask of pixels both see). Pairs whose alignment is not confident are dropped (a cut,
a different set-up).

Bad input is refused before anything is learned (``check_clips``): no clips, only blank clips, or no pair at
all. Dailies of several sizes and rates train together: every frame is reduced to the analysis size of its own
clip, pairs are only made between frames of the same analysis size (takes shot at other sizes pair within
their own shots), and training crops are cut at the smallest frame's size; stills are frames like any other
(several stills of a set-up under different light are takes); the rate plays no part.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Callable, Sequence

import cv2
import numpy as np

from answerprint.core.color import ColorProcessor
from answerprint.core.effects.relight.decompose import analysis_size
from answerprint.core.errors import UsageError
from answerprint.core.inputs import mixed_note
from answerprint.models.cleanup.clips import Clip, is_blank

WORKING_SPACE = "ACEScg"
#: Phase-correlation response a pair needs to count as the same surfaces.
MIN_ALIGNMENT_RESPONSE = 0.15
#: Largest shift between the frames of a pair, as a fraction of the frame's width.
MAX_SHIFT = 0.25
#: Share of pairs held out for validation (at least one when there are two or more).
VALIDATION_SHARE = 0.2


#: Frame pairs tried for alignment, at most (chosen at random, seeded).
MAX_CANDIDATE_PAIRS = 400


@dataclass(frozen=True)
class Pair:
    """Two views of the same surfaces: frames ``first`` and ``second`` of ``Footage.frames``, and the shift
    (pixels at analysis size) that carries the second onto the first. ``kind`` is ``shot`` (same clip) or
    ``takes`` (different clips)."""

    first: int
    second: int
    kind: str
    shift_px: tuple[float, float]


@dataclass
class Footage:
    """Training material: analysis-size frames (h×w×3 float32, scene-linear ACEScg), pairs for training and
    validation, and the frame indices read from each clip."""

    frames: list[np.ndarray]
    train: list[Pair]
    validation: list[Pair]
    frames_read: dict[str, list[int]] = field(default_factory=dict)

    def aligned(self, pair: Pair) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(first, second warped onto it, mask h×w of pixels both see)."""
        second, mask = warp(self.frames[pair.second], pair.shift_px)
        return self.frames[pair.first], second, mask

    @property
    def counts(self) -> dict[str, int]:
        pairs = self.train + self.validation
        return {"pairs_within_shots": sum(p.kind == "shot" for p in pairs),
                "pairs_across_takes": sum(p.kind == "takes" for p in pairs),
                "training_pairs": len(self.train), "validation_pairs": len(self.validation)}


def _log_luminance(frame: np.ndarray) -> np.ndarray:
    luma = frame[..., 0] * 0.2722 + frame[..., 1] * 0.6741 + frame[..., 2] * 0.0537
    return np.log2(np.maximum(luma, 0.0) + 1e-3).astype(np.float32)


def find_shift(first: np.ndarray, second: np.ndarray) -> tuple[tuple[float, float], float]:
    """Translation (dx, dy) px of ``second`` relative to ``first`` by phase correlation, and its response."""
    a, b = _log_luminance(first), _log_luminance(second)
    window = cv2.createHanningWindow(a.shape[::-1], cv2.CV_32F)
    (dx, dy), response = cv2.phaseCorrelate(a - a.mean(), b - b.mean(), window)
    return (float(dx), float(dy)), float(response)


def warp(second: np.ndarray, shift_px: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    """``second`` moved back by ``shift_px`` onto the first frame of its pair, and the mask of valid pixels."""
    dx, dy = shift_px
    matrix = np.float32([[1, 0, dx], [0, 1, dy]])
    height, width = second.shape[:2]
    warped = cv2.warpAffine(second, matrix, (width, height), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                            borderMode=cv2.BORDER_CONSTANT)
    mask = cv2.warpAffine(np.ones((height, width), np.float32), matrix, (width, height),
                          flags=cv2.INTER_NEAREST | cv2.WARP_INVERSE_MAP, borderValue=0.0)
    return warped.astype(np.float32), cv2.erode(mask, np.ones((3, 3), np.uint8))


def read_clip_frames(clip: Clip, count: int, analysis_side: int, to_working: Callable[[np.ndarray], np.ndarray]
                     ) -> tuple[list[int], list[np.ndarray]]:
    """``count`` frames of ``clip``, evenly spread, at analysis size in the working space."""
    indices = sorted({int(round(i)) for i in np.linspace(0, clip.frame_count - 1, min(count, clip.frame_count))})
    height, width = analysis_size(clip.height, clip.width, analysis_side)
    frames = [cv2.resize(to_working(f), (width, height), interpolation=cv2.INTER_AREA) for f in clip.read(indices)]
    return indices, frames


def check_clips(clips: Sequence[Clip], notify: Callable[[str], None]) -> list[Clip]:
    """The clips that can be learned from; no clips or only blank clips are refused, mixed sizes noted.

    Raises
    ------
    UsageError
        With what to do about it.
    """
    if not clips:
        raise UsageError("no dailies given: pass at least one clip with --dailies")
    note = mixed_note(clips, lambda c: (c.width, c.height), lambda size: f"{size[0]}x{size[1]}", "frame sizes",
                      "each is read at its own analysis size; frames pair only with frames of the same size")
    if note:
        notify(note)
    usable = []
    for clip in clips:
        probe = clip.read([clip.frame_count // 2]) if clip.frame_count else []
        if not probe or is_blank(probe[0]):
            notify(f"{clip.name}: left out, the clip is blank (black or flat): there is no light to learn from")
            continue
        usable.append(clip)
    if not usable:
        raise UsageError("every clip given is blank (black or flat); nothing to learn the lighting from")
    return usable


def build_footage(clips: Sequence[Clip], *, input_space: str, frames_per_clip: int, analysis_side: int,
                  notify: Callable[[str], None], on_clip: Callable[[int, int], None] = lambda done, total: None
                  ) -> Footage:
    """Read, align and pair the clips (see the module docstring).

    Raises
    ------
    UsageError
        Bad input (``check_clips``), or no two frames show the same surfaces.
    """
    usable = check_clips(clips, notify)
    to_working = ColorProcessor(input_space, WORKING_SPACE, threads=1)
    frames: list[tuple[int, np.ndarray]] = []
    read: dict[str, list[int]] = {}
    for number, clip in enumerate(usable):
        indices, clip_frames = read_clip_frames(clip, frames_per_clip, analysis_side, to_working)
        read[clip.name] = indices
        frames += [(number, f) for f in clip_frames]
        on_clip(number + 1, len(usable))
    rng = np.random.default_rng(0)
    candidates = list(itertools.combinations(range(len(frames)), 2))
    if len(candidates) > MAX_CANDIDATE_PAIRS:
        candidates = [candidates[i] for i in sorted(rng.choice(len(candidates), MAX_CANDIDATE_PAIRS, replace=False))]
    pairs = []
    for i, j in candidates:
        (clip_a, a), (clip_b, b) = frames[i], frames[j]
        if a.shape != b.shape:
            continue
        shift, response = find_shift(a, b)
        if response < MIN_ALIGNMENT_RESPONSE or np.hypot(*shift) > MAX_SHIFT * a.shape[1]:
            continue
        pairs.append(Pair(i, j, "shot" if clip_a == clip_b else "takes", shift))
    if not pairs:
        raise UsageError("no two frames of the dailies show the same surfaces (every pair failed to align); relight "
                         "learns from several frames of a shot or several takes of a set-up")
    if not any(p.kind == "takes" for p in pairs) and len(usable) > 1:
        notify("no two clips were recognised as takes of the same set-up; learning from frames within shots only")
    order = rng.permutation(len(pairs))
    held = max(1, int(round(VALIDATION_SHARE * len(pairs)))) if len(pairs) > 1 else 0
    validation = [pairs[i] for i in order[:held]]
    train = [pairs[i] for i in order[held:]] or validation
    return Footage([f for _, f in frames], train, validation, read)
