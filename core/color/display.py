"""How pictures are shown: a display and a view of the OCIO config (the panel's viewer, report stills).

The default, for scene-referred sources, is the config's sRGB display with the ACES 2 SDR view.
"""
from __future__ import annotations

from .processor import ColorProcessor

#: How answerprint shows pictures (report stills, the panel's viewer): the config's sRGB display, ACES 2 SDR view.
PREVIEW_DISPLAY = ("sRGB - Display", "ACES 2.0 - SDR 100 nits (Rec.709)")


def preview_processor(source_space: str, config: str | None = None) -> ColorProcessor:
    """A processor from ``source_space`` to display-ready sRGB through the ACES SDR output transform."""
    display, view = PREVIEW_DISPLAY
    return ColorProcessor(source_space, display, config, view=view)
