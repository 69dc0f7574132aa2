"""How big and how long a relight training run is.

- ``tiny``: tests only (seconds); too small and short for real use;
- ``quick``: a loaded two-core CPU, about two minutes from reading the dailies to a signed pack;
- ``full``: a GPU, up to an hour, more frames and a wider network.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

from answerprint.core.errors import UsageError


@dataclass(frozen=True)
class RelightProfile:
    """Everything that sizes one relight training run.

    Attributes
    ----------
    name : str
        ``tiny``, ``quick`` or ``full``.
    analysis_side : int
        Long side (pixels) frames are analysed at, in training and when the pack is applied.
    frames_per_clip : int
        Frames read from each clip, evenly spread.
    crop : int
        Side of the training crops (pixels, a multiple of 8).
    batch : int
        Pairs per step.
    steps : int
        Optimisation steps at most.
    seconds : float
        Wall-clock budget of the optimisation, seconds.
    width : int
        Network width (see ``network.RelightNet``).
    learning_rate : float
        Adam learning rate.
    device : str
        ``cpu`` or ``auto`` (CUDA when available).
    """

    name: str
    analysis_side: int
    frames_per_clip: int
    crop: int
    batch: int
    steps: int
    seconds: float
    width: int
    learning_rate: float = 2e-3
    device: str = "cpu"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


PROFILES = {
    "tiny": RelightProfile("tiny", analysis_side=96, frames_per_clip=4, crop=48, batch=4, steps=25, seconds=20.0,
                           width=8),
    "quick": RelightProfile("quick", analysis_side=256, frames_per_clip=10, crop=64, batch=8, steps=1500,
                            seconds=100.0, width=16),
    "full": RelightProfile("full", analysis_side=384, frames_per_clip=48, crop=128, batch=16, steps=20000,
                           seconds=3600.0, width=24, device="auto"),
}


def get_profile(profile: str | RelightProfile, **overrides: Any) -> RelightProfile:
    """The named profile (or the one given) with ``overrides`` that are not None applied.

    Raises
    ------
    UsageError
        When the name is unknown.
    """
    if isinstance(profile, str):
        if profile not in PROFILES:
            raise UsageError(f"unknown relight training profile; use {', '.join(PROFILES)}", profile)
        profile = PROFILES[profile]
    return replace(profile, **{k: v for k, v in overrides.items() if v is not None})
