"""``cleanup``: the production's learned denoiser, with dust and dead-pixel repair, in the footage's own encoding.

Per frame window: dead pixels are repaired from the pack's defect map for the clip's camera → neighbours are
motion-compensated once (nearest-neighbour warps of the pack's motion estimator) → dust and scratches in the
current frame are repaired from them → the pack's network denoises the current frame from the aligned window and
the production's noise model → finest texture is given back (``detail``) → grain is removed, kept or
re-synthesised → optionally a review image replaces the result.

Compile reads the pack through its ``CleanupContract`` alone (motion settings, temporal window, size multiple,
noise model, defect maps, trained colour space, and the bindings that name the graph tensors fed): apply has no
setting of its own for any of them. Everything works on the source's code values (e.g. LogC3 decoded to 0..1),
and a clip read in another space than the pack was trained on is refused (``contract`` explains why), so the
working space is the source's own (``working_space=None``).

Compile is split as ``Effect.prepare`` describes: ``PreparedCleanup`` reads the contract, opens the session and
finds the defect map once; ``bind`` makes the processor for a parameter set. In a preview (the panel binds every
slider move to one ``PreparedCleanup``) the expensive half, repairs, alignment and network, is kept per frame
window in a ``DenoisedCache`` shared by every processor bound, keyed by the window's centre frame number (the
processor asks for it: ``wants_frame_number``) and what the result depends on, so a new ``detail``, ``grain``,
``grain_amount`` or ``review`` (and a ``strength`` ≤ 1) only redoes the cheap steps after the network, without
reading the window's pixels again to know it. Below 1 the pack's graph blends its strength-1 result back towards
the centre frame exactly (the graph contract in ``cleanup.params``), so the preview blends the kept strength-1
result itself: equal to the graph's own blend within float32 rounding (about 1e-7 of code value). Renders
(``compile``) keep nothing and run exactly as before.
"""
from __future__ import annotations

import zlib
from collections import OrderedDict
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Sequence

import cv2
import numpy as np

from ...bands import for_each_band
from ...runtime import LazyImage, open_session, run_frame
from ..base import EffectContext, Processor
from .contract import CleanupContract
from .defects import DefectMap
from .dust import DustDetector
from .flow import AlignedNeighbour, align_neighbours
from .graph_inputs import stacked_inputs
from .motion_cache import FrameMemo, MotionCache

#: Working memory one inference call may use on the CPU before the frame is tiled (bytes), as the pack's
#: ``io.bytes_per_pixel`` estimates it (an upper bound: about 2.5× what onnxruntime holds for the quick network).
#: A 1080p frame runs as 6 tiles: +7 % network CPU over the whole frame, onnxruntime holding ~75 MB instead of
#: ~380 MB; tiled results lie within 2e-4 of the whole frame's (a fifth of a 10-bit code value). On a GPU the
#: session's ``activation_budget`` decides.
MEMORY_BUDGET_BYTES = 512 * 1024 ** 2
#: Texture of the removed residual above this scale (Gaussian σ, pixels) is what ``detail`` gives back.
DETAIL_SCALE_PX = 0.8
#: Gain applied to the removed residual in the ``difference`` review image (around mid grey).
DIFFERENCE_GAIN = 4.0
DUST_RADIUS = 2
#: Bytes of network results a preview session keeps (``DenoisedCache``): about six 1920x1080 proxy frames.
DENOISED_CACHE_BYTES = 320 * 1024 ** 2


@dataclass(frozen=True)
class Denoised:
    """The expensive half of cleanup for one frame window, before ``detail``, grain and review.

    Attributes
    ----------
    source : ndarray
        Float32 H×W×3 current frame, source code values, after dead-pixel and dust repair.
    denoised : ndarray
        Float32 H×W×3 the network's output for it at the fed strength (``source`` itself at strength 0).
    repair_mask : ndarray
        Bool H×W, pixels the dust repair replaced.
    """

    source: np.ndarray
    denoised: np.ndarray
    repair_mask: np.ndarray

    @property
    def nbytes(self) -> int:
        return self.source.nbytes + self.denoised.nbytes + self.repair_mask.nbytes


class DenoisedCache:
    """Network results per frame window, least recently used dropped first, at most ``max_bytes`` kept.

    Keyed by everything a ``Denoised`` depends on (``_Cleanup.denoised_key``); shared by the processors one
    ``PreparedCleanup`` binds.
    """

    def __init__(self, max_bytes: int = DENOISED_CACHE_BYTES):
        self.max_bytes = max_bytes
        self._entries: OrderedDict[tuple, Denoised] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: tuple) -> Denoised | None:
        """The kept result for ``key`` (now the most recently used), or None."""
        found = self._entries.get(key)
        if found is not None:
            self._entries.move_to_end(key)
        return found

    def put(self, key: tuple, value: Denoised) -> None:
        """Keep ``value`` under ``key``, dropping the least recently used results beyond ``max_bytes``."""
        self._entries[key] = value
        self._entries.move_to_end(key)
        while len(self._entries) > 1 and sum(v.nbytes for v in self._entries.values()) > self.max_bytes:
            self._entries.popitem(last=False)


