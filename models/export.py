"""Export a trained torch model as a signed answerprint pack.

``export_pack`` runs the whole chain: torch → ONNX (dynamo exporter, opset ≥ 20, dynamic batch/height/width,
one self-contained file) → parity against torch on onnxruntime CPU (fp32 must agree to 1e-4 or the export
is refused) → optional fp16 variant (``onnxruntime.transformers.float16``, inputs/outputs kept float32;
parity recorded, refused above 1e-2) → manifest with identity, I/O, parameters, provenance and parity →
Ed25519 signature with the production's key.

fp16 storage: the fp16 variant is a second, complete and separately signed pack file
(``<name>.fp16.onnx``) beside the fp32 one; the fp32 manifest lists its file name and SHA-256, so the fp32
signature vouches for it too. Conversion happens here, at export, because a colorist's machine has neither
torch nor the ``onnx`` package; the runtime only chooses between two verified files.
"""
from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import pickle
import warnings
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

import numpy as np
import onnx
import onnxruntime as ort
import torch
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from onnxruntime.transformers.float16 import convert_float_to_float16

from answerprint.core import __version__ as answerprint_version
from answerprint.core.errors import PackError, UnsafePackError, UsageError
from answerprint.core.packs import (Manifest, PackSpec, Production, embed_manifest, key_id, load_private_key,
                                    load_production, production_public_keys, read_manifest, sign_model,
                                    write_pack)
from answerprint.core.runtime import ModelSession

#: Lowest opset packs are exported at (5-D GridSample and other ops used by effects need 20).
MIN_OPSET = 20
FP32_TOLERANCE = 1e-4
FP16_TOLERANCE = 1e-2
_MAX_SIDE = 16384


@dataclass(frozen=True)
class ExportResult:
    """What ``export_pack`` wrote.

    Attributes
    ----------
    path : Path
        The fp32 pack.
    manifest : Manifest
        Its manifest (signed when the pack is).
    fp16_path : Path or None
        The fp16 variant, when made.
    max_abs_diff : float
        Largest |torch − onnxruntime| over the parity inputs, fp32.
    fp16_max_abs_diff : float or None
        The same for the fp16 variant.
    """

    path: Path
    manifest: Manifest
    fp16_path: Path | None
    max_abs_diff: float
    fp16_max_abs_diff: float | None


def load_checkpoint(path: str | os.PathLike) -> Any:
    """Load a torch checkpoint with ``weights_only=True``: tensors and plain containers, never code.

    Raises
    ------
    UnsafePackError
        When the checkpoint holds anything a weights-only unpickler refuses (e.g. a ``__reduce__`` payload).
    PackError
        When it cannot be read.
    """
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise UnsafePackError(f"refused: the checkpoint holds more than weights ({first_line[:200]})",
                              os.fspath(path)) from None
    except (OSError, RuntimeError, EOFError, ValueError) as error:
        raise PackError(f"cannot read the checkpoint: {str(error)[:200]}", os.fspath(path)) from None


def _dynamic_shapes(spec: PackSpec, names: Sequence[str]) -> tuple[dict[int, Any], ...]:
    batch = torch.export.Dim("N", min=1, max=4096)
    height = torch.export.Dim("H", min=1, max=_MAX_SIDE)
    width = torch.export.Dim("W", min=1, max=_MAX_SIDE)
    axes = {"N": batch, "H": height, "W": width}
    layouts = {t.name: t.layout for t in spec.io.inputs}
    return tuple({i: axes[a] for i, a in enumerate(layouts[name]) if a in axes} for name in names)


