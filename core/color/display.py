"""How pictures are shown: a display and a view of the OCIO config (the panel's viewer, report stills).

A colorist compares the viewer against Resolve's and against the reference monitor, so the viewer shows what
the chosen display and view of the config make of the pixels (Rec.1886 Rec.709, sRGB, P3-D65, the ACES SDR and
HDR output transforms, ...): ``display_views`` lists them. By default (``default_display_view``) a
display-referred source (Rec.709 or sRGB video: the config's ``sdr-video``/``hdr-video`` encodings) is shown on
its own display at its own code values, like a monitor fed the file; a scene-referred source (camera log,
ACES) through the sRGB display's ACES 2 SDR view. Before and after frames always go through the same one.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import PyOpenColorIO as ocio

from .config import load_config, resolve_space
from .processor import ColorProcessor

#: Encodings of display-referred video: shown on their own display by default.
DISPLAY_REFERRED = ("sdr-video", "hdr-video")
#: Largest change of a code value by a display/view that counts as showing the source as it is.
_SAME_CODE_VALUES = 2e-4


@dataclass(frozen=True)
class DisplayView:
    """A display of the OCIO config and one of its views (``"Rec.1886 Rec.709 - Display"``, ``"Un-tone-mapped"``)."""

    display: str
    view: str

    @property
    def label(self) -> str:
        """``display · view``, for a status bar."""
        return f"{self.display} · {self.view}"

    def to_text(self) -> str:
        """``display|view``: how a setting stores it."""
        return f"{self.display}|{self.view}"

    @classmethod
    def from_text(cls, text: str) -> "DisplayView | None":
        """The ``to_text`` form read back; None when it is not one."""
        display, separator, view = str(text).partition("|")
        return cls(display, view) if separator and display and view else None


#: How a scene-referred source is shown unless the user chooses: the sRGB display, ACES 2 SDR view.
PREVIEW_DISPLAY = DisplayView("sRGB - Display", "ACES 2.0 - SDR 100 nits (Rec.709)")


def display_views(config: str | None = None) -> list[DisplayView]:
    """Every display/view pair of the config, displays in config order, each display's views in its order."""
    ocio_config = load_config(config)
    return [DisplayView(display, view) for display in ocio_config.getDisplays()
            for view in ocio_config.getViews(display)]


def _is_data_view(ocio_config: ocio.Config, display_view: DisplayView) -> bool:
    """True for a view that passes code values through whatever they are (``Raw``)."""
    name = ocio_config.getDisplayViewColorSpaceName(display_view.display, display_view.view)
    space = ocio_config.getColorSpace(name) if name else None
    return bool(space is not None and space.isData())


@functools.lru_cache(maxsize=32)
def own_display_view(space: str, config: str | None = None) -> DisplayView | None:
    """The display and view that show display-referred ``space`` at its own code values, or None.

    None when ``space`` is scene-referred (its encoding is not ``sdr-video``/``hdr-video``) or no view of the
    config leaves its code values unchanged (data views such as ``Raw``, which would, do not count).
    """
    ocio_config = load_config(config)
    name = resolve_space(ocio_config, space)
    if ocio_config.getColorSpace(name).getEncoding() not in DISPLAY_REFERRED:
        return None
    probes = np.random.default_rng(0).uniform(0.0, 1.0, (1, 64, 3)).astype(np.float32)
    for candidate in display_views(config):
        if _is_data_view(ocio_config, candidate):
            continue
        try:
            processor = ocio_config.getProcessor(ocio.DisplayViewTransform(name, candidate.display, candidate.view))
        except ocio.Exception:
            continue
        shown = probes.copy()
        processor.getDefaultCPUProcessor().applyRGB(shown)
        if np.abs(shown - probes).max() <= _SAME_CODE_VALUES:
            return candidate
    return None


def default_display_view(space: str, config: str | None = None) -> DisplayView:
    """How frames in ``space`` are shown unless the user chooses (see the module docstring); the config's own
    default display and view when it lacks ``PREVIEW_DISPLAY``."""
    own = own_display_view(space, config)
    if own is not None:
        return own
    if PREVIEW_DISPLAY in display_views(config):
        return PREVIEW_DISPLAY
    ocio_config = load_config(config)
    display = ocio_config.getDefaultDisplay()
    return DisplayView(display, ocio_config.getDefaultView(display))


def preview_processor(source_space: str, config: str | None = None,
                      display_view: DisplayView | None = None) -> ColorProcessor:
    """A processor from ``source_space`` to display code values through ``display_view`` (default
    ``default_display_view(source_space)``).

    Raises
    ------
    ColorError
        When the space is unknown or the config has no such display and view.
    """
    chosen = display_view or default_display_view(source_space, config)
    return ColorProcessor(source_space, chosen.display, config, view=chosen.view)
