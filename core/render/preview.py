"""Proxy previews: one effect compiled once, applied to proxy-resolution frames for a live before/after.

What the panel (and any host UI) calls instead of a render. A ``PreviewSession`` opens a source read-only,
compiles the effect for a set of parameters once (the same ``effect.compile`` a render uses, cached per
parameter set, so scrubbing never recompiles), and for each request decodes the frame window, scales it
to the proxy size (1920x1080 at most by default), converts it into the effect's working space, runs the
processor and converts both the untouched and the processed frame to the display: the pinned config's sRGB
display and ACES SDR view (``color.preview_processor``), baked into a LUT (``DisplayLut``) to stay live.

The effect compiles against the source itself (a colour match reads full-resolution frames of the shot), but
its ``EffectContext`` describes the proxy size the processor is applied at.

Imports neither Qt nor torch: the panel runs it on a worker thread.

Example
-------
>>> with PreviewSession("A001C003.mov", "colormatch", input_space="arri_logc3_ei800") as session:  # doctest: +SKIP
...     frame = session.render(12, {"reference": "hero.exr", "strength": 0.8})
...     frame.after.shape
(1080, 1920, 3)
"""
from __future__ import annotations

import json
import time
import warnings
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Mapping

import cv2
import numpy as np

from ..color import ColorProcessor, default_source_space, preview_processor
from ..colormatch.lut import Lut3D, LutProcessor
from ..colormatch.spaces import FULL_DOMAIN, WORKING_SPACE
from ..effects import Effect, EffectContext, Processor, get_effect
from ..errors import UsageError
from ..frames import FrameReader, MediaInfo, open_media

#: Largest proxy frame (width, height) in pixels: sources larger than this are scaled down to fit.
PROXY_SIZE = (1920, 1080)
#: Compiled processors kept per session (a slider drag revisits recent values).
COMPILED_CACHE = 4
#: Decoded proxy frames kept per session, enough for a temporal window and some back-and-forth.
FRAME_CACHE = 12
#: Lattice size of the baked display transform (see ``DisplayLut``).
DISPLAY_LUT_SIZE = 65


@dataclass(frozen=True)
class PreviewFrame:
    """One refreshed preview.

    Attributes
    ----------
    frame_number : int
        Source frame number shown.
    before, after : ndarray
        Float32 H×W×3 display-referred sRGB code values (0..1 after clipping), at the proxy size: the source
        untouched, and through the effect.
    params : dict
        The resolved parameter values the ``after`` frame was made with.
    notes : list of str
        What the effect said while compiling (a colour match held back, a defect map switched off...).
    compile_seconds, apply_seconds : float
        Time spent compiling (0 when the processor came from the cache) and decoding + applying + converting.
    """

    frame_number: int
    before: np.ndarray = field(repr=False)
    after: np.ndarray = field(repr=False)
    params: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    compile_seconds: float = 0.0
    apply_seconds: float = 0.0

    @property
    def seconds(self) -> float:
        """Whole refresh time in seconds."""
        return self.compile_seconds + self.apply_seconds


def proxy_size(width: int, height: int, limit: tuple[int, int] = PROXY_SIZE) -> tuple[int, int]:
    """The size a ``width`` x ``height`` frame is previewed at: scaled down (never up) to fit ``limit``.

    >>> proxy_size(3840, 2160)
    (1920, 1080)
    """
    scale = min(1.0, limit[0] / width, limit[1] / height)
    return max(1, round(width * scale)), max(1, round(height * scale))


class DisplayLut:
    """``color.preview_processor`` baked into a 3D LUT over ACEScct 0..1: the same picture, ten times faster.

    The ACES 2 SDR output transform costs about 0.4 µs per pixel on the CPU (0.8 s for a 1080p frame on two
    cores), too slow for a live preview. The frame is converted analytically to ACEScct (a matrix and a log
    curve; nothing to do when it is already in ACEScct), then looked up in a 65³ lattice of the exact
    transform sampled by OpenColorIO. ACEScct 0..1 spans scene-linear −0.0069..222; colours beyond clamp.

    Parameters
    ----------
    space : str
        OCIO colour space of the frames to show.
    config : str, optional
        OCIO config path or URI.
    threads : int, optional
        CPU threads; None for all cores.
    """

    def __init__(self, space: str, config: str | None = None, threads: int | None = None):
        self._to_cct = ColorProcessor(space, WORKING_SPACE, config, threads)
        exact = preview_processor(WORKING_SPACE, config)
        try:
            lut = Lut3D.from_function(exact, DISPLAY_LUT_SIZE, *FULL_DOMAIN)
        finally:
            exact.close()
        self._lut = LutProcessor(lut, threads)

    def __call__(self, frame: np.ndarray) -> np.ndarray:
        """``frame`` (float32 H×W×3 in ``space``) as display sRGB code values, clipped to 0..1."""
        return np.clip(self._lut(self._to_cct(frame)), 0.0, 1.0)

    def close(self) -> None:
        self._to_cct.close()


