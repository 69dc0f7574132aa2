"""The cleanup effect's parameters, and how the frames and each parameter reach the trained graph.

One place for the contract between training (``answerprint.models.cleanup``) and the apply effect:

- ``cleanup_params()``: the parameter schema every surface (CLI, panel, manifest) shows;
- ``cleanup_bindings()``: how each parameter acts, for the manifest. ``strength`` is fed through the graph's
  ``strength`` input; all the others act outside the graph (the effect applies them around it);
- ``MotionEstimator``: how neighbours are motion-compensated for the graph (settings stored in the pack,
  ``contract.CleanupContract``);
- ``graph_inputs()`` / ``stacked_inputs()``: the graph's input tensors for one window of motion-compensated
  frames, built the same way when training validates and when the effect renders.

Strength inside the graph: from 1 to 2 it scales ``noise_sigma`` (the network was trained on footage with
extra grain and the matching larger σ, FFDNet-style, so a larger σ removes more). Below 1 the σ stays at
the measured level and the graph blends its result back towards the source frame, exactly, down to 0
(untouched).
"""
from __future__ import annotations

from typing import Any, Mapping, Sequence

import cv2
import numpy as np

from ...packs.spec import ParamBinding
from ...params import Param, ParamSchema
from .flow import AlignedNeighbour, FlowEstimator
from .noise import NoiseModel

FRAMES_INPUT = "frames"
SIGMA_INPUT = "noise_sigma"
STRENGTH_INPUT = "strength"
OUTPUT = "denoised"
GRAIN_MODES = ("remove", "keep", "synthesize")
REVIEW_MODES = ("off", "difference", "mask")


def cleanup_params() -> ParamSchema:
    """The cleanup effect's parameters (code values and σ are those of the source encoding)."""
    return ParamSchema([
        Param("strength", "float", 1.0, minimum=0.0, maximum=2.0, unit="× measured noise", label="Strength",
              doc="How much noise to remove, as a multiple of the production's measured noise: 0 leaves the "
                  "frame untouched, 1 removes the measured noise, up to 2 removes more.",
              widget="slider", step=0.05),
        Param("detail", "float", 0.25, minimum=0.0, maximum=1.0, label="Detail preservation",
              doc="Share of the finest detail in the removed residual that is given back (0 = none).",
              widget="slider", step=0.05),
        Param("temporal_radius", "int", 2, minimum=0, maximum=2, unit="frames", label="Temporal radius",
              doc="Neighbouring frames on each side that help denoise a frame (0 = the frame alone); limited "
                  "by the pack's temporal window (5 frames for quick and full packs)."),
        Param("grain", "enum", "remove", choices=GRAIN_MODES, label="Grain",
              doc="remove: clean result; keep: put the original grain back at the chosen amount; synthesize: "
                  "add fresh grain with the production's measured structure at the chosen amount."),
        Param("grain_amount", "float", 1.0, minimum=0.0, maximum=2.0, unit="× measured grain",
              label="Grain amount", doc="Amount of kept or synthesised grain, 1 = as measured in the dailies.",
              widget="slider", step=0.05),
        Param("dust_sensitivity", "float", 0.5, minimum=0.0, maximum=1.0, label="Dust sensitivity",
              doc="How readily one-frame specks are detected and repaired from neighbours (0 = off).",
              widget="slider", step=0.05),
        Param("dead_pixels", "bool", True, label="Dead pixels",
              doc="Repair pixels stuck at one value through the clip."),
        Param("review", "enum", "off", choices=REVIEW_MODES, label="Review output",
              doc="off: the cleaned frame; difference: what was removed, amplified; mask: the repaired pixels."),
    ])


def cleanup_bindings() -> tuple[ParamBinding, ...]:
    """How each parameter acts: ``strength`` through the graph's ``strength`` input; every other one is applied
    by the effect around the graph (``effect``: the graph does not depend on it)."""
    outside = [p.name for p in cleanup_params() if p.name != "strength"]
    return (ParamBinding("strength", "input", tensor=STRENGTH_INPUT),
            *(ParamBinding(name, "effect") for name in outside))


_PRESETS = {"ultrafast": cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST, "fast": cv2.DISOPTICAL_FLOW_PRESET_FAST,
            "medium": cv2.DISOPTICAL_FLOW_PRESET_MEDIUM}


