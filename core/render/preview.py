"""Proxy previews: one effect compiled once, applied to proxy-resolution frames for a live before/after.

What the panel (and any host UI) calls instead of a render. A ``PreviewSession`` opens a source read-only, prepares
the effect once (``Effect.prepare_for``: the code a render's ``compile`` runs, split so that a relight's session,
shadings and reference take, a colour match's fits or cleanup's network results are kept), binds each set of
parameters to it (cached per parameter set, so scrubbing never binds again), and for each request decodes the frame
window, scales it to the proxy size (1920x1080 at most by default), converts it into the effect's working space,
runs the processor and converts both the untouched and the processed frame to the display through one display and
view of the config (``color.display``: by default a video source's own display at its own code values, the sRGB
ACES SDR view for scene-referred footage; ``set_display`` changes it), baked into a LUT
(``display_lut.DisplayLut``) to stay live.

A processor that is one 3D LUT in the working space says so (``Processor.lut``: colour match and global looks): the
preview then folds source → working space → that LUT → display into one 65³ LUT over the source's code values
(``display_lut.fold_display``), so a new frame costs a decode and two LUT passes (before and after) instead of a
conversion and three.

The effect is prepared against the source itself, with an ``EffectContext`` describing the proxy size the
processor is applied at and an analysis size (``ANALYSIS_SIZE``: a colour match fits on frames scaled down to
it), so a new colour-match strength costs a LUT blend, a dragged relight light the shading steps after the
network, and a new cleanup ``detail``, grain, review or strength ≤ 1 the steps after the network, not the
network (``effects.cleanup.DenoisedCache``, by frame number; ``bench/bench_rebind.py``).

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
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Mapping

import cv2
import numpy as np

from ..color import ColorProcessor, default_source_space
from ..color.display import DisplayView, default_display_view
from ..color.lut import LutProcessor
from ..effects import Effect, EffectContext, Prepared, Processor, declared, get_effect
from ..errors import UsageError
from ..frames import FrameReader, MediaInfo, open_media
from .display_lut import DisplayLut, fold_display, lattice_in

#: Largest proxy frame (width, height) in pixels: sources larger than this are scaled down to fit.
PROXY_SIZE = (1920, 1080)
#: Compiled processors kept per session (a slider drag revisits recent values).
COMPILED_CACHE = 4
#: Decoded proxy frames kept per session, enough for a temporal window and some back-and-forth.
FRAME_CACHE = 12
#: Largest side, in pixels, of the frames an effect reads at compile time in a preview (a colour match's shot
#: and reference frames); renders read them at full resolution. At 960 px (the size colour match registers the
#: shot and reference at anyway) the preview's match is within a mean ΔE00 of 0.25 (99th percentile 1.0) of
#: the render's on the benchmark's 1080p daily and fits 15% sooner; 480 px fits 2.2x sooner but strays to a
#: mean of 0.5 (99th percentile 2.2). See ``bench/bench_panel.py``.
ANALYSIS_SIZE = 960


@dataclass(frozen=True)
class PreviewFrame:
    """One refreshed preview.

    Attributes
    ----------
    frame_number : int
        Source frame number shown.
    before, after : ndarray
        Float32 H×W×3 display code values (0..1 after clipping) of ``display``, at the proxy size: the source
        untouched, and through the effect.
    params : dict
        The resolved parameter values the ``after`` frame was made with.
    notes : list of str
        What the processor notes (``Processor.notes``: a colour match held back, a defect map switched off...).
    compile_seconds, apply_seconds : float
        Time spent compiling (0 when the processor came from the cache) and decoding + applying + converting.
    unavailable : dict of str to str
        Parameters that do nothing on this source with this pack, each with the reason
        (``PreviewSession.unavailable_params``); the panel disables them.
    """

    frame_number: int
    before: np.ndarray = field(repr=False)
    after: np.ndarray = field(repr=False)
    params: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    compile_seconds: float = 0.0
    apply_seconds: float = 0.0
    unavailable: dict[str, str] = field(default_factory=dict)
    display: DisplayView | None = None

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


@dataclass(frozen=True)
class _Compiled:
    """A compiled processor, what its compile said, and its display fold when it is one LUT."""

    processor: Processor
    notes: list[str]
    folded: LutProcessor | None


@dataclass
class _CachedFrame:
    """A decoded proxy frame (source code values), and its working-space copy and display picture once made."""

    source: np.ndarray
    working: np.ndarray | None = None
    before: np.ndarray | None = None


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
    analysis_size : int, optional
        Largest side in pixels of the frames the effect reads at compile time (``EffectContext.analysis_size``);
        None for full resolution, exactly as a render.
    display_view : DisplayView, optional
        How before and after are shown; default ``color.display.default_display_view`` of the source's space.

    Attributes
    ----------
    display_view : DisplayView
        The display and view in use.

    Raises
    ------
    MediaError, UsageError, ColorError
        When the source, effect or colour space cannot be used. A missing or refused pack is said by the first
        ``render``/``processor`` (``render_untouched`` shows the clip meanwhile).
    """

    def __init__(self, source: str, effect: str, *, pack: str | None = None, production: str | None = None,
                 input_space: str | None = None, proxy_limit: tuple[int, int] = PROXY_SIZE,
                 ocio_config: str | None = None, threads: int | None = None,
                 analysis_size: int | None = ANALYSIS_SIZE, display_view: DisplayView | None = None):
        self.effect: Effect = get_effect(effect)
        self._reader: FrameReader = open_media(source, random_access=True)
        self._threads = threads
        self._config = ocio_config
        try:
            self.info: MediaInfo = self._reader.info
            self.proxy_width, self.proxy_height = proxy_size(self.info.width, self.info.height, proxy_limit)
            self._pack_reference = (pack, production)
            self._pack: Any = None
            #: Parameters that do nothing on this source with this pack, with the reason (``PackContract``);
            #: known once the pack is opened (the first compile).
            self.unavailable_params: dict[str, str] = {}
            source_space = input_space or default_source_space(self.info)
            self._working = self.effect.working_space or source_space
            self._to_working = ColorProcessor(source_space, self._working, ocio_config, threads)
            self.display_view = display_view or default_display_view(source_space, ocio_config)
            self._source_display = DisplayLut(source_space, ocio_config, threads, self.display_view)
            self._working_display = DisplayLut(self._working, ocio_config, threads, self.display_view)
            self._lattice_in_working = lattice_in(self._source_display.lattice_space, self._working, ocio_config)
        except BaseException:
            self._reader.close()
            raise
        self.source_space = self._to_working.source_space
        proxy_info = self.info.with_(width=self.proxy_width, height=self.proxy_height)
        scaled = (self.proxy_width, self.proxy_height) != (self.info.width, self.info.height)
        self._context = EffectContext(proxy_info, self.source_space, threads=threads, production=production,
                                      analysis_size=analysis_size,
                                      stored_size=(self.info.width, self.info.height) if scaled else None)
        self._prepared: Prepared | None = None
        self._compiled: OrderedDict[str, _Compiled] = OrderedDict()
        self._frames: OrderedDict[int, _CachedFrame] = OrderedDict()

    def set_display(self, display_view: DisplayView | None) -> None:
        """Show before and after through ``display_view`` from now on (None: the source's default).

        Only the display LUTs are made again; compiled effects and their fits are kept.

        Raises
        ------
        ColorError
            When the config has no such display and view.
        """
        chosen = display_view or default_display_view(self._to_working.source_space, self._config)
        if chosen == self.display_view:
            return
        source_display = DisplayLut(self._to_working.source_space, self._config, self._threads, chosen)
        working_display = DisplayLut(self._working, self._config, self._threads, chosen)
        for old in (self._source_display, self._working_display):
            old.close()
        self._source_display, self._working_display, self.display_view = source_display, working_display, chosen
        for key, compiled in list(self._compiled.items()):
            if compiled.folded is not None:
                compiled.folded.close()
                refolded = fold_display(compiled.processor.lut, self._lattice_in_working, working_display,
                                        self._threads)
                self._compiled[key] = _Compiled(compiled.processor, compiled.notes, refolded)
        for frame in self._frames.values():
            frame.before = None

    def _open_pack(self) -> Any:
        """The model pack, verified once when an effect first compiles (the clip can be shown before a pack
        is chosen)."""
        pack, production = self._pack_reference
        if self._pack is not None:
            return self._pack
        if pack is None:
            if self.effect.needs_pack:
                raise UsageError(f"the {self.effect.name} effect needs a model pack; choose one", "pack")
            return None
        from ..packs import open_pack_for_job

        self._pack = open_pack_for_job(pack, self.effect.name, production)
        if self.effect.pack_contract is not None:
            contract = self.effect.pack_contract(self._pack.manifest, self._pack.path)
            self.unavailable_params = contract.unavailable_params(self.info)
        return self._pack

    def processor(self, given: Mapping[str, Any]) -> tuple[Processor, dict[str, Any], list[str], float]:
        """The compiled processor for ``given`` parameter values, its resolved values, notes and compile time.

        Compiled once per distinct set of values; the last ``COMPILED_CACHE`` stay ready.

        Raises
        ------
        ParamError, UsageError, MediaError, PackError
            Whatever the effect's schema or compile refuses.
        """
        compiled, params, seconds = self._compile(given)
        return compiled.processor, params, compiled.notes, seconds

    def _compile(self, given: Mapping[str, Any]) -> tuple["_Compiled", dict[str, Any], float]:
        """The compiled processor for ``given`` (cached), with its display fold when it is one LUT."""
        params = self.effect.params.resolve(given)
        key = json.dumps(params, sort_keys=True, default=str)
        if key in self._compiled:
            self._compiled.move_to_end(key)
            return self._compiled[key], params, 0.0
        started = time.perf_counter()
        if self._prepared is None:
            self._prepared = self.effect.prepare_for(self._open_pack(), self._context)
        processor = declared(self._prepared.bind(params), self.effect.name)
        folded = None
        if processor.lut is not None and processor.temporal_radius == 0:
            folded = fold_display(processor.lut, self._lattice_in_working, self._working_display, self._threads)
        self._compiled[key] = _Compiled(processor, list(processor.notes), folded)
        while len(self._compiled) > COMPILED_CACHE:
            _, evicted = self._compiled.popitem(last=False)
            if evicted.folded is not None:
                evicted.folded.close()
        return self._compiled[key], params, time.perf_counter() - started

    def _frame(self, number: int) -> "_CachedFrame":
        """Frame ``number`` decoded and scaled to the proxy size (cached)."""
        if number in self._frames:
            self._frames.move_to_end(number)
            return self._frames[number]
        (_, pixels), = self._reader.read([number])
        if (pixels.shape[1], pixels.shape[0]) != (self.proxy_width, self.proxy_height):
            pixels = cv2.resize(pixels, (self.proxy_width, self.proxy_height), interpolation=cv2.INTER_AREA)
        frame = self._frames[number] = _CachedFrame(pixels)
        while len(self._frames) > FRAME_CACHE:
            self._frames.popitem(last=False)
        return frame

    def _working_frame(self, number: int) -> np.ndarray:
        """Frame ``number`` at the proxy size in the working space (cached with the frame)."""
        frame = self._frame(number)
        if frame.working is None:
            frame.working = self._to_working(frame.source)
        return frame.working

    def _before(self, number: int) -> np.ndarray:
        """Frame ``number`` untouched, for the display (cached with the frame)."""
        frame = self._frame(number)
        if frame.before is None:
            frame.before = self._source_display(frame.source)
        return frame.before

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
        compiled, params, compile_seconds = self._compile(given)
        started = time.perf_counter()
        radius = compiled.processor.temporal_radius
        window_numbers = [self._clamped(min(max(frame_number + offset, self.info.first_frame), self.info.last_frame))
                          for offset in range(-radius, radius + 1)]
        centre = window_numbers[radius]
        if compiled.folded is not None:
            after = compiled.folded(self._source_display.to_lattice(self._frame(centre).source))
        else:
            working = {n: self._working_frame(n) for n in sorted(set(window_numbers))}
            window = [working[n] for n in window_numbers]
            processed = (compiled.processor(window, centre) if compiled.processor.wants_frame_number
                         else compiled.processor(window))
            after = self._working_display(processed)
        before = self._before(centre)
        return PreviewFrame(frame_number, before, after, params, compiled.notes, compile_seconds,
                            time.perf_counter() - started, self.unavailable_params, self.display_view)

    def render_untouched(self, frame_number: int) -> PreviewFrame:
        """Frame ``frame_number`` as it is, before and after alike: what to show while the effect cannot run yet
        (a shot match before its reference is chosen).

        Raises
        ------
        UsageError, MediaError
            When the frame lies outside the source or cannot be read.
        """
        if not self.info.first_frame <= frame_number <= self.info.last_frame:
            raise UsageError(f"frame {frame_number} is outside the source's {self.info.first_frame}-"
                             f"{self.info.last_frame}", self.info.path)
        started = time.perf_counter()
        before = self._before(self._clamped(frame_number))
        return PreviewFrame(frame_number, before, before, {}, [], 0.0, time.perf_counter() - started,
                            display=self.display_view)

    def prefetch(self, frame_number: int) -> None:
        """Decode and convert frame ``frame_number`` ahead of time (nothing when outside the source or cached).

        The panel calls it for the next frame while it waits for the user, so stepping through the clip
        costs only the effect and the display. (A processor that is not one LUT converts the frame into the
        working space when it is shown.)
        """
        if self.info.first_frame <= frame_number <= self.info.last_frame:
            self._before(self._clamped(frame_number))

    def close(self) -> None:
        """Release the source and the colour processors (idempotent)."""
        self._reader.close()
        for processor in (self._to_working, self._source_display, self._working_display):
            processor.close()
        for compiled in self._compiled.values():
            if compiled.folded is not None:
                compiled.folded.close()
        self._compiled.clear()
        self._prepared = None
        self._frames.clear()

    def __enter__(self) -> "PreviewSession":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def reference_still(path: str, frame_number: int = -1, space: str | None = None,
                    proxy_limit: tuple[int, int] = PROXY_SIZE, ocio_config: str | None = None,
                    display_view: DisplayView | None = None) -> np.ndarray:
    """One frame of any source, proxy-sized, for the display: the colour-match reference beside the shot.

    Parameters
    ----------
    path : str
        Still, sequence pattern or movie.
    frame_number : int
        Frame to show; -1 for the middle frame (as colour match does).
    space : str, optional
        Its OCIO colour space; default from its format and tags.
    display_view : DisplayView, optional
        How it is shown (the shot's, so the two compare); default that of its own space.

    Returns
    -------
    ndarray
        Float32 H×W×3 display code values 0..1.

    Raises
    ------
    MediaError, UsageError, ColorError
        When it cannot be read, the frame is outside it, or the space is unknown.
    """
    with open_media(path, random_access=True) as reader:
        info = reader.info
        number = (info.first_frame + info.last_frame) // 2 if frame_number < 0 else frame_number
        if not info.first_frame <= number <= info.last_frame:
            raise UsageError(f"the reference holds frames {info.first_frame}..{info.last_frame}, not {number}", path)
        (_, pixels), = reader.read([number])
    width, height = proxy_size(info.width, info.height, proxy_limit)
    if (width, height) != (info.width, info.height):
        pixels = cv2.resize(pixels, (width, height), interpolation=cv2.INTER_AREA)
    display = DisplayLut(space or default_source_space(info), ocio_config, display_view=display_view)
    try:
        return display(pixels)
    finally:
        display.close()
