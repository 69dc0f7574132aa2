"""The cleanup effect: temporal denoising with a production's pack, defect-pixel and dust repair.

- ``params``: the parameter schema (one definition for CLI, panel, manifest, hosts) and the graph's tensor names;
- ``contract``: ``CleanupContract``, the only reader of a cleanup pack (motion, window, noise model, bindings);
- ``flow`` (+ ``motion_cache``): motion compensation of a window's neighbours, each flow estimated once;
- ``graph_inputs``: the graph's input tensors for one window, as training validates and apply renders;
- ``noise``: the camera's signal-dependent noise model and per-pixel σ maps;
- ``defects``, ``dust``: dead/hot/stuck pixel maps per camera, and dust/dirt repair from the neighbours;
- ``effect``: the prepared and compiled processor the render engine calls per frame window.

``EFFECT`` is declared here with the standard library and the schema only; the processor (numpy, OpenCV,
onnxruntime) is imported when it is first prepared. None of it needs torch; training is
``answerprint.models.cleanup``.
"""
from __future__ import annotations

from ..base import Deferred, Effect, Trainer
from .params import cleanup_params

EFFECT = Effect(
    name="cleanup",
    summary="Remove the production's noise and grain, dust and dead pixels with its own learned model.",
    params=cleanup_params(),
    working_space=None,
    compile=Deferred(f"{__name__}.effect:compile_cleanup"),
    needs_pack=True,
    pack_contract=Deferred(f"{__name__}.contract:CleanupContract.from_manifest"),
    prepare=Deferred(f"{__name__}.effect:PreparedCleanup"),
    tags=("detail",),
    trainer=Trainer("answerprint.models.cleanup.train:train_cleanup",
                    "denoise/degrain learned self-supervised from the dailies (no clean frames needed)",
                    distributed=True),
    demo_step="answerprint.models.cleanup.demo",
    host_form="answerprint.models.hosts.export:cleanup_host_model",
    menu_title="Cleanup",
)