class MotionEstimator:
    """``flow.FlowEstimator`` run on frames downscaled by ``scale``, the flow scaled back up (pixels).

    On noisy footage DIS at half resolution with the *fast* preset is both more accurate and several times
    quicker than the *medium* preset at full resolution (measured on photographs with Gaussian σ = 25/255:
    0.13-0.22 px mean error against 0.35-0.71 px; 30 ms per 1080p flow). Clean footage loses little
    (0.10-0.12 px against 0.06-0.07 px). Usable wherever ``align_neighbours`` takes an estimator.

    Parameters
    ----------
    preset : str
        ``ultrafast``, ``fast`` or ``medium`` (DIS presets).
    scale : float
        Resolution the flow is estimated at (0 < scale ≤ 1).
    blur_sigma : float
        Luma blur before estimating, pixels at the estimation resolution.
    """

    def __init__(self, preset: str = "fast", scale: float = 0.5, blur_sigma: float = 1.0):
        if preset not in _PRESETS or not 0 < float(scale) <= 1 or not float(blur_sigma) >= 0:
            raise ValueError(f"motion estimator needs a preset of {', '.join(_PRESETS)}, 0 < scale ≤ 1 and "
                             f"blur_sigma ≥ 0; got {preset!r}, {scale}, {blur_sigma}")
        self.preset, self.scale, self.blur_sigma = preset, float(scale), float(blur_sigma)
        self._flow = FlowEstimator(_PRESETS[preset], self.blur_sigma)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, MotionEstimator) and other.to_json() == self.to_json()

    def __hash__(self) -> int:
        return hash(tuple(self.to_json().values()))

    def __repr__(self) -> str:
        return f"MotionEstimator({self.preset!r}, scale={self.scale:g}, blur_sigma={self.blur_sigma:g})"

    def luma(self, frame: np.ndarray) -> np.ndarray:
        """What the flow is estimated on: the frame at ``scale`` (area-averaged), blurred luma as uint8."""
        if self.scale >= 1:
            return self._flow.luma(frame)
        return self._flow.luma(cv2.resize(frame, self._small_size(frame.shape), interpolation=cv2.INTER_AREA))

    def coarse_flow(self, reference_luma: np.ndarray, moving_luma: np.ndarray) -> np.ndarray:
        """Flow between two ``luma`` images, at the estimation resolution (pixels of that resolution)."""
        return self._flow.coarse_flow(reference_luma, moving_luma)

    def full_flow(self, coarse: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        """``coarse`` resized (bilinear) to the frames' ``shape[:2]`` and its vectors scaled to their pixels."""
        if self.scale >= 1:
            return coarse
        height, width = shape[:2]
        size = self._small_size(shape)
        flow = cv2.resize(coarse, (width, height), interpolation=cv2.INTER_LINEAR)
        flow[..., 0] *= width / size[0]
        flow[..., 1] *= height / size[1]
        return flow

    def __call__(self, reference: np.ndarray, moving: np.ndarray) -> np.ndarray:
        """Flow such that ``reference[y, x] ≈ moving[y + flow[y, x, 1], x + flow[y, x, 0]]`` (H×W×2, pixels)."""
        return self.full_flow(self.coarse_flow(self.luma(reference), self.luma(moving)), reference.shape)

    def _small_size(self, shape: tuple[int, ...]) -> tuple[int, int]:
        """(width, height) of the estimation resolution for frames of ``shape``."""
        height, width = shape[:2]
        return max(round(width * self.scale), 8), max(round(height * self.scale), 8)

    def to_json(self) -> dict[str, Any]:
        """The settings, for the pack's ``effect_data.motion``."""
        return {"preset": self.preset, "scale": self.scale, "blur_sigma": self.blur_sigma}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "MotionEstimator":
        return cls(str(data["preset"]), float(data["scale"]), float(data["blur_sigma"]))


def stacked_inputs(aligned: Sequence[AlignedNeighbour], noise_model: NoiseModel, *, temporal_window: int,
                   temporal_radius: int, sigma_map: np.ndarray | None = None,
                   region: tuple[slice, slice] | None = None, out: np.ndarray | None = None) -> np.ndarray:
    """The ``frames`` and ``noise_sigma`` inputs of one window in one float32 array [1, 3T + 1, H, W].

    Channels ``3k`` to ``3k + 2`` hold slot ``k`` of the window (R, G, B; oldest first, the current frame in the
    middle); the last channel holds σ. Written in place, plane by plane: no other array of its size is made.
    With ``region`` (rows, columns) only that part of the frame is made, as a ``runtime.LazyImage`` tile.

    Parameters
    ----------
    aligned : sequence of AlignedNeighbour
        From ``flow.align_neighbours`` (offset 0 is the current frame); any radius.
    noise_model : NoiseModel
        The production's noise: σ is its ``luma_sigma_map`` of the current frame (code values).
    temporal_window : int
        T of the pack (odd).
    temporal_radius : int
        Neighbours on each side to use; slots further out, offsets missing from ``aligned`` and pixels the
        warp does not trust all take the current frame's pixels (as at clip edges).
    sigma_map : ndarray, optional
        ``noise_model.luma_sigma_map`` of the whole current frame when the caller has it already (H×W).
    region : (slice, slice), optional
        Rows and columns of the frame to make (default all).
    out : ndarray, optional
        Where to write it (float32 [1, 3T + 1, h, w] for the region; a view is fine); default a new array.
    """
    by_offset = {item.offset: item for item in aligned}
    region = region or (slice(None), slice(None))
    whole_centre = by_offset[0].pixels
    centre = whole_centre[region]
    height, width = centre.shape[:2]
    stacked = np.empty((1, 3 * temporal_window + 1, height, width), np.float32) if out is None else out
    centre_planes = centre.transpose(2, 0, 1)
    radius = temporal_window // 2
    for slot, offset in enumerate(range(-radius, radius + 1)):
        planes = stacked[0, 3 * slot:3 * slot + 3]
        item = by_offset.get(offset)
        np.copyto(planes, centre_planes)
        if offset != 0 and item is not None and abs(offset) <= temporal_radius:
            np.copyto(planes, item.pixels[region].transpose(2, 0, 1), where=item.valid[region][None])
    stacked[0, -1] = (noise_model.luma_sigma_map(whole_centre) if sigma_map is None else sigma_map)[region]
    return stacked


def graph_inputs(aligned: Sequence[AlignedNeighbour], noise_model: NoiseModel, *, strength: float,
                 temporal_window: int, temporal_radius: int) -> dict[str, np.ndarray]:
    """The graph inputs for one window, batch of one.

    ``frames`` [1, 3T, H, W] and ``noise_sigma`` [1, 1, H, W] (views of ``stacked_inputs``: the noise model's
    σ at the current frame's intensities, mean over channels, code values) and ``strength`` [1]. H and W are
    the frames' own: pad to the pack's size multiple before running.
    """
    stacked = stacked_inputs(aligned, noise_model, temporal_window=temporal_window, temporal_radius=temporal_radius)
    return {FRAMES_INPUT: stacked[:, :-1], SIGMA_INPUT: stacked[:, -1:],
            STRENGTH_INPUT: np.array([strength], np.float32)}
