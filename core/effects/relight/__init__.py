"""Relighting on the shading layer: image = reflectance × shading, in scene-linear ACEScg.

- ``params``: the relight effect's parameter schema (one definition for CLI, panel, manifest, hosts);
- ``decompose``: the pack's network → shading at analysis size → full-size layers, exact reconstruction;
- ``lights``: virtual point, spot, area and directional lights as weight fields, Lambert on normals;
- ``light_color``: colour temperature and tint → ACEScg gains;
- ``normals``: normals from the shading (single image), from disparity (stereo / camera move) or from depth;
- ``depth_pass``: a shot's depth or disparity pass (a still, or per frame) read as normals, sized to every frame;
- ``shading_ops``: shading statistics, key/fill, lift, roll-off, match lighting, add a light, swap a sun;
- ``processor``: the compiled relight the render engine calls per frame window;
- ``effect``: its prepare (network, shot shadings, reference take, depth pass) and bind (the lights).

``EFFECT`` is declared here with the schema only; the processor is imported when it is first prepared.
Training is ``answerprint.models.relight``.
"""
from __future__ import annotations

from ..base import Deferred, Effect, Trainer, compile_by_binding
from .params import WORKING_SPACE, relight_params

_PREPARE = Deferred(f"{__name__}.effect:PreparedRelight")

EFFECT = Effect(
    name="relight",
    summary="Relight a shot on its shading only (virtual lights, replace the key, key/fill, lift, roll-off, "
            "match a take) with the production's learned reflectance/shading model.",
    params=relight_params(),
    working_space=WORKING_SPACE,
    compile=compile_by_binding(_PREPARE),
    needs_pack=True,
    prepare=_PREPARE,
    trainer=Trainer("answerprint.models.relight.train:train_relight",
                    "reflectance × shading learned self-supervised from the dailies' shots and takes"),
    demo_step="answerprint.models.relight.demo",
    host_form="answerprint.models.hosts.export:relight_host_model",
    menu_title="Relight",
)
