"""``cleanup``: the production's learned denoiser, with dust and dead-pixel repair, in the footage's own encoding.

Per frame window: dead pixels are repaired from the pack's defect map → neighbours are motion-compensated once
(nearest-neighbour warps) → dust and scratches in the current frame are repaired from them → the pack's network
denoises the current frame from the aligned window and the production's noise model → finest texture is given
back (``detail``) → grain is removed, kept or re-synthesised → optionally a review image replaces the result.

Everything works on the source's code values (e.g. LogC3 decoded to 0..1), the space the pack was trained
in, so the working space is the source's own (``working_space=None``).
"""
from __future__ import annotations

import warnings
import zlib
from typing import Any, Sequence

import cv2
import numpy as np

from ..cleanup.defects import DefectMap
from ..cleanup.dust import DustDetector
from ..cleanup.flow import AlignedNeighbour, align_neighbours
from ..cleanup.noise import NoiseModel
from ..cleanup.params import FRAMES_INPUT, OUTPUT, SIGMA_INPUT, STRENGTH_INPUT, cleanup_params, graph_inputs
from ..errors import PackError
from ..runtime import open_session, run_frame
from .base import Effect, EffectContext

#: Working memory one inference call may use before the frame is tiled (bytes).
MEMORY_BUDGET_BYTES = 3 * 1024 ** 3
#: Texture of the removed residual above this scale (Gaussian σ, pixels) is what ``detail`` gives back.
DETAIL_SCALE_PX = 0.8
#: Gain applied to the removed residual in the ``difference`` review image (around mid grey).
DIFFERENCE_GAIN = 4.0
DUST_RADIUS = 2


class _Cleanup:
    """A compiled cleanup: one onnxruntime session, the noise model, the defect map and the dust detector."""

    def __init__(self, params: dict[str, Any], pack: Any, context: EffectContext):
        data = pack.manifest.effect_data
        if "noise_model" not in data:
            raise PackError("this pack has no noise model; it was not made by 'answerprint train cleanup'", pack.path)
        self.noise = NoiseModel.from_json(data["noise_model"])
        self.params = params
        io = pack.manifest.io
        self.window, self.multiple = io.temporal_window, io.size_multiple
        self.bytes_per_pixel = io.bytes_per_pixel or 4096.0
        self.denoise_radius = min(params["temporal_radius"], self.window // 2)
        self.session = open_session(pack, providers=context.providers, threads=context.threads)
        self.defects = self._defect_map(data, params, context)
        self.dust = DustDetector(params["dust_sensitivity"], DUST_RADIUS) if params["dust_sensitivity"] > 0 else None
        self.temporal_radius = max(self.denoise_radius, DUST_RADIUS if self.dust else 0)

    @staticmethod
    def _defect_map(data: dict[str, Any], params: dict[str, Any], context: EffectContext) -> DefectMap | None:
        if not params["dead_pixels"] or "defect_map" not in data:
            return None
        defects = DefectMap.from_json(data["defect_map"])
        if (defects.width, defects.height) != (context.source.width, context.source.height):
            warnings.warn(f"dead-pixel repair off: the pack's defect map is for {defects.width}x{defects.height} "
                          f"(camera {defects.camera}), this clip is {context.source.width}x{context.source.height}")
            return None
        return defects

    def _denoise(self, aligned: list, strength: float) -> np.ndarray:
        feeds = graph_inputs(aligned, self.noise, strength=strength, temporal_window=self.window,
                             temporal_radius=self.denoise_radius)
        frames_channels = feeds[FRAMES_INPUT].shape[1]
        stacked = np.concatenate([feeds[FRAMES_INPUT], feeds[SIGMA_INPUT]], axis=1)
        strength_feed = feeds[STRENGTH_INPUT]

        def model(batch: np.ndarray) -> np.ndarray:
            return self.session.run({FRAMES_INPUT: np.ascontiguousarray(batch[:, :frames_channels]),
                                     SIGMA_INPUT: np.ascontiguousarray(batch[:, frames_channels:]),
                                     STRENGTH_INPUT: np.repeat(strength_feed, batch.shape[0])})[OUTPUT]

        out = run_frame(model, stacked, multiple=self.multiple, memory_budget_bytes=MEMORY_BUDGET_BYTES,
                        bytes_per_pixel=self.bytes_per_pixel)
        return np.transpose(out[0], (1, 2, 0))

    def _grain(self, source: np.ndarray, denoised: np.ndarray, result: np.ndarray) -> np.ndarray:
        mode, amount = self.params["grain"], self.params["grain_amount"]
        if mode == "keep":
            return result + amount * (source - denoised)
        if mode == "synthesize":
            seed = zlib.crc32(np.ascontiguousarray(source[::16, ::16]).tobytes())  # same frame, same grain
            return result + self.noise.synthesize(result.shape, result, np.random.default_rng(seed), amount)
        return result

    def __call__(self, window: Sequence[np.ndarray]) -> np.ndarray:
        frames = list(window)
        if self.defects is not None:
            repaired = {id(f): self.defects.repair(f) for f in frames}
            frames = [repaired[id(f)] for f in frames]  # repeated edge frames stay one object
        centre_index = len(frames) // 2
        original = frames[centre_index]
        aligned = align_neighbours(frames)
        repair_mask = np.zeros(original.shape[:2], bool)
        source = original
        if self.dust is not None:
            source, repair_mask = self.dust.repair(frames, self.noise.luma_sigma_map(original), aligned)
            aligned = [AlignedNeighbour(0, source, a.valid) if a.offset == 0 else a for a in aligned]
        denoised = self._denoise(aligned, self.params["strength"]) if self.params["strength"] > 0 else source
        residual = source - denoised
        result = denoised + self.params["detail"] * cv2.GaussianBlur(residual, (0, 0), DETAIL_SCALE_PX)
        result = self._grain(source, denoised, result)
        review = self.params["review"]
        if review == "difference":
            return (0.5 + DIFFERENCE_GAIN * (window[centre_index] - result)).astype(np.float32)
        if review == "mask":
            mask = repair_mask | (self.defects.mask().any(axis=-1) if self.defects is not None else False)
            shown = window[centre_index] * 0.6
            shown[mask] = (1.0, 0.1, 0.1)
            return shown.astype(np.float32)
        return result.astype(np.float32)


def _compile(params: dict[str, Any], pack: Any, context: EffectContext) -> _Cleanup:
    return _Cleanup(params, pack, context)


EFFECT = Effect(
    name="cleanup",
    summary="Remove the production's noise and grain, dust and dead pixels with its own learned model.",
    params=cleanup_params(),
    working_space=None,
    compile=_compile,
    needs_pack=True,
)
