"""ONNX building blocks that wrap a pack's graph for a host: the same arithmetic as answerprint's CPU path.

Each helper adds nodes to a ``GraphBuilder`` and returns the name of its output tensor. They reproduce, in
float32 graph ops, what the core does with OpenCV and numpy around a pack's graph, so a host running the
wrapped graph gets answerprint's render of the frame:

- ``gaussian_blur``: ``cv2.GaussianBlur(frame, (0, 0), sigma)`` on float32 (kernel size
  ``round(8·sigma + 1) | 1``, OpenCV's float kernel, border ``BORDER_REFLECT_101`` = ONNX ``Pad`` reflect);
- ``interpolate_table``: ``np.interp`` on a table tabulated at equally spaced points (clamped at both ends);
- ``pad_to_multiple`` / ``crop_like``: ``runtime.pad_to_multiple`` (reflect at the bottom and right) and back.

Tensors are NCHW float32 with dynamic N, H and W.
"""
from __future__ import annotations

import itertools

import cv2
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

#: Prefix of every tensor and node the wrapper adds (pack graphs use none of it).
PREFIX = "host/"
#: The one input and the one output of every host graph: float32 NCHW [N, 3, H, W] pictures.
INPUT, OUTPUT = "image", "result"


class GraphBuilder:
    """Nodes and constants to be put around a pack's graph."""

    def __init__(self) -> None:
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self._names = itertools.count()

    def name(self, what: str) -> str:
        """A fresh tensor name."""
        return f"{PREFIX}{what}_{next(self._names)}"

    def const(self, value: np.ndarray | float | list, what: str = "const", dtype=np.float32) -> str:
        """A constant tensor (float32 unless ``dtype`` says otherwise)."""
        name = self.name(what)
        self.initializers.append(numpy_helper.from_array(np.asarray(value, dtype=dtype), name))
        return name

    def op(self, op_type: str, inputs: list[str], what: str | None = None, **attributes) -> str:
        """Add one node with one output; returns the output's name."""
        output = self.name(what or op_type.lower())
        self.nodes.append(helper.make_node(op_type, inputs, [output], name=output, **attributes))
        return output


def cv2_gaussian_kernel(sigma: float) -> np.ndarray:
    """OpenCV's 1-D float32 Gaussian kernel for ``GaussianBlur(float32 frame, (0, 0), sigma)``."""
    size = int(round(sigma * 4 * 2 + 1)) | 1
    return cv2.getGaussianKernel(size, sigma, cv2.CV_32F).ravel().astype(np.float32)


def gaussian_blur(graph: GraphBuilder, image: str, sigma: float, channels: int = 3) -> str:
    """``cv2.GaussianBlur(image, (0, 0), sigma)`` per channel: rows then columns, reflect-101 borders.

    The frame must be taller and wider than half the kernel (7 px for σ 1.5).
    """
    kernel = cv2_gaussian_kernel(sigma)
    radius = len(kernel) // 2
    rows = graph.const(np.tile(kernel.reshape(1, 1, 1, -1), (channels, 1, 1, 1)), "row_kernel")
    columns = graph.const(np.tile(kernel.reshape(1, 1, -1, 1), (channels, 1, 1, 1)), "column_kernel")
    padded = graph.op("Pad", [image, graph.const([0, 0, 0, radius, 0, 0, 0, radius], "pads", np.int64)],
                      mode="reflect")
    across = graph.op("Conv", [padded, rows], group=channels)
    padded = graph.op("Pad", [across, graph.const([0, 0, radius, 0, 0, 0, radius, 0], "pads", np.int64)],
                      mode="reflect")
    return graph.op("Conv", [padded, columns], group=channels)