class PreparedCleanup:
    """A cleanup prepared once for a pack and a source: the pack's contract (its source space checked), its
    onnxruntime session, the defect map for the clip's camera at the frames' size and, in a preview, the network
    results every processor it binds shares (``denoised``; None when ``keep_results`` is False, as in a render).

    Raises
    ------
    PackError
        When the pack's contract cannot be applied or was trained on another colour space than the source's.
    """

    def __init__(self, pack: Any, context: EffectContext, *, keep_results: bool = True):
        self.contract = CleanupContract.from_manifest(pack.manifest, pack.path)
        self.contract.check_source_space(context.source_space, pack.path)
        self.context = context
        self.session = open_session(pack, providers=context.providers, threads=context.threads)
        self.denoised = DenoisedCache() if keep_results else None

    @cached_property
    def defects(self) -> tuple[DefectMap | None, tuple[str, ...]]:
        """The pack's map for the clip's camera at its stored size, scaled to the frames (a preview's proxy),
        and the notes: None, with a note saying why, when the pack has none for it."""
        source = self.context.source
        width, height = self.context.stored_size or (source.width, source.height)
        found = self.contract.find_defect_map(source.camera, width, height)
        if found is None:
            return None, (self.contract.why_no_defect_map(source.camera, width, height),)
        return found.scaled(source.width, source.height), ()

    def bind(self, params: dict[str, Any]) -> "_Cleanup":
        """The processor for ``params`` (resolved)."""
        return _Cleanup(params, self)


