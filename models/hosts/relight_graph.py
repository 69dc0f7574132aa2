"""Relight for hosts: one scene-linear ACEScg picture in, the relit picture out, the light baked.

``core.effects.relight.processor`` around the pack's shading network, in ONNX ops, on one frame:

1. the frame, negatives and non-finite values set to 0, reduced to the analysis size (``decompose.analysis_size``,
   computed in the graph from H and W) with ``cv2.resize``'s INTER_AREA weights (``graph_ops.area_resize_matrix``,
   two matrix products);
2. the pack's own graph, unchanged, gives the shading (floored at 1e-8);
3. the shading statistics (``ShadingStats.measure``: percentiles by ``TopK``, mean, spread, light colour) of
   THIS frame: answerprint pools them over ``temporal_radius`` frames each side, a single-frame host cannot,
   so the export bakes ``temporal_radius=0`` (``docs/hosts.md`` measures what that costs on a moving shot);
4. key/fill, shadow lift, the light (added, or replacing the key), highlight roll-off and the floor
   (``shading_ops``), with normals from the shading (Gaussian of σ 1 % of the analysis width, a kernel picked
   from a baked table by that width, and Sobel) or flat, the light's weight field (``lights.light_weight``) on
   the analysis-size grid;
5. log2(new / old shading) brought to full size (``Resize`` linear, half-pixel: ``cv2.INTER_LINEAR``), and the
   frame multiplied by its exp2.

Its output equals ``answerprint apply relight`` of the same frame as a one-frame clip (or with
``temporal_radius=0``) within float32 rounding. Not in the graph, so refused or answerprint-only: statistics
pooled over neighbouring frames, normals from a depth pass (a second, per-frame input), matching a reference
take (read from a file in its own colour space) and the review outputs.
"""
from __future__ import annotations

import math
from typing import Any, Mapping

import numpy as np
import onnx
from onnx import TensorProto

from answerprint.core.effects.relight.decompose import DEFAULT_ANALYSIS_SIDE, IMAGE_INPUT, SHADING_OUTPUT, SIZE_MULTIPLE
from answerprint.core.effects.relight.light_color import ACESCG_LUMINANCE
from answerprint.core.effects.relight.lights import MIN_FLAT_COSINE, Light
from answerprint.core.effects.relight.normals import RELIEF_PX_PER_STOP, RELIEF_SMOOTHING
from answerprint.core.effects.relight.params import relight_params
from answerprint.core.effects.relight.processor import RelightSettings
from answerprint.core.effects.relight.shading_ops import ROLLOFF_KNEE_STOPS, SHADING_FLOOR, STATS_SAMPLES
from answerprint.core.errors import PackError, ParamError
from answerprint.core.packs import Pack

from .graph_ops import INPUT, OUTPUT, GraphBuilder, area_resize_matrix, cv2_gaussian_kernel, host_graph, percentiles

#: Parameter values under which the graph equals answerprint's render (see the module docstring).
SINGLE_FRAME_PARAMS = {"temporal_radius": 0}
_LN2 = math.log(2.0)


def single_frame_params(given: Mapping[str, Any]) -> dict[str, Any]:
    """Every relight parameter for the graph: ``given`` over the defaults, with ``SINGLE_FRAME_PARAMS``.

    Raises
    ------
    ParamError
        For a temporal radius other than 0 (a single frame has no neighbours), a depth pass, a reference take or
        a review output.
    """
    schema = relight_params()
    for name, value in SINGLE_FRAME_PARAMS.items():
        if name in given and schema[name].coerce(given[name]) != value:
            raise ParamError(f"a host graph sees one frame alone: only {name}={value} is exported (docs/hosts.md)",
                             f"--param {name}")
    params = schema.resolve({**given, **SINGLE_FRAME_PARAMS})
    if params["review"] != "result":
        raise ParamError("review images stay in answerprint; export with review=result", "--param review")
    if params["normals"] == "depth_map":
        raise ParamError("normals from a depth pass need the pass as a second, per-frame input; export with "
                         "normals=from_shading or flat", "--param normals")
    if params["reference"]:
        raise ParamError("matching a reference take stays in answerprint (the take is read in its own colour "
                         "space); export without reference", "--param reference")
    return params


