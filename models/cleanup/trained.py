"""A trained cleanup model in memory: the network, the production's noise model, and how it did in training.

``TrainedCleanup.denoise(window)`` runs the model exactly as the apply effect will: neighbours aligned with
``flow.align_neighbours`` (nearest-neighbour warps of ``MotionEstimator`` flows), untrusted pixels replaced by
the centre's, ``noise_sigma`` from the noise model, the strength fed to the graph, padding to the size multiple.
``TrainedCleanup.contract(input_space)`` is what the pack records for apply (``core.effects.cleanup.contract``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import torch

from answerprint.core.effects.cleanup.contract import CleanupContract, GraphTensors
from answerprint.core.effects.cleanup.defects import DefectMap
from answerprint.core.effects.cleanup.flow import MotionEstimator, align_neighbours
from answerprint.core.effects.cleanup.graph_inputs import graph_inputs
from answerprint.core.effects.cleanup.noise import NoiseModel
from answerprint.core.effects.cleanup.params import FRAMES_INPUT, OUTPUT, SIGMA_INPUT, STRENGTH_INPUT, cleanup_bindings
from answerprint.core.errors import UsageError
from answerprint.core.runtime import ModelSession, pad_to_multiple

from .network import SIZE_MULTIPLE, CleanupNet
from .optimise import HistoryPoint


@dataclass
class TrainedCleanup:
    """The result of training (no pack, no signature).

    Attributes
    ----------
    network : CleanupNet
        The trained network (CPU, eval mode).
    noise_model : NoiseModel
        The production's fitted noise.
    history : list of HistoryPoint
        Validation points during training.
    metrics : dict of str to float
        Final validation metrics (see ``train.validation_metrics``).
    notices : list of str
        Messages about the input (clips left out, mixed rates, clean footage, validation split).
    config : dict
        Profile, seed and sizes used (JSON data).
    seconds : dict of str to float
        Wall-clock seconds per stage (``prepare``, ``train``).
    motion : MotionEstimator
        How neighbours were aligned in training (and are in ``denoise``).
    defect_maps : tuple of DefectMap
        The dead, hot and stuck photosites of each camera of the dailies that had enough clips.
    """

    network: CleanupNet
    noise_model: NoiseModel
    history: list[HistoryPoint]
    metrics: dict[str, float]
    notices: list[str]
    config: dict[str, Any]
    seconds: dict[str, float]
    motion: MotionEstimator
    defect_maps: tuple[DefectMap, ...]
    _session: ModelSession | None = field(default=None, repr=False)

    @property
    def temporal_window(self) -> int:
        """T, frames the network takes per output frame."""
        return self.network.temporal_window

    @property
    def radius(self) -> int:
        """Neighbours on each side the network takes (T = 2·radius + 1)."""
        return self.network.temporal_window // 2

    def contract(self, input_space: str) -> CleanupContract:
        """What the pack records for apply, the dailies' code values being those of ``input_space`` (OCIO)."""
        return CleanupContract(self.motion, self.noise_model, input_space, self.temporal_window, SIZE_MULTIPLE,
                               None, GraphTensors(FRAMES_INPUT, SIGMA_INPUT, OUTPUT), cleanup_bindings(),
                               self.defect_maps)

    def onnx_session(self, threads: int | None = None) -> ModelSession:
        """An onnxruntime CPU session of the exported graph (exported on first use, then kept)."""
        if self._session is None or (threads is not None and self._session.threads != threads):
            from .pack import export_graph

            self._session = ModelSession(export_graph(self), threads=threads, label="trained cleanup")
        return self._session

    def run_graph(self, feeds: dict[str, np.ndarray], backend: str = "onnx") -> np.ndarray:
        """The graph's ``denoised`` output [N, 3, H, W] for padded inputs, through onnxruntime or torch."""
        if backend == "onnx":
            return self.onnx_session().run(feeds)[OUTPUT]
        if backend == "torch":
            with torch.inference_mode():
                return self.network(*(torch.from_numpy(feeds[name])
                                      for name in (FRAMES_INPUT, SIGMA_INPUT, STRENGTH_INPUT))).numpy()
        raise UsageError(f"unknown backend {backend!r}; use 'onnx' or 'torch'")

    def denoise(self, window: Sequence[np.ndarray], *, strength: float = 1.0, temporal_radius: int | None = None,
                backend: str = "onnx") -> np.ndarray:
        """Denoise the middle frame of ``window``.

        Parameters
        ----------
        window : sequence of ndarray
            An odd number of consecutive frames (float32 H×W×3 code values of the training footage's
            encoding), the frame to denoise in the middle; at clip edges repeat the edge frame (the same array).
        strength : float
            0..2 (see ``core.effects.cleanup.params``).
        temporal_radius : int, optional
            Neighbours used on each side; default and maximum ``radius``.
        backend : str
            ``onnx`` (what the effect runs) or ``torch``.

        Returns
        -------
        ndarray
            float32 H×W×3, the denoised middle frame.
        """
        if len(window) % 2 == 0:
            raise UsageError(f"a window has an odd number of frames, not {len(window)}")
        used = self.radius if temporal_radius is None else max(0, min(temporal_radius, self.radius))
        middle = len(window) // 2
        used = min(used, middle)
        frames = list(window[middle - used:middle + used + 1])
        aligned = align_neighbours(frames, self.motion) if used else align_neighbours(frames[:1])
        feeds = graph_inputs(aligned, self.noise_model, strength=strength, temporal_window=self.temporal_window,
                             temporal_radius=used)
        height, width = feeds[FRAMES_INPUT].shape[-2:]
        padded = {name: pad_to_multiple(array, SIZE_MULTIPLE) if array.ndim == 4 else array
                  for name, array in feeds.items()}
        output = self.run_graph(padded, backend)[0, :, :height, :width]
        return np.ascontiguousarray(output.transpose(1, 2, 0), dtype=np.float32)

    def denoise_clip(self, frames: Sequence[np.ndarray], **options: Any) -> list[np.ndarray]:
        """Every frame of a clip denoised, the edge frames repeated past the clip's ends."""
        last = len(frames) - 1
        return [self.denoise([frames[min(max(i + o, 0), last)] for o in range(-self.radius, self.radius + 1)],
                             **options) for i in range(len(frames))]
