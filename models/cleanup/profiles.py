"""Training profiles: how much footage, how big a network and how long, for each kind of machine.

- ``quick``: a CPU with two cores, at most 15 minutes from reading the dailies to a signed pack. The
  optimisation stops at its step budget or its wall-clock budget, whichever comes first; the learning-rate
  schedule follows whichever is further along, so a time-boxed run still ends annealed.
- ``full``: a GPU (CUDA when torch sees one, else the CPU, slowly): scales with the footage (a window every
  ``frames_per_window`` frames across all clips, at least ``windows``, in a crop bank of up to ``bank_bytes``),
  larger crops and network, many more steps; time-boxed by ``seconds`` like the others (``--seconds``). The
  network is wider, so its packs cost about 2.5× the quick network's per frame at apply: meant for GPUs.
- ``tiny``: for tests only (seconds); the model is too small and short-trained for real use.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

from answerprint.core.errors import UsageError

from .dataset import MAX_BANK_BYTES


@dataclass(frozen=True)
class TrainingProfile:
    """Everything that sizes one training run.

    Attributes
    ----------
    name : str
        ``tiny``, ``quick`` or ``full``.
    windows : int
        Training windows sampled across the clips (each reads up to 2·reach+1 frames).
    crops_per_window : int
        Crops kept per window after alignment.
    bank_crop : int
        Side of the stored crops (pixels, a multiple of 16).
    crop : int
        Side of the training crops cut from them (pixels, a multiple of 16).
    batch : int
        Crops per step.
    steps : int
        Optimisation steps at most.
    seconds : float
        Wall-clock budget of the whole run (reading, alignment, optimisation, export), seconds.
    export_reserve : float
        Seconds of that budget kept for export, parity check and report.
    temporal_window : int
        T, frames in per output frame.
    width, quarter_convs : int
        Network size (see ``network.CleanupNet``).
    learning_rate : float
        Peak Adam learning rate.
    full_radius_probability : float
        Share of batch items that use every neighbour.
    boost_probability : float
        Share of batch items with extra synthetic grain (strengths above 1).
    spatial_weight : float
        Weight of the Neighbor2Neighbor term (0: temporal only).
    spatial_every : int
        Steps between Neighbor2Neighbor terms.
    validate_every : int
        Steps between validations.
    device : str
        ``cpu`` or ``auto`` (CUDA when available).
    frames_per_window : int
        With more footage than ``windows`` × this many frames, one window per this many frames (0: ``windows``
        whatever the footage).
    bank_bytes : int
        Memory the crop bank may take (bytes); crops per window are cut down to fit.
    """

    name: str
    windows: int
    crops_per_window: int
    bank_crop: int
    crop: int
    batch: int
    steps: int
    seconds: float
    export_reserve: float
    temporal_window: int
    width: int
    quarter_convs: int
    learning_rate: float
    full_radius_probability: float
    boost_probability: float
    spatial_weight: float
    spatial_every: int
    validate_every: int
    device: str
    frames_per_window: int = 0
    bank_bytes: int = MAX_BANK_BYTES

    @property
    def radius(self) -> int:
        """Neighbours on each side the network takes."""
        return self.temporal_window // 2

    @property
    def reach(self) -> int:
        """Frames read on each side of a window's centre: the inputs plus two more for targets."""
        return self.radius + 2

    def training_windows(self, frames: int) -> int:
        """Windows to sample from ``frames`` usable frames in all (see ``frames_per_window``), no more than
        ``bank_bytes`` holds at one crop each."""
        if not self.frames_per_window:
            return self.windows
        crop_bytes = (2 * self.reach + 1) * self.bank_crop ** 2 * (3 * 4 + 2) + self.bank_crop ** 2 * 4
        return max(self.windows, min(frames // self.frames_per_window, self.bank_bytes // crop_bytes))

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


PROFILES = {
    "tiny": TrainingProfile("tiny", windows=4, crops_per_window=3, bank_crop=64, crop=48, batch=4, steps=40,
                            seconds=60.0, export_reserve=10.0, temporal_window=3, width=8, quarter_convs=1,
                            learning_rate=3e-3, full_radius_probability=0.8, boost_probability=0.2,
                            spatial_weight=0.1, spatial_every=4, validate_every=20, device="cpu"),
    "quick": TrainingProfile("quick", windows=24, crops_per_window=10, bank_crop=128, crop=96, batch=8,
                             steps=6000, seconds=14 * 60.0, export_reserve=60.0, temporal_window=5, width=32,
                             quarter_convs=2, learning_rate=2e-3, full_radius_probability=0.8,
                             boost_probability=0.25, spatial_weight=0.0, spatial_every=4, validate_every=250,
                             device="cpu"),
    "full": TrainingProfile("full", windows=240, crops_per_window=24, bank_crop=256, crop=192, batch=16,
                            steps=60000, seconds=4 * 3600.0, export_reserve=300.0, temporal_window=5, width=48,
                            quarter_convs=3, learning_rate=1e-3, full_radius_probability=0.75,
                            boost_probability=0.25, spatial_weight=0.05, spatial_every=4, validate_every=1000,
                            device="auto", frames_per_window=12, bank_bytes=16_000_000_000),
}


def get_profile(profile: str | TrainingProfile, **overrides: Any) -> TrainingProfile:
    """A profile by name (or as given), with ``overrides`` (e.g. ``steps=200``) where not None.

    Raises
    ------
    UsageError
        For an unknown profile name or field.
    """
    if isinstance(profile, str):
        if profile not in PROFILES:
            raise UsageError(f"unknown training profile; choose one of {', '.join(PROFILES)}", repr(profile))
        profile = PROFILES[profile]
    given = {k: v for k, v in overrides.items() if v is not None}
    unknown = set(given) - set(asdict(profile))
    if unknown:
        raise UsageError(f"unknown profile setting(s): {', '.join(sorted(unknown))}")
    return replace(profile, **given)
