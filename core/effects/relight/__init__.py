"""Relighting on the shading layer: image = reflectance × shading, in scene-linear ACEScg.

- ``params``: the relight effect's parameter schema (one definition for CLI, panel, manifest, hosts);
- ``decompose``: the pack's network → shading at analysis size → full-size layers, exact reconstruction;
- ``lights``: virtual point, spot, area and directional lights as weight fields, Lambert on normals;
- ``light_color``: colour temperature and tint → ACEScg gains;
- ``normals``: normals from the shading (single image), from disparity (stereo / camera move) or from depth;
- ``depth_pass``: a shot's depth or disparity pass (a still, or per frame) read as normals, sized to every frame;
- ``shading_ops``: shading statistics, key/fill, lift, roll-off, match lighting, add a light, swap a sun;
- ``processor``: the compiled relight the render engine calls per frame window;
- ``effect``: ``EFFECT``, its prepare (network, reference take) and bind (lights, strength).

Training is ``answerprint.models.relight``.
"""