def export_onnx(model: torch.nn.Module, example_inputs: Mapping[str, torch.Tensor], spec: PackSpec,
                opset: int = MIN_OPSET) -> bytes:
    """Export ``model`` to ONNX bytes: dynamic N/H/W as the spec's layouts say, everything in one message.

    Parameters
    ----------
    model : torch.nn.Module
        In eval mode.
    example_inputs : mapping of str to Tensor
        One example per graph input, in the order of ``model.forward``'s arguments, named as in the spec.
    spec : PackSpec
        Input and output names and layouts.
    opset : int
        Default-domain opset, at least ``MIN_OPSET``.

    Raises
    ------
    UsageError
        When the opset is below ``MIN_OPSET`` or the example names differ from the spec's inputs.
    PackError
        When torch cannot export the model.
    """
    if opset < MIN_OPSET:
        raise UsageError(f"packs are exported at opset {MIN_OPSET} or later, not {opset}", "opset")
    names = list(example_inputs)
    if sorted(names) != sorted(t.name for t in spec.io.inputs):
        raise UsageError(f"example inputs {names} differ from the spec's inputs "
                         f"{[t.name for t in spec.io.inputs]}")
    try:
        with warnings.catch_warnings(), _quiet_exporter_log():
            # torch notes that inputs sharing the batch axis share its name, and that torchvision's ops are
            # not registered (packs use none); neither concerns the user.
            warnings.filterwarnings("ignore", message="# The axis name", category=UserWarning)
            warnings.filterwarnings("ignore", message=".*LeafSpec.*", category=FutureWarning)
            program = torch.onnx.export(model, tuple(example_inputs.values()), input_names=names,
                                        output_names=[t.name for t in spec.io.outputs], opset_version=opset,
                                        dynamo=True, external_data=False, verbose=False,
                                        dynamic_shapes=_dynamic_shapes(spec, names))
    except Exception as error:  # torch.export raises many unrelated types; all mean "cannot export"
        raise PackError(f"torch could not export the model: {type(error).__name__}: {str(error)[:500]}") from None
    return program.model_proto.SerializeToString()


def report_path_beside(pack_path: Path | None, out: str | os.PathLike | None, name: str) -> Path:
    """Where a training report goes: ``<pack stem>.report.html`` beside the pack, else beside ``out`` or
    ``<name>.onnx`` when no pack was written."""
    stem = (pack_path or Path(out or f"{name}.onnx")).with_suffix("")
    return stem.with_name(stem.name + ".report.html")


@contextlib.contextmanager
def _quiet_exporter_log() -> Iterator[None]:
    """Hold torch's ONNX exporter logger to errors while the block runs."""
    logger = logging.getLogger("torch.onnx")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def convert_to_fp16(model_bytes: bytes) -> bytes:
    """An fp16 copy of an fp32 ONNX model; graph inputs and outputs stay float32."""
    converted = convert_float_to_float16(onnx.load_from_string(model_bytes), keep_io_types=True)
    return converted.SerializeToString()


def default_opset(model_bytes: bytes) -> int:
    """The default-domain (``ai.onnx``) opset the model imports."""
    model = onnx.load_from_string(model_bytes)
    return next(o.version for o in model.opset_import if o.domain in ("", "ai.onnx"))


def _torch_outputs(model: torch.nn.Module, feeds: Mapping[str, np.ndarray], order: Sequence[str],
                   output_names: Sequence[str]) -> dict[str, np.ndarray]:
    with torch.inference_mode():
        result = model(*(torch.from_numpy(np.ascontiguousarray(feeds[name])) for name in order))
    results = result if isinstance(result, (tuple, list)) else (result,)
    return {name: tensor.detach().float().numpy() for name, tensor in zip(output_names, results)}


def measure_parity(model_bytes: bytes, model: torch.nn.Module, order: Sequence[str],
                   inputs: Sequence[Mapping[str, np.ndarray]]) -> float:
    """Largest |torch − onnxruntime CPU| over every output of every input set.

    Parameters
    ----------
    order : sequence of str
        Input names in the order of ``model.forward``'s arguments.
    inputs : sequence of mapping
        Input sets (numpy arrays by input name).
    """
    session = ModelSession(model_bytes, threads=None, label="parity check")
    worst = 0.0
    for feeds in inputs:
        reference = _torch_outputs(model, feeds, order, session.output_names)
        produced = session.run({name: feeds[name] for name in order})
        for name, expected in reference.items():
            worst = max(worst, float(np.max(np.abs(produced[name].astype(np.float64) - expected))))
    return worst


