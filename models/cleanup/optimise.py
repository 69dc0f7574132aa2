"""The optimisation loop: Adam on temporal Noise2Noise (plus optional Neighbor2Neighbor), time-boxed.

The learning rate warms up over the first 3 % and then follows a cosine to 2 % of its peak; "progress" is
the larger of steps done / step budget and seconds spent / time budget, so a run cut short by the clock
still ends with a small learning rate. On a GPU the forward pass runs under bfloat16 (or float16) autocast,
batches are drawn on a background thread a few steps ahead and cuDNN autotunes its kernels. On a CPU with
native bfloat16 the first batch is timed both ways and bfloat16 autocast is kept only when it is faster: it
was about 1.7× faster on the Intel Xeon it was first measured on, and 1.3× *slower* on an AMD EPYC with
AVX-512 BF16 (0.45 against 0.35 s per quick-profile step). Weights, loss and export stay float32. Tensors are
kept channels-last, which oneDNN convolutions run about twice as fast on a CPU.

CPU threads: every core while the rest of the machine is idle, one while it is busy (re-checked every
THREAD_CHECK_SECONDS from the load average, less this run's own threads). OpenMP threads that wait for each
other on an oversubscribed machine run many times slower than one thread (measured here under a load of 10
on 2 cores: 0.36 s per step with one thread, 3-5 s with two). Ranks of a distributed job on one machine
share its cores.

Distributed training (``models.distributed``): the network is trained through ``Ranks.wrap`` (DDP averages
the gradients), each rank draws its own batches from ``Ranks.batch_seed``, and the ranks ``settle`` once per
step, after the forward pass and before ``backward``: a rank that was cancelled or whose batch or forward
pass failed stops every rank there, and the averaged clock decides the time budget and the learning rate
identically everywhere. With one process none of this communicates and training is unchanged.
"""
from __future__ import annotations

import math
import os
import queue
import threading
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch

from answerprint.core.effects.cleanup.noise import NoiseModel
from answerprint.core.progress import CancelToken, ProgressEvent
from answerprint.core.runtime import default_threads

from ..distributed import SINGLE_PROCESS, Ranks
from .batches import Batch, sample_batch
from .dataset import CropBank
from .losses import clipped_mean, masked_mse, neighbor2neighbor_loss, unbiased_mse
from .network import CleanupNet, gain_for_sigma
from .profiles import TrainingProfile

#: Seconds between checks of how many CPU threads training may use.
THREAD_CHECK_SECONDS = 30.0
#: Steps between reads of the running loss (for progress; validation points read it too).
LOSS_READ_EVERY = 20
_WARMUP = 0.03
_FINAL_LR_FRACTION = 0.02


@dataclass(frozen=True)
class HistoryPoint:
    """One validation during training.

    Attributes
    ----------
    step : int
        Steps done.
    seconds : float
        Wall-clock seconds since the optimisation started.
    train_loss : float
        Running mean of the masked Noise2Noise loss (code values²) since the previous point.
    validation_loss : float
        Masked Noise2Noise loss on the validation windows.
    validation_upsnr : float or None
        10·log10(1/uMSE) on validation windows with two independent targets (dB), an estimate of the PSNR
        against the clean frames; None where no window has two.
    """

    step: int
    seconds: float
    train_loss: float
    validation_loss: float
    validation_upsnr: float | None


def choose_device(profile: TrainingProfile) -> torch.device:
    """CUDA for ``device == "auto"`` when torch sees a GPU, else the CPU."""
    return torch.device("cuda" if profile.device == "auto" and torch.cuda.is_available() else "cpu")


def training_threads(own_threads: int = 0) -> int:
    """CPU threads for training: all cores when the 1-minute load, less ``own_threads`` already running for
    this training, leaves them idle; else one."""
    cores = default_threads()
    return cores if os.getloadavg()[0] - own_threads < 0.5 else 1


def _seconds_per_step(network: CleanupNet, inputs: tuple[torch.Tensor, ...], dtype: torch.dtype | None,
                      repeats: int = 2) -> float:
    """Median wall-clock seconds of a forward and backward pass (no optimiser step; gradients cleared after)."""
    times = []
    for _ in range(repeats + 1):
        start = time.perf_counter()
        with torch.autocast("cpu", dtype=dtype or torch.float32, enabled=dtype is not None):
            output = network(*inputs)
        output.float().square().mean().backward()
        times.append(time.perf_counter() - start)
    network.zero_grad(set_to_none=True)
    return float(np.median(times[1:]))


def _autocast_dtype(device: torch.device, network: CleanupNet, draw: Callable[[], Batch]) -> torch.dtype | None:
    """The autocast type for training: bfloat16/float16 on CUDA; on a CPU bfloat16 only where it measures faster
    (timed on a batch from ``draw``)."""
    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    if not torch.ops.mkldnn._is_mkldnn_bf16_supported():
        return None
    inputs = _tensors(draw(), device)[:3]
    return torch.bfloat16 if _seconds_per_step(network, inputs, torch.bfloat16) < \
        _seconds_per_step(network, inputs, None) else None


