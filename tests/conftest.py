"""Shared test material: frames made from real photographs (scikit-image's bundled images), no downloads."""
from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import numpy as np
import pytest
from fake_resolve import World
from skimage import data, transform

from answerprint.plugin.resolve import connect

PHOTOS = ("astronaut", "chelsea", "coffee", "rocket")


def photo(name: str = "astronaut") -> np.ndarray:
    """A bundled colour photograph as float32 RGB in 0..1 (sRGB-encoded code values)."""
    return (getattr(data, name)()[..., :3].astype(np.float32) / 255.0)


def photo_frames(width: int, height: int, count: int, name: str = "astronaut", pan_px: float = 2.0) -> list[np.ndarray]:
    """``count`` frames of a slow camera pan across a photograph, resized to ``width`` x ``height``.

    The window moves ``pan_px`` output pixels per frame, so neighbouring frames differ like real footage.
    Values are smooth float32 RGB in 0..1 with many more than 256 levels after resampling.
    """
    source = transform.resize(photo(name), (height * 5 // 4, width * 5 // 4), order=3, anti_aliasing=True)
    frames = []
    for i in range(count):
        x0 = int(round(i * pan_px))
        frames.append(np.clip(source[:height, x0:x0 + width], 0, 1).astype(np.float32))
    return frames


def ramp_frame(width: int, height: int) -> np.ndarray:
    """A horizontal 0..1 ramp on all channels, blended with a photograph vertically: tests precision."""
    ramp = np.linspace(0.0, 1.0, width, dtype=np.float32)[None, :, None]
    ramp = np.repeat(np.repeat(ramp, height, axis=0), 3, axis=2)
    pic = photo_frames(width, height, 1)[0]
    weight = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None, None]
    return (ramp * (1 - weight) + pic * weight).astype(np.float32)


def file_digest(path: str | Path) -> str:
    """SHA-256 of a file's bytes: sources must come out of every test byte-for-byte unchanged."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@pytest.fixture
def frames_hd_small():
    """Eight 256x144 pan frames of the astronaut photograph."""
    return photo_frames(256, 144, 8)


@pytest.fixture
def world(tmp_path, monkeypatch) -> World:
    """A running Resolve Studio 19.1, injected as ``DaVinciResolveScript``; answerprint's files under tmp."""
    fake = World(tmp_path / "LUT")
    monkeypatch.setitem(sys.modules, "DaVinciResolveScript", fake.module())
    monkeypatch.setattr(connect, "resolve_is_running", lambda os_name=None: True)
    monkeypatch.setenv("ANSWERPRINT_HOME", str(tmp_path / "answerprint"))
    monkeypatch.setenv("ANSWERPRINT_RESOLVE_LUT_FOLDER", str(tmp_path / "LUT"))
    return fake
