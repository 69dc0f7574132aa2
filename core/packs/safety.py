"""Checks made on a pack's bytes before onnxruntime ever parses them.

Refused: a file larger than the cap; any tensor stored outside the file (external data, which could make
onnxruntime read arbitrary paths); any tensor whose declared size is absurd or does not match the bytes it
holds; and a graph whose inputs/outputs do not match the manifest's I/O spec. Works on the raw protobuf
(``onnx_wire``), so core needs neither the ``onnx`` package nor a session to decide.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from ..errors import TamperedPackError, UnsafePackError
from . import onnx_wire
from .manifest import Manifest
from .spec import TensorSpec

GIB = 1024 ** 3


@dataclass(frozen=True)
class SafetyLimits:
    """Caps on what a pack may hold.

    Attributes
    ----------
    max_file_bytes : int
        Largest pack file (protobuf cannot hold more than 2 GiB in one message anyway).
    max_tensor_elements : int
        Largest element count one tensor may declare.
    max_tensor_bytes : int
        Largest byte size one tensor may declare.
    """

    max_file_bytes: int = 2 * GIB
    max_tensor_elements: int = 2 ** 31
    max_tensor_bytes: int = 2 * GIB


DEFAULT_LIMITS = SafetyLimits()


def corrupt(error: onnx_wire.WireFormatError, where: str | None) -> TamperedPackError:
    """The error for bytes that are not a well-formed ONNX model (damaged in transit, or tampered with)."""
    return TamperedPackError(f"not a well-formed ONNX model (corrupt or tampered with): {error}", where)


def check_tensors(model: bytes, where: str | None = None, limits: SafetyLimits = DEFAULT_LIMITS) -> None:
    """Refuse external data and absurd or inconsistent tensor sizes anywhere in the model.

    Raises
    ------
    UnsafePackError
        On the first offending tensor, naming it.
    TamperedPackError
        When the bytes are not a well-formed ONNX protobuf.
    """
    if len(model) > limits.max_file_bytes:
        raise UnsafePackError(f"the pack is {len(model)} bytes, over the {limits.max_file_bytes}-byte cap", where)
    try:
        for tensor in onnx_wire.iter_tensors(model):
            _check_tensor(tensor, where, limits)
    except onnx_wire.WireFormatError as error:
        raise corrupt(error, where) from None


def _check_tensor(tensor: onnx_wire.TensorRecord, where: str | None, limits: SafetyLimits) -> None:
    label = f"tensor {tensor.name or '(unnamed)'}"
    if tensor.external:
        raise UnsafePackError(f"{label} refers to external data; a pack must be one self-contained .onnx file",
                              where)
    if any(d < 0 for d in tensor.dims):
        raise UnsafePackError(f"{label} declares a negative dimension {list(tensor.dims)}", where)
    elements = math.prod(tensor.dims)
    if elements > limits.max_tensor_elements:
        raise UnsafePackError(f"{label} declares {elements} elements ({list(tensor.dims)}), over the cap of "
                              f"{limits.max_tensor_elements}", where)
    item_size = onnx_wire.ITEM_SIZES.get(tensor.data_type)
    if item_size is None:
        return
    declared_bytes = elements * item_size
    if declared_bytes > limits.max_tensor_bytes:
        raise UnsafePackError(f"{label} declares {declared_bytes} bytes, over the cap of {limits.max_tensor_bytes}",
                              where)
    if tensor.raw_bytes is not None and tensor.raw_bytes != declared_bytes:
        raise UnsafePackError(f"{label} declares {list(tensor.dims)} ({declared_bytes} bytes) but holds "
                              f"{tensor.raw_bytes} bytes", where)


def _describe(value: onnx_wire.ValueInfo) -> str:
    dims = "?" if value.dims is None else "x".join("?" if d is None else str(d) for d in value.dims)
    return f"{value.name} ({onnx_wire.ELEM_TYPE_NAMES.get(value.elem_type, value.elem_type)}, {dims})"


def _mismatch(spec: TensorSpec, value: onnx_wire.ValueInfo, temporal_window: int) -> str | None:
    dtype = onnx_wire.ELEM_TYPE_NAMES.get(value.elem_type)
    if dtype != spec.dtype:
        return f"{spec.name}: the graph has type {dtype or value.elem_type}, the manifest says {spec.dtype}"
    if value.dims is None or len(value.dims) != spec.rank:
        rank = "unknown" if value.dims is None else len(value.dims)
        return f"{spec.name}: the graph has rank {rank}, the manifest's layout {spec.layout} has rank {spec.rank}"
    expected = {"C": spec.channels, "T": temporal_window}
    for axis, dim in zip(spec.layout, value.dims):
        wanted = expected.get(axis)
        if wanted is not None and isinstance(dim, int) and dim != wanted:
            return f"{spec.name}: axis {axis} is {dim} in the graph, {wanted} in the manifest"
    return None


def check_graph_matches(model: bytes, manifest: Manifest, where: str | None = None) -> None:
    """Refuse a graph whose inputs/outputs differ from the manifest's I/O spec (names, types, ranks, channels).

    Raises
    ------
    UnsafePackError
        Naming the first difference.
    TamperedPackError
        When the bytes are not a well-formed ONNX protobuf.
    """
    try:
        inputs, outputs = onnx_wire.graph_io(model)
    except onnx_wire.WireFormatError as error:
        raise corrupt(error, where) from None
    io = manifest.io
    for side, specs, values in (("inputs", io.inputs, inputs), ("outputs", io.outputs, outputs)):
        graph_names = [v.name for v in values]
        manifest_names = [s.name for s in specs]
        if sorted(graph_names) != sorted(manifest_names):
            raise UnsafePackError(f"the graph's {side} {', '.join(map(_describe, values)) or 'none'} do not match "
                                  f"the manifest's {', '.join(manifest_names)}", where)
        by_name = {v.name: v for v in values}
        for spec in specs:
            problem = _mismatch(spec, by_name[spec.name], io.temporal_window)
            if problem:
                raise UnsafePackError(f"the graph does not match its manifest: {problem}", where)
