"""A JSON sidecar so Autodesk Flame's Inference node can run an answerprint pack's ``.onnx`` directly.

Flame's Inference node loads an ``.onnx`` file and, when a ``.json`` file of the same name sits beside it,
takes the node's inputs, outputs and attributes from it. Sources of the tokens written here: Autodesk's Flame
2025 "Inference Builder" page (the defaults ``inference_builder -j`` generates: ``MinimumVersion``, ``Name``,
``Description``, ``SupportsSceneLinear``, ``KeepAspectRatio``, ``Padding``, ``Inputs`` with
``Name``/``Description``/``Type: Front``/``Gain``), Flame 2025.2's "What's New" page (the per-socket
``Channels`` token, hence ``MinimumVersion`` 2025.2), and public exporters targeting the node for the
``Outputs`` entries (``Type: Result``, ``InverseGain``, ``ScalingFactor``). ``Padding`` and
``KeepAspectRatio`` keep the generated defaults because the public pages do not define them further;
``SupportsSceneLinear`` is set when the pack's input range goes beyond 0..1 (our reading of the token's
name). Check the node once in Flame before handing a sidecar out.

Only packs Flame can drive are accepted: one image input (RGB or single-channel), image outputs, every
parameter baked at export, a single-frame model. Flame ignores the manifest; the pack file is unchanged.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from answerprint.core.errors import PackError
from answerprint.core.packs import IOSpec, Manifest, TensorSpec

FLAME_MINIMUM_VERSION = "2025.2"
_OUTPUT_CHANNELS = {1: "A", 2: "RG", 3: "RGB"}


def _input_channels(tensor: TensorSpec) -> str:
    if tensor.channels == 3:
        return "RGB"
    if tensor.channels == 1:
        return "A"
    raise PackError(f"Flame's Inference node feeds RGB or single-channel inputs, not {tensor.channels} "
                    f"channels ({tensor.name})")


def flame_sidecar(manifest: Manifest) -> dict:
    """The Flame Inference node description of a pack (``flame_description`` of its I/O and identity).

    Raises
    ------
    PackError
        When the pack has parameter inputs, several image inputs, a temporal window or channel counts
        Flame's node cannot feed.
    """
    return flame_description(manifest.io, effect=manifest.effect,
                             title=f"{manifest.production_id} {manifest.effect} {manifest.name} v{manifest.version}",
                             about=f"answerprint pack {manifest.pack_id}")


def flame_description(io: IOSpec, *, effect: str, title: str, about: str) -> dict:
    """The Flame Inference node description of a graph with interface ``io``.

    Parameters
    ----------
    effect : str
        The effect, named in the outputs' descriptions.
    title : str
        The node's ``Name``.
    about : str
        Start of its ``Description`` (the expected colour space is added).

    Raises
    ------
    PackError
        As ``flame_sidecar``.
    """
    if io.temporal_window != 1:
        raise PackError("Flame's Inference node runs single-frame models; this pack takes "
                        f"{io.temporal_window} frames")
    images = [t for t in io.inputs if t.role != "param"]
    if len(images) != 1 or len(images) != len(io.inputs):
        raise PackError("Flame's Inference node needs exactly one image input and every parameter baked at "
                        f"export; this pack takes {[t.name for t in io.inputs]}")
    image = images[0]
    upper = None if image.value_range is None else image.value_range[1]
    outputs = []
    for tensor in io.outputs:
        if tensor.channels not in _OUTPUT_CHANNELS:
            raise PackError(f"Flame's Inference node takes outputs of 1-3 channels, not {tensor.channels} "
                            f"({tensor.name})")
        space = tensor.color_space or io.working_space
        outputs.append({"Name": tensor.name, "Description": f"{effect} result ({space})",
                        "Type": "Result", "InverseGain": 1.0, "ScalingFactor": 1.0,
                        "Channels": _OUTPUT_CHANNELS[tensor.channels]})
    return {"ModelDescription": {
        "MinimumVersion": FLAME_MINIMUM_VERSION,
        "Name": title,
        "Description": f"{about}; expects {image.color_space or io.working_space}",
        "SupportsSceneLinear": upper is None or upper > 1.0,
        "KeepAspectRatio": False,
        "Padding": 1,
        "Inputs": [{"Name": image.name, "Description": f"source in {image.color_space or io.working_space}",
                    "Type": "Front", "Gain": 1.0, "Channels": _input_channels(image)}],
        "Outputs": outputs,
    }}


def write_flame_sidecar(pack_path: str | os.PathLike, manifest: Manifest) -> Path:
    """Write ``<pack>.json`` beside the pack's ``.onnx`` (same file name, as Flame looks it up).

    Raises
    ------
    PackError
        When Flame's node cannot drive the pack (see ``flame_sidecar``).
    """
    target = Path(pack_path).with_suffix(".json")
    target.write_text(json.dumps(flame_sidecar(manifest), indent=4) + "\n", encoding="utf-8")
    return target
