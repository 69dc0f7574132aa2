"""``look``: apply a production look learned from graded pairs (``answerprint train look``), in ACEScct.

On the CPU a global-LUT pack is applied by the core's own LUT processor from the LUT in the pack's signed
manifest (no onnxruntime, the same arithmetic as the delivered ``.cube``); on a GPU provider the pack's own
graph (the same trilinear LUT, checked against it at export) runs there instead, so the frame is looked up on
the card. An image-adaptive pack always runs its graph through onnxruntime on the whole frame at once — the
model looks at the entire picture to choose its blend, so it is never tiled. Providers without 5-D
GridSample get the pack's exact Gather-based variant.

Render with ``--output-space`` set to the space the graded pairs were in (the pack's ``graded_space``),
so that the graded values come out encoded as the colorist graded them.
"""
from __future__ import annotations

import logging
import os
from typing import Any, Sequence

import numpy as np

from ...color.lut import LutProcessor
from ...errors import PackError, TamperedPackError
from ..base import EffectContext, Processor
from .pack import LookData

_log = logging.getLogger("answerprint.look")
#: Providers that cannot run 5-D GridSample: they get the Gather-based variant of an adaptive look.
NO_VOLUMETRIC_GRID_SAMPLE = ("TensorrtExecutionProvider", "CoreMLExecutionProvider", "OpenVINOExecutionProvider",
                             "DmlExecutionProvider")


class _GlobalLook(Processor):
    def __init__(self, data: LookData, threads: int | None, notes: tuple[str, ...]):
        #: The ACEScct → ACEScct LUT every frame goes through (a preview folds it into its display).
        self.lut = data.lut
        self._lut = LutProcessor(data.lut, threads)
        self.notes = notes

    def __call__(self, window: Sequence[np.ndarray]) -> np.ndarray:
        return self._lut(window[0])


class _GraphLook(Processor):
    """A look pack's graph in onnxruntime, whole frame (adaptive looks; global LUTs on a GPU provider)."""

    def __init__(self, session: Any, notes: tuple[str, ...]):
        self._session = session
        self.notes = notes
        self._input = session.input_names[0]
        self._output = session.output_names[0]

    def __call__(self, window: Sequence[np.ndarray]) -> np.ndarray:
        tensor = np.ascontiguousarray(np.transpose(window[0], (2, 0, 1))[None], dtype=np.float32)
        result = self._session.run({self._input: tensor})[self._output]
        return np.ascontiguousarray(np.transpose(result[0], (1, 2, 0)), dtype=np.float32)


def gather_variant(pack: Any, data: LookData, production: str | None) -> Any:
    """The pack's Gather-based variant, verified like the pack and checked against the hash it records."""
    from ...packs import load_pack

    variant = data.variants.get("gather")
    if variant is None:
        raise PackError("this look pack has no Gather-based variant for providers without 5-D GridSample; "
                        "run it on CPU or CUDA (--providers CPUExecutionProvider)", pack.path)
    path = os.path.join(os.path.dirname(pack.path), variant["file"])
    gather = load_pack(path, production, allow_unsigned=bool(pack.skipped_checks))
    if gather.sha256 != variant["sha256"]:
        raise TamperedPackError(f"the Gather variant does not match the hash {pack.pack_id} records for it", path)
    return gather


def compile_look(params: dict[str, Any], pack: Any, context: EffectContext) -> _GlobalLook | _GraphLook:
    data = LookData.from_json(pack.manifest.effect_data, pack.path)
    notes: tuple[str, ...] = ()
    if context.source_space != data.input_space:
        notes = (f"{pack.pack_id} was learned from {data.input_space} sources; this source is "
                 f"{context.source_space} (converted through ACEScct, but check the result)",)
    from ...runtime import choose_providers, open_session
    from ...runtime.providers import DEVICE_MEMORY

    choice = choose_providers(context.providers)
    if data.model == "global_lut" and choice.primary not in DEVICE_MEMORY:
        return _GlobalLook(data, context.threads, notes)
    needs_gather = choice.primary in NO_VOLUMETRIC_GRID_SAMPLE
    graph_pack = gather_variant(pack, data, context.production) if needs_gather else pack
    session = open_session(graph_pack, providers=context.providers, threads=context.threads,
                           on_warning=_log.warning)
    return _GraphLook(session, notes)