def interpolate_table(graph: GraphBuilder, values: str, points: np.ndarray, tables: np.ndarray) -> str:
    """``np.interp(values[:, c], points, tables[c])`` for every channel c of ``values`` [N, C, H, W].

    Parameters
    ----------
    points : ndarray
        Equally spaced, increasing sample positions (e.g. a noise model's intensity bin centres).
    tables : ndarray
        [C, len(points)] values at those positions.

    Raises
    ------
    ValueError
        When the points are not equally spaced (within 1e-6 of their spacing).
    """
    points = np.asarray(points, np.float64)
    tables = np.asarray(tables, np.float32)
    count = len(points)
    step = (points[-1] - points[0]) / max(count - 1, 1)
    if count < 2 or step <= 0 or not np.allclose(np.diff(points), step, rtol=0, atol=1e-6 * max(step, 1e-12)):
        raise ValueError("the table's sample points are not equally spaced")
    clipped = graph.op("Clip", [values, graph.const(points[0]), graph.const(points[-1])])
    position = graph.op("Div", [graph.op("Sub", [clipped, graph.const(points[0])]), graph.const(step)])
    lower = graph.op("Floor", [graph.op("Min", [position, graph.const(count - 2)])])
    fraction = graph.op("Sub", [position, lower])
    offsets = graph.const((np.arange(tables.shape[0]) * count).reshape(1, -1, 1, 1), "channel_offsets", np.int64)
    index = graph.op("Add", [graph.op("Cast", [lower], to=TensorProto.INT64), offsets])
    flat = graph.const(tables.ravel(), "table")
    low = graph.op("Gather", [flat, index])
    high = graph.op("Gather", [flat, graph.op("Add", [index, graph.const(1, "one", np.int64)])])
    return graph.op("Add", [low, graph.op("Mul", [graph.op("Sub", [high, low]), fraction])])


def _spatial_size(graph: GraphBuilder, image: str) -> str:
    """[H, W] of an NCHW tensor (int64)."""
    return graph.op("Slice", [graph.op("Shape", [image]), graph.const([2], "start", np.int64),
                              graph.const([4], "end", np.int64)])


def pad_to_multiple(graph: GraphBuilder, image: str, multiple: int) -> str:
    """Reflect-pad H and W at the bottom and right up to multiples of ``multiple`` (``runtime.pad_to_multiple``)."""
    if multiple <= 1:
        return image
    size = _spatial_size(graph, image)
    factor = graph.const([multiple, multiple], "multiple", np.int64)
    extra = graph.op("Mod", [graph.op("Sub", [factor, graph.op("Mod", [size, factor])]), factor])
    pads = graph.op("Concat", [graph.const([0, 0, 0, 0], "zeros", np.int64), graph.const([0, 0], "zeros", np.int64),
                               extra], axis=0)
    return graph.op("Pad", [image, pads], mode="reflect")


def crop_like(graph: GraphBuilder, image: str, reference: str) -> str:
    """The top-left H×W of ``image``, H and W being ``reference``'s."""
    return graph.op("Slice", [image, graph.const([0, 0], "start", np.int64), _spatial_size(graph, reference),
                              graph.const([2, 3], "axes", np.int64)])


def image_value_info(name: str, channels: int = 3) -> onnx.ValueInfoProto:
    """An NCHW float32 graph input or output with dynamic N, H and W."""
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, ["N", channels, "H", "W"])


def host_graph(model: onnx.ModelProto, graph: GraphBuilder, preparation: int) -> bytes:
    """``model`` (a pack's graph) between ``graph``'s first ``preparation`` nodes and the rest, as a host graph.

    The result takes ``INPUT`` and gives ``OUTPUT`` (``image_value_info``); the pack's own inputs, outputs and
    shape annotations are dropped (they name its padded H and W like ours; onnxruntime infers shapes), its
    nodes and weights kept unchanged. Returns the checked model's bytes.
    """
    body = model.graph
    nodes = graph.nodes[:preparation] + list(body.node) + graph.nodes[preparation:]
    del body.input[:], body.output[:], body.node[:], body.value_info[:]
    body.input.append(image_value_info(INPUT))
    body.output.append(image_value_info(OUTPUT))
    body.node.extend(nodes)
    body.initializer.extend(graph.initializers)
    onnx.checker.check_model(model)
    return model.SerializeToString()


