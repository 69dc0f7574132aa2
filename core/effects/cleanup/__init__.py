"""The cleanup effect: temporal denoising with a production's pack, defect-pixel and dust repair.

- ``params``: the parameter schema (one definition for CLI, panel, manifest, hosts) and the graph's inputs;
- ``contract``: ``CleanupContract``, the only reader of a cleanup pack (motion, window, noise model, bindings);
- ``flow`` (+ ``motion_cache``): motion compensation of a window's neighbours, each flow estimated once;
- ``noise``: the camera's signal-dependent noise model and per-pixel σ maps;
- ``defects``, ``dust``: dead/hot/stuck pixel maps per camera, and dust/dirt repair from the neighbours;
- ``effect``: ``EFFECT`` and the compiled processor the render engine calls per frame window.

None of it needs torch; training is ``answerprint.models.cleanup``.
"""
