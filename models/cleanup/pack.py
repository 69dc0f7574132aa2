"""A trained cleanup model as a signed pack: its contract, parameters, provenance, export.

The manifest carries the trained model's ``CleanupContract`` (``core.effects.cleanup.contract``: what apply reads,
each field in one place), and:

- ``io``: ``frames`` [N, 3T, H, W] and ``noise_sigma`` [N, 1, H, W] (image tensors in the dailies' own code
  values; colour space = ``--input-space`` or what the first clip's tags say, its canonical OCIO name),
  ``strength`` [N] (param), output ``denoised`` [N, 3, H, W]; size multiple 8; temporal window T;
- ``parameters``: ``core.effects.cleanup.params.cleanup_params()`` and the bindings (``strength`` through its input,
  the others applied by the effect);
- ``effect_data``: motion estimator settings, noise model, graph tensor roles and per-camera defect maps,
  signed with the rest;
- ``provenance``: every clip (path, content hash, frame ranges used), approved roots or the override,
  user@host, the training configuration and the validation metrics;
- ``variants.fp16``: the same graph in fp16 (``<name>.fp16.onnx`` beside it, signed), run on GPU providers.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Any, Sequence

import torch

from answerprint.core.color import default_source_space, load_config, resolve_space
from answerprint.core.effects.cleanup.contract import CleanupContract
from answerprint.core.effects.cleanup.params import FRAMES_INPUT, SIGMA_INPUT, STRENGTH_INPUT, cleanup_params
from answerprint.core.frames import is_sequence_path, open_media
from answerprint.core.packs import MediaOverride, PackSpec, Production, SourceClip, build_provenance, record_source

from .batches import validation_batches
from .network import CleanupNet
from .trained import TrainedCleanup

_EXAMPLE_SIDE = 64


def cleanup_pack_spec(contract: CleanupContract, *, name: str, version: str, description: str = "") -> PackSpec:
    """The pack spec of a trained cleanup network: its contract's I/O, bindings and effect data."""
    return PackSpec("cleanup", name, version, contract.io(), cleanup_params(), contract.bindings, description,
                    contract.effect_data())


def example_inputs(network: CleanupNet) -> dict[str, torch.Tensor]:
    """Small example inputs for the export (N, H and W are exported dynamic)."""
    generator = torch.Generator().manual_seed(0)
    side = _EXAMPLE_SIDE
    return {FRAMES_INPUT: torch.rand(1, 3 * network.temporal_window, side, side, generator=generator),
            SIGMA_INPUT: torch.full((1, 1, side, side), 0.01), STRENGTH_INPUT: torch.ones(1)}


def export_graph(trained: TrainedCleanup) -> bytes:
    """The network as ONNX bytes (no manifest, no signature): for running a ``TrainedCleanup`` in onnxruntime."""
    from answerprint.models.export import export_onnx

    spec = cleanup_pack_spec(trained.contract("source code values"), name="cleanup", version="1")
    return export_onnx(trained.network, example_inputs(trained.network), spec)


def _sequence_digest(path: str, ranges: Sequence[tuple[int, int]]) -> str:
    """SHA-256 over the bytes of every frame file of an image sequence in ``ranges`` (frame numbers), in order."""
    digest = hashlib.sha256()
    with open_media(path) as reader:
        for first, last in ranges:
            for number in range(first, last + 1):
                with open(reader.frame_path(number), "rb") as handle:
                    while chunk := handle.read(8 * 1024 * 1024):
                        digest.update(chunk)
    return digest.hexdigest()


def _merged_ranges(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for first, last in sorted(spans):
        if merged and first <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], last))
        else:
            merged.append((first, last))
    return merged


def record_sources(production: Production, footage: Any, override: MediaOverride | None) -> list[SourceClip]:
    """``SourceClip`` records of every clip training read, with the frame ranges (source numbering) used."""
    sources = []
    for index, clip in enumerate(footage.clips):
        spans = [clip.frame_numbers(p.centre + min(p.offsets), p.centre + max(p.offsets))
                 for p in footage.plans if p.clip_index == index]
        if not spans:
            continue
        ranges = _merged_ranges(spans)
        digest = _sequence_digest(clip.path, ranges) if is_sequence_path(clip.path) else None
        sources.append(record_source(production, clip.path, ranges, content_sha256=digest, override=override))
    return sources


def export_cleanup_pack(trained: TrainedCleanup, production: Production, sources: Sequence[SourceClip],
                        *, name: str, version: str, input_space: str | None, override: MediaOverride | None,
                        footage: Any, library: str | os.PathLike | None = None, private_key: Any = None) -> Path:
    """Export, parity-check, sign the pack and install it in the library as ``cleanup/<name>@<version>``.

    Returns the pack's path. Raises ``PackError`` when export, parity or signing fails.
    """
    from answerprint.core.packs import install_pack
    from answerprint.models.export import export_pack

    with open_media(footage.clips[0].path) as reader:
        color_space = resolve_space(load_config(), input_space or default_source_space(reader.info))
    spec = cleanup_pack_spec(trained.contract(color_space), name=name, version=version,
                             description=f"cleanup learned from {len(sources)} clip(s) of {production.name}")
    config = dict(trained.config, input_space=color_space, notices=list(trained.notices))
    provenance = build_provenance(production, sources, training_config=config, validation_metrics=trained.metrics,
                                  override=override)
    batch = validation_batches(footage.validation_bank, trained.radius, 1)[:1]
    parity = [{FRAMES_INPUT: b.frames, SIGMA_INPUT: b.noise_sigma, STRENGTH_INPUT: b.strength} for b in batch]
    # The fp16 variant is what GPU providers run (half the memory traffic); it is checked against torch like
    # the fp32 graph and signed beside it.
    options = {"production": production, "parity_inputs": parity, "private_key": private_key, "fp16": True}
    with tempfile.TemporaryDirectory(prefix="answerprint-export-") as staging:
        staged = export_pack(trained.network, example_inputs(trained.network), spec, provenance,
                             Path(staging) / f"{name}.onnx", **options)
        return Path(install_pack(staged.path, production.id, library).path)

