"""Takes of one set-up for the continuity tests: real photographs (scikit-image), an actor cut out of the
astronaut photograph, at a small size so each test runs in seconds."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
from skimage import data

from answerprint.core.color import ColorProcessor
from answerprint.core.continuity.shot_frames import ShotFrames, frame_plan, from_frames
from answerprint.core.demo.takes import Actor, SetUp, TakeVariation, cut_out_actor, make_setup, render_take, write_take

from conftest import photo

WIDTH, HEIGHT, FRAMES = 426, 240, 10
SPACE = "ARRI LogC3 (EI800)"
#: Take-to-take variation without exposure and white-balance wobble, so a measured drift is the injected one.
STEADY = TakeVariation(exposure_ev=0.0, mired=0.0)


@lru_cache(maxsize=1)
def actor() -> Actor:
    return cut_out_actor(data.astronaut(), (0.12, 0.0, 0.64, 1.0))


@lru_cache(maxsize=8)
def setup(name: str = "coffee", seed: int = 3, with_actor: bool = True, kelvin: float = 4300.0,
          variation: TakeVariation = STEADY) -> SetUp:
    """A set-up of ``name`` at the tests' size."""
    return make_setup(photo(name), WIDTH, HEIGHT, np.random.default_rng(seed), actor=actor() if with_actor else None,
                      scene_kelvin=kelvin, variation=variation)


def shot(set_up: SetUp, seed: int, change: str | None = None, frames: int = FRAMES) -> ShotFrames:
    """One take analysed in memory (scene-linear frames, no encoding): what ``read_shot`` returns for it."""
    plan = frame_plan(0, frames - 1)
    rendered = render_take(set_up, seed, frames, change, only=set(plan.values()))
    return from_frames({key: rendered[number] for key, number in plan.items()}, None, plan, (WIDTH, HEIGHT))


def write(folder: Path, name: str, set_up: SetUp, seed: int, change: str | None = None,
          frames: int = FRAMES, timecode: str = "10:00:00:00") -> Path:
    """One take written as 10-bit ProRes 422 HQ in ARRI LogC3."""
    folder.mkdir(parents=True, exist_ok=True)
    return write_take(folder / f"{name}.mov", render_take(set_up, seed, frames, change), SPACE, timecode=timecode)


def to_linear() -> ColorProcessor:
    return ColorProcessor(SPACE, "ACEScg")
