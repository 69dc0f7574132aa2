"""Train a production's cleanup model from its dailies alone, and export it as a signed pack.

Two entries:

- ``train_cleanup(clips, production, profile, out, ...)``: dailies on disk → approved-media check → bad-input
  checks → windows sampled across clips → motion compensation → noise model → per-camera defect maps → network
  → signed pack with its contract (``core.effects.cleanup.contract``) and provenance → HTML report beside the pack
  (``answerprint train cleanup`` calls this);
- ``train_cleanup_on_frames(clips_of_frames, profile, ...)``: the same training on frames in memory, no pack
  and no signature (benchmarks and tests); the ``TrainedCleanup`` it returns denoises windows of frames.

Stages report ``ProgressEvent``s: ``prepare`` (windows read and aligned), ``train`` (steps), ``export``.
A ``CancelToken`` is polled between windows and steps; a cancelled run writes no pack.

Launched by ``torchrun``, ``train_cleanup`` trains with DistributedDataParallel (``models.distributed``):
every rank prepares the same footage and checks it; once prepared, the ranks agree that none failed or was
cancelled before training together; only rank 0 exports the pack and writes the report.
"""
from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import torch

from answerprint.core.color import load_config, resolve_space
from answerprint.core.effects.cleanup.defects import DefectMap
from answerprint.core.effects.cleanup.noise import NoiseModel, fit_noise_model, fit_noise_model_spatial
from answerprint.core.effects.cleanup.flow import MotionEstimator
from answerprint.core.inputs import ResolvedClip, resolve_inputs
from answerprint.core.packs import Production, production_for_training
from answerprint.core.progress import CancelToken, ProgressCallback, ProgressEvent, no_progress

from ..distributed import SINGLE_PROCESS, Ranks, process_group
from .batches import validation_batches
from .clips import Clip, check_clips
from .dataset import CropBank, WindowPlan, build_bank, plan_windows, validation_split
from .defect_maps import learn_defect_maps
from .estimate import estimate_gain
from .optimise import HistoryPoint, choose_device, evaluate, fit_network
from .profiles import TrainingProfile, get_profile
from .trained import TrainedCleanup

#: Seconds the optimisation gets at least, however long preparation took.
MIN_TRAIN_SECONDS = 5.0
#: Aligned crop pairs the noise model is fitted from, at most.
NOISE_FIT_PAIRS = 512


@dataclass(frozen=True)
class CleanupTrainingResult:
    """What ``train_cleanup`` produced.

    Attributes
    ----------
    trained : TrainedCleanup
        The model in memory.
    pack_path : Path or None
        The signed pack (None when no production was given, and on ranks other than 0 of a distributed job).
    report_path : Path or None
        The HTML report (None on ranks other than 0 of a distributed job).
    """

    trained: TrainedCleanup
    pack_path: Path | None
    report_path: Path | None

    @property
    def notices(self) -> list[str]:
        """Messages about the input, for the user."""
        return self.trained.notices

    @property
    def metrics(self) -> dict[str, float]:
        """Validation metrics (no clean frames)."""
        return self.trained.metrics


@dataclass(frozen=True)
class PreparedFootage:
    """Everything training needs from the dailies: the clips used, their windows, banks, the motion estimator
    they were aligned with, the noise model and the cameras' defect maps."""

    clips: list[Clip]
    plans: list[WindowPlan]
    train_bank: CropBank
    validation_bank: CropBank
    noise_model: NoiseModel
    motion: MotionEstimator
    defect_maps: tuple[DefectMap, ...]


