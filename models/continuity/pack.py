"""The continuity thresholds as a signed pack: a tiny graph that scores measures, and the thresholds it holds.

The pack is honest about what it is: no network, only the production's calibrated thresholds, as a graph
computing ``scores = |measures − centres| / thresholds`` (input ``measures`` N×K, output ``scores`` N×K, float32,
K = ``len(MEASURES)`` in ``MEASURE_NAMES`` order) so that the check scores through the signed artefact, and
the same numbers in the signed manifest's ``effect_data`` (``core.continuity.thresholds``) for reports.
Exported by ``models.export.export_pack`` (opset 20, onnxruntime parity, the production's signature).
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import torch
from torch import nn

from answerprint.core.continuity.colorimetry import LINEAR_SPACE
from answerprint.core.continuity.measures import MEASURE_NAMES
from answerprint.core.continuity.thresholds import INPUT, OUTPUT, Thresholds
from answerprint.core.packs import IOSpec, PackSpec, Production, TensorSpec, install_pack
from answerprint.core.packs.library import next_version


class ContinuityScores(nn.Module):
    """``|measures − centres| / thresholds`` per measure (the graph of a continuity pack)."""

    def __init__(self, thresholds: Thresholds):
        super().__init__()
        self.register_buffer("centres", torch.tensor([[thresholds.centres[n] for n in MEASURE_NAMES]], dtype=torch.float32))
        self.register_buffer("scales", torch.tensor([[thresholds.thresholds[n] for n in MEASURE_NAMES]], dtype=torch.float32))

    def forward(self, measures: torch.Tensor) -> torch.Tensor:
        return torch.abs(measures - self.centres) / self.scales


def continuity_pack_spec(thresholds: Thresholds, name: str, version: str, description: str) -> PackSpec:
    """The pack spec: measures in, scores out, the thresholds in ``effect_data``."""
    channels = len(MEASURE_NAMES)
    measures = TensorSpec(INPUT, role="features", layout="NC", channels=channels, value_range=None)
    scores = TensorSpec(OUTPUT, role="features", layout="NC", channels=channels, value_range=None)
    io = IOSpec(inputs=(measures,), outputs=(scores,), working_space=LINEAR_SPACE)
    return PackSpec("continuity", name, version, io, description=description, effect_data=thresholds.to_json())


def export_continuity_pack(thresholds: Thresholds, values: np.ndarray, production: Production, *, name: str,
                           provenance: Mapping[str, Any], out: str | os.PathLike | None,
                           library: str | os.PathLike | None = None, private_key: Any = None) -> Path:
    """Export, parity-check on the calibration's own measures, sign; installed in the library when ``out`` is
    None. Returns the pack's path.

    Raises
    ------
    PackError
        When export, parity or signing fails.
    """
    from answerprint.models.export import export_pack

    version = next_version(production.id, "continuity", name, library) if out is None else "1"
    description = (f"continuity thresholds calibrated on {thresholds.calibration['pairs']} take pairs of "
                   f"{thresholds.calibration['setups']} set-up(s) of {production.name}")
    spec = continuity_pack_spec(thresholds, name, version, description)
    finite = np.nan_to_num(np.asarray(values, np.float32), nan=0.0)
    example = {INPUT: torch.zeros(1, len(MEASURE_NAMES))}
    options = {"production": production, "parity_inputs": [{INPUT: finite}] if len(finite) else [],
               "private_key": private_key}
    model = ContinuityScores(thresholds)
    if out is not None:
        return export_pack(model, example, spec, provenance, out, **options).path
    with tempfile.TemporaryDirectory(prefix="answerprint-export-") as staging:
        staged = export_pack(model, example, spec, provenance, Path(staging) / f"{name}.onnx", **options)
        return Path(install_pack(staged.path, production.id, library).path)