class _AllocationCounter(torch.overrides.TorchFunctionMode):
    """Sums the bytes of every new tensor torch functions produce (views and in-place results excluded)."""

    def __init__(self) -> None:
        super().__init__()
        self.total = 0

    def __torch_function__(self, func, types, args=(), kwargs=None):
        result = func(*args, **(kwargs or {}))
        if isinstance(result, torch.Tensor):
            inputs = {a.untyped_storage().data_ptr() for a in args if isinstance(a, torch.Tensor)}
            if result.untyped_storage().data_ptr() not in inputs:
                self.total += result.numel() * result.element_size()
        return result


def estimate_bytes_per_pixel(model: torch.nn.Module, example_inputs: Mapping[str, torch.Tensor]) -> float:
    """Working memory per input pixel, in bytes, for planning tiles: the inputs plus every tensor the forward
    pass creates (an upper bound on the activations alive at once), divided by the example's N × H × W."""
    counter = _AllocationCounter()
    with torch.inference_mode(), counter:
        model(*example_inputs.values())
    inputs = sum(t.numel() * t.element_size() for t in example_inputs.values())
    image = max(example_inputs.values(), key=lambda t: t.dim())
    return float((inputs + counter.total) / (image.shape[-1] * image.shape[-2] * image.shape[0]))


