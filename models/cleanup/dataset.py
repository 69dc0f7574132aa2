"""Training material: windows sampled across clips, motion-compensated once, cut into a bank of crops.

A *window* is a centre frame and up to ``reach`` frames on each side of one clip (never across a clip
boundary). Every neighbour is warped onto the centre with nearest-neighbour sampling (``flow``), with the
mask of pixels the warp can be trusted for; then random crops of all slots are kept, so training steps only
slice arrays (``batches``). The flows are computed once here, never per step.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable, Sequence

import cv2
import numpy as np

from answerprint.core.effects.cleanup.flow import AlignedNeighbour, align_neighbours
from answerprint.core.effects.cleanup.noise import NoiseModel
from answerprint.core.effects.cleanup.flow import MotionEstimator
from answerprint.core.runtime import default_threads

from .clips import MIN_CLIP_FRAMES, Clip

#: Photometric check: a target pixel is dropped when the 7×7 mean of (target − centre) exceeds this many
#: standard errors of that mean (grain correlation included).
PHOTOMETRIC_TOLERANCE = 4.0
#: Floor of the photometric tolerance (code values), for footage with almost no noise.
PHOTOMETRIC_FLOOR = 2.0 / 1023
#: Crops should cover the frames at least this many times over (short clips get more crops per window) ...
CROP_COVERAGE = 1.5
#: ... within this memory for the whole bank (bytes; profiles may allow more).
MAX_BANK_BYTES = 1_000_000_000
#: Clips at least this long give their last sixth to validation when there are fewer than three clips.
TAIL_VALIDATION_FRAMES = 24
_BOX = 7


@dataclass(frozen=True)
class WindowPlan:
    """Which frames one training window uses.

    Attributes
    ----------
    clip_index : int
        Index of the clip in the training list.
    centre : int
        Index of the centre frame in the clip.
    offsets : tuple of int
        Offsets of the frames read around it (0 included), all inside the clip.
    validation : bool
        True for windows held out for validation.
    """

    clip_index: int
    centre: int
    offsets: tuple[int, ...]
    validation: bool


def _centres(first: int, last: int, count: int) -> list[int]:
    if last < first or count <= 0:
        return []
    return sorted({int(round(v)) for v in np.linspace(first, last, min(count, last - first + 1))})


def _held_out_clips(clips: Sequence[Clip]) -> set[int]:
    """About one clip in six (at least one) from three clips up, spread over the list; never all long ones."""
    long_enough = [i for i, clip in enumerate(clips) if clip.frame_count >= MIN_CLIP_FRAMES]
    if len(clips) < 3:
        return set()
    count = max(1, len(clips) // 6)
    if len(long_enough) <= count:
        return set()
    step = len(long_enough) / count
    return {long_enough[len(long_enough) - 1 - int(k * step)] for k in range(count)}


def _segments(clips: Sequence[Clip], held: set[int]) -> list[tuple[int, int, int, bool]]:
    """(clip index, first index, last index, validation) ranges; windows never cross a range."""
    segments = []
    for index, clip in enumerate(clips):
        length = clip.frame_count
        if length < MIN_CLIP_FRAMES:
            continue
        if index in held:
            segments.append((index, 0, length - 1, True))
        elif not held and length >= TAIL_VALIDATION_FRAMES:
            tail = length // 6
            segments += [(index, 0, length - 1 - tail, False), (index, length - tail, length - 1, True)]
        else:
            segments.append((index, 0, length - 1, False))
    return segments


def plan_windows(clips: Sequence[Clip], windows: int, reach: int, notify: Callable[[str], None]) -> list[WindowPlan]:
    """Spread about ``windows`` training windows over the clips in proportion to their length, plus validation.

    Validation: with three clips or more, whole clips are held out (about one in six, at least one); with
    fewer, the last sixth of each clip of TAIL_VALIDATION_FRAMES or more is held out, and ``notify`` says
    so. About one validation window per five training windows is planned. A window reads up to ``reach``
    frames on each side of its centre, inside its range.
    """
    held = _held_out_clips(clips)
    segments = _segments(clips, held)
    if held:
        notify("validation on held-out clip(s): " + ", ".join(clips[i].name for i in sorted(held)))
    elif any(validation for *_, validation in segments):
        notify(f"fewer than three clips: validation on the last sixth of each clip of "
               f"{TAIL_VALIDATION_FRAMES}+ frames")
    budgets = {False: max(windows, 1), True: max(windows // 5, 1)}
    plans: list[WindowPlan] = []
    for validation in (False, True):
        chosen = [s for s in segments if s[3] == validation]
        frames = sum(last - first + 1 for _, first, last, _ in chosen)
        for clip_index, first, last, _ in chosen:
            share = max(1, round(budgets[validation] * (last - first + 1) / frames))
            for centre in _centres(first + 2, last - 2, share):
                offsets = tuple(o for o in range(-reach, reach + 1) if first <= centre + o <= last)
                plans.append(WindowPlan(clip_index, centre, offsets, validation))
    if not any(p.validation for p in plans):
        usable = sum(clip.frame_count >= MIN_CLIP_FRAMES for clip in clips)
        notify(f"no footage could be held out for validation ({usable} usable clip(s): fewer than three, none of "
               f"{TAIL_VALIDATION_FRAMES}+ frames); validation metrics are measured on training windows and are "
               "optimistic")
    return plans


def validation_split(plans: Sequence[WindowPlan]) -> dict[str, int]:
    """How the validation windows were held out: ``held_out_clips`` (whole clips never trained on),
    ``held_out_tails`` (clips whose last sixth was held out), ``validation_windows`` and
    ``validation_on_training_windows`` (1 when nothing could be held out)."""
    trained = {p.clip_index for p in plans if not p.validation}
    validated = {p.clip_index for p in plans if p.validation}
    return {"held_out_clips": len(validated - trained), "held_out_tails": len(validated & trained),
            "validation_windows": sum(p.validation for p in plans),
            "validation_on_training_windows": int(not validated)}


@dataclass
class CropBank:
    """Crops of aligned windows, ready to batch.

    Attributes
    ----------
    frames : ndarray
        float32 [n, S, 3, c, c]: slot ``s`` holds offset ``s − reach`` warped onto the centre (slot
        ``reach``); missing offsets hold the centre frame.
    trusted : ndarray
        bool [n, S, c, c]: the warp of that slot is trusted (False for missing offsets).
    consistent : ndarray
        bool [n, S, c, c]: trusted and photometrically consistent with the centre (set by ``measure``).
    sigma : ndarray
        float32 [n, c, c]: the noise model's σ at the centre frame (mean over channels, code values).
    reach : int
        Largest offset held.
    clipped_sigma : ndarray or None
        float32 [n, 3, c, c]: for footage clipped at code 0 or 1, the σ of the noise before clipping
        (``NoiseModel.underlying_sigma_map``), for the clipping-aware loss; None for unclipped footage.
    clips : (bool, bool)
        Whether the footage clips at code 0 and at code 1.
    """

    frames: np.ndarray
    trusted: np.ndarray
    consistent: np.ndarray
    sigma: np.ndarray
    reach: int
    clipped_sigma: np.ndarray | None = None
    clips: tuple[bool, bool] = (False, False)

    def __len__(self) -> int:
        return self.frames.shape[0]

    @property
    def crop(self) -> int:
        return self.frames.shape[-1]

    def frame_pairs(self) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """(centre, neighbour at ±1, trusted) crops as H×W×3, for fitting the noise model."""
        pairs = []
        for item in range(len(self)):
            centre = np.transpose(self.frames[item, self.reach], (1, 2, 0))
            for slot in (self.reach - 1, self.reach + 1):
                if self.trusted[item, slot].any():
                    pairs.append((centre, np.transpose(self.frames[item, slot], (1, 2, 0)), self.trusted[item, slot]))
        return pairs

    def measure(self, noise_model: NoiseModel) -> None:
        """Fill ``sigma`` (and ``clipped_sigma``) from the noise model and ``consistent`` with the photometric
        check."""
        correlation = float(np.sqrt(max(np.clip(np.asarray(noise_model.autocorrelation), 0, None).sum(), 1.0)))
        self.clips = noise_model.clips
        if any(self.clips):
            self.clipped_sigma = np.empty((len(self), 3, self.crop, self.crop), np.float32)
        for item in range(len(self)):
            centre = np.transpose(self.frames[item, self.reach], (1, 2, 0))
            self.sigma[item] = noise_model.luma_sigma_map(centre)
            if self.clipped_sigma is not None:
                self.clipped_sigma[item] = np.transpose(noise_model.underlying_sigma_map(centre), (2, 0, 1))
            tolerance = np.maximum(PHOTOMETRIC_TOLERANCE * np.sqrt(2) * self.sigma[item] * correlation / _BOX,
                                   PHOTOMETRIC_FLOOR)
            for slot in range(self.frames.shape[1]):
                difference = np.transpose(self.frames[item, slot] - self.frames[item, self.reach], (1, 2, 0))
                local = cv2.blur(difference, (_BOX, _BOX))
                self.consistent[item, slot] = self.trusted[item, slot] & np.all(np.abs(local) <= tolerance[..., None], -1)


def _random_positions(height: int, width: int, crop: int, count: int, rng: np.random.Generator) -> list[tuple[int, int]]:
    ys = rng.integers(0, height - crop + 1, count)
    xs = rng.integers(0, width - crop + 1, count)
    return list(zip(ys.tolist(), xs.tolist()))


def _aligned_window(clip: Clip, plan: WindowPlan, settings: dict) -> dict[int, AlignedNeighbour]:
    """One planned window read and aligned onto its centre, by offset (a fresh estimator: thread-safe)."""
    pixels = clip.read([plan.centre + o for o in plan.offsets])
    estimator = MotionEstimator.from_json(settings)
    return {a.offset: a for a in align_neighbours(_centred(pixels, plan.offsets), estimator) if a.offset in plan.offsets}


def build_bank(clips: Sequence[Clip], plans: Sequence[WindowPlan], *, reach: int, crop: int, crops_per_window: int,
               seed: int, on_window: Callable[[int], None], estimator: MotionEstimator | None = None,
               max_bytes: int = MAX_BANK_BYTES, workers: int | None = None) -> CropBank:
    """Read and align every planned window and cut its crops (see the module docstring).

    ``crop`` is reduced to the smallest clip's size (rounded down to a multiple of 16) for small footage; each
    window's crops lie inside its own clip's frame, so clips of different sizes mix. Windows get
    ``crops_per_window`` crops, more when there are few windows (up to CROP_COVERAGE times the largest frame's area),
    and fewer when the bank would exceed ``max_bytes`` (at least one each). Windows are read and aligned on
    ``workers`` threads (default: every core; OpenCV and the decoders release the GIL), in batches, so at most
    a few windows' frames are held at once; crops are cut in plan order, so the bank does not depend on the
    number of threads. ``on_window`` is called after each window (for progress and cancellation).
    """
    settings = (estimator or MotionEstimator()).to_json()
    rng = np.random.default_rng(seed)
    slots = 2 * reach + 1
    used = [clips[i] for i in sorted({plan.clip_index for plan in plans})]  # clips of several sizes may mix
    crop = min(crop, min(c.height for c in used) // 16 * 16, min(c.width for c in used) // 16 * 16)
    crop_bytes = slots * crop * crop * (3 * 4 + 2) + crop * crop * 4
    affordable = max(max_bytes // (crop_bytes * len(plans)), 1)
    covering = int(np.ceil(CROP_COVERAGE * max(c.height * c.width for c in used) / crop ** 2))
    crops_per_window = min(max(crops_per_window, covering), affordable)
    count = len(plans) * crops_per_window
    frames = np.empty((count, slots, 3, crop, crop), np.float32)
    trusted = np.zeros((count, slots, crop, crop), bool)
    workers = workers or default_threads()
    item = 0
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for first in range(0, len(plans), 2 * workers):
            chunk = plans[first:first + 2 * workers]
            aligned_windows = pool.map(lambda plan: _aligned_window(clips[plan.clip_index], plan, settings), chunk)
            for number, aligned in enumerate(aligned_windows, start=first):
                clip = clips[plans[number].clip_index]
                for y, x in _random_positions(clip.height, clip.width, crop, crops_per_window, rng):
                    window = (slice(y, y + crop), slice(x, x + crop))
                    centre = aligned[0].pixels[window]
                    for slot in range(slots):
                        found = aligned.get(slot - reach)
                        frames[item, slot] = np.transpose(found.pixels[window] if found else centre, (2, 0, 1))
                        trusted[item, slot] = found.valid[window] if found else False
                    item += 1
                on_window(number + 1)
    return CropBank(frames, trusted, trusted.copy(), np.zeros((count, crop, crop), np.float32), reach)


def _centred(pixels: list[np.ndarray], offsets: Sequence[int]) -> list[np.ndarray]:
    """A window's frames as an odd-length list centred on offset 0, for ``align_neighbours``.

    Offsets missing on one side (clip edges) are filled with the centre frame itself, which
    ``align_neighbours`` does not warp; the caller drops them again by offset.
    """
    by_offset = dict(zip(offsets, pixels))
    radius = max(abs(o) for o in offsets)
    return [by_offset.get(o, by_offset[0]) for o in range(-radius, radius + 1)]
