"""Colour management through OpenColorIO: a pinned config, named spaces, compiled processors.

Each effect declares the working space it needs (``Effect.working_space``); the render engine builds
``ColorProcessor(source → working)`` and ``ColorProcessor(working → output)`` once per render. How pictures are
shown (the panel's viewer, report stills) is chosen among the config's displays and views (``display``).

Shared by every effect that ends in a grade (colormatch, look, continuity's fixes, the display LUT):

- ``lut``: ``Lut3D`` / ``Lut1D``, tetrahedral (or trilinear) application through OpenColorIO's CPU LUT
  renderer, row-banded;
- ``cube``: strict ``.cube`` reader (``CubeError`` names file and line) and Resolve-dialect writer;
- ``cdl``: ASC CDL fit, apply, ``.cdl`` / ``.ccc`` read and write;
- ``spaces``: the ACEScct working space looks and matches are fitted in, and the cube a look's lattice spans;
- ``delta_e``: CIEDE2000 between ACEScct images.

The names below are imported from their modules when first used, so a command that needs no OpenColorIO
(``probe``, ``--help``) does not load it.
"""
from __future__ import annotations

from ..lazy import lazy_attributes

#: The space looks and shot matches are fitted and applied in (``spaces``): a log encoding of scene-linear AP1.
WORKING_SPACE = "ACEScct"

_WHERE = {
    "PINNED_CONFIG": "config", "config_uri": "config", "load_config": "config", "resolve_space": "config",
    "space_names": "config", "ColorProcessor": "processor", "default_source_space": "defaults",
    "PREVIEW_DISPLAY": "display", "preview_processor": "display", "DisplayView": "display",
    "default_display_view": "display", "display_views": "display",
}

__getattr__ = lazy_attributes(__name__, _WHERE)

__all__ = sorted([*_WHERE, "WORKING_SPACE"])