def _fit_noise(bank: CropBank, notify: Callable[[str], None]) -> NoiseModel:
    """The temporal fit over (at most NOISE_FIT_PAIRS, evenly spread) aligned pairs of the bank; the spatial
    fit when no crop has a trusted neighbour at ±1."""
    pairs = bank.frame_pairs()
    if pairs:
        return fit_noise_model(pairs[::max(1, len(pairs) // NOISE_FIT_PAIRS)])
    notify("no neighbouring frames could be aligned; the noise was measured within single frames (less reliable)")
    return fit_noise_model_spatial(np.transpose(bank.frames[:, bank.reach], (0, 2, 3, 1)))


def prepare_footage(clips: Sequence[Clip], profile: TrainingProfile, *, seed: int, notify: Callable[[str], None],
                    progress: ProgressCallback, cancel: CancelToken) -> PreparedFootage:
    """Check the clips, plan and align the windows (DIS fast at half resolution, ``MotionEstimator()``), fit the
    noise model, learn the defect maps (see the module docstring)."""
    usable = check_clips(clips, notify)
    plans = plan_windows(usable, profile.training_windows(sum(c.frame_count for c in usable)), profile.reach, notify)
    total = len(plans)

    def on_window(offset: int):
        def done(count: int) -> None:
            cancel.raise_if_cancelled("preparing the dailies")
            progress(ProgressEvent(offset + count, total, "prepare", "reading and aligning frames"))
        return done

    training = [p for p in plans if not p.validation]
    held = [p for p in plans if p.validation]
    motion = MotionEstimator()
    options = {"reach": profile.reach, "crop": profile.bank_crop, "crops_per_window": profile.crops_per_window,
               "estimator": motion, "max_bytes": profile.bank_bytes}
    train_bank = build_bank(usable, training, seed=seed, on_window=on_window(0), **options)
    validation_bank = (build_bank(usable, held, seed=seed + 1, on_window=on_window(len(training)), **options)
                       if held else train_bank)
    noise_model = _fit_noise(train_bank, notify)
    if noise_model.is_clean:
        notify(f"the footage is already clean: measured noise σ at most {noise_model.peak_sigma * 1023:.2f} "
               "10-bit code values; the model will leave frames (nearly) unchanged")
    train_bank.measure(noise_model)
    if validation_bank is not train_bank:
        validation_bank.measure(noise_model)
    defect_maps = learn_defect_maps(usable, notify, progress, cancel)
    return PreparedFootage(usable, plans, train_bank, validation_bank, noise_model, motion, defect_maps)


def validation_metrics(footage: PreparedFootage, profile: TrainingProfile, history: list[HistoryPoint],
                       network: torch.nn.Module) -> dict[str, float]:
    """Final metrics without clean frames: the estimated gain on held-out footage (``estimated_gain_db``, the
    report's headline, see ``estimate``), how much footage was held out, validation losses, and the symmetric
    uPSNR of the model and of the input (``upsnr_gain_db``: reads high on moving footage). Noise levels are in
    code values.
    """
    batches = validation_batches(footage.validation_bank, profile.radius, profile.batch)
    device = torch.device("cpu")
    centre = slice(3 * profile.radius, 3 * profile.radius + 3)
    input_loss, input_upsnr = evaluate(lambda frames, sigma, strength: frames[:, centre], batches, device)
    final = history[-1]
    metrics = {
        "validation_n2n_loss": final.validation_loss, "input_n2n_loss": input_loss,
        "validation_upsnr_db": final.validation_upsnr, "input_upsnr_db": input_upsnr,
        "noise_sigma_typical": footage.noise_model.typical_sigma, "noise_sigma_peak": footage.noise_model.peak_sigma,
        "noise_neighbour_correlation": footage.noise_model.neighbour_correlation,
        "train_steps": final.step, "train_seconds": final.seconds,
    }
    if final.validation_upsnr is not None and input_upsnr is not None:
        metrics["upsnr_gain_db"] = final.validation_upsnr - input_upsnr
    estimate = estimate_gain(network, batches, footage.noise_model, profile.radius)
    if estimate is not None:
        metrics.update(estimated_gain_db=estimate.gain_db, estimated_input_mse=estimate.input_mse,
                       estimated_output_mse=estimate.output_mse, estimate_pixels=estimate.pixels)
    metrics.update(validation_split(footage.plans))
    return {k: float(v) for k, v in metrics.items() if v is not None and math.isfinite(v)}


def _prepare_together(clips: Sequence[Clip], profile: TrainingProfile, ranks: Ranks, *, seed: int,
                      notify: Callable[[str], None], progress: ProgressCallback,
                      cancel: CancelToken) -> tuple[PreparedFootage, float]:
    """``prepare_footage`` on every rank, then agreement that none failed or was cancelled.

    Returns the footage and the preparation's seconds (averaged over the ranks, so that every rank gives
    the optimisation the same time budget).
    """
    start = time.perf_counter()
    failure = None
    try:
        footage = prepare_footage(clips, profile, seed=seed, notify=notify, progress=progress, cancel=cancel)
    except Exception as error:  # re-raised below, once the other ranks know to stop too
        failure = error
    settled = ranks.settle(cancelled=cancel.cancelled, failed=failure is not None,
                           elapsed=time.perf_counter() - start)
    if failure is not None:
        raise failure
    ranks.raise_if_stopped(settled, "preparing the dailies")
    return footage, settled.elapsed


def train_on_clips(clips: Sequence[Clip], profile: TrainingProfile, *, seed: int = 0, reserve: float = 0.0,
                   progress: ProgressCallback = no_progress, cancel: CancelToken | None = None,
                   ranks: Ranks = SINGLE_PROCESS) -> tuple[TrainedCleanup, PreparedFootage]:
    """Prepare the footage and train; ``reserve`` seconds of the profile's budget are kept for what follows.

    With ``ranks`` of a distributed job (see ``models.distributed``) every rank calls this with the same
    clips, profile and seed and gets the same model back.
    """
    cancel = cancel or CancelToken()
    notices: list[str] = []
    footage, prepared = _prepare_together(clips, profile, ranks, seed=seed, notify=notices.append,
                                          progress=progress, cancel=cancel)
    batches = validation_batches(footage.validation_bank, profile.radius, profile.batch)
    network, history = fit_network(footage.train_bank, batches, footage.noise_model, profile,
                                   seconds=max(profile.seconds - prepared - reserve, MIN_TRAIN_SECONDS), seed=seed,
                                   progress=progress, cancel=cancel, ranks=ranks)
    config = {"profile": profile.to_json(), "seed": seed, "device": str(choose_device(profile)),
              "processes": ranks.world_size,
              "network": network.config(), "windows": {"training": sum(not p.validation for p in footage.plans),
                                                       "validation": sum(p.validation for p in footage.plans)},
              "crop_bank": {"training": len(footage.train_bank), "side": footage.train_bank.crop}}
    trained = TrainedCleanup(network, footage.noise_model, history,
                             validation_metrics(footage, profile, history, network), notices, config,
                             {"prepare": prepared, "train": history[-1].seconds}, footage.motion, footage.defect_maps)
    return trained, footage


def train_cleanup_on_frames(clips: Sequence[Sequence[np.ndarray]], profile: str | TrainingProfile = "quick", *,
                            seed: int = 0, steps: int | None = None, seconds: float | None = None,
                            progress: ProgressCallback = no_progress,
                            cancel: CancelToken | None = None) -> TrainedCleanup:
    """Train on clips held in memory (no pack, no signature).

    Parameters
    ----------
    clips : sequence of sequences of ndarray
        Each clip a list of consecutive float32 H×W×3 frames (code values of one encoding).
    profile : str or TrainingProfile
        ``quick``, ``full`` or ``tiny``.
    seed : int
        Seed of every random choice (windows, crops, batches, initial weights).
    steps, seconds : optional
        Override the profile's step budget and wall-clock budget.

    Returns
    -------
    TrainedCleanup
        With ``denoise(window)`` and ``radius``.

    Raises
    ------
    UsageError
        Bad input (see ``clips.check_clips``).
    Cancelled
        When ``cancel`` is triggered.
    """
    chosen = get_profile(profile, steps=steps, seconds=seconds)
    wrapped = [Clip.from_frames(frames, f"clip {i + 1}") for i, frames in enumerate(clips)]
    trained, _ = train_on_clips(wrapped, chosen, seed=seed, progress=progress, cancel=cancel)
    return trained


def train_cleanup(clips: Sequence[str | os.PathLike | ResolvedClip], production: str | Production | None,
                  profile: str | TrainingProfile = "quick", out: str | os.PathLike | None = None, *,
                  name: str = "cleanup", input_space: str | None = None, override_reason: str | None = None,
                  seed: int = 0, steps: int | None = None, seconds: float | None = None,
                  library: str | os.PathLike | None = None, private_key: Any = None,
                  progress: ProgressCallback = no_progress, cancel: CancelToken | None = None) -> CleanupTrainingResult:
    """Train from dailies on disk and export a signed pack with an HTML report beside it.

    Parameters
    ----------
    clips : sequence of path or ResolvedClip
        Movies, image sequences (``shot.%04d.exr``), folders or timelines of one production and one encoding
        (``core.inputs.resolve_inputs``; sizes and rates may mix).
    production : str, Production or None
        The production the pack is for: its approved media roots are enforced and its key signs the pack.
        None trains and writes the report only (no pack; ``out`` then only names the report).
    profile : str or TrainingProfile
        ``quick`` (CPU, ≤ 15 min) or ``full`` (GPU).
    out : path, optional
        A copy of the pack (``.onnx``), with its fp16 variant and report beside it; the pack is installed in
        the production's library as the next version of ``name`` either way, its report beside it as
        ``<stem>.report.html``.
    name : str
        Pack name within the production.
    input_space : str, optional
        OCIO colour space of the dailies' code values (recorded in the pack, which apply then refuses on clips
        read in another space; used for report previews); default: what the first clip's tags say.
    override_reason : str, optional
        Train on footage outside the approved roots, recording this reason in the pack.
    seed, steps, seconds
        As for ``train_cleanup_on_frames``.
    library : path, optional
        Model library root (default: the user's or the facility's).
    private_key : Ed25519PrivateKey, optional
        Signing key (default: this user's key for the production).

    Under ``torchrun`` every rank calls this with the same arguments and they train together (see
    ``models.distributed``); rank 0 writes the pack and the report, the others return without them.

    Raises
    ------
    UnapprovedMediaError
        A clip outside the production's approved media roots, without an override.
    UsageError
        Bad input (mixed sizes, too little footage, only blank clips).
    ColorError
        ``input_space`` is not a colour space of the OCIO config.
    MediaError
        A clip that cannot be read.
    PackError
        Export or signing failed.
    Cancelled
        When ``cancel`` is triggered, on any rank of a distributed job (no pack is written).
    AnswerprintError
        Another rank of a distributed job failed (its own error is raised there).
    """
    from answerprint.core.packs.library import next_version

    from ..delivery import check_pack_out, export_copy
    from ..export import report_path_beside
    from .pack import export_cleanup_pack, record_sources
    from .report import write_report

    chosen = get_profile(profile, steps=steps, seconds=seconds)
    if input_space is not None:  # an unknown space is refused before training, not after
        input_space = resolve_space(load_config(), input_space)
    check_pack_out(out)
    resolved = resolve_inputs(clips, lambda line: progress(ProgressEvent(0, 0, "dailies", line)))
    record, override = production_for_training(production, [c.path for c in resolved], override_reason, library)
    media = [Clip.from_resolved(clip) for clip in resolved]
    with process_group(choose_device(chosen).type) as ranks:
        trained, footage = train_on_clips(media, chosen, seed=seed, reserve=chosen.export_reserve,
                                          progress=progress, cancel=cancel, ranks=ranks)
    if not ranks.is_main:
        return CleanupTrainingResult(trained, None, None)
    (cancel or CancelToken()).raise_if_cancelled("training")
    pack_path = None
    if record is not None:
        progress(ProgressEvent(0, 1, "export", "exporting and signing the pack"))
        sources = record_sources(record, footage, override)
        pack_path = export_cleanup_pack(trained, record, sources, name=name,
                                        version=next_version(record.id, "cleanup", name, library),
                                        input_space=input_space, override=override, footage=footage,
                                        library=library, private_key=private_key)
        progress(ProgressEvent(1, 1, "export", f"wrote {pack_path}"))
    report_path = write_report(trained, footage, report_path_beside(pack_path, out, name),
                               input_space=input_space, pack_path=pack_path)
    if pack_path is not None and out is not None:
        export_copy(pack_path, report_path, out)
    return CleanupTrainingResult(trained, pack_path, report_path)