def _random_inputs(example_inputs: Mapping[str, torch.Tensor], spec: PackSpec, seed: int) -> dict[str, np.ndarray]:
    """The examples with image inputs replaced by uniform noise at another size (checks dynamic H/W)."""
    rng = np.random.default_rng(seed)
    multiple = spec.io.size_multiple
    layouts = {t.name: t for t in spec.io.inputs}
    out = {}
    for name, tensor in example_inputs.items():
        array = tensor.detach().cpu().numpy()
        if layouts[name].role == "image" and "H" in layouts[name].layout:
            shape = list(array.shape)
            shape[-2] = max(multiple, (shape[-2] * 3 // 4) // multiple * multiple + multiple)
            shape[-1] = max(multiple, (shape[-1] * 5 // 4) // multiple * multiple + multiple)
            low, high = layouts[name].value_range or (0.0, 1.0)
            array = rng.uniform(low, high, size=shape).astype(array.dtype)
        out[name] = array
    return out


def _describe(feeds: Mapping[str, np.ndarray], origin: str) -> str:
    return origin + " " + ", ".join(f"{n} {'x'.join(map(str, a.shape))}" for n, a in feeds.items())


def _signing_key(production: Production, sign: bool,
                 private_key: Ed25519PrivateKey | None) -> Ed25519PrivateKey | None:
    if not sign:
        return None
    key = private_key or load_private_key(production.id)
    if key_id(key.public_key()) not in production_public_keys(production):
        raise PackError(f"key {key_id(key.public_key())} is not a key of production {production.id}; sign with "
                        "the production's key (answerprint keys init --production ...)")
    return key


def _finish(model_bytes: bytes, manifest: Manifest, key: Ed25519PrivateKey | None) -> bytes:
    packed = embed_manifest(model_bytes, manifest)
    return sign_model(packed, key) if key is not None else packed


def export_pack(model: torch.nn.Module, example_inputs: Mapping[str, torch.Tensor], spec: PackSpec,
                provenance: Mapping[str, Any], out_path: str | os.PathLike, *, production: Production | str,
                parity_inputs: Sequence[Mapping[str, np.ndarray]] = (), sign: bool = True,
                private_key: Ed25519PrivateKey | None = None, fp16: bool = False, opset: int = MIN_OPSET,
                tolerance: float = FP32_TOLERANCE, fp16_tolerance: float = FP16_TOLERANCE) -> ExportResult:
    """Export, check, describe and sign a pack (see the module docstring).

    Parameters
    ----------
    model : torch.nn.Module
        The trained model; put in eval mode for the export and restored afterwards.
    example_inputs : mapping of str to Tensor
        One example per input in ``forward`` order (batch 1 is fine: N, H and W are exported dynamic).
    spec : PackSpec
        Effect, name, version, I/O spec and parameters. ``io.bytes_per_pixel`` is estimated when None.
    provenance : mapping
        The manifest's provenance section (``answerprint.core.packs.build_provenance``).
    out_path : path
        Where the fp32 pack goes; the fp16 variant is written beside it as ``<name>.fp16.onnx``.
    production : Production or str
        The production the pack is made for (its id looks it up in the library).
    parity_inputs : sequence of mapping
        Real inputs (e.g. frames from the dailies) for the parity check, numpy arrays by input name; a
        random input at another size is always added.
    sign : bool
        Sign with the production's key (False only for tests of the unsigned refusal and local experiments).
    private_key : Ed25519PrivateKey, optional
        Signing key; default this user's key for the production.
    fp16 : bool
        Also write a signed fp16 variant.
    opset : int
        At least ``MIN_OPSET``.
    tolerance, fp16_tolerance : float
        Largest accepted |torch − onnxruntime| for fp32 and fp16.

    Raises
    ------
    PackError
        When export fails, parity exceeds its tolerance, the manifest is invalid, or the key is not the
        production's.
    """
    production = production if isinstance(production, Production) else load_production(production)
    key = _signing_key(production, sign, private_key)
    was_training = model.training
    model.eval()
    try:
        if spec.io.bytes_per_pixel is None:
            spec = replace(spec, io=replace(spec.io, bytes_per_pixel=estimate_bytes_per_pixel(model, example_inputs)))
        model_bytes = export_onnx(model, example_inputs, spec, opset)
        order = list(example_inputs)
        checks = [dict(feeds) for feeds in parity_inputs] + [_random_inputs(example_inputs, spec, seed=20)]
        described = [_describe(f, "provided") for f in checks[:-1]] + [_describe(checks[-1], "random")]
        worst = measure_parity(model_bytes, model, order, checks)
        if not worst <= tolerance:
            raise PackError(f"onnxruntime differs from torch by {worst:.3g} (> {tolerance:g}); not exported")
        fp16_bytes = convert_to_fp16(model_bytes) if fp16 else None
        fp16_worst = measure_parity(fp16_bytes, model, order, checks) if fp16_bytes else None
    finally:
        model.train(was_training)
    if fp16_worst is not None and not fp16_worst <= fp16_tolerance:
        raise PackError(f"the fp16 variant differs from torch by {fp16_worst:.3g} (> {fp16_tolerance:g}); "
                        "export without fp16")
    parity = {"max_abs_diff": worst, "tolerance": tolerance, "inputs": described,
              "reference": f"torch {torch.__version__} fp32 CPU",
              "runtime": f"onnxruntime {ort.__version__} CPUExecutionProvider"}
    software = {"answerprint": answerprint_version, "torch": torch.__version__, "onnx": onnx.__version__,
                "onnxruntime": ort.__version__}
    manifest = Manifest.create(spec, production_id=production.id, production_name=production.name,
                               provenance=provenance, parity=parity, software=software,
                               opset=default_opset(model_bytes))
    out = Path(out_path)
    fp16_path = None
    if fp16_bytes is not None:
        fp16_manifest = manifest.updated({"identity.precision": "fp16",
                                          "parity": dict(parity, max_abs_diff=fp16_worst, tolerance=fp16_tolerance)})
        fp16_pack = _finish(fp16_bytes, fp16_manifest, key)
        fp16_path = write_pack(fp16_pack, out.with_name(f"{spec.name}.fp16.onnx"))
        manifest = manifest.updated({"variants": {"fp16": {"file": fp16_path.name,
                                                           "sha256": hashlib.sha256(fp16_pack).hexdigest()}}})
    pack_bytes = _finish(model_bytes, manifest, key)
    path = write_pack(pack_bytes, out)
    return ExportResult(path, read_manifest(pack_bytes, str(path)), fp16_path, worst, fp16_worst)