def _tensors(batch: Batch, device: torch.device) -> tuple[torch.Tensor, ...]:
    def move(array: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(array).to(device).contiguous(memory_format=torch.channels_last)
    return (move(batch.frames), move(batch.noise_sigma), torch.from_numpy(batch.strength).to(device),
            move(batch.target), move(batch.mask))


def _as_target(output: torch.Tensor, batch: Batch, clips: tuple[bool, bool], device: torch.device) -> torch.Tensor:
    """What the target's expectation is for this output: the output itself, or its clipped mean."""
    if batch.clipped_sigma is None:
        return output
    return clipped_mean(output, torch.from_numpy(batch.clipped_sigma).to(device), *clips)


class _Prefetcher:
    """Batches drawn by ``draw()`` on a background thread, ``depth`` ahead (for a GPU, which would otherwise
    wait on numpy between steps). One thread draws them in order, so the sequence is the same as drawing inline;
    an error in ``draw`` is raised by ``next``."""

    def __init__(self, draw: Callable[[], Batch], depth: int = 4):
        self._queue: queue.Queue = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(draw,), daemon=True, name="cleanup-batches")
        self._thread.start()

    def _run(self, draw: Callable[[], Batch]) -> None:
        while not self._stop.is_set():
            try:
                item: Batch | BaseException = draw()
            except BaseException as error:  # handed to the training thread, which raises it
                item = error
            while not self._stop.is_set():
                try:
                    self._queue.put(item, timeout=0.1)
                    break
                except queue.Full:
                    continue
            if isinstance(item, BaseException):
                return

    def next(self) -> Batch:
        item = self._queue.get()
        if isinstance(item, BaseException):
            raise item
        return item

    def close(self) -> None:
        self._stop.set()
        self._thread.join()


def _learning_rate(profile: TrainingProfile, progress: float) -> float:
    if progress < _WARMUP:
        return profile.learning_rate * max(progress / _WARMUP, 0.05)
    phase = min((progress - _WARMUP) / (1 - _WARMUP), 1.0)
    floor = profile.learning_rate * _FINAL_LR_FRACTION
    return floor + (profile.learning_rate - floor) * 0.5 * (1 + math.cos(math.pi * phase))


def evaluate(model: Callable[..., torch.Tensor], batches: list[Batch], device: torch.device,
             clips: tuple[bool, bool] = (False, False)) -> tuple[float, float | None]:
    """(masked Noise2Noise loss, uPSNR in dB or None) of ``model(frames, noise_sigma, strength)`` over
    validation batches (compared through the clipping where the footage clips)."""
    loss_sum = weight_sum = umse_sum = umse_weight = 0.0
    with torch.inference_mode():
        for batch in batches:
            frames, sigma, strength, target, mask = _tensors(batch, device)
            output = _as_target(model(frames, sigma, strength).float(), batch, clips, device)
            weight = float(mask.sum())
            loss_sum += float(masked_mse(output, target, mask)) * weight
            weight_sum += weight
            both = mask * torch.from_numpy(batch.second_mask).to(device)
            both_weight = float(both.sum())
            if both_weight > 0:
                second = torch.from_numpy(batch.second_target).to(device)
                umse_sum += float(unbiased_mse(output, target, second, both)) * both_weight
                umse_weight += both_weight
    upsnr = None
    if umse_weight > 0:
        upsnr = float(10 * np.log10(1.0 / max(umse_sum / umse_weight, 1e-12)))
    return loss_sum / max(weight_sum, 1.0), upsnr


