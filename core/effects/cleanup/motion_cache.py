"""Per-render memory of what neighbouring frame windows share: each frame prepared once, each flow estimated once.

A render slides a window of ``2·r + 1`` frames along the clip one frame at a time. Aligning the window centred
on frame ``c`` needs the flow from ``c`` to each neighbour ``n`` (to warp ``n`` onto ``c``) and back (to check
occlusion); when the centre moves on to ``n`` the same two flows are needed again with their roles swapped.
``MotionCache`` estimates each ordered pair of frames once and each frame's estimation image (``luma``) once,
and forgets them as soon as a frame leaves the window (``retain``), so a UHD render keeps a few coarse flows, not
a clip's worth. Results are bit-identical to estimating every flow afresh.

Frames are known by identity: the render engine hands the same arrays from window to window (``FrameMemo``).
"""
from __future__ import annotations

from typing import Any, Callable, Iterable, Protocol, TypeVar

import numpy as np

T = TypeVar("T")


class StagedEstimator(Protocol):
    """A flow estimator in three steps (``flow.FlowEstimator``, ``flow.MotionEstimator``)."""

    def luma(self, frame: np.ndarray) -> np.ndarray: ...

    def coarse_flow(self, reference_luma: np.ndarray, moving_luma: np.ndarray) -> np.ndarray: ...

    def full_flow(self, coarse: np.ndarray, shape: tuple[int, ...]) -> np.ndarray: ...


class FrameMemo:
    """Values computed from frames of a sliding window, each computed once and kept while its frames are in it.

    Keys are tuples of frame arrays, known by identity. Each entry holds on to its frames, so no other array
    can take the identity of one while the entry is kept.
    """

    def __init__(self) -> None:
        self._entries: dict[tuple[int, ...], tuple[tuple[np.ndarray, ...], Any]] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, frames: tuple[np.ndarray, ...], compute: Callable[[], T]) -> T:
        """The value kept for ``frames``, or ``compute()`` kept for them now."""
        key = tuple(id(frame) for frame in frames)
        entry = self._entries.get(key)
        if entry is None:
            entry = self._entries[key] = (frames, compute())
        return entry[1]

    def retain(self, window: Iterable[np.ndarray], done: Callable[[tuple[int, ...]], bool] | None = None) -> None:
        """Forget every value computed from a frame that is not in ``window``, and those whose key (frame
        identities) ``done`` says are needed no more."""
        present = {id(frame) for frame in window}
        self._entries = {key: entry for key, entry in self._entries.items()
                         if present.issuperset(key) and not (done and done(key))}


class MotionCache:
    """A flow estimator that remembers: call it as the estimator it wraps (``flow.align_neighbours`` does).

    Parameters
    ----------
    estimator : StagedEstimator
        The pack's ``MotionEstimator`` (or a ``FlowEstimator``).

    Attributes
    ----------
    pairs_estimated : int
        Ordered pairs of frames whose flow was estimated so far (each at most once while both frames stay).
    """

    def __init__(self, estimator: StagedEstimator):
        self.estimator = estimator
        self.pairs_estimated = 0
        self._lumas = FrameMemo()
        self._coarse = FrameMemo()
        self._centres: dict[int, np.ndarray] = {}  # frames of the window that were the centre of an earlier one

    def __len__(self) -> int:
        """Flows kept."""
        return len(self._coarse)

    def __call__(self, reference: np.ndarray, moving: np.ndarray) -> np.ndarray:
        """Flow from ``reference`` to ``moving`` at their resolution (H×W×2, pixels), as the estimator gives it."""
        coarse = self._coarse.get((reference, moving), lambda: self._estimate(reference, moving))
        return self.estimator.full_flow(coarse, reference.shape)

    def retain(self, window: Iterable[np.ndarray]) -> None:
        """Forget everything about frames that are not in ``window`` (the next window to align), and the flows
        between two frames that have both been the centre of a window already (each was used both ways).

        Windows met out of order (a preview's scrubbing) are still aligned exactly; a flow forgotten too early
        is estimated again.
        """
        window = list(window)
        present = {id(frame) for frame in window}
        self._centres = {key: frame for key, frame in self._centres.items() if key in present}
        self._lumas.retain(window)
        self._coarse.retain(window, done=lambda pair: all(key in self._centres for key in pair))
        centre = window[len(window) // 2]
        self._centres[id(centre)] = centre

    def _luma(self, frame: np.ndarray) -> np.ndarray:
        return self._lumas.get((frame,), lambda: self.estimator.luma(frame))

    def _estimate(self, reference: np.ndarray, moving: np.ndarray) -> np.ndarray:
        self.pairs_estimated += 1
        return self.estimator.coarse_flow(self._luma(reference), self._luma(moving))