class _Ops:
    """Float32 helpers on a ``GraphBuilder`` (NCHW tensors, stats as [N, 1, 1, 1])."""

    def __init__(self, graph: GraphBuilder):
        self.g = graph

    def c(self, value, dtype=np.float32) -> str:
        return self.g.const(value, "const", dtype)

    def __getattr__(self, op_type: str):
        return lambda *inputs, **attributes: self.g.op(op_type, list(inputs), **attributes)

    def log2(self, x: str) -> str:
        return self.Mul(self.Log(x), self.c(1.0 / _LN2))

    def exp2(self, x: str) -> str:
        return self.Exp(self.Mul(x, self.c(_LN2)))

    def luminance(self, rgb: str) -> str:
        """ACEScg luminance [N, 1, H, W] of [N, 3, H, W]."""
        weights = self.c(ACESCG_LUMINANCE.astype(np.float32).reshape(1, 3, 1, 1))
        return self.ReduceSum(self.Mul(rgb, weights), self.c([1], np.int64), keepdims=1)

    def scale_luminance(self, shading: str, new_luminance: str) -> str:
        old = self.Max(self.luminance(shading), self.c(1e-8))
        return self.Mul(shading, self.Div(new_luminance, old))

    def dim(self, tensor: str, axis: int) -> str:
        """The length of ``tensor`` along ``axis``, an int64 scalar."""
        return self.Gather(self.Shape(tensor), self.c(axis, np.int64), axis=0)


def _analysis_size(ops: _Ops, height: str, width: str, side: int) -> tuple[str, str]:
    """``decompose.analysis_size`` of int64 scalars, in float64 as Python computes it; int64 scalars."""
    h, w = ops.Cast(height, to=TensorProto.DOUBLE), ops.Cast(width, to=TensorProto.DOUBLE)
    scale = ops.Min(ops.c(1.0, np.float64), ops.Div(ops.c(float(side), np.float64), ops.Max(h, w)))

    def fit(length: str) -> str:
        steps = ops.Round(ops.Div(ops.Mul(length, scale), ops.c(float(SIZE_MULTIPLE), np.float64)))
        fitted = ops.Max(ops.c(float(SIZE_MULTIPLE), np.float64), ops.Mul(steps, ops.c(float(SIZE_MULTIPLE),
                                                                                       np.float64)))
        return ops.Cast(fitted, to=TensorProto.INT64)

    return fit(h), fit(w)


def _stats(ops: _Ops, shading: str) -> dict[str, str]:
    """``ShadingStats.measure`` of [N, 3, h, w]: stops as [N, 1, 1, 1], ``chroma`` as [N, 3, 1, 1]."""
    flat = ops.Reshape(shading, ops.c([0, 3, -1], np.int64))
    count = ops.Slice(ops.Shape(flat), ops.c([2], np.int64), ops.c([3], np.int64))
    step = ops.Max(ops.c([1], np.int64), ops.Div(count, ops.c([STATS_SAMPLES], np.int64)))
    flat = ops.Slice(flat, ops.c([0], np.int64), ops.c([np.iinfo(np.int64).max], np.int64), ops.c([2], np.int64),
                     step)
    weights = ops.c(ACESCG_LUMINANCE.astype(np.float32).reshape(1, 3, 1))
    lum = ops.Max(ops.ReduceSum(ops.Mul(flat, weights), ops.c([1], np.int64), keepdims=0), ops.c(1e-8))
    stops = ops.log2(lum)
    samples = ops.Slice(ops.Shape(stops), ops.c([1], np.int64), ops.c([2], np.int64))
    fill, median, key = percentiles(ops.g, stops, samples, (10.0, 50.0, 90.0))
    axis = ops.c([1], np.int64)
    mean = ops.ReduceMean(stops, axis, keepdims=1)
    spread = ops.Sqrt(ops.ReduceMean(ops.Mul(*(ops.Sub(stops, mean),) * 2), axis, keepdims=1))
    chroma = ops.Div(ops.ReduceMean(flat, ops.c([2], np.int64), keepdims=0),
                     ops.Max(ops.ReduceMean(lum, axis, keepdims=1), ops.c(1e-8)))
    spatial = ops.c([2, 3], np.int64)
    stats = {name: ops.Unsqueeze(value, spatial) for name, value in
             (("fill", fill), ("median_stops", median), ("key", key), ("mean", mean), ("spread", spread),
              ("chroma", chroma))}
    stats["median"] = ops.exp2(stats["median_stops"])
    return stats


