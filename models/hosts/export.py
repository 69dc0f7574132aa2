"""``answerprint packs export PACK --for flame|nuke|houdini|onnx --out DIR``: a pack's effect for another host.

Every export is one picture in, one picture out (float32 NCHW [N, 3, H, W], any H and W of at least 8 px, in
the colour space the README beside it names), with its parameters baked:

- ``cleanup``: the spatial variant (``cleanup_graph``): the pack's own network on the frame alone, the noise
  model and strength baked. Answerprint's temporal cleanup stays in answerprint (``docs/hosts.md``).
- ``relight``: the pack's shading network inside ``relight_graph``: analysis-size reduction, shading statistics
  of the frame itself, the light baked, the change of shading brought to full size and applied; the relit
  picture out (scene-linear ACEScg). Statistics pooled over neighbouring frames, depth-pass normals and
  reference matching stay in answerprint (``docs/hosts.md``); for Nuke the same steps in torch
  (``relight_script``).
- ``look``: the pack's exact Gather-based graph (no 5-D GridSample, which TensorRT and CoreML lack) plus the
  look as a ``.cube`` (ACEScct in and out).

Files per host, ``<production>_<effect>_<name>_v<version>`` each:

- ``onnx``, ``houdini``: ``.onnx`` (fp32) and ``.fp16.onnx`` (fp16 weights and arithmetic, float32 in and out);
- ``flame``: the same two graphs, each with Flame's JSON sidecar of the same name (``flame_sidecar``);
- ``nuke``: ``.pt``, a TorchScript module for CatFileCreator (Nuke runs ``.cat`` files, not ONNX);
- every host: ``README.txt`` (tensor layout, colour space, steps in the host, what stays in answerprint) and,
  for a look, the ``.cube``.

Before anything is written, every graph or module runs on a check frame and is compared with answerprint's
own render of that frame (the effect's compiled processor, the pack's graph in onnxruntime): fp32 graphs and
TorchScript must agree within ``FP32_TOLERANCE``, fp16 graphs within ``FP16_TOLERANCE``, else nothing is written.
The measured differences go into each file's signed provenance (``provenance``) and are returned.
"""
from __future__ import annotations

import io
import json
import os
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np
import onnx
import onnxruntime as ort
import torch
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from answerprint.core import __version__ as answerprint_version
from answerprint.core.atomic import write_atomically
from answerprint.core.cli.packs_cmd import HOSTS
from answerprint.core.color.cube import write_cube
from answerprint.core.effects import Deferred, EffectContext, get_effect
from answerprint.core.effects.look.pack import LookData
from answerprint.core.errors import OutputError, PackError, UsageError
from answerprint.core.frames.media import MediaInfo
from answerprint.core.packs import IOSpec, Pack, TensorSpec, find_pack, load_pack, load_private_key
from answerprint.models.export import convert_to_fp16
from answerprint.models.flame_sidecar import flame_description

from . import cleanup_graph, look_graph, relight_graph, relight_script, torchscript
from .graph_ops import INPUT, OUTPUT
from .provenance import signed_onnx, torchscript_extra_files

#: Largest |export − answerprint's render| accepted for fp32 graphs and TorchScript (code values).
FP32_TOLERANCE = 1e-4
#: The same for fp16 graphs (a 10-bit code value is 1e-3).
FP16_TOLERANCE = 1e-2
#: Width and height of the check frame (not multiples of 8, so padding and cropping are exercised).
CHECK_SIZE = (212, 124)


@dataclass(frozen=True)
class HostModel:
    """One pack's effect in single-frame form, before it is written for a host.

    Attributes
    ----------
    effect : str
        The pack's effect.
    graph : bytes
        The ONNX graph (input ``image``, output ``result``), no metadata.
    params : dict
        Every parameter as baked.
    space : str
        Colour space of the input and output pictures.
    render : callable
        Answerprint's own render of one H×W×3 float32 frame in ``space`` (the effect's processor).
    script : callable
        Makes the TorchScript module for Nuke.
    left_out : tuple of str
        What the effect does in answerprint that the export does not.
    steps : str
        What to do around the node in any host (colour conversions).
    value_range : (float, float) or None
        Values the input holds (the pack's), None when unbounded.
    lut : Lut3D or None
        The look's LUT (written as ``.cube``).
    """

    effect: str
    graph: bytes
    params: dict[str, Any]
    space: str
    render: Callable[[np.ndarray], np.ndarray]
    script: Callable[[], torch.jit.ScriptModule]
    left_out: tuple[str, ...]
    steps: str
    value_range: tuple[float, float] | None = None
    lut: Any = None


@dataclass(frozen=True)
class ExportedFile:
    """One written file; ``max_abs_diff`` is its largest |output − answerprint's render| on the check frame."""

    path: Path
    kind: str
    max_abs_diff: float | None = None


