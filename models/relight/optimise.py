"""The optimisation loop: random aligned crops of pairs, relit differently, the decomposition losses, Adam.

Every step takes ``profile.batch`` training pairs, cuts the same random crop from both views (inside the
frame, flipped at random), lights each view with its own random smooth light field (``relight_augment``)
and descends the losses. The loop stops at ``profile.steps`` or ``profile.seconds``, whichever comes first,
reports a ``ProgressEvent`` per step and polls the ``CancelToken``.

Validation, on held-out pairs at full analysis size with a fixed seed, measures in stops:

- ``reflectance_consistency_stops``: mean |log2 R_a − log2 R_b| of the model, and ``input_difference_stops``
  the same for the images themselves (what a model that explains nothing would score);
- ``light_recovery_error_stops``: how far the change of shading misses a known synthetic light change,
  and ``light_change_stops`` the size of that change (the error of a model that sees no change).
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch

from answerprint.core.progress import CancelToken, ProgressCallback, ProgressEvent

from .footage import Footage, Pair
from .losses import DARK_LIMIT, decomposition_losses, relight_augment
from .network import LOG_EPSILON, RelightNet
from .profiles import RelightProfile


@dataclass(frozen=True)
class HistoryPoint:
    """One logged step: step number, seconds since the start, training loss and its consistency term."""

    step: int
    seconds: float
    loss: float
    consistency: float


def choose_device(profile: RelightProfile) -> torch.device:
    """CUDA when the profile allows it and one is present, else the CPU."""
    return torch.device("cuda" if profile.device == "auto" and torch.cuda.is_available() else "cpu")


def _crop_side(length: int, crop: int) -> int:
    return max(8, min(crop, length) // 8 * 8)


def sample_batch(footage: Footage, pairs: list[Pair], profile: RelightProfile, rng: np.random.Generator
                 ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(first, second, mask) tensors of ``profile.batch`` random crops of random pairs, all of one size: that of
    the smallest frame when clips of several sizes mix."""
    firsts, seconds, masks = [], [], []
    ch = _crop_side(min(f.shape[0] for f in footage.frames), profile.crop)
    cw = _crop_side(min(f.shape[1] for f in footage.frames), profile.crop)
    for index in rng.integers(0, len(pairs), profile.batch):
        first, second, mask = footage.aligned(pairs[index])
        height, width = first.shape[:2]
        top, left = int(rng.integers(0, height - ch + 1)), int(rng.integers(0, width - cw + 1))
        window = (slice(top, top + ch), slice(left, left + cw))
        views = [first[window], second[window], mask[window][..., None]]
        if rng.random() < 0.5:
            views = [v[:, ::-1] for v in views]
        if rng.random() < 0.5:
            views = [v[::-1] for v in views]
        for store, view in zip((firsts, seconds, masks), views):
            store.append(np.transpose(view, (2, 0, 1)))
    return tuple(torch.from_numpy(np.ascontiguousarray(np.stack(s), np.float32)) for s in (firsts, seconds, masks))


def _full_pair(footage: Footage, pair: Pair) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    first, second, mask = footage.aligned(pair)
    height, width = first.shape[:2]
    h, w = height // 8 * 8, width // 8 * 8
    return tuple(torch.from_numpy(np.ascontiguousarray(np.transpose(x[:h, :w].reshape(h, w, -1), (2, 0, 1))[None]))
                 for x in (first, second, mask))


@torch.no_grad()
def validate(network: RelightNet, footage: Footage) -> dict[str, float]:
    """The validation metrics of the module docstring (stops), on ``footage.validation``."""
    network.eval()
    generator = torch.Generator().manual_seed(1234)
    consistency, difference, recovery, change = [], [], [], []
    for pair in footage.validation:
        first, second, mask = _full_pair(footage, pair)
        valid = mask * ((first.mean(1, keepdim=True) > DARK_LIMIT) & (second.mean(1, keepdim=True) > DARK_LIMIT))
        count = valid.sum().clamp(min=1.0)
        log_first = torch.log2(first.clamp(min=0) + LOG_EPSILON)
        log_second = torch.log2(second.clamp(min=0) + LOG_EPSILON)
        shading_first, shading_second = network(first), network(second)
        reflectance_gap = ((log_first - torch.log2(shading_first)) - (log_second - torch.log2(shading_second)))
        consistency.append(float((reflectance_gap.abs().mean(1, keepdim=True) * valid).sum() / count))
        difference.append(float(((log_first - log_second).abs().mean(1, keepdim=True) * valid).sum() / count))
        relit, gains = relight_augment(first, generator)
        found = torch.log2(network(relit) / shading_first)
        exposed = (first.mean(1, keepdim=True) > DARK_LIMIT).float()
        total = exposed.sum().clamp(min=1.0)
        recovery.append(float(((found - torch.log2(gains)).abs().mean(1, keepdim=True) * exposed).sum() / total))
        change.append(float((torch.log2(gains).abs().mean(1, keepdim=True) * exposed).sum() / total))
    network.train()
    return {"reflectance_consistency_stops": float(np.mean(consistency)),
            "input_difference_stops": float(np.mean(difference)),
            "light_recovery_error_stops": float(np.mean(recovery)), "light_change_stops": float(np.mean(change))}


def fit_network(footage: Footage, profile: RelightProfile, *, seed: int, progress: ProgressCallback,
                cancel: CancelToken) -> tuple[RelightNet, list[HistoryPoint]]:
    """Train a ``RelightNet`` on ``footage`` as the module docstring says; returns it (on the CPU) and its history."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    generator = torch.Generator().manual_seed(seed)
    device = choose_device(profile)
    network = RelightNet(profile.width).to(device)
    optimiser = torch.optim.Adam(network.parameters(), lr=profile.learning_rate)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, profile.steps, eta_min=profile.learning_rate / 20)
    history: list[HistoryPoint] = []
    start = time.perf_counter()
    for step in range(1, profile.steps + 1):
        cancel.raise_if_cancelled("training relight")
        first, second, mask = sample_batch(footage, footage.train, profile, rng)
        first, _ = relight_augment(first, generator)
        second, _ = relight_augment(second, generator)
        losses = decomposition_losses(network, first.to(device), second.to(device), mask.to(device))
        optimiser.zero_grad()
        losses["total"].backward()
        optimiser.step()
        schedule.step()
        elapsed = time.perf_counter() - start
        history.append(HistoryPoint(step, elapsed, losses["total"].item(), losses["consistency"].item()))
        progress(ProgressEvent(step, profile.steps, "train", f"loss {history[-1].loss:.4f}",
                               time_left_s=max(0.0, profile.seconds - elapsed)))
        if elapsed > profile.seconds:
            break
    return network.cpu().eval(), history
