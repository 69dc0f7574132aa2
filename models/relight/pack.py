"""A trained relight model as a signed pack: I/O spec, parameters, analysis size, provenance, export.

The manifest carries:

- ``io``: input ``image`` [N, 3, H, W] and output ``shading`` [N, 3, H, W], both scene-linear ACEScg and
  unbounded; size multiple 8; temporal window 1 (the effect pools statistics over neighbours itself);
- ``parameters``: ``core.effects.relight.params.relight_params()``, every one applied outside the graph (``effect``:
  the graph does not depend on them);
- ``effect_data``: ``{"relight": {"analysis_side": px, "working_space": "ACEScg", "input_space": ...}}``,
  signed with the rest (the effect must analyse frames at the size training did);
- ``provenance``: every clip (path, content hash, frames used), approved roots or the override,
  user@host, the training configuration and the validation metrics.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch

from answerprint.core.effects.relight.decompose import IMAGE_INPUT, SHADING_OUTPUT, SIZE_MULTIPLE
from answerprint.core.effects.relight.params import relight_params
from answerprint.core.packs import (
    IOSpec,
    MediaOverride,
    PackSpec,
    ParamBinding,
    Production,
    SourceClip,
    TensorSpec,
    build_provenance,
    record_source,
)
from answerprint.core.packs.library import next_version
from answerprint.models.cleanup.clips import Clip

from .footage import WORKING_SPACE, Footage
from .trained import TrainedRelight

_EXAMPLE_SIDE = 64


def relight_pack_spec(trained: TrainedRelight, *, name: str, version: str, input_space: str,
                      description: str = "") -> PackSpec:
    """The pack spec of a trained relight network (see the module docstring)."""
    io = IOSpec(inputs=(TensorSpec(IMAGE_INPUT, "image", "NCHW", 3, value_range=None, color_space=WORKING_SPACE),),
                outputs=(TensorSpec(SHADING_OUTPUT, "image", "NCHW", 3, value_range=None, color_space=WORKING_SPACE),),
                working_space=WORKING_SPACE, size_multiple=SIZE_MULTIPLE, temporal_window=1)
    bindings = tuple(ParamBinding(p.name, "effect") for p in relight_params())
    effect_data = {"relight": {"analysis_side": trained.analysis_side, "working_space": WORKING_SPACE,
                               "input_space": input_space}}
    return PackSpec("relight", name, version, io, relight_params(), bindings, description, effect_data)


def example_inputs() -> dict[str, torch.Tensor]:
    """A small example input for the export (N, H and W are exported dynamic)."""
    generator = torch.Generator().manual_seed(0)
    return {IMAGE_INPUT: torch.rand(1, 3, _EXAMPLE_SIDE, _EXAMPLE_SIDE, generator=generator)}


def _content_digest(clip: Clip, indices: Sequence[int]) -> str | None:
    """SHA-256 over the frame files read from an image sequence, in order; None for a movie or a still (each
    hashed whole as the one file it is)."""
    if not clip.is_sequence:
        return None
    digest = hashlib.sha256()
    for index in indices:
        digest.update(Path(clip.source.frame_path(clip.first_frame + index)).read_bytes())
    return digest.hexdigest()


def record_sources(production: Production, clips: Sequence[Clip], footage: Footage,
                   override: MediaOverride | None) -> list[SourceClip]:
    """``SourceClip`` records of every clip training read, with the frames used (source numbering)."""
    sources = []
    for clip in clips:
        indices = footage.frames_read.get(clip.name)
        if not indices:
            continue
        ranges = [clip.frame_numbers(i, i) for i in indices]
        sources.append(record_source(production, clip.path, ranges, content_sha256=_content_digest(clip, indices),
                                     override=override))
    return sources


def export_relight_pack(trained: TrainedRelight, footage: Footage, production: Production, clips: Sequence[Clip],
                        *, name: str, override: MediaOverride | None, library: str | os.PathLike | None = None,
                        private_key: Any = None) -> Path:
    """Export, parity-check on a real frame, sign the pack and install it in the library as the next version of
    ``relight/<name>``.

    Returns the pack's path. Raises ``PackError`` when export, parity or signing fails.
    """
    from answerprint.core.packs import install_pack
    from answerprint.models.export import export_pack

    sources = record_sources(production, clips, footage, override)
    version = next_version(production.id, "relight", name, library)
    input_space = trained.config["input_space"]
    spec = relight_pack_spec(trained, name=name, version=version, input_space=input_space,
                             description=f"relight learned from {len(sources)} clip(s) of {production.name}")
    config = dict(trained.config, notices=list(trained.notices))
    provenance = build_provenance(production, sources, training_config=config, validation_metrics=trained.metrics,
                                  override=override)
    frame = footage.frames[0]
    height, width = frame.shape[0] // 8 * 8, frame.shape[1] // 8 * 8
    parity = [{IMAGE_INPUT: np.ascontiguousarray(np.transpose(frame[:height, :width], (2, 0, 1))[None], np.float32)}]
    options = {"production": production, "parity_inputs": parity, "private_key": private_key}
    with tempfile.TemporaryDirectory(prefix="answerprint-export-") as staging:
        staged = export_pack(trained.network, example_inputs(), spec, provenance, Path(staging) / f"{name}.onnx",
                             **options)
        return Path(install_pack(staged.path, production.id, library).path)
