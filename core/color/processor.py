"""Compiled colour conversions applied to many frames (OCIO's config → processor → apply pattern).

A ``ColorProcessor`` is built once per render from two named spaces and then applied to every frame
with no look-ups on the hot path. Frames are float32 ``(H, W, 3)`` RGB arrays; the conversion runs on
row bands in a small thread pool (OCIO releases the GIL while it works).
"""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import PyOpenColorIO as ocio

from ..errors import ColorError
from .config import load_config, resolve_space


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
        Row bands converted in parallel; default the number of CPU cores.
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
        self._threads = max(1, threads or os.cpu_count() or 1)
        self._pool = ThreadPoolExecutor(self._threads) if self._threads > 1 else None

    def __call__(self, frame: np.ndarray) -> np.ndarray:
        """``frame`` (float32 H×W×3) converted into a new array; a no-op conversion returns ``frame`` itself.

        The input is never modified.
        """
        if self.is_noop:
            return frame
        out = np.array(frame, dtype=np.float32, order="C", copy=True)
        if self._pool is None or out.shape[0] < 64:
            self._cpu.applyRGB(out)
        else:
            bands = np.array_split(out, self._threads * 2, axis=0)
            list(self._pool.map(self._cpu.applyRGB, bands))
        return out

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False)

    def __repr__(self) -> str:
        return f"ColorProcessor({self.source_space!r} -> {self.target_space!r})"
