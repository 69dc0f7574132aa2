"""Export a fitted look as a signed ``look`` pack: the 5-D GridSample graph plus its exact Gather-based twin.

Both graphs go through ``models.export.export_pack`` (opset 20, dynamic N/H/W, onnxruntime parity against
torch, the production's signature). The Gather-based one is written first as ``<name>.gather.onnx``; its
file name and SHA-256 are then recorded in the main pack's signed ``effect_data["variants"]``, so the main
signature vouches for both (the look effect checks the hash before using the variant).
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import torch
from torch import nn

from answerprint.core.color.spaces import WORKING_SPACE
from answerprint.core.effects.look.pack import LookData
from answerprint.core.packs import IOSpec, Manifest, PackSpec, Production, TensorSpec
from answerprint.models.export import export_pack

INPUT, OUTPUT = "image", "graded"


@dataclass(frozen=True)
class LookExport:
    """The files of one exported look pack.

    Attributes
    ----------
    path, gather_path : Path
        The GridSample pack and its Gather-based variant.
    manifest : Manifest
        The main pack's manifest.
    max_abs_diff : float
        Largest |torch − onnxruntime| over both graphs' parity checks.
    """

    path: Path
    gather_path: Path
    manifest: Manifest
    max_abs_diff: float


def look_pack_spec(name: str, version: str, data: LookData, description: str) -> PackSpec:
    """The pack spec of a look: one ACEScct image in, the graded ACEScct image out, no parameters."""
    image = TensorSpec(INPUT, value_range=None, color_space=WORKING_SPACE)
    graded = TensorSpec(OUTPUT, value_range=None, color_space=WORKING_SPACE)
    return PackSpec(effect="look", name=name, version=version,
                    io=IOSpec(inputs=(image,), outputs=(graded,), working_space=WORKING_SPACE),
                    description=description, effect_data=data.to_json())


def export_look_pack(model: nn.Module, gather_model: nn.Module, data: LookData, *, name: str, version: str,
                     production: Production | str, provenance: Mapping[str, Any], out_dir: str | os.PathLike,
                     description: str = "", parity_frames: Sequence[np.ndarray] = (), sign: bool = True,
                     private_key: Any = None) -> LookExport:
    """Export both graphs of a look (see the module docstring).

    Parameters
    ----------
    model, gather_model : nn.Module
        The same look with GridSample and with Gather lookups (``forward(image) -> graded``, N×3×H×W ACEScct).
    data : LookData
        The pack's effect data (its ``variants`` are filled in here).
    name, version, description : str
        Pack identity.
    production : Production or str
        The production the pack is for.
    provenance : mapping
        The manifest's provenance section.
    out_dir : path
        Folder receiving ``<name>.onnx`` and ``<name>.gather.onnx``.
    parity_frames : sequence of ndarray
        Real ACEScct frames (H×W×3) for the parity checks.
    sign, private_key
        As for ``export_pack``.

    Raises
    ------
    PackError
        When an export or a parity check fails, or the key is not the production's.
    """
    folder = Path(out_dir)
    example = {INPUT: torch.rand(1, 3, 48, 80) * 0.8 + 0.05}
    parity = [{INPUT: np.ascontiguousarray(np.transpose(f, (2, 0, 1))[None], dtype=np.float32)} for f in parity_frames]
    bare = replace(data, variants={})
    gather = export_pack(gather_model, example, look_pack_spec(name, version, bare, description), provenance,
                         folder / f"{name}.gather.onnx", production=production, parity_inputs=parity, sign=sign,
                         private_key=private_key)
    digest = hashlib.sha256(gather.path.read_bytes()).hexdigest()
    full = replace(data, variants={"gather": {"file": gather.path.name, "sha256": digest}})
    main = export_pack(model, example, look_pack_spec(name, version, full, description), provenance,
                       folder / f"{name}.onnx", production=production, parity_inputs=parity, sign=sign,
                       private_key=private_key)
    return LookExport(main.path, gather.path, main.manifest, max(main.max_abs_diff, gather.max_abs_diff))