def _renderer(pack: Pack, params: Mapping[str, Any], source_space: str) -> Callable[[np.ndarray], np.ndarray]:
    """Answerprint's processor for ``pack`` at ``params``, run on one frame alone (window of that frame) of a
    source in ``source_space``; the frame is in the effect's working space, as the render engine hands it."""
    effect = get_effect(pack.manifest.effect)

    def render(frame: np.ndarray) -> np.ndarray:
        info = MediaInfo("check frame", "image", frame.shape[1], frame.shape[0], Fraction(24), 0, 1)
        context = EffectContext(info, source_space, providers=["CPUExecutionProvider"],
                                production=pack.manifest.production_id)
        processor = effect.compile(dict(params), pack, context)
        return processor([frame] * (2 * processor.temporal_radius + 1))

    return render


def cleanup_host_model(pack: Pack, given: Mapping[str, Any]) -> HostModel:
    """The cleanup effect's single-frame form (``Effect.host_form``)."""
    params = cleanup_graph.spatial_params(given)
    frames = next(t for t in pack.manifest.io.inputs if t.role == "image")
    space = frames.color_space or pack.manifest.io.working_space
    left_out = ("temporal denoising (optical flow between neighbouring frames): the host graph sees one frame",
                "dust and scratch repair (needs neighbouring frames)", "dead-pixel repair (per-camera maps)",
                "synthesised grain and the review images")
    return HostModel("cleanup", cleanup_graph.spatial_cleanup_graph(pack, params), params, space,
                     _renderer(pack, params, space), lambda: torchscript.script_cleanup(pack, params), left_out,
                     f"feed the footage's own code values ({space}, the space the pack was trained in) before any "
                     "colour transform, and grade after the node", frames.value_range)


def look_host_model(pack: Pack, given: Mapping[str, Any]) -> HostModel:
    """The look effect's single-frame form (``Effect.host_form``)."""
    if given:
        raise UsageError("a look has no parameters to bake", "--param")
    data = LookData.from_json(pack.manifest.effect_data, pack.path)
    if data.model != "global_lut":
        script = _no_script("an image-adaptive look chooses its blend from the whole picture; only global-LUT "
                            "looks are scripted for Nuke")
    else:
        script = lambda: torchscript.script_look(data.lut)  # noqa: E731
    return HostModel("look", look_graph.look_graph(pack, data), {}, data.working_space,
                     _renderer(pack, {}, data.input_space), script, (),
                     f"convert the source from {data.input_space} to {data.working_space} before the node and the "
                     f"result from {data.working_space} to {data.graded_space} after it (the look was learned on "
                     f"{data.input_space} → {data.graded_space} pairs)", lut=data.lut)


def _no_script(reason: str) -> Callable[[], torch.jit.ScriptModule]:
    def refuse() -> torch.jit.ScriptModule:
        raise PackError(reason)
    return refuse


def relight_host_model(pack: Pack, given: Mapping[str, Any]) -> HostModel:
    """The relight effect's single-frame form (``Effect.host_form``)."""
    params = relight_graph.single_frame_params(given)
    left_out = ("shading statistics pooled over neighbouring frames (temporal_radius): the graph measures each "
                "frame alone, so level-driven changes can flicker where answerprint's do not (docs/hosts.md)",
                "normals from a depth or disparity pass", "matching a reference take", "the review outputs")
    return HostModel("relight", relight_graph.relight_graph(pack, params), params, "ACEScg",
                     _renderer(pack, params, "ACEScg"), lambda: relight_script.script_relight(pack, params), left_out,
                     "feed scene-linear ACEScg (convert the footage from its camera space to ACEScg before the node "
                     "and back after it, as answerprint does); the graph relights each frame on its own; pictures "
                     "up to 16:1")


def host_model(pack: Pack, params: Mapping[str, Any]) -> HostModel:
    """The single-frame form of ``pack``'s effect with ``params`` baked, built by the function the effect names
    (``Effect.host_form``: this module's for cleanup, look and relight; a plug-in effect names its own).

    Raises
    ------
    PackError
        For effects with no host form.
    """
    effect = get_effect(pack.manifest.effect)
    if effect.host_form is None:
        raise PackError(f"{pack.manifest.effect} has no host form", pack.path)
    return Deferred(effect.host_form)(pack, params)


