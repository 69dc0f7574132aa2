"""``answerprint train continuity``: calibrate continuity thresholds on a production's dailies and sign them.

Steps: approved-media check (``production_for_training``) → takes grouped by set-up from their slates, every
two takes of a set-up measured (``core.continuity.calibration``) → thresholds (``thresholds.calibrate``:
``max(floor, 1.5 × 95th percentile)`` of each measure's take-to-take variation) → signed ``continuity`` pack
(``pack``) → HTML report beside it (``report``). ``profile`` is accepted for the command's sake: calibration
has no training steps to budget.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from answerprint.core.continuity.calibration import MeasuredVariation, measure_takes
from answerprint.core.continuity.measures import MEASURES
from answerprint.core.continuity.thresholds import Thresholds, calibrate
from answerprint.core.inputs import ResolvedClip, refuse_odd_clip, resolve_inputs
from answerprint.core.packs import build_provenance, production_for_training, record_source
from answerprint.core.progress import CancelToken, ProgressCallback, ProgressEvent, no_progress


@dataclass(frozen=True)
class ContinuityCalibration:
    """What ``train_continuity`` produced: the thresholds, the measured variation, the pack (None without a
    production) and the report."""

    thresholds: Thresholds
    variation: MeasuredVariation
    pack_path: Path | None
    report_path: Path

    @property
    def notices(self) -> list[str]:
        return [f"left out {line}" for line in self.variation.left_out]

    @property
    def metrics(self) -> dict[str, float]:
        found = {"setups": float(len(self.variation.setups)), "take_pairs": float(len(self.variation.pairs))}
        found.update({f"threshold_{spec.name}_{spec.unit}": self.thresholds.thresholds[spec.name] for spec in MEASURES})
        return found


def _digest(clip: ResolvedClip) -> str | None:
    """SHA-256 over a sequence's frame files used, in order (a movie or a still is hashed whole by
    ``record_source``)."""
    if clip.kind != "sequence":
        return None
    digest = hashlib.sha256()
    for number in range(clip.first_frame, clip.last_frame + 1):
        if number not in clip.missing_frames:
            digest.update(Path(clip.frame_path(number)).read_bytes())
    return digest.hexdigest()


def train_continuity(clips: Sequence[str | os.PathLike | ResolvedClip], production: Any, profile: str = "quick",
                     out: str | os.PathLike | None = None, *, name: str = "continuity", input_space: str | None = None,
                     override_reason: str | None = None, library: str | os.PathLike | None = None,
                     private_key: Any = None, progress: ProgressCallback = no_progress,
                     cancel: CancelToken | None = None) -> ContinuityCalibration:
    """Calibrate the continuity thresholds on the dailies' takes and export them as a signed pack.

    Parameters
    ----------
    clips : sequence of path or ResolvedClip
        Takes named with their slates (``12A-1``, ``SC12A_TK2``...): two or more of a set-up; movies, sequences,
        stills, folders or timelines (``core.inputs.resolve_inputs``; sizes and rates may mix: takes are compared
        on their middle frames, registered when their framing differs).
    production : str, Production or None
        The production the pack is for (approved roots enforced, its key signs); None writes the report only.
    out : path, optional
        A copy of the pack (``.onnx``), its report beside it; the pack is installed in the library as the next
        version of ``continuity/<name>`` either way.
    input_space : str, optional
        OCIO colour space of the dailies (default: what the clips' file types and tags say, which must agree).

    Raises
    ------
    UnapprovedMediaError
        A clip outside the approved roots without an override.
    UsageError
        When no set-up has two takes.
    MediaError, PackError, Cancelled
        As reading, exporting and cancelling do.
    """
    from answerprint.models.delivery import check_pack_out, export_copy
    from answerprint.models.export import report_path_beside

    from .pack import export_continuity_pack
    from .report import write_report

    check_pack_out(out)
    resolved = resolve_inputs(clips, lambda line: progress(ProgressEvent(0, 0, "dailies", line)))
    record, override = production_for_training(production, [c.path for c in resolved], override_reason, library)
    if input_space is None and resolved:
        refuse_odd_clip(resolved, _guessed_space, _guessed_space,
                        "continuity measures every take in one colour space; name it with --input-space")
    space = input_space or (_guessed_space(resolved[0]) if resolved else "ACEScg")
    variation = measure_takes(resolved, space, progress=progress, cancel=cancel)
    thresholds = calibrate(variation.values, len(variation.setups))
    pack_path = None
    if record is not None:
        progress(ProgressEvent(0, 1, "export", "exporting and signing the pack"))
        used = {path for takes in variation.setups.values() for path in takes}
        sources = [record_source(record, clip.path, [(clip.first_frame, clip.last_frame)], override=override,
                                 content_sha256=_digest(clip)) for clip in resolved if clip.path in used]
        setups = {setup: [os.path.basename(p) for p in takes] for setup, takes in variation.setups.items()}
        config = {"input_space": space, "setups": setups, "calibration": thresholds.calibration}
        provenance = build_provenance(record, sources, training_config=config,
                                      validation_metrics={f"p95_{k}": v.get("p95", 0.0)
                                                          for k, v in thresholds.observed.items() if v.get("pairs")},
                                      override=override)
        pack_path = export_continuity_pack(thresholds, variation.values, record, name=name, provenance=provenance,
                                           library=library, private_key=private_key)
        progress(ProgressEvent(1, 1, "export", f"wrote {pack_path}"))
    report_path = write_report(thresholds, variation, report_path_beside(pack_path, out, name), pack_path)
    if pack_path is not None and out is not None:
        export_copy(pack_path, report_path, out)
    return ContinuityCalibration(thresholds, variation, pack_path, report_path)


def _guessed_space(clip: ResolvedClip) -> str:
    """The colour space a clip's file type and tags suggest (``default_source_space``)."""
    from answerprint.core.color import default_source_space

    return default_source_space(clip.info)
