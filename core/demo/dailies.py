"""Sample dailies made from the bundled photographs: what a camera would have recorded.

Each clip is a slow camera move across a photograph, lit in scene-linear ACEScg, with signal-dependent
sensor noise (shot noise + read noise, re-drawn every frame) added in linear light, encoded to ARRI LogC3
(EI800) and written as 10-bit ProRes 422 HQ at 23.976 fps with a running timecode — the material an
assistant editor receives from set.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
import OpenImageIO as oiio

from ..color import ColorProcessor
from ..frames import BT709, OutputSpec, open_writer
from ..progress import ProgressCallback, ProgressEvent, no_progress

MEDIA = Path(__file__).parent / "media"
CAMERA_SPACE = "ARRI LogC3 (EI800)"
FRAME_RATE = Fraction(24000, 1001)


@dataclass(frozen=True)
class DailySpec:
    """One sample clip: which photograph, how the camera moves, how noisy the sensor is."""

    name: str
    photo: str
    pan_px_per_frame: tuple[float, float]
    timecode: str
    read_noise: float = 0.004  # standard deviation in scene-linear units at black
    shot_noise: float = 0.0008  # variance per unit of scene-linear signal


SAMPLE_DAILIES = (
    DailySpec("A001C001", "coffee.jpg", (1.5, 0.4), "14:02:11:00"),
    DailySpec("A001C002", "chelsea.jpg", (-1.0, 0.6), "14:09:40:12"),
    DailySpec("B001C001", "rocket.jpg", (0.0, 0.0), "15:21:03:05"),  # a locked-off plate
)


def _linear_photo(name: str, config: str | None) -> np.ndarray:
    pixels = oiio.ImageBuf(str(MEDIA / name)).get_pixels(oiio.FLOAT)[..., :3]
    return ColorProcessor("sRGB Encoded Rec.709 (sRGB)", "ACEScg", config)(np.ascontiguousarray(pixels))


def make_daily(spec: DailySpec, folder: Path, width: int = 640, height: int = 360, frames: int = 24,
               seed: int = 0, config: str | None = None) -> Path:
    """Write one sample clip into ``folder`` and return its path (``<name>.mov``)."""
    linear = _linear_photo(spec.photo, config)
    scale = max((width + 80) / linear.shape[1], (height + 60) / linear.shape[0])
    linear = cv2.resize(linear, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    to_log = ColorProcessor("ACEScg", CAMERA_SPACE, config)
    rng = np.random.default_rng(seed)
    path = folder / f"{spec.name}.mov"
    writer = open_writer(OutputSpec(str(path), "prores_422hq", width, height, FRAME_RATE, 0, spec.timecode,
                                    color_tags=BT709))
    try:
        for index in range(frames):
            dx, dy = 20 + spec.pan_px_per_frame[0] * index, 15 + spec.pan_px_per_frame[1] * index
            move = np.float32([[1, 0, -dx], [0, 1, -dy]])
            clean = cv2.warpAffine(linear, move, (width, height), flags=cv2.INTER_CUBIC,
                                   borderMode=cv2.BORDER_REFLECT)
            sigma = np.sqrt(spec.read_noise ** 2 + spec.shot_noise * np.clip(clean, 0, None))
            noisy = clean + sigma * rng.standard_normal(clean.shape, dtype=np.float32)
            writer.write(index, to_log(noisy.astype(np.float32)))
        writer.finish()
    except BaseException:
        writer.abort()
        raise
    return path


def make_sample_dailies(folder: str | os.PathLike, progress: ProgressCallback = no_progress, **kwargs) -> list[Path]:
    """Write every clip of ``SAMPLE_DAILIES`` into ``folder`` (created); returns their paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index, spec in enumerate(SAMPLE_DAILIES):
        paths.append(make_daily(spec, folder, seed=index, **kwargs))
        progress(ProgressEvent(index + 1, len(SAMPLE_DAILIES), "sample dailies", spec.name))
    return paths
