"""``colormatch``: match a shot to a reference frame, or balance it from a ColorChecker, in ACEScct.

``compile`` reads the reference (and three frames of the shot: first, middle, last), computes the match
once (``colormatch.transfer.match_shot`` or, for ``method=chart``, ``colormatch.chart``) and bakes it into
one 3D LUT; every frame then goes through that LUT, so the match cannot flicker. When the match is not
confident enough to help (a reference of different content), the shot passes through unchanged and its
note (``Processor.notes``) says why — unless ``hold_back=false``. Every match notes what it did.

The match is fitted at full strength and then blended with the identity in ACEScct (``strength``). A
``PreparedMatch`` (``Effect.prepare``) keeps its last fits by reference files and fit parameters, so the
panel's preview, which binds every slider move to one, pays a LUT blend for a new strength instead of a
refit; given an ``analysis_size``, the shot and reference frames are scaled down to it before fitting (a shot
match only; a chart is read at full resolution, where its corners are given).

The LUT keeps the interpolation its fit was made for: trilinear for a match through a common view (fitted by
``look_fit``), tetrahedral for a statistical or chart match (sampled from the exact mapping).
"""
from __future__ import annotations

import json
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Sequence

import cv2
import numpy as np

from ...color import ColorProcessor, default_source_space
from ...color.lut import Lut3D, LutProcessor, lattice_points
from ...color.spaces import WORKING_SPACE, look_domain
from ...errors import MediaError, UsageError
from ...frames import MediaInfo, probe
from ..base import EffectContext, Processor, file_state
from ..look.pairs import read_frame
from . import chart, transfer

#: A chart fit leaving more than this mean ΔE00 on its own patches is refused (wrong chart or corners).
MAX_CHART_RESIDUAL_DE00 = 6.0


@dataclass(frozen=True)
class _Fit:
    """A match as fitted at full strength: its LUT (None when held back), and what to tell the colorist."""

    lut: Lut3D | None
    message: str
    held_back: bool = False
    blends: bool = True


class _Match(Processor):
    def __init__(self, lut: Lut3D | None, threads: int | None, message: str):
        #: What the match did, or why it held back (its one note).
        self.message = message
        self.notes = (message,)
        #: The ACEScct → ACEScct LUT every frame goes through; None when the shot passes through unchanged.
        self.lut = lut
        self._lut = None if lut is None else LutProcessor(lut, threads)

    def __call__(self, window: Sequence[np.ndarray]) -> np.ndarray:
        return window[0] if self._lut is None else self._lut(window[0])


def _fit_inside(pixels: np.ndarray, analysis_size: int | None, interpolation: int = cv2.INTER_AREA) -> np.ndarray:
    """``pixels`` scaled down (never up) so that its longer side is at most ``analysis_size`` (None: as is)."""
    if analysis_size is None or max(pixels.shape[:2]) <= analysis_size:
        return pixels
    scale = analysis_size / max(pixels.shape[:2])
    size = (max(1, round(pixels.shape[1] * scale)), max(1, round(pixels.shape[0] * scale)))
    return cv2.resize(pixels, size, interpolation=interpolation)


def _working_frame(path: str, frame: int, space: str, analysis_size: int | None = None) -> np.ndarray:
    converter = ColorProcessor(space, WORKING_SPACE)
    try:
        return converter(_fit_inside(read_frame(path, frame), analysis_size))
    finally:
        converter.close()