def relief_kernel_table(side: int) -> tuple[np.ndarray, np.ndarray]:
    """OpenCV's Gaussian kernels of σ ``max(RELIEF_SMOOTHING · w, 0.5)`` for every analysis width w = 8, 16, … up
    to ``side`` and one step over: [widths, longest] float32, each centred and zero-padded, and their radii."""
    widths = range(SIZE_MULTIPLE, side + 2 * SIZE_MULTIPLE, SIZE_MULTIPLE)
    kernels = [cv2_gaussian_kernel(max(RELIEF_SMOOTHING * w, 0.5)) for w in widths]
    longest = max(len(k) for k in kernels)
    table = np.zeros((len(kernels), longest), np.float32)
    for row, kernel in zip(table, kernels):
        start = (longest - len(kernel)) // 2
        row[start:start + len(kernel)] = kernel
    return table, np.array([len(k) // 2 for k in kernels], np.int64)


def _relief_blur(ops: _Ops, image: str, width: str, side: int) -> str:
    """``cv2.GaussianBlur(image, (0, 0), max(RELIEF_SMOOTHING · width, 0.5))`` of [N, 1, h, w], ``width`` = w.

    σ depends on the analysis width, a multiple of ``SIZE_MULTIPLE`` up to ``side``: the kernels of every such
    width are baked in a table (zero-padded to the longest), the row for ``width`` is gathered and sliced to its
    own length, so the reflect-101 border is exactly OpenCV's.
    """
    table, radii = relief_kernel_table(side)
    longest = table.shape[1]
    index = ops.Sub(ops.Div(width, ops.c(SIZE_MULTIPLE, np.int64)), ops.c(1, np.int64))
    index = ops.Min(index, ops.c(len(radii) - 1, np.int64))
    radius = ops.Reshape(ops.Gather(ops.c(radii, np.int64), index, axis=0), ops.c([1], np.int64))
    centre = ops.c([longest // 2], np.int64)
    kernel = ops.Slice(ops.Gather(ops.c(table), index, axis=0), ops.Sub(centre, radius),
                       ops.Add(ops.Add(centre, radius), ops.c([1], np.int64)))
    rows = ops.Reshape(kernel, ops.c([1, 1, 1, -1], np.int64))
    columns = ops.Reshape(kernel, ops.c([1, 1, -1, 1], np.int64))
    across = ops.Conv(ops.Pad(image, _pads(ops, radius, horizontal=True), mode="reflect"), rows)
    return ops.Conv(ops.Pad(across, _pads(ops, radius, horizontal=False), mode="reflect"), columns)


def _pads(ops: _Ops, radius: str, horizontal: bool) -> str:
    """ONNX ``Pad`` amounts for [N, C, H, W]: ``radius`` before and after W (or H)."""
    zero = ops.c([0], np.int64)
    if horizontal:
        return ops.Concat(zero, zero, zero, radius, zero, zero, zero, radius, axis=0)
    return ops.Concat(zero, zero, radius, zero, zero, zero, radius, zero, axis=0)


def _normals(ops: _Ops, shading: str, width: str, settings: RelightSettings, side: int) -> tuple[str, str, str]:
    """(x, y, z) of the normals (``processor.surface_normals``), each [N, 1, h, w] or a broadcastable constant."""
    if settings.normals == "flat":
        return ops.c(0.0), ops.c(0.0), ops.c(1.0)
    log_shading = ops.log2(ops.Max(ops.luminance(shading), ops.c(1e-6)))
    relief = ops.Mul(_relief_blur(ops, log_shading, width, side), ops.c(RELIEF_PX_PER_STOP))
    padded = ops.Pad(relief, ops.c([0, 0, 1, 1, 0, 0, 1, 1], np.int64), mode="reflect")
    sobel_x = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], np.float32).reshape(1, 1, 3, 3)
    dz_dx = ops.Div(ops.Conv(padded, ops.c(sobel_x)), ops.c(8.0))
    dz_dy_down = ops.Div(ops.Conv(padded, ops.c(np.ascontiguousarray(sobel_x.transpose(0, 1, 3, 2)))), ops.c(8.0))
    x, y = ops.Neg(dz_dx), dz_dy_down
    length = ops.Sqrt(ops.Add(ops.Add(ops.Mul(x, x), ops.Mul(y, y)), ops.c(1.0)))
    return ops.Div(x, length), ops.Div(y, length), ops.Reciprocal(length)


def _lambert(ops: _Ops, normals: tuple[str, str, str], direction: tuple[str, str, str], wrap: bool = False) -> str:
    """``lights.lambert``: direction components may be constants or per-pixel tensors."""
    cosine = ops.Add(ops.Add(ops.Mul(normals[0], direction[0]), ops.Mul(normals[1], direction[1])),
                     ops.Mul(normals[2], direction[2]))
    if wrap:
        return ops.Div(ops.Add(ops.c(1.0), cosine), ops.Max(ops.Add(ops.c(1.0), direction[2]),
                                                           ops.c(2 * MIN_FLAT_COSINE)))
    return ops.Div(ops.Max(cosine, ops.c(0.0)), ops.Max(direction[2], ops.c(MIN_FLAT_COSINE)))


def _edge_window(ops: _Ops, distance: str, radius: float, falloff: float) -> str:
    inner = radius * (1.0 - falloff)
    t = ops.Clip(ops.Div(ops.Sub(ops.c(radius), distance), ops.c(max(radius - inner, 1e-6))), ops.c(0.0),
                 ops.c(1.0))
    return ops.Mul(ops.Mul(t, t), ops.Sub(ops.c(3.0), ops.Mul(ops.c(2.0), t)))


def _light_weight(ops: _Ops, light: Light, normals: tuple[str, str, str], height: str, width: str) -> str:
    """``lights.light_weight`` on the analysis-size grid (``height``, ``width`` int64 scalars)."""
    if light.kind == "directional":
        return _lambert(ops, normals, tuple(ops.c(float(v)) for v in light.direction))
    w = ops.Cast(width, to=TensorProto.FLOAT)
    h = ops.Cast(height, to=TensorProto.FLOAT)

    def centres(length: str, shape: list[int]) -> str:
        indices = ops.Range(ops.c(0.0), ops.Cast(length, to=TensorProto.FLOAT), ops.c(1.0))
        return ops.Reshape(ops.Div(ops.Add(indices, ops.c(0.5)), w), ops.c(shape, np.int64))

    gx, gy = centres(width, [1, 1, 1, -1]), centres(height, [1, 1, -1, 1])
    cx = ops.c(light.x)
    cy = ops.Div(ops.Mul(ops.c(light.y), h), w)
    dx, dy = ops.Sub(gx, cx), ops.Sub(gy, cy)
    distance = ops.Sqrt(ops.Add(ops.Mul(dx, dx), ops.Mul(dy, dy)))
    if light.kind == "point":
        lift = max(light.radius, 1e-3)
        length = ops.Sqrt(ops.Add(ops.Add(ops.Mul(dx, dx), ops.Mul(dy, dy)), ops.c(lift * lift)))
        towards = (ops.Div(ops.Neg(dx), length), ops.Div(dy, length), ops.Div(ops.c(lift), length))
        inverse_square = ops.Mul(*(ops.Div(ops.c(lift), length),) * 2)
        return ops.Mul(ops.Mul(_lambert(ops, normals, towards), inverse_square),
                       _edge_window(ops, distance, 2 * light.radius, 1.0))
    direction = tuple(ops.c(float(v)) for v in light.direction)
    if light.kind == "spot":
        return ops.Mul(_lambert(ops, normals, direction), _edge_window(ops, distance, light.radius, light.falloff))
    if light.kind == "area":
        return ops.Mul(_lambert(ops, normals, direction, wrap=True),
                       _edge_window(ops, distance, light.radius, max(light.falloff, 0.5)))
    raise ParamError(f"unknown light kind {light.kind!r}", "--param light_type")


def _gains(ops: _Ops, gains) -> str:
    return ops.c(np.asarray(gains, np.float32).reshape(1, 3, 1, 1))


def _relight_shading(ops: _Ops, shading: str, stats: dict[str, str], settings: RelightSettings, height: str,
                     width: str, side: int) -> str:
    """``processor.relight_shading`` without a reference take or a depth pass."""
    new = shading
    if settings.key_fill_stops:
        ratio = ops.Max(ops.Sub(stats["key"], stats["fill"]), ops.c(0.1))
        contrast = ops.Max(ops.Div(ops.Add(ratio, ops.c(settings.key_fill_stops)), ratio), ops.c(0.05))
        log_lum = ops.log2(ops.Max(ops.luminance(new), ops.c(1e-8)))
        median = stats["median_stops"]
        new = ops.scale_luminance(new, ops.exp2(ops.Add(median, ops.Mul(contrast, ops.Sub(log_lum, median)))))
    if settings.shadow_lift > 0:
        new = ops.Add(new, ops.Mul(ops.Mul(ops.c(settings.shadow_lift), stats["median"]), stats["chroma"]))
    if settings.replaces_key or settings.light_stops:
        normals = _normals(ops, shading, width, settings, side)
    if settings.replaces_key:
        new_gains = np.asarray(settings.light_gains, np.float32) * np.float32(2.0 ** settings.light_stops)
        ambient = ops.c(settings.ambient_share)

        def lit(light: Light, gains) -> str:
            cosine = _lambert_cosine(ops, normals, light.direction)
            return ops.Add(ambient, ops.Mul(cosine, _gains(ops, gains)))

        new = ops.Mul(new, ops.Div(lit(settings.light, new_gains), lit(settings.key, settings.key_gains)))
    elif settings.light_stops:
        weight = _light_weight(ops, settings.light, normals, height, width)
        if settings.light_stops >= 0:
            colour = ops.Mul(_gains(ops, settings.light_gains), stats["chroma"])
            added = ops.Mul(ops.Mul(ops.Mul(ops.c(2.0 ** settings.light_stops - 1.0), stats["median"]), weight),
                            colour)
            new = ops.Add(new, added)
        else:
            keep = ops.Add(ops.c(1.0), ops.Mul(ops.c(2.0 ** settings.light_stops - 1.0),
                                               ops.Clip(weight, ops.c(0.0), ops.c(1.0))))
            new = ops.Mul(new, keep)
    if settings.highlight_rolloff > 0:
        knee = ops.Mul(stats["median"], ops.c(2.0 ** ROLLOFF_KNEE_STOPS))
        lum = ops.luminance(new)
        over = ops.Max(ops.Sub(lum, knee), ops.c(0.0))
        squeezed = ops.Add(knee, ops.Div(over, ops.Add(ops.c(1.0), ops.Div(
            ops.Mul(ops.c(4.0 * settings.highlight_rolloff), over), knee))))
        new = ops.scale_luminance(new, ops.Where(ops.Greater(over, ops.c(0.0)), squeezed, lum))
    return ops.Max(new, ops.Mul(ops.c(SHADING_FLOOR), stats["median"]))


def _lambert_cosine(ops: _Ops, normals: tuple[str, str, str], direction: np.ndarray) -> str:
    """max(n·l, 0) for a constant direction (``shading_ops.directional_swap_ratio``)."""
    cosine = ops.Add(ops.Add(ops.Mul(normals[0], ops.c(float(direction[0]))),
                             ops.Mul(normals[1], ops.c(float(direction[1])))),
                     ops.Mul(normals[2], ops.c(float(direction[2]))))
    return ops.Max(cosine, ops.c(0.0))


def relight_graph(pack: Pack, params: Mapping[str, Any]) -> bytes:
    """The single-frame relight graph of ``pack`` at ``params`` (resolved by ``single_frame_params``): ONNX bytes,
    input ``image`` and output ``result``, float32 [N, 3, H, W] scene-linear ACEScg, no metadata.

    Raises
    ------
    PackError
        When the pack holds no relight model or its graph does not take ``image`` and give ``shading``.
    """
    data = pack.manifest.effect_data
    if "relight" not in data:
        raise PackError("this pack has no relight model; it was not made by 'answerprint train relight'", pack.path)
    side = int(data["relight"].get("analysis_side", DEFAULT_ANALYSIS_SIDE))
    settings = RelightSettings.from_params(dict(params))
    model = onnx.load_from_string(pack.model_bytes)
    del model.metadata_props[:]
    body = model.graph
    if [i.name for i in body.input] != [IMAGE_INPUT] or SHADING_OUTPUT not in [o.name for o in body.output]:
        raise PackError(f"the pack's graph must take {IMAGE_INPUT!r} and give {SHADING_OUTPUT!r}", pack.path)
    graph = GraphBuilder()
    ops = _Ops(graph)
    finite = ops.Where(ops.Or(ops.IsNaN(INPUT), ops.IsInf(INPUT)), ops.c(0.0), INPUT)
    clean = ops.Max(finite, ops.c(0.0))
    height, width = ops.dim(INPUT, 2), ops.dim(INPUT, 3)
    small_h, small_w = _analysis_size(ops, height, width, side)
    rows = area_resize_matrix(graph, height, small_h)
    columns = ops.Transpose(area_resize_matrix(graph, width, small_w), perm=[1, 0])
    # Rows first: for landscape frames the cheaper order (h·H·W against H·W·w multiply-adds).
    small = ops.MatMul(ops.MatMul(rows, clean), columns)
    pack_input = graph.name("pack_image")
    graph.nodes.append(onnx.helper.make_node("Identity", [small], [pack_input], name=f"{pack_input}/identity"))
    preparation = len(graph.nodes)

    shading = ops.Max(SHADING_OUTPUT, ops.c(1e-8))
    stats = _stats(ops, shading)
    new = _relight_shading(ops, shading, stats, settings, small_h, small_w, side)
    log_ratio = ops.log2(ops.Div(new, shading))
    full = ops.Resize(log_ratio, "", "", ops.Shape(INPUT), mode="linear", coordinate_transformation_mode="half_pixel")
    result = ops.Mul(INPUT, ops.exp2(full))
    graph.nodes.append(onnx.helper.make_node("Identity", [result], [OUTPUT], name="host/result"))

    for node in body.node:
        node.input[:] = [pack_input if name == IMAGE_INPUT else name for name in node.input]
    return host_graph(model, graph, preparation)
