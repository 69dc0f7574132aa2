"""A trained relight model in memory: the network, what it was trained on, and how well it did."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from .network import RelightNet
from .optimise import HistoryPoint
from .profiles import RelightProfile


@dataclass
class TrainedRelight:
    """What training produced.

    Attributes
    ----------
    network : RelightNet
        In eval mode, on the CPU.
    profile : RelightProfile
        The profile it was trained with (``analysis_side`` is what the effect must analyse at).
    history : list of HistoryPoint
        Logged steps.
    metrics : dict
        Validation metrics (``optimise.validate``), training steps and seconds.
    notices : list of str
        Messages about the input.
    config : dict
        The training configuration recorded in the pack.
    """

    network: RelightNet
    profile: RelightProfile
    history: list[HistoryPoint]
    metrics: dict[str, float]
    notices: list[str]
    config: dict[str, Any]

    @property
    def analysis_side(self) -> int:
        return self.profile.analysis_side

    def shading_model(self, images: np.ndarray) -> np.ndarray:
        """The network as the effect calls the pack's graph: [N, 3, h, w] scene-linear → shading [N, 3, h, w]."""
        with torch.inference_mode():
            return self.network(torch.from_numpy(np.ascontiguousarray(images, np.float32))).numpy()
