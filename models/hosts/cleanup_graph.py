"""Cleanup for hosts: the pack's network as a single-frame graph, one picture in and the cleaned picture out.

A cleanup pack's graph takes a motion-compensated window of T frames, the noise model's σ per pixel and the
strength (``models.cleanup.network``); the noise model, the motion estimator and the steps after the network
live outside the graph, in ``core.effects.cleanup``. A host (Flame's Inference node, Houdini's ONNX Inference
COP, onnxruntime anywhere) feeds one frame and runs one graph, so the spatial variant puts around the pack's
own graph, unchanged:

- the frame repeated in every slot of the window (the network sees what answerprint gives it with
  ``temporal_radius=0``, or at a clip's first frame: no neighbour to align);
- ``noise_sigma`` computed in the graph from the production's noise model baked as a table (``NoiseModel
  .luma_sigma_map``: the frame blurred by ``noise.INTENSITY_BLUR`` px, σ per channel interpolated, averaged);
- the strength baked; the frame reflect-padded to the size multiple and cropped back;
- ``detail`` (the removed residual's coarser texture given back) and ``grain=keep`` baked after the network.

Its output equals ``answerprint apply cleanup`` with ``temporal_radius=0 dust_sensitivity=0
dead_pixels=false`` on the same frame, within float32 rounding. Not in the graph, so answerprint-only: the
temporal window (motion needs optical flow between frames, which a single-frame host node cannot give), dust
and dead-pixel repair (neighbouring frames, per-camera maps), synthesised grain (random) and the review images.

Input ``image`` and output ``result``: float32 NCHW [N, 3, H, W], the footage's own code values (the space the
pack was trained in, e.g. LogC3 decoded to 0..1), any H and W of at least 8 px.
"""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import onnx

from answerprint.core.effects.cleanup.contract import CleanupContract
from answerprint.core.effects.cleanup.effect import DETAIL_SCALE_PX
from answerprint.core.effects.cleanup.noise import INTENSITY_BLUR
from answerprint.core.effects.cleanup.params import cleanup_params
from answerprint.core.errors import PackError, ParamError
from answerprint.core.packs import Pack

from .graph_ops import (
    INPUT,
    OUTPUT,
    GraphBuilder,
    crop_like,
    gaussian_blur,
    host_graph,
    interpolate_table,
    pad_to_multiple,
)

#: Parameter values under which the spatial graph equals answerprint's render (see the module docstring).
SPATIAL_PARAMS = {"temporal_radius": 0, "dust_sensitivity": 0.0, "dead_pixels": False}


def spatial_params(given: Mapping[str, Any]) -> dict[str, Any]:
    """Every cleanup parameter for the spatial graph: ``given`` over the defaults, with ``SPATIAL_PARAMS``.

    Raises
    ------
    ParamError
        When ``given`` asks for a temporal radius, dust or dead-pixel repair (a single frame has no neighbours
        and no camera map), or for anything ``check_exportable`` refuses.
    """
    schema = cleanup_params()
    for name, value in SPATIAL_PARAMS.items():
        if name in given and schema[name].coerce(given[name]) != value:
            raise ParamError(f"a host graph sees one frame alone, without repairs: only {name}={value} is exported",
                             f"--param {name}")
    params = schema.resolve({**given, **SPATIAL_PARAMS})
    check_exportable(params)
    return params


def check_exportable(params: Mapping[str, Any]) -> None:
    """Refuse parameters a single-frame graph cannot bake.

    Raises
    ------
    ParamError
        For ``grain=synthesize`` (fresh random grain per frame) and a review output.
    """
    if params["grain"] == "synthesize":
        raise ParamError("synthesised grain is random per frame and stays in answerprint; export with grain=remove "
                         "or grain=keep", "--param grain")
    if params["review"] != "off":
        raise ParamError("review images stay in answerprint; export with review=off", "--param review")


def _noise_sigma(graph: GraphBuilder, image: str, contract: CleanupContract) -> str:
    """``NoiseModel.luma_sigma_map`` of the frame as [N, 1, H, W]."""
    noise = contract.noise_model
    intensity = gaussian_blur(graph, image, INTENSITY_BLUR)
    try:
        sigma = interpolate_table(graph, intensity, np.asarray(noise.intensities), np.asarray(noise.sigma))
    except ValueError as error:
        raise PackError(f"the pack's noise model cannot be baked: {error}") from None
    return graph.op("ReduceMean", [sigma, graph.const([1], "axes", np.int64)], keepdims=1)


def spatial_cleanup_graph(pack: Pack, params: Mapping[str, Any]) -> bytes:
    """The single-frame cleanup graph of ``pack`` at the resolved ``params`` (ONNX bytes, no metadata).

    Raises
    ------
    PackError
        When the pack is not a cleanup pack this answerprint reads, or its noise model cannot be baked.
    ParamError
        For parameters the graph cannot bake (``check_exportable``).
    """
    check_exportable(params)
    contract = CleanupContract.from_manifest(pack.manifest, pack.path)
    tensors = contract.tensors
    model = onnx.load_from_string(pack.model_bytes)
    del model.metadata_props[:]
    graph = GraphBuilder()
    window = [INPUT] * contract.temporal_window
    frames = graph.op("Concat", window, axis=1)
    sigma = _noise_sigma(graph, INPUT, contract)
    graph.nodes.append(onnx.helper.make_node("Identity", [pad_to_multiple(graph, frames, contract.size_multiple)],
                                             [tensors.frames], name=f"host/{tensors.frames}"))
    graph.nodes.append(onnx.helper.make_node("Identity", [pad_to_multiple(graph, sigma, contract.size_multiple)],
                                             [tensors.noise_sigma], name=f"host/{tensors.noise_sigma}"))
    fed = contract.feeds(np.zeros((1, 1, 1, 1), np.float32), np.zeros((1, 1, 1, 1), np.float32), params)
    for name, value in fed.items():
        if name not in (tensors.frames, tensors.noise_sigma):
            graph.initializers.append(onnx.numpy_helper.from_array(value.astype(np.float32), name))
    preparation = len(graph.nodes)

    denoised = crop_like(graph, tensors.output, INPUT)
    residual = graph.op("Sub", [INPUT, denoised])
    detail = graph.op("Mul", [gaussian_blur(graph, residual, DETAIL_SCALE_PX), graph.const(params["detail"])])
    result = graph.op("Add", [detail, denoised])
    if params["grain"] == "keep":
        result = graph.op("Add", [result, graph.op("Mul", [residual, graph.const(params["grain_amount"])])])
    graph.nodes.append(onnx.helper.make_node("Identity", [result], [OUTPUT], name="host/result"))

    body = model.graph
    unfed = [i.name for i in body.input if i.name not in fed]
    if unfed:
        raise PackError(f"the pack's graph takes inputs the cleanup contract does not name: {unfed}", pack.path)
    return host_graph(model, graph, preparation)