def area_resize_matrix(graph: GraphBuilder, source: str, target: str) -> str:
    """[target, source] float32 weights of ``cv2.resize(..., interpolation=INTER_AREA)`` along one axis.

    ``source`` and ``target`` are int64 scalar lengths. Where the axis shrinks (``source ≥ target``), OpenCV's
    area table (``computeResizeAreaTab``: each output averages the input cells it covers, pieces under 1e-3 of a
    pixel dropped); where it grows, OpenCV's area-mode linear weights. OpenCV chooses per axis, so a frame
    shrunk on one axis and grown on the other gets each. The weights are computed in float64, with OpenCV's
    ``scale = 1 / (target / source)``, and match ``cv2.resize`` to 3e-8 (float32 weights would miss by 2e-5).
    """
    source = graph.op("Cast", [source], to=TensorProto.DOUBLE)
    target = graph.op("Cast", [target], to=TensorProto.DOUBLE)

    def const(value: float) -> str:
        return graph.const(value, "const", np.float64)

    inverse = graph.op("Div", [target, source])
    scale = graph.op("Div", [const(1.0), inverse])
    out = graph.op("Unsqueeze", [graph.op("Range", [const(0.0), target, const(1.0)]),
                                 graph.const([1], "axes", np.int64)])
    pixel = graph.op("Unsqueeze", [graph.op("Range", [const(0.0), source, const(1.0)]),
                                   graph.const([0], "axes", np.int64)])
    zero = const(0.0)
    # Shrinking: the overlap of input pixel [i, i + 1) with output cell [o·scale, (o + 1)·scale), over its width.
    start = graph.op("Mul", [out, scale])
    end = graph.op("Add", [start, scale])
    width = graph.op("Min", [scale, graph.op("Sub", [source, start])])
    overlap = graph.op("Sub", [graph.op("Min", [graph.op("Add", [pixel, const(1.0)]), end]),
                               graph.op("Max", [pixel, start])])
    kept = graph.op("Where", [graph.op("Greater", [overlap, const(1e-3)]), overlap, zero])
    area = graph.op("Div", [kept, width])
    # Growing: sx = ⌊o·scale⌋, fx = frac((o + 1) − (sx + 1)·inverse) (0 where ≤ 0), clamped at the last pixel.
    last = graph.op("Sub", [source, const(1.0)])
    floor = graph.op("Floor", [start])
    fraction = graph.op("Sub", [graph.op("Add", [out, const(1.0)]),
                                graph.op("Mul", [graph.op("Add", [floor, const(1.0)]), inverse])])
    fraction = graph.op("Where", [graph.op("LessOrEqual", [fraction, zero]), zero,
                                  graph.op("Sub", [fraction, graph.op("Floor", [fraction])])])
    fraction = graph.op("Where", [graph.op("GreaterOrEqual", [floor, last]), zero, fraction])
    low_index = graph.op("Min", [floor, last])
    high_index = graph.op("Min", [graph.op("Add", [low_index, const(1.0)]), last])
    low = graph.op("Where", [graph.op("Equal", [pixel, low_index]), graph.op("Sub", [const(1.0), fraction]), zero])
    high = graph.op("Where", [graph.op("Equal", [pixel, high_index]), fraction, zero])
    linear = graph.op("Add", [low, high])
    weights = graph.op("Where", [graph.op("GreaterOrEqual", [scale, const(1.0)]), area, linear])
    return graph.op("Cast", [weights], to=TensorProto.FLOAT)


def percentiles(graph: GraphBuilder, values: str, count: str, quantiles: tuple[float, ...]) -> list[str]:
    """``np.percentile(values, quantiles, axis=1)`` (linear) of ``values`` [N, P], each [N, 1].

    ``count`` is P as an int64 [1] tensor. The values are sorted with ``TopK``.
    """
    ordered = graph.op("TopK", [values, count], axis=1, largest=0, sorted=1)
    # TopK has two outputs; GraphBuilder.op names the first, the indices are not used.
    graph.nodes[-1].output.append(graph.name("topk_indices"))
    last = graph.op("Cast", [graph.op("Sub", [count, graph.const([1], "one", np.int64)])], to=TensorProto.FLOAT)
    results = []
    for quantile in quantiles:
        position = graph.op("Mul", [last, graph.const([quantile / 100.0])])
        lower = graph.op("Floor", [position])
        upper = graph.op("Min", [graph.op("Add", [lower, graph.const([1.0])]), last])
        fraction = graph.op("Sub", [position, lower])
        below = graph.op("Gather", [ordered, graph.op("Cast", [lower], to=TensorProto.INT64)], axis=1)
        above = graph.op("Gather", [ordered, graph.op("Cast", [upper], to=TensorProto.INT64)], axis=1)
        results.append(graph.op("Add", [below, graph.op("Mul", [graph.op("Sub", [above, below]), fraction])]))
    return results
