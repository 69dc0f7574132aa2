"""Compiled colour conversions applied to many frames (OCIO's config → processor → apply pattern).

A ``ColorProcessor`` is built once per render from two named spaces and then applied to every frame
with no look-ups on the hot path. Frames are float32 ``(H, W, 3)`` RGB arrays; the conversion runs on
row bands on the shared pool (``bands``; OCIO releases the GIL while it works).
"""
from __future__ import annotations

import threading

import cv2
import numpy as np
import PyOpenColorIO as ocio

from ..bands import cores, for_each_band
from ..errors import ColorError
from .config import load_config, resolve_space

#: Pixels handed to OCIO per call (a 1 MiB RGBA float scratch per thread, which stays in cache).
CHUNK_PIXELS = 1 << 16

_scratch = threading.local()


class ColorProcessor:
    """Convert float32 RGB frames from ``source_space`` to ``target_space``.

    Parameters
    ----------
    source_space, target_space : str
        Colour space names, aliases or roles of the config (``"ARRI LogC3 (EI800)"``, ``"acescg"``, ``"scene_linear"``);
        with ``view``, ``target_space`` is a display of the config (``"sRGB - Display"``).
    config_uri : str, optional
        OCIO config path or URI; default as in ``config.config_uri``.
    threads : int, optional
        Row bands converted in parallel on the shared pool; default the number of CPU cores.
    view : str, optional
        Convert for viewing through this view of display ``target_space`` (e.g. the ACES SDR output transform).

    Raises
    ------
    ColorError
        When a space is unknown or the config cannot be loaded.
    """

    def __init__(self, source_space: str, target_space: str, config_uri: str | None = None, threads: int | None = None,
                 view: str | None = None):
        config = load_config(config_uri)
        self.source_space = resolve_space(config, source_space, "source colour space")
        if view is None:
            self.target_space = resolve_space(config, target_space, "target colour space")
            try:
                processor = config.getProcessor(self.source_space, self.target_space)
            except (ocio.Exception, ocio.ExceptionMissingFile) as error:  # a LUT file the config names is missing
                raise ColorError(f"cannot convert {self.source_space!r} to {self.target_space!r}: {error}") from None
        else:
            self.target_space = f"{target_space} / {view}"
            try:
                processor = config.getProcessor(ocio.DisplayViewTransform(self.source_space, target_space, view))
            except (ocio.Exception, ocio.ExceptionMissingFile) as error:
                raise ColorError(f"cannot view through {view!r} on display {target_space!r}: {error}") from None
        self.is_noop = processor.isNoOp()
        # LOSSLESS keeps analytic log curves (no LUT approximations): round trips stay below 1e-4.
        self._cpu = processor.getOptimizedCPUProcessor(ocio.BIT_DEPTH_F32, ocio.BIT_DEPTH_F32,
                                                       ocio.OPTIMIZATION_LOSSLESS)
        self._threads = threads

    def __call__(self, frame: np.ndarray) -> np.ndarray:
        """``frame`` (float32 H×W×3) converted into a new array; a no-op conversion returns ``frame`` itself.

        The input is never modified.
        """
        if self.is_noop:
            return frame
        return apply_in_bands(self._cpu, frame, self._threads)

    def close(self) -> None:
        """Nothing to release (the bands run on the shared pool); kept so owners close every processor alike."""

    def __repr__(self) -> str:
        return f"ColorProcessor({self.source_space!r} -> {self.target_space!r})"


def apply_in_bands(cpu: ocio.CPUProcessor, pixels: np.ndarray, threads: int | None = None) -> np.ndarray:
    """``pixels`` (float ``(..., 3)`` RGB) through the OCIO CPU processor ``cpu``, as a new float32 array.

    A frame (``(H, W, 3)``) is worked on in row bands on the shared pool (``bands.for_each_band``), at most
    ``threads`` at once (None: every core); other shapes in one band. Each band goes through OCIO in runs of
    ``CHUNK_PIXELS``: OpenCV widens the run to RGBA (alpha 1) in a per-thread scratch, OCIO works on the scratch
    in place, OpenCV narrows it into the output. On packed float RGBA OCIO skips its own per-pixel RGB
    repacking, which cost a quarter of the work: a 65³ tetrahedral LUT on a UHD float frame takes 62 ms of CPU
    (32 ms wall on two cores) against 73 (38) handing OCIO the RGB bands (``bench/bench_rebind.py --lut-only``);
    colour-space conversions gain 5-15 %. The values are OCIO's RGB path's, bit for bit (it, too, fills alpha
    with 1). The input is never modified.
    """
    if pixels.shape[-1:] != (3,):
        raise ColorError(f"a colour transform applies to (..., 3) RGB arrays, not {pixels.shape}")
    source = pixels if pixels.dtype == np.float32 and pixels.flags.c_contiguous else \
        np.ascontiguousarray(pixels, dtype=np.float32)
    out = np.empty(pixels.shape, dtype=np.float32)
    rows = source.reshape(source.shape[0], -1, 3) if source.ndim == 3 else source.reshape(1, -1, 3)
    written = out.reshape(rows.shape)

    def band(part: slice) -> None:
        band_in, band_out = rows[part].reshape(1, -1, 3), written[part].reshape(1, -1, 3)
        scratch = _rgba_scratch(CHUNK_PIXELS)
        for start in range(0, band_in.shape[1], CHUNK_PIXELS):
            stop = min(start + CHUNK_PIXELS, band_in.shape[1])
            rgba = scratch[:, :stop - start]
            cv2.cvtColor(band_in[:, start:stop], cv2.COLOR_RGB2RGBA, dst=rgba)
            cpu.apply(ocio.PackedImageDesc(rgba, stop - start, 1, 4))
            cv2.cvtColor(rgba, cv2.COLOR_RGBA2RGB, dst=band_out[:, start:stop])

    for_each_band(rows.shape[0], band, min(threads or cores(), cores()))
    return out


def _rgba_scratch(pixels: int) -> np.ndarray:
    """This thread's float32 ``(1, pixels, 4)`` RGBA scratch (kept between calls, grown when too short)."""
    scratch = getattr(_scratch, "rgba", None)
    if scratch is None or scratch.shape[1] < pixels:
        scratch = _scratch.rgba = np.empty((1, pixels, 4), dtype=np.float32)
    return scratch
