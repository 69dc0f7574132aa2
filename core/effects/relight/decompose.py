"""Split a scene-linear frame into reflectance × shading with a production's trained relight network.

The pack's graph (see ``models/relight``) takes ``image`` [N, 3, H, W] (scene-linear ACEScg, ≥ 0) and
returns ``shading`` [N, 3, H, W] (scene-linear, > 0): a smooth grey shading times one light colour per
frame. Shading varies slowly, so the graph runs on the frame reduced to ``analysis_side`` pixels on its long
side; the shading is brought back to full size in stops (bilinear in log2), and the reflectance is the
frame divided by it at full resolution. Reconstruction is therefore exact: reflectance × shading = frame.
"""
from __future__ import annotations

import zlib
from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable

import cv2
import numpy as np

IMAGE_INPUT = "image"
SHADING_OUTPUT = "shading"
#: The graph's spatial size must be a multiple of this.
SIZE_MULTIPLE = 8
#: Long side (pixels) the graph analyses frames at, unless the pack says otherwise.
DEFAULT_ANALYSIS_SIDE = 256
#: Smallest shading relative to the frame's median shading (keeps the reflectance finite in black areas).
MIN_SHADING = 1e-3

ShadingModel = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Layers:
    """One frame's intrinsic layers, scene-linear ACEScg H×W×3 float32: frame = reflectance × shading."""

    reflectance: np.ndarray
    shading: np.ndarray


def analysis_size(height: int, width: int, side: int) -> tuple[int, int]:
    """(h, w) of a frame reduced to ``side`` on its long side, each a multiple of ``SIZE_MULTIPLE``."""
    scale = min(1.0, side / max(height, width))

    def fit(length: int) -> int:
        return max(SIZE_MULTIPLE, int(round(length * scale / SIZE_MULTIPLE)) * SIZE_MULTIPLE)

    return fit(height), fit(width)


def analyse(frame_linear_acescg: np.ndarray, model: ShadingModel, analysis_side: int = DEFAULT_ANALYSIS_SIDE) -> np.ndarray:
    """The frame's shading at analysis size: h×w×3 float32, scene-linear, > 0.

    Parameters
    ----------
    frame_linear_acescg : ndarray
        H×W×3 float32, scene-linear ACEScg (negative and non-finite values are treated as 0 for the analysis).
    model : callable
        [N, 3, h, w] float32 → shading [N, 3, h, w] (the pack's graph or a network in memory).
    analysis_side : int
        Long side the model sees, pixels.
    """
    height, width = frame_linear_acescg.shape[:2]
    small_h, small_w = analysis_size(height, width, analysis_side)
    clean = np.maximum(np.nan_to_num(frame_linear_acescg, nan=0.0, posinf=0.0, neginf=0.0), 0.0).astype(np.float32)
    small = cv2.resize(clean, (small_w, small_h), interpolation=cv2.INTER_AREA)
    tensor = np.ascontiguousarray(np.transpose(small, (2, 0, 1))[None], np.float32)
    return np.maximum(np.transpose(model(tensor)[0], (1, 2, 0)), 1e-8).astype(np.float32)


def layers_from_shading(frame_linear_acescg: np.ndarray, shading_small: np.ndarray) -> Layers:
    """Full-size layers from the analysis-size shading: shading resized in stops, reflectance = frame / shading."""
    height, width = frame_linear_acescg.shape[:2]
    log_full = cv2.resize(np.log2(shading_small), (width, height), interpolation=cv2.INTER_LINEAR)
    shading = np.exp2(log_full).astype(np.float32)
    shading = np.maximum(shading, MIN_SHADING * float(np.median(shading_small)))
    return Layers((frame_linear_acescg / shading).astype(np.float32), shading)


def decompose(frame_linear_acescg: np.ndarray, model: ShadingModel, analysis_side: int = DEFAULT_ANALYSIS_SIDE) -> Layers:
    """The full-size layers of one frame (arguments as for ``analyse``)."""
    return layers_from_shading(frame_linear_acescg, analyse(frame_linear_acescg, model, analysis_side))


class ShadingCache:
    """Analysis-size shadings of the last few frames, so a temporal window analyses each frame once.

    Frames are recognised by their shape and a CRC-32 of an evenly subsampled copy of their pixels.

    Attributes
    ----------
    analysed : int
        Frames the model has analysed so far (the rest came from the cache).
    """

    def __init__(self, model: ShadingModel, analysis_side: int, size: int):
        self._model = model
        self._side = analysis_side
        self._size = max(size, 1)
        self._shadings: OrderedDict[tuple, np.ndarray] = OrderedDict()
        self.analysed = 0

    @staticmethod
    def _key(frame: np.ndarray) -> tuple:
        sample = np.ascontiguousarray(frame[::7, ::5])
        return frame.shape, zlib.crc32(sample.tobytes())

    def __call__(self, frame_linear_acescg: np.ndarray) -> np.ndarray:
        """The analysis-size shading of ``frame_linear_acescg`` (see ``analyse``)."""
        key = self._key(frame_linear_acescg)
        if key in self._shadings:
            self._shadings.move_to_end(key)
            return self._shadings[key]
        shading = analyse(frame_linear_acescg, self._model, self._side)
        self.analysed += 1
        self._shadings[key] = shading
        while len(self._shadings) > self._size:
            self._shadings.popitem(last=False)
        return shading