class _Cleanup(Processor):
    """A bound cleanup: the prepared session, noise model and defect map, and the dust detector.

    ``network_runs`` counts the frames this processor ran the network on, ``flows_estimated`` the ordered pairs
    of frames it estimated motion between; ``denoised_cache`` is the prepared ``DenoisedCache`` in a preview,
    None in a render. ``notes`` says when the pack has no defect map for the clip's camera. In a preview it
    wants the centre frame's number (``Processor.wants_frame_number``): the key of its window's kept result.
    """

    def __init__(self, params: dict[str, Any], prepared: PreparedCleanup):
        self.contract = prepared.contract
        self.noise, self.motion = self.contract.noise_model, self.contract.motion
        self.params = params
        self.window, self.multiple = self.contract.temporal_window, self.contract.size_multiple
        self.denoise_radius = min(params["temporal_radius"], self.window // 2)
        self.session = prepared.session
        self.defects, self.notes = prepared.defects if params["dead_pixels"] else (None, ())
        self.dust = DustDetector(params["dust_sensitivity"], DUST_RADIUS) if params["dust_sensitivity"] > 0 else None
        self.temporal_radius = max(self.denoise_radius, DUST_RADIUS if self.dust else 0)
        self.network_runs = 0
        self.denoised_cache = prepared.denoised
        self.wants_frame_number = self.denoised_cache is not None

    def _denoise(self, aligned: list[AlignedNeighbour], sigma_map: np.ndarray, strength: float) -> np.ndarray:
        """The network's H×W×3 result for the window, tiled within ``MEMORY_BUDGET_BYTES``.

        Its input (``stacked_inputs``: 3T + 1 frame-sized planes) is made one tile at a time.
        """
        height, width = sigma_map.shape
        frames_channels = 3 * self.window

        def region(y0: int, y1: int, x0: int, x1: int) -> np.ndarray:
            made = np.empty((1, frames_channels + 1, y1 - y0, x1 - x0), np.float32)

            def band(rows: slice) -> None:  # every core makes some rows: a whole UHD window is ~0.5 s on one
                stacked_inputs(aligned, self.noise, temporal_window=self.window, temporal_radius=self.denoise_radius,
                               sigma_map=sigma_map, region=(slice(y0 + rows.start, y0 + rows.stop), slice(x0, x1)),
                               out=made[:, :, rows])

            for_each_band(y1 - y0, band)
            return made

        stacked = LazyImage((1, frames_channels + 1, height, width), region)
        values, output = dict(self.params, strength=strength), self.contract.tensors.output

        def model(batch: np.ndarray) -> np.ndarray:
            feeds = self.contract.feeds(np.ascontiguousarray(batch[:, :frames_channels]),
                                        np.ascontiguousarray(batch[:, frames_channels:]), values)
            return self.session.run(feeds)[output]

        out = run_frame(model, stacked, multiple=self.multiple,
                        memory_budget_bytes=self.session.activation_budget(MEMORY_BUDGET_BYTES),
                        bytes_per_pixel=self.contract.bytes_per_pixel)
        return np.transpose(out[0], (1, 2, 0))

    def _grain(self, source: np.ndarray, denoised: np.ndarray, result: np.ndarray) -> np.ndarray:
        mode, amount = self.params["grain"], self.params["grain_amount"]
        if mode == "keep":
            return result + amount * (source - denoised)
        if mode == "synthesize":
            seed = zlib.crc32(np.ascontiguousarray(source[::16, ::16]).tobytes())  # same frame, same grain
            return result + self.noise.synthesize(result.shape, result, np.random.default_rng(seed), amount)
        return result

    def _network_strength(self) -> float:
        """The strength fed to the network for the preview's cache: 1 for every strength in (0, 1]."""
        strength = self.params["strength"]
        return 1.0 if 0 < strength <= 1 else strength

    def denoised_key(self, frame_number: int, window_length: int, strength: float) -> tuple:
        """What a ``Denoised`` depends on besides the pack and source it was prepared for: the window (its
        centre frame's number and length: the preview makes the same window for the same two), the denoising
        radius, the repairs and the fed strength."""
        return (frame_number, window_length, self.denoise_radius, self.params["dust_sensitivity"],
                self.defects is not None, strength)

    @property
    def flows_estimated(self) -> int:
        return self._flows.pairs_estimated

    @cached_property
    def _flows(self) -> MotionCache:
        """Flows of this processor's windows with the pack's estimator, each pair of frames estimated once."""
        return MotionCache(self.motion)

    @cached_property
    def _repairs(self) -> FrameMemo:
        """Frames with their dead pixels repaired, each once while it stays in the window."""
        return FrameMemo()

    def _repaired_and_denoised(self, window: Sequence[np.ndarray], strength: float) -> Denoised:
        """Dead pixels repaired, neighbours aligned, dust repaired, then the network at ``strength`` (0: none).

        Consecutive windows share frames: each frame is repaired once and each pair's flow estimated once
        (``MotionCache``), with the same result as doing it all afresh per window.
        """
        frames = list(window)
        if self.defects is not None:
            self._repairs.retain(frames)
            frames = [self._repairs.get((f,), lambda f=f: self.defects.repair(f)) for f in frames]
        original = frames[len(frames) // 2]
        self._flows.retain(frames)
        aligned = align_neighbours(frames, self._flows)
        repair_mask = np.zeros(original.shape[:2], bool)
        source, sigma_map = original, None
        if self.dust is not None:
            sigma_map = self.noise.luma_sigma_map(original)
            source, repair_mask = self.dust.repair(frames, sigma_map, aligned)
            aligned = [AlignedNeighbour(0, source, a.valid) if a.offset == 0 else a for a in aligned]
            if repair_mask.any():
                sigma_map = None  # the network's σ is read from the repaired frame (below)
        denoised = source
        if strength > 0:
            sigma_map = self.noise.luma_sigma_map(source) if sigma_map is None else sigma_map
            denoised = self._denoise(aligned, sigma_map, strength)
            self.network_runs += 1
        return Denoised(source, denoised, repair_mask)

    def _kept_or_denoised(self, window: Sequence[np.ndarray], frame_number: int | None) -> Denoised:
        """``_repaired_and_denoised`` at the user's strength; in a preview, for a window known by its centre
        frame's number, through the prepared cache.

        A strength in (0, 1) is the kept strength-1 result blended back towards the repaired centre frame,
        as the graph itself blends (``cleanup.params``).
        """
        strength = self.params["strength"]
        if self.denoised_cache is None or frame_number is None:
            return self._repaired_and_denoised(window, strength)
        fed = self._network_strength()
        key = self.denoised_key(frame_number, len(window), fed)
        stage = self.denoised_cache.get(key)
        if stage is None:
            stage = self._repaired_and_denoised(window, fed)
            self.denoised_cache.put(key, stage)
        if fed == strength:
            return stage
        blended = stage.source + np.float32(strength) * (stage.denoised - stage.source)
        return Denoised(stage.source, blended, stage.repair_mask)

    def __call__(self, window: Sequence[np.ndarray], frame_number: int | None = None) -> np.ndarray:
        stage = self._kept_or_denoised(window, frame_number)
        source, denoised, repair_mask = stage.source, stage.denoised, stage.repair_mask
        centre_index = len(window) // 2
        detail = cv2.GaussianBlur(source - denoised, (0, 0), DETAIL_SCALE_PX)  # the residual's coarser texture
        detail *= np.float32(self.params["detail"])
        detail += denoised  # denoised + detail · blurred residual, in place: one frame-sized buffer, not three
        result = self._grain(source, denoised, detail)
        review = self.params["review"]
        if review == "difference":
            return (0.5 + DIFFERENCE_GAIN * (window[centre_index] - result)).astype(np.float32)
        if review == "mask":
            mask = repair_mask | (self.defects.mask().any(axis=-1) if self.defects is not None else False)
            shown = window[centre_index] * 0.6
            shown[mask] = (1.0, 0.1, 0.1)
            return shown.astype(np.float32)
        return result.astype(np.float32, copy=False)


def compile_cleanup(params: dict[str, Any], pack: Any, context: EffectContext) -> _Cleanup:
    """A render's cleanup: prepared and bound once, keeping nothing."""
    return PreparedCleanup(pack, context, keep_results=False).bind(params)
