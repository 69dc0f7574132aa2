"""The preview's display transform baked into LUTs, and effect LUTs folded into it.

The display and view the panel shows (``color.display``: the source's own display for video, the ACES 2 SDR
output transform for scene-referred footage, or the user's choice) can cost about 0.4 µs per pixel on the
CPU, too slow for a live 1080p preview; ``DisplayLut`` samples it once on a 65³ lattice. An effect that
is one 3D LUT in its working space (colour match, a global look) is folded with the source → working
conversion and the display into one more such LUT (``fold_display``), so its preview costs one LUT pass.

Colour spaces are OCIO names of the pinned config (or ``$OCIO``); outputs are display code values 0..1.
"""
from __future__ import annotations

import numpy as np

from ..color import ColorProcessor, load_config, resolve_space
from ..color.display import DisplayView, default_display_view, preview_processor
from ..color.lut import Lut3D, LutProcessor, apply_lut, lattice_points
from ..color.spaces import WORKING_SPACE

#: Lattice size of the baked display transform and of folded effect LUTs.
DISPLAY_LUT_SIZE = 65
#: OCIO encodings whose code values lie within 0..1: a display LUT spans such a space's own code values.
BOUNDED_ENCODINGS = ("log", "sdr-video", "hdr-video")


def lattice_space(space: str, config: str | None = None) -> str:
    """The space a display LUT for frames in ``space`` spans: ``space`` itself when its code values lie within
    0..1 (camera log, video: ``BOUNDED_ENCODINGS``), else ACEScct (scene-linear and other unbounded spaces).

    Raises
    ------
    ColorError
        When ``space`` is unknown.
    """
    ocio_config = load_config(config)
    encoding = ocio_config.getColorSpace(resolve_space(ocio_config, space)).getEncoding()
    return space if encoding in BOUNDED_ENCODINGS else WORKING_SPACE


class DisplayLut:
    """``color.display.preview_processor`` baked into a 3D LUT: the same picture, ten times faster.

    The ACES 2 SDR output transform costs about 0.4 µs per pixel on the CPU (0.8 s for a 1080p frame on two
    cores), too slow for a live preview. The display transform is sampled by OpenColorIO on a 65³ lattice over ``lattice_space``
    0..1 — the frame's own code values when they are bounded (camera log, video: nothing to convert per
    frame), else ACEScct (scene-linear −0.0069..222, reached from the frame by a matrix and a log curve) —
    and clipped to 0..1 there, so the interpolated picture needs no clipping. Colours beyond the lattice clamp.

    Parameters
    ----------
    space : str
        OCIO colour space of the frames to show.
    config : str, optional
        OCIO config path or URI.
    threads : int, optional
        CPU threads; None for all cores.
    display_view : DisplayView, optional
        The display and view; default ``color.display.default_display_view(space)``.

    Attributes
    ----------
    lattice_space : str
        The space the LUT spans (``lattice_space(space)``).
    display_view : DisplayView
        What the LUT shows.
    lut : Lut3D
        ``lattice_space`` 0..1 → display code values 0..1.
    """

    def __init__(self, space: str, config: str | None = None, threads: int | None = None,
                 display_view: DisplayView | None = None):
        self.display_view = display_view or default_display_view(space, config)
        self.lattice_space = lattice_space(space, config)
        self._to_lattice = ColorProcessor(space, self.lattice_space, config, threads)
        exact = preview_processor(self.lattice_space, config, self.display_view)
        try:
            sampled = Lut3D.from_function(exact, DISPLAY_LUT_SIZE)
        finally:
            exact.close()
        self.lut = Lut3D(np.clip(sampled.table, 0.0, 1.0))
        self._lut = LutProcessor(self.lut, threads)

    def to_lattice(self, frame: np.ndarray) -> np.ndarray:
        """``frame`` (float32 H×W×3 in ``space``) in ``lattice_space``; the frame itself when they are the same."""
        return self._to_lattice(frame)

    def __call__(self, frame: np.ndarray) -> np.ndarray:
        """``frame`` (float32 H×W×3 in ``space``) as display code values 0..1."""
        return self._lut(self._to_lattice(frame))

    def close(self) -> None:
        self._to_lattice.close()
        self._lut.close()


def fold_display(effect_lut: Lut3D, lattice_in_working: np.ndarray, working_display: DisplayLut,
                 threads: int | None = None) -> LutProcessor:
    """One LUT from a display LUT's lattice space through an effect's LUT to the display.

    Parameters
    ----------
    effect_lut : Lut3D
        The effect's LUT, working space → working space.
    lattice_in_working : ndarray
        float32 ``(DISPLAY_LUT_SIZE³, 3)``: the lattice points of the source's ``DisplayLut`` (its
        ``lattice_space`` 0..1), converted into the working space.
    working_display : DisplayLut
        The display of working-space frames.

    Returns
    -------
    LutProcessor
        Applied to frames in the source's ``lattice_space``, gives display code values 0..1: at every lattice
        point exactly what the effect LUT then the working display give, tetrahedral in between.
    """
    graded = apply_lut(lattice_in_working, effect_lut, threads=1)
    table = working_display(graded[None]).reshape((DISPLAY_LUT_SIZE,) * 3 + (3,))
    return LutProcessor(Lut3D(table), threads)


def lattice_in(space: str, working: str, config: str | None) -> np.ndarray:
    """The ``DISPLAY_LUT_SIZE``³ lattice points over ``space`` 0..1 converted into ``working``: float32 ``(M, 3)``,
    what ``fold_display`` takes as ``lattice_in_working`` (computed once per source)."""
    points = lattice_points(DISPLAY_LUT_SIZE).astype(np.float32).reshape(1, -1, 3)
    converter = ColorProcessor(space, working, config, threads=1)
    try:
        return np.array(converter(points)[0], dtype=np.float32)
    finally:
        converter.close()
