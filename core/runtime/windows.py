"""Frames to model tensors: H×W×C frames become ``NCHW`` batches, temporal windows become stacked inputs.

A temporal model takes ``T`` neighbouring frames (``T`` odd, the current frame in the middle; at clip edges
the first/last frame is repeated). A pack's manifest says how they are stacked: ``NCHW`` with the frames'
channels concatenated (``C = T × channels``), or ``NTCHW`` with the window as its own axis.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from ..errors import UsageError


def window_indices(current: int, frame_count: int, window: int) -> list[int]:
    """Indices of the ``window`` frames around ``current`` in a clip of ``frame_count``, clamped at the edges.

    Raises
    ------
    UsageError
        When ``window`` is not a positive odd number or ``current`` lies outside the clip.
    """
    if window < 1 or window % 2 == 0:
        raise UsageError(f"a temporal window is a positive odd number of frames, not {window}")
    if not 0 <= current < frame_count:
        raise UsageError(f"frame {current} is outside a clip of {frame_count} frames")
    radius = window // 2
    return [min(max(current + offset, 0), frame_count - 1) for offset in range(-radius, radius + 1)]


def frames_to_tensor(frames: Sequence[np.ndarray], layout: str = "NCHW") -> np.ndarray:
    """Stack H×W×C float frames (one window, oldest first) into a batch of one model input.

    Parameters
    ----------
    frames : sequence of ndarray
        ``T`` frames of identical shape H×W×C.
    layout : str
        ``NCHW`` (frames' channels concatenated: 1 × T·C × H × W) or ``NTCHW`` (1 × T × C × H × W).

    Raises
    ------
    UsageError
        For an unknown layout or frames of different shapes.
    """
    if len({f.shape for f in frames}) != 1:
        raise UsageError(f"frames of one window differ in shape: {[f.shape for f in frames]}")
    planar = np.stack([np.transpose(f, (2, 0, 1)) for f in frames]).astype(np.float32, copy=False)
    if layout == "NTCHW":
        return np.ascontiguousarray(planar[None])
    if layout == "NCHW":
        return np.ascontiguousarray(planar.reshape(1, -1, *planar.shape[-2:]))
    raise UsageError(f"unknown image layout {layout!r}; expected NCHW or NTCHW")


def tensor_to_frame(tensor: np.ndarray) -> np.ndarray:
    """The first item of an ``N×C×H×W`` output as an H×W×C float32 frame."""
    return np.ascontiguousarray(np.transpose(tensor[0], (1, 2, 0)), dtype=np.float32)
