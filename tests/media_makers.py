"""Test clips written with answerprint's own writers from real photographs."""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path

from answerprint.core.frames import BT709, OutputSpec, open_writer

from conftest import photo_frames


def write_clip(path: Path, codec: str = "prores_422hq", width: int = 320, height: int = 180, count: int = 8,
               rate: Fraction = Fraction(24000, 1001), timecode: str | None = "01:00:00:00", first: int = 0,
               name: str = "astronaut") -> Path:
    """A short pan across a photograph, as a movie or (sequence codecs) frames ``first``.. of a sequence."""
    writer = open_writer(OutputSpec(str(path), codec, width, height, rate, first, timecode, color_tags=BT709))
    for index, frame in enumerate(photo_frames(width, height, count, name)):
        writer.write(first + index, frame * 0.8 + 0.05)
    writer.finish()
    return path


def write_long_clip(path: Path, count: int, rate: Fraction, timecode: str | None, width: int = 64, height: int = 36,
                    name: str = "astronaut", codec: str = "prores_422hq", first: int = 0) -> Path:
    """``count`` frames panning one pixel a frame across a photograph: every frame differs from its neighbours,
    so a frame can be recognised by its content (how timeline tests check which source frame a render shows)."""
    import numpy as np
    from skimage import transform

    from conftest import photo

    wide = transform.resize(photo(name), (height, width + count), order=1, anti_aliasing=True).astype(np.float32)
    writer = open_writer(OutputSpec(str(path), codec, width, height, rate, first, timecode, color_tags=BT709))
    for index in range(count):
        writer.write(first + index, np.clip(wide[:, index:index + width], 0, 1) * 0.8 + 0.05)
    writer.finish()
    return path