def check_frame(width: int = CHECK_SIZE[0], height: int = CHECK_SIZE[1], seed: int = 0) -> np.ndarray:
    """A smooth colour field with fine noise (σ 0.03), float32 H×W×3 in 0..1: the exports' parity input."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    x, y = x / width, y / height
    field = np.stack([0.45 + 0.3 * np.sin(6 * x + 2 * y), 0.4 + 0.25 * np.cos(5 * y - 3 * x),
                      0.5 + 0.3 * np.sin(24 * x * y)], axis=-1)
    noise = np.random.default_rng(seed).normal(0.0, 0.03, field.shape)
    return np.clip(field + noise, 0.0, 1.0).astype(np.float32)


def run_graph(graph: bytes, frame: np.ndarray) -> np.ndarray:
    """An export's ONNX graph on one H×W×3 frame in onnxruntime (CPU), as H×W×3."""
    options = ort.SessionOptions()
    options.log_severity_level = 3  # not the warnings about fp16 constants it cannot fold on the CPU
    session = ort.InferenceSession(graph, options, providers=["CPUExecutionProvider"])
    tensor = np.ascontiguousarray(np.transpose(frame, (2, 0, 1))[None], dtype=np.float32)
    return np.transpose(session.run(None, {INPUT: tensor})[0][0], (1, 2, 0))


def run_module(module: torch.jit.ScriptModule, frame: np.ndarray) -> np.ndarray:
    """A TorchScript export on one H×W×3 frame, as H×W×3."""
    with torch.no_grad():
        result = module(torch.from_numpy(np.ascontiguousarray(np.transpose(frame, (2, 0, 1))[None])))
    return np.transpose(result[0].numpy(), (1, 2, 0))


def _difference(produced: np.ndarray, reference: np.ndarray, tolerance: float, what: str) -> float:
    worst = float(np.max(np.abs(produced.astype(np.float64) - reference)))
    if not worst <= tolerance:
        raise PackError(f"the {what} differs from answerprint's render by {worst:.3g} (> {tolerance:g}); "
                        "nothing exported")
    return worst


def _record(pack: Pack, model: HostModel, host: str, precision: str, difference: float, tolerance: float,
            runtime: str) -> dict[str, Any]:
    manifest = pack.manifest
    tensor = {"layout": "NCHW", "channels": 3, "dtype": "float32", "color_space": model.space}
    return {
        "host": host, "precision": precision, "effect": model.effect,
        "source_pack": {"id": manifest.pack_id, "sha256": pack.sha256, "signed_by": pack.signed_by,
                        "production_id": manifest.production_id, "production_name": manifest.production_name},
        "baked_params": model.params, "left_out": list(model.left_out),
        "io": {"input": dict(tensor, name=INPUT), "output": dict(tensor, name=OUTPUT)},
        "parity": {"max_abs_diff": difference, "tolerance": tolerance, "runtime": runtime,
                   "reference": f"answerprint {answerprint_version} {model.effect} processor, pack graph in "
                                f"onnxruntime {ort.__version__} CPU",
                   "frame": f"check frame {CHECK_SIZE[0]}x{CHECK_SIZE[1]}"},
        "provenance": manifest.provenance,
        "software": {"answerprint": answerprint_version, "onnx": onnx.__version__, "onnxruntime": ort.__version__,
                     "torch": torch.__version__},
    }


def _io_spec(model: HostModel) -> IOSpec:
    tensor = dict(value_range=model.value_range, color_space=model.space)
    return IOSpec((TensorSpec(INPUT, **tensor),), (TensorSpec(OUTPUT, **tensor),),
                  model.space)


def _readme(pack: Pack, model: HostModel, host: str, files: list[str]) -> str:
    steps = {
        "flame": "Flame 2025.2 or later: add an Inference node and pick the .onnx (the .json beside it names the "
                 "sockets); feed the Front input as said above.",
        "nuke": "Nuke 14 or later: CatFileCreator > Torchscript File = the .pt, Cat File = where the .cat goes, "
                "Channels In = rgb, Channels Out = rgb, Model Id = the file name; Create .cat File; then an "
                "Inference node with that .cat, fed as said above (Read > Raw Data for camera code values). "
                f"The .pt was saved by torch {torch.__version__}: CatFileCreator "
                "needs a TorchScript its own libtorch reads (Foundry: Nuke 14 runs PyTorch 1.12), so re-export with "
                "that torch version if it refuses the file.",
        "houdini": "Houdini 20.5 Copernicus: ONNX Inference COP, Model File = the .onnx, Setup Shapes from Model; "
                   "input tensor 'image' and output 'result' are float32 N×C×H×W = 1×3×H×W (channels first, "
                   "R, G, B), H and W those of the layer; wire an RGB layer, fed as said above.",
        "onnx": "onnxruntime: session.run(None, {'image': x}) with x float32 [N, 3, H, W] (channels first, "
                "R, G, B), H and W of at least 8 px; 'result' has the same shape.",
    }[host]
    lines = [f"answerprint {model.effect} from pack {pack.manifest.pack_id} (sha256 {pack.sha256})",
             f"production: {pack.manifest.production_name} ({pack.manifest.production_id})", "",
             f"files: {', '.join(files)}",
             "tensors: input 'image', output 'result'; float32 [N, 3, H, W] (NCHW, channels R, G, B); any H and W "
             "of at least 8 px",
             f"colour space in and out: {model.space}; {model.steps}",
             "baked parameters: " + (", ".join(f"{k}={v}" for k, v in sorted(model.params.items())) or "none"), "",
             steps, ""]
    if model.left_out:
        lines += ["stays in answerprint (not in these files):", *(f"  - {item}" for item in model.left_out), ""]
    lines.append("the .onnx and .pt files carry signed provenance (metadata 'answerprint.export' in an .onnx, "
                 "extra file 'answerprint.export.json' in a .pt; docs/hosts.md says how to check it)")
    return "\n".join(lines) + "\n"


