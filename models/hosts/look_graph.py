"""Looks for hosts: the pack's own Gather-based graph, renamed to the host graphs' ``image`` → ``result``.

A look pack's graph is already one ACEScct picture in and one out. Hosts get its exact Gather-based variant
(written beside the pack and vouched for by its signed hash, ``core.effects.look.gather_variant``): the same
trilinear lookup without 5-D GridSample, which TensorRT and CoreML lack. A pack without that variant gives its
main graph.
"""
from __future__ import annotations

import onnx

from answerprint.core.effects.look.effect import gather_variant
from answerprint.core.effects.look.pack import LookData
from answerprint.core.errors import PackError
from answerprint.core.packs import Pack

from .graph_ops import INPUT, OUTPUT


def look_graph(pack: Pack, data: LookData) -> bytes:
    """The look's graph with input ``image`` and output ``result`` (ONNX bytes, no metadata).

    Raises
    ------
    PackError
        When the graph does not have exactly one input and one output, or its Gather variant is refused.
    """
    graph_pack = gather_variant(pack, data, pack.manifest.production_id) if data.variants.get("gather") else pack
    model = onnx.load_from_string(graph_pack.model_bytes)
    del model.metadata_props[:]
    body = model.graph
    inputs, outputs = [i.name for i in body.input], [o.name for o in body.output]
    if len(inputs) != 1 or len(outputs) != 1:
        raise PackError(f"a look graph has one input and one output, not {inputs} → {outputs}", pack.path)
    for node in body.node:
        node.input[:] = [INPUT if name == inputs[0] else name for name in node.input]
    body.input[0].name = INPUT
    body.node.append(onnx.helper.make_node("Identity", [outputs[0]], [OUTPUT], name="host/result"))
    body.output[0].name = OUTPUT
    return model.SerializeToString()