def fit_network(bank: CropBank, validation: list[Batch], noise_model: NoiseModel, profile: TrainingProfile, *,
                seconds: float, seed: int, progress: Callable[[ProgressEvent], None],
                cancel: CancelToken, ranks: Ranks = SINGLE_PROCESS) -> tuple[CleanupNet, list[HistoryPoint]]:
    """Train a ``CleanupNet`` on ``bank`` for at most ``profile.steps`` steps or ``seconds`` seconds.

    Progress events have stage ``train``, done/total in steps and the running loss in ``detail``;
    ``cancel`` is polled between steps (``Cancelled`` propagates). With ``ranks`` of a distributed job every
    rank must call this with the same profile and budget; they return identical networks and validation
    losses.
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(ranks.cpu_threads(training_threads()))
    try:
        return _fit(bank, validation, noise_model, profile, seconds=seconds, seed=seed, progress=progress,
                    cancel=cancel, ranks=ranks)
    finally:
        torch.set_num_threads(threads)


def _fit(bank: CropBank, validation: list[Batch], noise_model: NoiseModel, profile: TrainingProfile, *,
         seconds: float, seed: int, progress: Callable[[ProgressEvent], None],
         cancel: CancelToken, ranks: Ranks) -> tuple[CleanupNet, list[HistoryPoint]]:
    torch.manual_seed(seed)
    rng = np.random.default_rng(ranks.batch_seed(seed))
    generator = torch.Generator().manual_seed(ranks.batch_seed(seed))
    device = choose_device(profile)
    network = CleanupNet(profile.temporal_window, profile.width, profile.quarter_convs,
                         gain=gain_for_sigma(noise_model.typical_sigma)).to(device)
    network = network.to(memory_format=torch.channels_last)
    model = ranks.wrap(network)
    optimiser = torch.optim.Adam(network.parameters(), lr=profile.learning_rate)
    start = time.perf_counter()

    def draw() -> Batch:
        return sample_batch(bank, rng, size=profile.batch, crop=profile.crop, radius=profile.radius,
                            full_radius_probability=profile.full_radius_probability,
                            boost_probability=profile.boost_probability, noise_model=noise_model)

    autocast = _autocast_dtype(device, network, draw)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True  # fixed crop size: autotuned kernels pay off after a few steps

    prefetcher = _Prefetcher(draw) if device.type == "cuda" else None
    try:
        history = _steps(model, network, optimiser, prefetcher.next if prefetcher else draw, validation,
                               profile, device, autocast, bank.clips, start, seconds, generator, progress,
                               cancel, ranks)
    finally:
        if prefetcher is not None:
            prefetcher.close()
    network.eval()
    return network.to("cpu").to(memory_format=torch.contiguous_format), history


def _steps(model: Callable[..., torch.Tensor], network: CleanupNet, optimiser: torch.optim.Optimizer,
           next_batch: Callable[[], Batch], validation: list[Batch], profile: TrainingProfile,
           device: torch.device, autocast: torch.dtype | None, clips: tuple[bool, bool], start: float,
           seconds: float, generator: torch.Generator, progress: Callable[[ProgressEvent], None],
           cancel: CancelToken, ranks: Ranks) -> list[HistoryPoint]:
    """The optimisation steps of ``_fit``; returns the validation history.

    The running loss stays on the device and is read back every LOSS_READ_EVERY steps (a read waits for the
    GPU, which would otherwise queue steps ahead).
    """
    history: list[HistoryPoint] = []
    running, running_count, shown = torch.zeros((), device=device), 0, float("nan")
    step = 0
    checked = start
    while step < profile.steps:
        now = time.perf_counter()
        elapsed = now - start
        if device.type == "cpu" and now - checked > THREAD_CHECK_SECONDS:
            own = torch.get_num_threads() * ranks.local_world_size
            torch.set_num_threads(ranks.cpu_threads(training_threads(own)))
            checked = now
        failure = None
        try:
            batch = next_batch()
            frames, sigma, strength, target, mask = _tensors(batch, device)
            with torch.autocast(device.type, dtype=autocast or torch.float32, enabled=autocast is not None):
                output = model(frames, sigma, strength)
                loss = masked_mse(_as_target(output.float(), batch, clips, device), target, mask)
                if profile.spatial_weight > 0 and step % profile.spatial_every == 0:
                    centre = frames[:, 3 * profile.radius:3 * profile.radius + 3]
                    loss = loss + profile.spatial_weight * neighbor2neighbor_loss(
                        lambda f, s: model(f, s, strength), centre, sigma, profile.temporal_window,
                        generator).float()
        except Exception as error:  # re-raised below, once the other ranks know to stop too
            failure = error
        settled = ranks.settle(cancelled=cancel.cancelled, failed=failure is not None, elapsed=elapsed)
        if failure is not None:
            raise failure
        cancel.raise_if_cancelled("training")
        ranks.raise_if_stopped(settled, "training")
        if settled.elapsed >= seconds:
            break
        for group in optimiser.param_groups:
            group["lr"] = _learning_rate(profile, max(step / profile.steps, settled.elapsed / seconds))
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
        step += 1
        running += loss.detach()
        running_count += 1
        if step % LOSS_READ_EVERY == 0 or step % profile.validate_every == 0:
            shown = float(running) / running_count
        progress(ProgressEvent(step, profile.steps, "train", f"loss {shown:.3g}",
                               time_left_s=max(0.0, seconds - settled.elapsed)))
        if step % profile.validate_every == 0:
            history.append(_point(network, validation, device, step, start, ranks.mean(shown), clips))
            running, running_count = torch.zeros((), device=device), 0
    if not history or history[-1].step != step:
        history.append(_point(network, validation, device, step, start,
                              ranks.mean(float(running) / max(running_count, 1)), clips))
    return history


def _point(network: CleanupNet, validation: list[Batch], device: torch.device, step: int, start: float,
           train_loss: float, clips: tuple[bool, bool]) -> HistoryPoint:
    network.eval()
    loss, upsnr = evaluate(network, validation, device, clips)
    network.train()
    return HistoryPoint(step, time.perf_counter() - start, train_loss, loss, upsnr)