def export_for_host(pack_ref: str, host: str, out_dir: str | os.PathLike, *, production: str | None = None,
                    params: Mapping[str, Any] | None = None, library: str | None = None,
                    private_key: Ed25519PrivateKey | None = None) -> list[ExportedFile]:
    """Write ``pack_ref``'s effect for ``host`` into ``out_dir`` (see the module docstring).

    Parameters
    ----------
    pack_ref : str
        A ``.onnx`` pack or a library reference ``[production/]effect/name[@version]``; verified like a render's.
    host : str
        One of ``HOSTS``.
    production : str, optional
        The production the pack must belong to.
    params : mapping, optional
        Parameter values to bake (the rest keep their defaults).
    private_key : Ed25519PrivateKey, optional
        Signing key; default this user's key for the pack's production.

    Raises
    ------
    UsageError
        For an unknown host or parameter.
    PackError
        When the pack is refused, has no host form, a parity check fails, or there is no signing key.
    """
    if host not in HOSTS:
        raise UsageError(f"unknown host {host!r}; choose one of {', '.join(HOSTS)}", "--for")
    pack = load_pack(str(find_pack(pack_ref, production, library)), production, library=library)
    key = private_key or load_private_key(pack.manifest.production_id)
    model = host_model(pack, dict(params or {}))
    frame = check_frame()
    reference = model.render(frame)
    stem = f"{pack.manifest.production_id}_{model.effect}_{pack.manifest.name}_v{pack.manifest.version}"
    folder = Path(out_dir)
    staged: list[tuple[Path, str, bytes, float | None]] = []
    if host == "nuke":
        module = model.script()
        difference = _difference(run_module(module, frame), reference, FP32_TOLERANCE, "TorchScript module")
        record = _record(pack, model, host, "fp32", difference, FP32_TOLERANCE, f"torch {torch.__version__} CPU")
        buffer = io.BytesIO()
        with torchscript.torchscript_allowed():
            torch.jit.save(module, buffer, _extra_files=torchscript_extra_files(record, module.state_dict(), key))
        staged.append((folder / f"{stem}.pt", "torchscript", buffer.getvalue(), difference))
    else:
        fp16 = convert_to_fp16(model.graph)
        for suffix, precision, graph, tolerance in (("", "fp32", model.graph, FP32_TOLERANCE),
                                                     (".fp16", "fp16", fp16, FP16_TOLERANCE)):
            difference = _difference(run_graph(graph, frame), reference, tolerance, f"{precision} graph")
            record = _record(pack, model, host, precision, difference, tolerance,
                             f"onnxruntime {ort.__version__} CPUExecutionProvider")
            path = folder / f"{stem}{suffix}.onnx"
            staged.append((path, f"onnx {precision}", signed_onnx(graph, record, key), difference))
            if host == "flame":
                description = flame_description(_io_spec(model), effect=model.effect, title=f"{stem}{suffix}",
                                                about=f"answerprint pack {pack.pack_id} ({precision})")
                staged.append((path.with_suffix(".json"), "flame sidecar",
                               (json.dumps(description, indent=4) + "\n").encode(), None))
    names = [p.name for p, *_ in staged] + ([f"{stem}.cube"] if model.lut is not None else [])
    staged.append((folder / "README.txt", "readme", _readme(pack, model, host, names).encode(), None))
    try:
        folder.mkdir(parents=True, exist_ok=True)
        written = [ExportedFile(write_atomically(path, data), kind, difference)
                   for path, kind, data, difference in staged]
        if model.lut is not None:
            comments = (f"answerprint look {pack.manifest.pack_id}", f"sha256 {pack.sha256}",
                        f"{model.space} in and out")
            written.append(ExportedFile(write_cube(folder / f"{stem}.cube", model.lut, comments), "cube"))
    except OSError as error:
        raise OutputError(f"cannot write the export: {error.strerror or error}", str(folder)) from None
    return written

