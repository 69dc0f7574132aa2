"""Train a production's relight model (reflectance × shading) from its dailies, and export it as a signed pack.

Two entries:

- ``train_relight(clips, production, profile, out, ...)``: dailies on disk → approved-media check → bad-input
  checks → frames at analysis size in ACEScg, aligned into pairs (``footage``) → self-supervised training
  (``optimise``, ``losses``) → signed pack (``pack``) → HTML report beside it (``answerprint train relight``);
- ``train_relight_on_frames(clips_of_frames, profile, ...)``: the same training on scene-linear ACEScg frames
  held in memory, no pack (benchmarks and tests).

Stages report ``ProgressEvent``s: ``prepare`` (clips read), ``train`` (steps), ``export``. A ``CancelToken``
is polled between clips and steps; a cancelled run writes no pack.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from answerprint.core.color import default_source_space
from answerprint.core.inputs import ResolvedClip, refuse_odd_clip, resolve_inputs
from answerprint.core.packs import Production, production_for_training
from answerprint.core.progress import CancelToken, ProgressCallback, ProgressEvent, no_progress
from answerprint.models.cleanup.clips import Clip

from .footage import WORKING_SPACE, Footage, build_footage
from .optimise import choose_device, fit_network, validate
from .profiles import RelightProfile, get_profile
from .trained import TrainedRelight


@dataclass(frozen=True)
class RelightTrainingResult:
    """What ``train_relight`` produced: the model in memory, the signed pack (None without a production), the
    HTML report."""

    trained: TrainedRelight
    pack_path: Path | None
    report_path: Path

    @property
    def notices(self) -> list[str]:
        return self.trained.notices

    @property
    def metrics(self) -> dict[str, float]:
        return self.trained.metrics


def train_on_clips(clips: Sequence[Clip], profile: RelightProfile, input_space: str, *, seed: int = 0,
                   progress: ProgressCallback = no_progress,
                   cancel: CancelToken | None = None) -> tuple[TrainedRelight, Footage]:
    """Read and pair the clips, train, validate (see the module docstring)."""
    cancel = cancel or CancelToken()
    notices: list[str] = []
    start = time.perf_counter()

    def on_clip(done: int, total: int) -> None:
        cancel.raise_if_cancelled("reading the dailies")
        progress(ProgressEvent(done, total, "prepare", "reading and aligning frames"))

    footage = build_footage(clips, input_space=input_space, frames_per_clip=profile.frames_per_clip,
                            analysis_side=profile.analysis_side, notify=notices.append, on_clip=on_clip)
    prepared = time.perf_counter() - start
    network, history = fit_network(footage, profile, seed=seed, progress=progress, cancel=cancel)
    metrics = dict(validate(network, footage), train_steps=float(history[-1].step),
                   train_seconds=history[-1].seconds, prepare_seconds=prepared)
    config = {"profile": profile.to_json(), "seed": seed, "device": str(choose_device(profile)),
              "network": network.config(), "input_space": input_space, "footage": footage.counts}
    return TrainedRelight(network, profile, history, metrics, notices, config), footage


def train_relight_on_frames(clips: Sequence[Sequence[np.ndarray]], profile: str | RelightProfile = "quick", *,
                            seed: int = 0, steps: int | None = None, seconds: float | None = None,
                            progress: ProgressCallback = no_progress,
                            cancel: CancelToken | None = None) -> TrainedRelight:
    """Train on clips held in memory (no pack, no signature).

    Parameters
    ----------
    clips : sequence of sequences of ndarray
        Each clip a list of float32 H×W×3 frames, scene-linear ACEScg (several frames of a shot, or takes).
    profile : str or RelightProfile
        ``tiny``, ``quick`` or ``full``.
    seed : int
        Seed of every random choice.
    steps, seconds : optional
        Override the profile's step and time budgets.

    Raises
    ------
    UsageError
        Bad input (see ``footage.check_clips``).
    Cancelled
        When ``cancel`` is triggered.
    """
    chosen = get_profile(profile, steps=steps, seconds=seconds)
    wrapped = [Clip.from_frames(frames, f"clip {i + 1}") for i, frames in enumerate(clips)]
    trained, _ = train_on_clips(wrapped, chosen, WORKING_SPACE, seed=seed, progress=progress, cancel=cancel)
    return trained


def train_relight(clips: Sequence[str | os.PathLike | ResolvedClip], production: str | Production | None,
                  profile: str | RelightProfile = "quick", out: str | os.PathLike | None = None, *,
                  name: str = "relight", input_space: str | None = None, override_reason: str | None = None,
                  seed: int = 0, steps: int | None = None, seconds: float | None = None,
                  library: str | os.PathLike | None = None, private_key: Any = None,
                  progress: ProgressCallback = no_progress, cancel: CancelToken | None = None) -> RelightTrainingResult:
    """Train from dailies on disk and export a signed pack with an HTML report beside it.

    Parameters
    ----------
    clips : sequence of path or ResolvedClip
        Movies, image sequences, stills, folders or timelines of one production and one colour space
        (``core.inputs.resolve_inputs``; sizes and rates may mix): several frames of shots, ideally several
        takes of a set-up under different light.
    production : str, Production or None
        The production the pack is for (approved media roots enforced, its key signs the pack); None trains
        and writes the report only.
    profile : str or RelightProfile
        ``quick`` (CPU, about two minutes), ``full`` (GPU) or ``tiny`` (tests).
    out : path, optional
        A copy of the pack (``.onnx``), with its report beside it; the pack is installed in the production's
        library as the next version of ``name`` either way, its report beside it as ``<stem>.report.html``.
    name : str
        Pack name within the production.
    input_space : str, optional
        OCIO colour space of the dailies' code values (default: what the clips' file types and tags say, which
        must agree).
    override_reason : str, optional
        Train on footage outside the approved roots, recording this reason in the pack.
    seed, steps, seconds
        As for ``train_relight_on_frames``.
    library : path, optional
        Model library root.
    private_key : Ed25519PrivateKey, optional
        Signing key (default: this user's key for the production).

    Raises
    ------
    UnapprovedMediaError
        A clip outside the approved roots, without an override.
    UsageError
        Bad input (clips of several colour spaces without ``input_space``, only blank clips, no two frames of
        the same surfaces).
    MediaError
        A clip that cannot be read.
    PackError
        Export or signing failed.
    Cancelled
        When ``cancel`` is triggered (no pack is written).
    """
    from .pack import export_relight_pack
    from ..delivery import check_pack_out, export_copy
    from ..export import report_path_beside
    from .report import write_report

    chosen = get_profile(profile, steps=steps, seconds=seconds)
    check_pack_out(out)
    resolved = resolve_inputs(clips, lambda line: progress(ProgressEvent(0, 0, "dailies", line)))
    record, override = production_for_training(production, [c.path for c in resolved], override_reason, library)
    media = [Clip.from_resolved(clip) for clip in resolved]
    if input_space is None and resolved:
        refuse_odd_clip(resolved, _guessed_space, _guessed_space,
                        "relight reads every clip from one colour space into scene-linear ACEScg; name it with "
                        "--input-space, or train one pack per colour space")
        input_space = _guessed_space(resolved[0])
    trained, footage = train_on_clips(media, chosen, input_space or WORKING_SPACE, seed=seed, progress=progress,
                                      cancel=cancel)
    (cancel or CancelToken()).raise_if_cancelled("training relight")
    pack_path = None
    if record is not None:
        progress(ProgressEvent(0, 1, "export", "exporting and signing the pack"))
        pack_path = export_relight_pack(trained, footage, record, media, name=name, override=override,
                                        library=library, private_key=private_key)
        progress(ProgressEvent(1, 1, "export", f"wrote {pack_path}"))
    report_path = write_report(trained, footage, report_path_beside(pack_path, out, name), pack_path=pack_path)
    if pack_path is not None and out is not None:
        export_copy(pack_path, report_path, out)
    return RelightTrainingResult(trained, pack_path, report_path)


def _guessed_space(clip: ResolvedClip) -> str:
    """The colour space a clip's file type and tags suggest (``default_source_space``)."""
    return default_source_space(clip.info)