def _shot_frames(source: MediaInfo, space: str, analysis_size: int | None = None) -> list[np.ndarray]:
    numbers = sorted({source.first_frame, (source.first_frame + source.last_frame) // 2, source.last_frame})
    present = [n for n in numbers if n not in source.missing_frames]
    return [_working_frame(source.path, n, space, analysis_size) for n in present]


def _reference(params: dict[str, Any], analysis_size: int | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    path = params["reference"]
    if not path:
        raise UsageError("a shot match needs a reference frame or clip to match", "reference")
    info = probe(path)
    frame = params["reference_frame"]
    number = (info.first_frame + info.last_frame) // 2 if frame < 0 else frame
    if not info.first_frame <= number <= info.last_frame:
        raise UsageError(f"the reference holds frames {info.first_frame}..{info.last_frame}, not {number}",
                         "reference_frame")
    reference = _working_frame(path, number, params["reference_space"] or default_source_space(info))
    mask = None
    if params["mask"]:
        mask = read_frame(params["mask"], probe(params["mask"]).first_frame).mean(axis=2) >= 0.5
        if mask.shape != reference.shape[:2]:
            raise MediaError(f"the mask is {mask.shape[1]}x{mask.shape[0]} but the reference frame is "
                             f"{reference.shape[1]}x{reference.shape[0]}", params["mask"])
        mask = _fit_inside(mask.astype(np.uint8), analysis_size, cv2.INTER_NEAREST) > 0
    return _fit_inside(reference, analysis_size), mask


def _chart_match(params: dict[str, Any], shot: list[np.ndarray]) -> _Fit:
    frame = shot[len(shot) // 2]
    if params["chart_corners"]:
        corners = chart.parse_corners(params["chart_corners"])
        measured = chart.sample_patches(frame, corners)
    else:
        found = chart.detect_chart(frame)
        if found is None:
            raise UsageError("no ColorChecker found in the shot's middle frame; give its corners with "
                             "--param chart_corners=x1,y1,x2,y2,x3,y3,x4,y4", "chart")
        measured, corners = found
    fitted = chart.fit_chart(measured, corners)
    if fitted.residual_de00 > MAX_CHART_RESIDUAL_DE00:
        raise UsageError(f"the chart fit leaves a mean ΔE00 of {fitted.residual_de00:.1f} on its own patches: not a "
                         "ColorChecker 24, or the corners are wrong (order: top-left at dark skin, clockwise)", "chart")
    return _Fit(fitted.lut, f"chart match: patches fitted to a mean ΔE00 of {fitted.residual_de00:.2f}", blends=False)


def _shot_match(params: dict[str, Any], context: EffectContext) -> _Fit:
    shot = _shot_frames(context.source, context.source_space, context.analysis_size)
    reference, mask = _reference(params, context.analysis_size)
    result = transfer.match_shot(shot, reference, method=params["method"], reference_mask=mask, strength=1.0,
                                 hold_back=params["hold_back"], domain=look_domain(context.source_space))
    return _Fit(result.lut, result.message, result.held_back)


def _compute_fit(params: dict[str, Any], context: EffectContext) -> _Fit:
    if params["method"] == "chart":
        return _chart_match(params, _shot_frames(context.source, context.source_space))
    return _shot_match(params, context)


def _at_strength(fit: _Fit, strength: float) -> tuple[Lut3D | None, str]:
    """The fitted LUT blended from the identity (0) to the full match (1) in ACEScct, and its message.

    The same blend ``transfer.match_shot`` applies for a strength, so a render's LUT is unchanged; the message
    it wrote for the full-strength fit ("... match at strength 1: ...") is given the strength used. A chart
    balance is applied whole (``blends=False``), as it always was.
    """
    if fit.lut is None or not fit.blends:
        return fit.lut, fit.message
    identity = lattice_points(fit.lut.size, fit.lut.domain_min, fit.lut.domain_max)
    blended = Lut3D(identity + strength * (fit.lut.table - identity), fit.lut.domain_min, fit.lut.domain_max,
                    interpolation=fit.lut.interpolation)
    return blended, fit.message.replace(" at strength 1:", f" at strength {strength:g}:", 1)


#: Fits a prepared match keeps (a slider drag revisits recent values).
KEPT_FITS = 4


class PreparedMatch:
    """A colour match prepared for one shot (``context``): its recent full-strength fits, by the reference and
    mask files (path, size and modification time, so a file exported again is refitted) and fit parameters.

    ``bind`` fits once per such key and blends the kept fit to the strength asked for.
    """

    def __init__(self, pack: Any, context: EffectContext):
        self._context = context
        #: The fits kept, most recent last.
        self.fits: OrderedDict[str, _Fit] = OrderedDict()

    def _fit(self, params: dict[str, Any]) -> _Fit:
        files = {name: file_state(params[name]) for name in ("reference", "mask")}
        key = json.dumps([files, {name: value for name, value in params.items() if name != "strength"}],
                         sort_keys=True, default=str)
        if key in self.fits:
            self.fits.move_to_end(key)
        else:
            self.fits[key] = _compute_fit(params, self._context)
            while len(self.fits) > KEPT_FITS:
                self.fits.popitem(last=False)
        return self.fits[key]

    def bind(self, params: dict[str, Any]) -> _Match:
        """The match for ``params`` (resolved): the kept fit at ``strength``, or a new fit."""
        fit = self._fit(params)
        lut, message = _at_strength(fit, params["strength"])
        return _Match(lut, self._context.threads, message)
