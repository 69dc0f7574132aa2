"""``relight``: change the light on a shot, not its surfaces, with the production's learned intrinsic model.

The pack (``answerprint train relight``) splits each frame into reflectance × shading in scene-linear ACEScg;
every control acts on the shading only — a virtual point, spot, soft area or directional light (position,
radius, falloff, intensity in stops, colour temperature and tint, direction on surfaces with normals), the
key/fill ratio, shadow lift, highlight roll-off, and matching the lighting of a reference take — and the
result is the unchanged reflectance × the new shading (``core.effects.relight.processor``). The light can also
replace the shot's key light (``light_mode=replace_key``), and surface normals can come from the shot's depth
or disparity pass, a still or one frame per shot frame (``normals=depth_map``, ``core.effects.relight.depth_pass``;
the processor takes the frame number from the engine). Shading statistics are pooled over
``temporal_radius`` frames each side, so the result does not flicker.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ...color import ColorProcessor
from ...errors import MediaError, PackError, ParamError
from ...frames import open_media
from ...runtime import open_session
from ..base import EffectContext, Processor, file_state
from .decompose import DEFAULT_ANALYSIS_SIDE, IMAGE_INPUT, SHADING_OUTPUT, ShadingCache
from .depth_pass import DepthPass
from .params import WORKING_SPACE, relight_params
from .processor import RelightProcessor, RelightSettings, reference_stats
from .shading_ops import ShadingStats

#: Frames of a reference clip whose shading statistics are pooled, evenly spread over it.
REFERENCE_FRAMES = 5
#: The largest ``temporal_radius`` the parameters allow: a prepared relight keeps shadings for such a window.
MAX_TEMPORAL_RADIUS = int(relight_params()["temporal_radius"].maximum)
#: The parameters a depth pass is read with (besides its path).
DEPTH_PARAMS = ("depth_kind", "depth_focal_px", "depth_smoothing_px")


def _reference_frames(path: str, source_space: str) -> list[np.ndarray]:
    """Up to ``REFERENCE_FRAMES`` frames of the reference take, converted from ``source_space`` to ACEScg."""
    to_working = ColorProcessor(source_space, WORKING_SPACE)
    with open_media(path) as reader:
        info = reader.info
        last = info.first_frame + info.frame_count - 1
        numbers = sorted({int(round(n)) for n in np.linspace(info.first_frame, last, REFERENCE_FRAMES)})
        frames = [to_working(pixels) for _, pixels in reader.read(numbers)]
    if not frames:
        raise MediaError("the reference take has no frames", path)
    return frames


def _depth_pass(params: dict[str, Any], context: EffectContext) -> DepthPass | None:
    """The shot's depth pass when the normals come from one (refused when none is named)."""
    if params["normals"] != "depth_map":
        return None
    if not params["depth_map"]:
        raise ParamError("normals=depth_map needs the shot's depth or disparity pass", "--param depth_map")
    return DepthPass(params["depth_map"], params["depth_kind"], params["depth_focal_px"],
                     params["depth_smoothing_px"], context.source.width, context.source.height)


class BoundRelight(RelightProcessor, Processor):
    """A ``RelightProcessor`` declared as an effect's ``Processor``: it wants frame numbers (its own
    ``wants_frame_number``), is no LUT and has no notes (the protocol's defaults)."""


class PreparedRelight:
    """A relight prepared once for a pack and a source: what dragging a light must not redo.

    Holds the pack's session, the analysis-size shadings of the shot's frames (shared by every processor it
    binds, so a new light re-runs no network), and, by their parameters and file state, the reference take's
    shading statistics and the depth pass (each read and analysed once). ``bind`` then only builds the
    settings. A render prepares and binds once (``compile``); the panel's preview binds every slider move.

    Raises
    ------
    PackError
        When the pack holds no relight model.
    """

    def __init__(self, pack: Any, context: EffectContext):
        data = pack.manifest.effect_data
        if "relight" not in data:
            raise PackError("this pack has no relight model; it was not made by 'answerprint train relight'",
                            pack.path)
        self._context = context
        self._analysis_side = int(data["relight"].get("analysis_side", DEFAULT_ANALYSIS_SIDE))
        session = open_session(pack, providers=context.providers, threads=context.threads)

        def model(images: np.ndarray) -> np.ndarray:
            return session.run({IMAGE_INPUT: images})[SHADING_OUTPUT]

        self._model = model
        #: The shot's analysis-size shadings, shared by every processor bound here.
        self.shadings = ShadingCache(model, self._analysis_side, 2 * MAX_TEMPORAL_RADIUS + 2)
        self._references: dict[tuple, ShadingStats] = {}
        self._depths: dict[tuple, DepthPass | None] = {}

    def _reference(self, params: dict[str, Any]) -> ShadingStats | None:
        path = params["reference"]
        if not path:
            return None
        key = (path, file_state(path), self._context.source_space)
        if key not in self._references:
            frames = _reference_frames(path, self._context.source_space)
            self._references = {key: reference_stats(self._model, self._analysis_side, frames)}
        return self._references[key]

    def _depth(self, params: dict[str, Any]) -> DepthPass | None:
        path = params["depth_map"] if params["normals"] == "depth_map" else None
        key = (path, file_state(path), *(params[n] for n in DEPTH_PARAMS))
        if key not in self._depths:
            self._depths = {key: _depth_pass(params, self._context)}
        return self._depths[key]

    def bind(self, params: dict[str, Any]) -> BoundRelight:
        """The relight for ``params`` (resolved), sharing the shadings, reference and depth pass prepared."""
        settings = RelightSettings.from_params(params)
        return BoundRelight(settings, self._model, analysis_side=self._analysis_side, depth=self._depth(params),
                            shadings=self.shadings, reference=self._reference(params))
