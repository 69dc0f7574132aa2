"""Train the image-adaptive look (``adaptive.AdaptiveLook``) on a production's graded pairs, on CPU or GPU.

Frames are trained whole (no crops: the position field must see where each pixel sits), reduced to at most
``max_side`` pixels, one pair per step. The loss is the mean squared ACEScct error plus Zeng's regularisers.
Training starts from the fitted global look, so every step refines a model that already matches it.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Sequence

import cv2
import numpy as np
import torch

from answerprint.core.color.lut import Lut3D

from .adaptive import AdaptiveLook, make_thumbnail


@dataclass(frozen=True)
class AdaptiveSettings:
    """How the adaptive look is trained.

    Attributes
    ----------
    steps : int
        Optimiser steps (one pair each).
    learning_rate : float
        Adam's learning rate.
    max_side : int
        Longest side, in pixels, frames are reduced to for training.
    tv_weight, monotonic_weight, field_weight : float
        Weights of the basis-LUT total variation, the monotonicity penalty and the field smoothness.
    seed : int
        Seed of the initialisation and pair order.
    threads : int
        CPU threads torch may use.
    """

    steps: int = 300
    learning_rate: float = 2e-3
    max_side: int = 384
    tv_weight: float = 1e-4
    monotonic_weight: float = 10.0
    field_weight: float = 1e-3
    seed: int = 0
    threads: int = 2


def _as_tensor(frame: np.ndarray, max_side: int) -> torch.Tensor:
    scale = min(1.0, max_side / max(frame.shape[:2]))
    if scale < 1.0:
        size = (max(8, int(round(frame.shape[1] * scale))), max(8, int(round(frame.shape[0] * scale))))
        frame = cv2.resize(frame, size, interpolation=cv2.INTER_AREA)
    return torch.from_numpy(np.ascontiguousarray(np.transpose(frame, (2, 0, 1))[None], dtype=np.float32))


def train_adaptive(ungraded: Sequence[np.ndarray], graded: Sequence[np.ndarray], global_lut: Lut3D,
                   settings: AdaptiveSettings = AdaptiveSettings()) -> tuple[AdaptiveLook, dict[str, float]]:
    """Train the adaptive look on pairs of ACEScct frames, starting from ``global_lut``.

    Returns
    -------
    (AdaptiveLook, dict)
        The model in eval mode, and training facts (``final_mse``, ``seconds``, ``steps``).
    """
    started = time.monotonic()
    previous_threads = torch.get_num_threads()
    torch.set_num_threads(settings.threads)
    torch.manual_seed(settings.seed)
    try:
        model = AdaptiveLook(global_lut.table, global_lut.domain_min, global_lut.domain_max)
        inputs = [_as_tensor(f, settings.max_side) for f in ungraded]
        targets = [_as_tensor(f, settings.max_side) for f in graded]
        thumbnails = [make_thumbnail(f) for f in inputs]
        optimiser = torch.optim.Adam(model.parameters(), lr=settings.learning_rate)
        order = np.random.default_rng(settings.seed)
        model.train()
        mse = torch.zeros(())
        for step in range(settings.steps):
            index = int(order.integers(len(inputs)))
            prediction = model(inputs[index], thumbnails[index])
            mse = torch.mean((prediction - targets[index]) ** 2)
            penalties = model.regularisation()
            loss = (mse + settings.tv_weight * penalties["tv"] + settings.monotonic_weight * penalties["monotonic"]
                    + settings.field_weight * penalties["field"])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
        model.eval()
    finally:
        torch.set_num_threads(previous_threads)
    return model, {"final_mse": float(mse.detach()), "seconds": time.monotonic() - started, "steps": settings.steps}


def apply_model(model: AdaptiveLook, frame: np.ndarray) -> np.ndarray:
    """``frame`` (H×W×3 ACEScct) through the model at full size, as float32 H×W×3."""
    with torch.inference_mode():
        out = model(torch.from_numpy(np.ascontiguousarray(np.transpose(frame, (2, 0, 1))[None], dtype=np.float32)))
    return np.ascontiguousarray(out[0].numpy().transpose(1, 2, 0))
