"""The cleanup graph's input tensors for one window of motion-compensated frames.

Built the same way when training validates (``answerprint.models.cleanup``) and when the effect renders: the
window's frames in the slots the network was trained with (``params.FRAMES_INPUT``), the noise σ map
(``params.SIGMA_INPUT``) and the strength (``params.STRENGTH_INPUT``; from 1 to 2 it scales σ, below 1 the
graph blends back towards the source).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from .flow import AlignedNeighbour
from .noise import NoiseModel
from .params import FRAMES_INPUT, SIGMA_INPUT, STRENGTH_INPUT


def stacked_inputs(aligned: Sequence[AlignedNeighbour], noise_model: NoiseModel, *, temporal_window: int,
                   temporal_radius: int, sigma_map: np.ndarray | None = None,
                   region: tuple[slice, slice] | None = None, out: np.ndarray | None = None) -> np.ndarray:
    """The ``frames`` and ``noise_sigma`` inputs of one window in one float32 array [1, 3T + 1, H, W].

    Channels ``3k`` to ``3k + 2`` hold slot ``k`` of the window (R, G, B; oldest first, the current frame in the
    middle); the last channel holds σ. Written in place, plane by plane: no other array of its size is made, only
    the current frame's three planes (of the region), read once per slot: planar reads cost less than strided.
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
    centre_planes = np.ascontiguousarray(centre.transpose(2, 0, 1))  # read T times: made planar once
    radius = temporal_window // 2
    for slot, offset in enumerate(range(-radius, radius + 1)):
        planes = stacked[0, 3 * slot:3 * slot + 3]
        item = by_offset.get(offset)
        if offset != 0 and item is not None and abs(offset) <= temporal_radius:
            np.copyto(planes, item.pixels[region].transpose(2, 0, 1))
            np.copyto(planes, centre_planes, where=~item.valid[region][None])
        else:
            np.copyto(planes, centre_planes)
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