class PreviewSession:
    """Proxy previews of one source through one effect.

    Parameters
    ----------
    source : str
        Movie path or sequence pattern; opened read-only.
    effect : str
        Effect name (``colormatch``, ``look``, ``cleanup``...).
    pack : str, optional
        Model pack path or library reference, verified like a render's.
    production : str, optional
        The production the preview belongs to (packs of others are refused).
    input_space : str, optional
        OCIO colour space of the source; default from its format and tags.
    proxy_limit : (int, int)
        Largest proxy size in pixels.
    ocio_config : str, optional
        OCIO config path or URI; default ``$OCIO`` or the pinned one.
    threads : int, optional
        CPU threads the processors may use; None for all cores.

    Raises
    ------
    MediaError, UsageError, ColorError, PackError
        When the source, effect, colour space or pack cannot be used.
    """

    def __init__(self, source: str, effect: str, *, pack: str | None = None, production: str | None = None,
                 input_space: str | None = None, proxy_limit: tuple[int, int] = PROXY_SIZE,
                 ocio_config: str | None = None, threads: int | None = None):
        self.effect: Effect = get_effect(effect)
        self._reader: FrameReader = open_media(source)
        try:
            self.info: MediaInfo = self._reader.info
            self.proxy_width, self.proxy_height = proxy_size(self.info.width, self.info.height, proxy_limit)
            self._pack = self._open_pack(pack, production)
            source_space = input_space or default_source_space(self.info)
            working = self.effect.working_space or source_space
            self._to_working = ColorProcessor(source_space, working, ocio_config, threads)
            self._working_display = DisplayLut(working, ocio_config, threads)
        except BaseException:
            self._reader.close()
            raise
        self.source_space = self._to_working.source_space
        proxy_info = self.info.with_(width=self.proxy_width, height=self.proxy_height)
        self._context = EffectContext(proxy_info, self.source_space, None, threads, production)
        self._compiled: OrderedDict[str, tuple[Processor, list[str]]] = OrderedDict()
        #: frame number -> (working-space proxy, its display picture or None until asked for)
        self._frames: OrderedDict[int, tuple[np.ndarray, np.ndarray | None]] = OrderedDict()

    def _open_pack(self, pack: str | None, production: str | None) -> Any:
        if pack is None:
            if self.effect.needs_pack:
                raise UsageError(f"the {self.effect.name} effect needs a model pack; choose one", "pack")
            return None
        from ..packs import open_pack_for_job

        return open_pack_for_job(pack, self.effect.name, production)

    def processor(self, given: Mapping[str, Any]) -> tuple[Processor, dict[str, Any], list[str], float]:
        """The compiled processor for ``given`` parameter values, its resolved values, notes and compile time.

        Compiled once per distinct set of values; the last ``COMPILED_CACHE`` stay ready.

        Raises
        ------
        ParamError, UsageError, MediaError, PackError
            Whatever the effect's schema or compile refuses.
        """
        params = self.effect.params.resolve(given)
        key = json.dumps(params, sort_keys=True, default=str)
        if key in self._compiled:
            self._compiled.move_to_end(key)
            processor, notes = self._compiled[key]
            return processor, params, notes, 0.0
        started = time.perf_counter()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            processor = self.effect.compile(params, self._pack, self._context)
        notes = [str(w.message) for w in caught]
        message = getattr(processor, "message", None)
        if message and str(message) not in notes:
            notes.append(str(message))
        self._compiled[key] = (processor, notes)
        while len(self._compiled) > COMPILED_CACHE:
            self._compiled.popitem(last=False)
        return processor, params, notes, time.perf_counter() - started

    def _working_frame(self, number: int) -> np.ndarray:
        """Frame ``number`` scaled to the proxy size and converted into the working space (cached)."""
        if number in self._frames:
            self._frames.move_to_end(number)
            return self._frames[number][0]
        (_, pixels), = self._reader.read([number])
        if (pixels.shape[1], pixels.shape[0]) != (self.proxy_width, self.proxy_height):
            pixels = cv2.resize(pixels, (self.proxy_width, self.proxy_height), interpolation=cv2.INTER_AREA)
        working = self._to_working(pixels)
        self._frames[number] = (working, None)
        while len(self._frames) > FRAME_CACHE:
            self._frames.popitem(last=False)
        return working

    def _before(self, number: int) -> np.ndarray:
        """Frame ``number`` untouched, for the display (cached with the frame).

        Shown from its working-space copy: the same colours as the source (a colour-space conversion), and one
        conversion fewer per new frame.
        """
        working, before = self._frames[number]
        if before is None:
            before = self._working_display(working)
            self._frames[number] = (working, before)
        return before

    def _clamped(self, number: int) -> int:
        """``number``, or the nearest frame present when a sequence lacks it."""
        missing = self.info.missing_frames
        if number not in missing:
            return number
        present = (n for n in range(self.info.first_frame, self.info.last_frame + 1) if n not in missing)
        return min(present, key=lambda n: abs(n - number))

    def render(self, frame_number: int, given: Mapping[str, Any]) -> PreviewFrame:
        """Frame ``frame_number`` before and after the effect with parameter values ``given``.

        Neighbours the effect needs (``temporal_radius``) are read too, repeated at the clip's edges.

        Raises
        ------
        UsageError
            When the frame lies outside the source.
        MediaError, ParamError, PackError
            When the frame cannot be read or the effect refuses the parameters.
        """
        if not self.info.first_frame <= frame_number <= self.info.last_frame:
            raise UsageError(f"frame {frame_number} is outside the source's {self.info.first_frame}-"
                             f"{self.info.last_frame}", self.info.path)
        processor, params, notes, compile_seconds = self.processor(given)
        started = time.perf_counter()
        radius = processor.temporal_radius
        window_numbers = [self._clamped(min(max(frame_number + offset, self.info.first_frame), self.info.last_frame))
                          for offset in range(-radius, radius + 1)]
        working = {n: self._working_frame(n) for n in sorted(set(window_numbers))}
        processed = processor([working[n] for n in window_numbers])
        before = self._before(window_numbers[radius])
        after = self._working_display(processed)
        return PreviewFrame(frame_number, before, after, params, notes, compile_seconds,
                            time.perf_counter() - started)

    def prefetch(self, frame_number: int) -> None:
        """Decode and convert frame ``frame_number`` ahead of time (nothing when outside the source or cached).

        The panel calls it for the next frame while it waits for the user, so stepping through the clip
        costs only the effect and the display.
        """
        if self.info.first_frame <= frame_number <= self.info.last_frame:
            number = self._clamped(frame_number)
            self._working_frame(number)
            self._before(number)

    def close(self) -> None:
        """Release the source and the colour processors (idempotent)."""
        self._reader.close()
        for processor in (self._to_working, self._working_display):
            processor.close()
        self._compiled.clear()
        self._frames.clear()

    def __enter__(self) -> "PreviewSession":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def reference_still(path: str, frame_number: int = -1, space: str | None = None,
                    proxy_limit: tuple[int, int] = PROXY_SIZE, ocio_config: str | None = None) -> np.ndarray:
    """One frame of any source, proxy-sized, for the display: the colour-match reference beside the shot.

    Parameters
    ----------
    path : str
        Still, sequence pattern or movie.
    frame_number : int
        Frame to show; -1 for the middle frame (as colour match does).
    space : str, optional
        Its OCIO colour space; default from its format and tags.

    Returns
    -------
    ndarray
        Float32 H×W×3 display sRGB code values 0..1.

    Raises
    ------
    MediaError, UsageError, ColorError
        When it cannot be read, the frame is outside it, or the space is unknown.
    """
    with open_media(path) as reader:
        info = reader.info
        number = (info.first_frame + info.last_frame) // 2 if frame_number < 0 else frame_number
        if not info.first_frame <= number <= info.last_frame:
            raise UsageError(f"the reference holds frames {info.first_frame}..{info.last_frame}, not {number}", path)
        (_, pixels), = reader.read([number])
    width, height = proxy_size(info.width, info.height, proxy_limit)
    if (width, height) != (info.width, info.height):
        pixels = cv2.resize(pixels, (width, height), interpolation=cv2.INTER_AREA)
    display = DisplayLut(space or default_source_space(info), ocio_config)
    try:
        return display(pixels)
    finally:
        display.close()
