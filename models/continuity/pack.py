"""The continuity thresholds as a signed pack: a three-node graph that scores measures, and the thresholds it holds.

The pack is honest about what it is: no network, only the production's calibrated thresholds, as an ONNX graph
computing ``scores = |measures − centres| / thresholds`` (``Sub``, ``Abs``, ``Div``; input ``measures`` N×K,
output ``scores`` N×K, float32, K = ``len(MEASURES)`` in ``MEASURE_NAMES`` order) so that the check scores
through the signed artefact, and the same numbers in the signed manifest's ``effect_data``
(``core.continuity.thresholds``) for reports. The graph is written with ``onnx.helper`` (there is nothing to
trace: exporting a traced torch module would take half a minute for three operations), checked by
``onnx.checker``, run on onnxruntime against the formula on the calibration's own measures (parity recorded in
the manifest), then signed with the production's key and verified as every pack is on loading.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

from answerprint.core import __version__ as answerprint_version
from answerprint.core.continuity.colorimetry import LINEAR_SPACE
from answerprint.core.continuity.measures import MEASURE_NAMES
from answerprint.core.continuity.thresholds import INPUT, OUTPUT, Thresholds
from answerprint.core.errors import PackError
from answerprint.core.packs import (IOSpec, Manifest, PackSpec, Production, TensorSpec, embed_manifest, install_pack,
                                    load_private_key, sign_model, write_pack)
from answerprint.core.packs.library import next_version
from answerprint.core.runtime import ModelSession

OPSET = 20
TOLERANCE = 1e-5


def continuity_pack_spec(thresholds: Thresholds, name: str, version: str, description: str) -> PackSpec:
    """The pack spec: measures in, scores out, the thresholds in ``effect_data``."""
    channels = len(MEASURE_NAMES)
    measures = TensorSpec(INPUT, role="features", layout="NC", channels=channels, value_range=None)
    scores = TensorSpec(OUTPUT, role="features", layout="NC", channels=channels, value_range=None)
    io = IOSpec(inputs=(measures,), outputs=(scores,), working_space=LINEAR_SPACE, bytes_per_pixel=1.0)
    return PackSpec("continuity", name, version, io, description=description, effect_data=thresholds.to_json())


def scores_graph(thresholds: Thresholds) -> bytes:
    """The ONNX graph ``|measures − centres| / thresholds`` holding ``thresholds`` (see the module docstring)."""
    channels = len(MEASURE_NAMES)
    centres = numpy_helper.from_array(np.array([[thresholds.centres[n] for n in MEASURE_NAMES]], np.float32), "centres")
    scales = numpy_helper.from_array(np.array([[thresholds.thresholds[n] for n in MEASURE_NAMES]], np.float32),
                                     "thresholds")
    graph = helper.make_graph(
        [helper.make_node("Sub", [INPUT, "centres"], ["offset"]), helper.make_node("Abs", ["offset"], ["distance"]),
         helper.make_node("Div", ["distance", "thresholds"], [OUTPUT])],
        "continuity_scores", [helper.make_tensor_value_info(INPUT, TensorProto.FLOAT, ["N", channels])],
        [helper.make_tensor_value_info(OUTPUT, TensorProto.FLOAT, ["N", channels])], initializer=[centres, scales])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="answerprint")
    onnx.checker.check_model(model, full_check=True)
    return model.SerializeToString()


def _parity(model: bytes, thresholds: Thresholds, values: np.ndarray) -> float:
    """Largest |onnxruntime − formula| over ``values`` (NaN rows dropped) and a spread of made-up measures."""
    probe = np.random.default_rng(0).normal(0, 3, (16, len(MEASURE_NAMES))).astype(np.float32)
    checked = np.concatenate([np.nan_to_num(np.asarray(values, np.float32), nan=0.0), probe])
    produced = ModelSession(model, threads=1, label="continuity parity").run({INPUT: checked})[OUTPUT]
    centres = np.array([thresholds.centres[n] for n in MEASURE_NAMES], np.float32)
    scales = np.array([thresholds.thresholds[n] for n in MEASURE_NAMES], np.float32)
    return float(np.max(np.abs(produced - np.abs(checked - centres) / scales)))


def export_continuity_pack(thresholds: Thresholds, values: np.ndarray, production: Production, *, name: str,
                           provenance: Mapping[str, Any], library: str | os.PathLike | None = None,
                           private_key: Any = None) -> Path:
    """Write, parity-check on the calibration's own measures, sign and verify the pack, and install it in the
    library as the next version of ``continuity/<name>``. Returns the pack's path.

    Raises
    ------
    PackError
        When the graph and the formula disagree, or the key is not one of the production's (the written pack
        then fails its own verification and is removed).
    """
    version = next_version(production.id, "continuity", name, library)
    description = (f"continuity thresholds calibrated on {thresholds.calibration['pairs']} take pairs of "
                   f"{thresholds.calibration['setups']} set-up(s) of {production.name}")
    model = scores_graph(thresholds)
    worst = _parity(model, thresholds, values)
    if not worst <= TOLERANCE:
        raise PackError(f"the scores graph differs from the formula by {worst:.3g} (> {TOLERANCE:g}); not written")
    parity = {"max_abs_diff": worst, "tolerance": TOLERANCE, "inputs": [f"{len(values)} calibration pairs, 16 made up"],
              "reference": "numpy |measures - centres| / thresholds",
              "runtime": f"onnxruntime {ort.__version__} CPUExecutionProvider"}
    software = {"answerprint": answerprint_version, "torch": "not used", "onnx": onnx.__version__,
                "onnxruntime": ort.__version__}
    manifest = Manifest.create(continuity_pack_spec(thresholds, name, version, description),
                               production_id=production.id, production_name=production.name, provenance=provenance,
                               parity=parity, software=software, opset=OPSET)
    signed = sign_model(embed_manifest(model, manifest), private_key or load_private_key(production.id))
    with tempfile.TemporaryDirectory(prefix="answerprint-export-") as staging:
        staged = write_pack(signed, Path(staging) / f"{name}.onnx")
        return Path(install_pack(staged, production.id, library).path)
