"""``colormatch``: match a shot to a reference frame, or balance it from a ColorChecker, in ACEScct.

``compile`` reads the reference (and three frames of the shot: first, middle, last), computes the match
once (``colormatch.transfer.match_shot`` or, for ``method=chart``, ``colormatch.chart``) and bakes it into
one 3D LUT; every frame then goes through that LUT, so the match cannot flicker. When the match is not
confident enough to help (a reference of different content), the shot passes through unchanged and a
``HeldBackWarning`` says why — unless ``hold_back=false``.
"""
from __future__ import annotations

import logging
import warnings
from typing import Any, Sequence

import numpy as np

from ..color import ColorProcessor, default_source_space
from ..colormatch import chart, transfer
from ..colormatch.lut import Lut3D, LutProcessor
from ..colormatch.pairs import read_frame
from ..colormatch.spaces import WORKING_SPACE, look_domain
from ..errors import MediaError, UsageError
from ..frames import MediaInfo, probe
from ..params import Param, ParamSchema
from .base import Effect, EffectContext

_log = logging.getLogger("answerprint.colormatch")
#: A chart fit leaving more than this mean ΔE00 on its own patches is refused (wrong chart or corners).
MAX_CHART_RESIDUAL_DE00 = 6.0


class HeldBackWarning(UserWarning):
    """The shot was left unchanged because the match was not confident enough to improve it."""


class _Match:
    temporal_radius = 0

    def __init__(self, lut: Lut3D | None, threads: int | None, message: str):
        self.message = message
        self._lut = None if lut is None else LutProcessor(lut, threads)

    def __call__(self, window: Sequence[np.ndarray]) -> np.ndarray:
        return window[0] if self._lut is None else self._lut(window[0])


def _working_frame(path: str, frame: int, space: str) -> np.ndarray:
    converter = ColorProcessor(space, WORKING_SPACE)
    try:
        return converter(read_frame(path, frame))
    finally:
        converter.close()


def _shot_frames(source: MediaInfo, space: str) -> list[np.ndarray]:
    numbers = sorted({source.first_frame, (source.first_frame + source.last_frame) // 2, source.last_frame})
    present = [n for n in numbers if n not in source.missing_frames]
    return [_working_frame(source.path, n, space) for n in present]


def _reference(params: dict[str, Any]) -> tuple[np.ndarray, np.ndarray | None]:
    path = params["reference"]
    if not path:
        raise UsageError("a shot match needs a reference: --param reference=FRAME_OR_CLIP", "reference")
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
    return reference, mask


def _chart_match(params: dict[str, Any], shot: list[np.ndarray]) -> tuple[Lut3D, str]:
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
    return fitted.lut, f"chart match: patches fitted to a mean ΔE00 of {fitted.residual_de00:.2f}"


def _compile(params: dict[str, Any], pack: Any, context: EffectContext) -> _Match:
    shot = _shot_frames(context.source, context.source_space)
    if params["method"] == "chart":
        lut, message = _chart_match(params, shot)
        return _Match(lut, context.threads, message)
    reference, mask = _reference(params)
    result = transfer.match_shot(shot, reference, method=params["method"], reference_mask=mask,
                                 strength=params["strength"], hold_back=params["hold_back"],
                                 domain=look_domain(context.source_space))
    if result.held_back:
        warnings.warn(result.message, HeldBackWarning, stacklevel=2)
    else:
        _log.info(result.message)
    return _Match(result.lut, context.threads, result.message)


EFFECT = Effect(
    name="colormatch",
    summary="Match a shot to a reference frame (or a ColorChecker), holding back when it would make it worse.",
    params=ParamSchema([
        Param("reference", "path", None, label="Reference", widget="reference",
              doc="Still or clip to match to (any format answerprint reads)."),
        Param("reference_frame", "int", -1, minimum=-1, label="Reference frame",
              doc="Frame number of the reference clip to match to; -1 for its middle frame."),
        Param("reference_space", "string", None, label="Reference colour space",
              doc="OCIO colour space of the reference; default from its file type, like a source."),
        Param("strength", "float", 1.0, minimum=0.0, maximum=1.0, label="Strength", widget="slider", step=0.05,
              doc="Blend from the shot (0) to the full match (1), in ACEScct."),
        Param("method", "enum", "mkl", choices=("mkl", "mkl_hist", "chart"), label="Method",
              doc="Statistics used without a common view (mkl, mkl_hist), or a ColorChecker in the shot (chart)."),
        Param("mask", "path", None, label="Reference mask",
              doc="Image the size of the reference: black regions are left out of the match."),
        Param("hold_back", "bool", True, label="Hold back",
              doc="Leave the shot unchanged when the match is not confident enough to improve it."),
        Param("chart_corners", "string", None, label="Chart corners", widget="screen_xy",
              doc="x1,y1,...,x4,y4 of the chart (top-left first, clockwise) when it is not found by itself."),
    ]),
    working_space=WORKING_SPACE,
    compile=_compile,
)
