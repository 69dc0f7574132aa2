"""What a continuity check reads of one shot: a few proxy frames, where its people move, its noise.

Each shot is read once, at ``PROXY_HEIGHT`` lines (area-averaged), whatever its resolution: its first, middle
and last used frames (the *key* frames: a cut pair compares the outgoing shot's last with the incoming shot's
first, other pairs compare middles), a partner up to half a second inside each end (each key frame's people
are found by comparing it with two other frames: its partner and the middle, or the first and the last) and
the frame after the middle (the noise level is measured between the two).

Noise is measured in the source's own code values (``effects.cleanup.noise``: motion-compensated frame differences,
σ per intensity) on the proxy's central ``NOISE_CROP``; everything else in scene-linear ACEScg.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction

import cv2
import numpy as np

from ..color import ColorProcessor
from ..effects.cleanup.flow import FlowEstimator, align_neighbours
from ..effects.cleanup.noise import NoiseModel, fit_noise_model, fit_noise_model_spatial
from ..errors import MediaError
from ..frames import open_media
from ..frames.timecode import offset_timecode
from .colorimetry import LINEAR_SPACE
from .people import moving_mask

#: Lines of the proxies everything is measured on.
PROXY_HEIGHT = 480
#: Most frames between a key frame and its motion partner.
MAX_PARTNER_GAP = 12
KEYS = ("first", "middle", "last")
#: Share of the frame the people's own pixels (changing against both other frames) must cover to be used alone.
MIN_OWN_PIXELS = 0.005
#: Share of the proxy's width and height (centred) the noise is measured on.
NOISE_CROP = 0.6


@dataclass
class ShotFrames:
    """One shot as the measures see it.

    Attributes
    ----------
    frames : dict
        ``first``/``middle``/``last`` → scene-linear ACEScg proxy ``(h, w, 3)`` float32.
    numbers : dict
        The source frame number of each key frame.
    moving : dict
        Key → bool ``(h, w)``: regions moving within the shot around that key frame (people).
    moving_core : dict
        Key → bool ``(h, w)``: the changing pixels themselves (the people's own pixels), ungrown.
    noise : NoiseModel or None
        σ per intensity in the proxy's code values (None for a one-frame shot).
    source_size : (int, int)
        Width and height of the source media, pixels.
    timecode : str or None
        Source timecode of the media's first frame.
    rate : Fraction or None
        The media's frame rate.
    first_frame : int
        Number of the media's first frame.
    """

    frames: dict[str, np.ndarray]
    numbers: dict[str, int]
    moving: dict[str, np.ndarray]
    moving_core: dict[str, np.ndarray]
    noise: NoiseModel | None
    source_size: tuple[int, int]
    timecode: str | None = None
    rate: Fraction | None = None
    first_frame: int = 0

    def timecode_of(self, key: str) -> str | None:
        """Source timecode of a key frame (None when the media carries none)."""
        if not self.timecode or self.rate is None:
            return None
        try:
            return offset_timecode(self.timecode, self.numbers[key] - self.first_frame, self.rate)
        except (MediaError, ValueError, ZeroDivisionError):
            return None

    @property
    def proxy_size(self) -> tuple[int, int]:
        height, width = self.frames["middle"].shape[:2]
        return width, height

    @property
    def scale(self) -> float:
        """Proxy pixels per source pixel."""
        return self.proxy_size[1] / self.source_size[1]


def _central(frame: np.ndarray) -> np.ndarray:
    """The central ``NOISE_CROP`` of a frame's width and height, where its noise is measured."""
    height, width = frame.shape[:2]
    top, left = int(height * (1 - NOISE_CROP) / 2), int(width * (1 - NOISE_CROP) / 2)
    return np.ascontiguousarray(frame[top:height - top, left:width - left])


def _own_pixels(changing: list[np.ndarray]) -> np.ndarray:
    """The people's own pixels in a key frame from its comparisons with two other frames: those changing in both
    (either comparison alone also holds where the actor stood in the other frame), or, when an actor moved too
    little for both to see much, those changing in either."""
    both = np.logical_and.reduce(changing)
    return both if both.sum() >= MIN_OWN_PIXELS * both.size else np.logical_or.reduce(changing)


def frame_plan(first: int, last: int) -> dict[str, int]:
    """Source frame numbers read for a shot using ``first..last``: key frames, their partners, the noise pair."""
    gap = max(1, min(MAX_PARTNER_GAP, (last - first) // 2))
    middle = (first + last) // 2
    return {"first": first, "first_partner": min(first + gap, last), "middle": middle,
            "middle_next": min(middle + 1, last) if middle + 1 <= last else max(middle - 1, first),
            "last": last, "last_partner": max(last - gap, first)}


def proxy_size(width: int, height: int) -> tuple[int, int]:
    """Width and height of the proxy of a ``width × height`` frame (even, ``PROXY_HEIGHT`` lines at most)."""
    scale = min(1.0, PROXY_HEIGHT / height)
    return max(2, round(width * scale / 2) * 2), max(2, round(height * scale / 2) * 2)


def from_frames(code_values: dict[str, np.ndarray], to_linear: ColorProcessor | None,
                numbers: dict[str, int], source_size: tuple[int, int]) -> ShotFrames:
    """Analyse frames already read (code values, keyed as ``frame_plan``) into a ``ShotFrames``.

    ``to_linear`` converts code values to scene-linear ACEScg (None: they already are).
    """
    size = proxy_size(*source_size)
    proxies = {key: cv2.resize(np.ascontiguousarray(frame, np.float32), size, interpolation=cv2.INTER_AREA)
               if frame.shape[1::-1] != size else np.ascontiguousarray(frame, np.float32)
               for key, frame in code_values.items()}
    linear = {key: (to_linear(frame) if to_linear is not None else frame) for key, frame in proxies.items()}
    def moves(key: str, other: str) -> tuple[np.ndarray, np.ndarray]:
        if numbers[key] == numbers[other]:
            empty = np.zeros(linear[key].shape[:2], bool)
            return empty, empty
        return moving_mask(linear[key], linear[other])

    found = {"first": [moves("first", "first_partner"), moves("first", "middle")],
             "last": [moves("last", "last_partner"), moves("last", "middle")],
             "middle": [moves("middle", "first"), moves("middle", "last")]}
    moving = {key: np.logical_or.reduce([m for m, _ in masks]) for key, masks in found.items()}
    moving_core = {key: _own_pixels([c for _, c in masks]) for key, masks in found.items()}
    middle, following = (_central(proxies[key]) for key in ("middle", "middle_next"))
    if numbers["middle_next"] != numbers["middle"]:
        neighbour = align_neighbours([following, middle, following], FlowEstimator(cv2.DISOPTICAL_FLOW_PRESET_FAST))[0]
        noise = fit_noise_model([(middle, neighbour.pixels, neighbour.valid)])
    else:
        noise = fit_noise_model_spatial([middle])
    return ShotFrames({key: linear[key] for key in KEYS}, {key: numbers[key] for key in KEYS}, moving, moving_core,
                      noise, source_size)


def read_shot(path: str, first: int, last: int, space: str) -> ShotFrames:
    """Read and analyse frames ``first..last`` of a movie or sequence in colour space ``space``.

    Raises
    ------
    MediaError
        When the media cannot be opened or a frame cannot be decoded.
    """
    numbers = frame_plan(first, last)
    wanted = sorted(set(numbers.values()))
    converter = ColorProcessor(space, LINEAR_SPACE, threads=1)
    try:
        with open_media(path, random_access=True) as reader:
            info = reader.info
            size = proxy_size(info.width, info.height)
            read = {number: cv2.resize(np.ascontiguousarray(pixels, np.float32), size, interpolation=cv2.INTER_AREA)
                    for number, pixels in reader.read(wanted)}
        analysed = from_frames({key: read[number] for key, number in numbers.items()}, converter, numbers,
                               (info.width, info.height))
        return replace(analysed, timecode=info.timecode, rate=info.frame_rate, first_frame=info.first_frame)
    finally:
        converter.close()
