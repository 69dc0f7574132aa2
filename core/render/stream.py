"""Run a planned render: decode → working space → process → output space → encode, overlapped in threads.

``stream_frames`` streams the frames a render still has to write through a ``Pipeline`` (decode, the effect's
processor on each frame window, write), hashes the source beside it, and, when a sequence render fails, leaves
nothing on disk that claims to be more than it is. The render engine (``engine.render``) resolves and plans
the job first.
"""
from __future__ import annotations

import contextlib
import functools
import os
import threading
from dataclasses import dataclass
from typing import Any, Iterator

import numpy as np

from ..color import ColorProcessor
from ..effects import Processor
from ..errors import AnswerprintError, Cancelled, MediaError, OutputError
from ..frames import MediaInfo, OutputSpec, open_writer
from ..progress import CancelToken, ProgressCallback, ProgressEvent
from . import sidecar
from .pipeline import QUEUE_DEPTH, Pipeline, windows


@dataclass(frozen=True)
class Streamed:
    """What ``stream_frames`` wrote (``FrameWriter.finish``'s paths), how many frames, the frames whose NaN/Inf were
    replaced and the source digest (``{"sha256"}``, empty for a chunk)."""

    outputs: list[str]
    written: int
    nonfinite: list[int]
    digest: dict[str, str]


def stream_frames(reader: Any, processor: Processor, converters: tuple[ColorProcessor, ColorProcessor], *,
                  spec: OutputSpec, todo: list[int], frame_range: tuple[int, int], offset: int, fix_nonfinite: bool,
                  sidecar_file: str, record: dict[str, Any], chunk: tuple[int, int] | None,
                  progress: ProgressCallback, cancel: CancelToken) -> Streamed:
    """Decode, process and write the frames ``todo`` (source numbers) through the threaded pipeline.

    Frames of ``frame_range`` (the job's first and last source frame) around them are decoded as the
    processor's temporal context; each frame is written as its source number + ``offset``. A sequence's
    sidecar (``sidecar_file``) says ``in progress`` meanwhile; when the render fails, the sidecar is removed or
    marked failed (``_settle_failed_sequence``). ``chunk`` is the farm task's frames (None: the whole job, and
    the source is hashed beside the render).
    """
    to_working, from_working = converters
    digest: dict[str, str] = {}
    # A chunk (farm task) does not hash: every chunk of a shot would read the whole camera file again. Its
    # identity (size, modification time) is still recorded and checked on resume.
    hasher = None
    if chunk is None:
        hasher = threading.Thread(target=_hash_source, args=(reader.info, frame_range, digest), daemon=True)
        hasher.start()
    writer = _CountingWriter(open_writer(spec), offset, len(todo), progress)
    nonfinite: list[int] = []
    decoded = _decode(reader, frame_range, todo, processor.temporal_radius, fix_nonfinite, to_working, nonfinite)
    try:
        if spec.is_sequence:
            sidecar.write_sidecar(sidecar_file, {**record, "status": "in progress"})
        # A temporal window already holds decoded frames ahead of the one processed: one more waiting keeps
        # decode ahead without another frame-sized buffer (100 MB a UHD frame).
        decode_ahead = 1 if processor.temporal_radius else QUEUE_DEPTH
        Pipeline(cancel).run(decoded, functools.partial(_process, processor=processor, todo=set(todo),
                                                        from_working=from_working), writer, decode_ahead)
        outputs = writer.finish()
    except BaseException as error:
        writer.abort()
        if spec.is_sequence:
            _settle_failed_sequence(spec.path, writer.finish(), sidecar_file, record, error, frame_range, offset,
                                    chunk)
        raise
    if hasher is not None:
        hasher.join()
    return Streamed(outputs, writer.written, nonfinite, digest)


def _hash_source(info: MediaInfo, frame_range: tuple[int, int], digest: dict[str, str]) -> None:
    """Put the source files' SHA-256 into ``digest["sha256"]`` (runs beside the render)."""
    digest["sha256"] = _source_digest(info, *frame_range)


def _decode(reader: Any, frame_range: tuple[int, int], todo: list[int], radius: int, fix_nonfinite: bool,
            to_working: ColorProcessor, nonfinite: list[int]) -> Iterator[tuple[int, np.ndarray]]:
    """The frames ``todo`` and ``radius`` frames around them inside ``frame_range``, in the working space;
    NaN/Inf refused or replaced (``_check_finite``; replaced frames are appended to ``nonfinite``)."""
    first, last = frame_range
    decode_from = max(first, min(todo, default=first) - radius)
    decode_to = min(last, max(todo, default=first) + radius)
    for number, pixels in reader.read(range(decode_from, decode_to + 1)):
        pixels = _check_finite(pixels, number, reader.info, fix_nonfinite, nonfinite)
        yield number, to_working(pixels)


def _process(frames: Iterator[tuple[int, np.ndarray]], *, processor: Processor, todo: set[int],
             from_working: ColorProcessor) -> Iterator[tuple[int, np.ndarray]]:
    """Each frame of ``todo`` through ``processor`` (with its frame number when it wants it), in the output
    space."""
    for number, window in windows(frames, processor.temporal_radius):
        if number in todo:
            processed = processor(window, number) if processor.wants_frame_number else processor(window)
            yield number, from_working(processed)


class _CountingWriter:
    """A ``FrameWriter`` taking source frame numbers, counting the frames written and saying each one to
    ``progress``."""

    def __init__(self, writer: Any, offset: int, total: int, progress: ProgressCallback):
        self._writer, self._offset, self._total, self._progress = writer, offset, total, progress
        self.written = 0

    def __call__(self, number: int, pixels: np.ndarray) -> None:
        self._writer.write(number + self._offset, pixels)
        self.written += 1
        self._progress(ProgressEvent(self.written, self._total, "render", f"frame {number + self._offset}"))

    def finish(self) -> list[str]:
        return self._writer.finish()

    def abort(self) -> None:
        self._writer.abort()


def _settle_failed_sequence(output: str, written_now: list[str], sidecar_file: str, record: dict[str, Any],
                            error: BaseException, frame_range: tuple[int, int], offset: int,
                            chunk: tuple[int, int] | None) -> None:
    """After a sequence render failed: leave nothing that claims to be more than it is.

    Bad source media found mid-render (NaN/Inf, a corrupt frame: ``MediaError``) is a refusal, so the frames
    this render wrote are removed, as if it had been refused up front. Frames of the job still on disk
    (from a cancel, a full disk, an earlier run) stay for ``--resume`` and the sidecar says ``failed`` or
    ``cancelled`` with the reason; with none left the sidecar goes too (a farm chunk keeps it: other chunks
    of the shot share it).
    """
    if isinstance(error, MediaError):
        for path in written_now:
            with contextlib.suppress(FileNotFoundError):
                os.remove(path)
    from ..frames.sequence import existing_frames

    first, last = frame_range
    remaining = [n for n in existing_frames(output) if first <= n - offset <= last]
    if not remaining and chunk is None:
        with contextlib.suppress(FileNotFoundError):
            os.remove(sidecar_file)
        return
    reason = error.one_line() if isinstance(error, AnswerprintError) else f"{type(error).__name__}: {error}"
    with contextlib.suppress(OutputError):
        sidecar.write_sidecar(sidecar_file, {**record, "status": "cancelled" if isinstance(error, Cancelled)
                                             else "failed", "error": reason, "frames_on_disk": len(remaining)})


def _check_finite(pixels: np.ndarray, number: int, info: MediaInfo, fix: bool, fixed: list[int]) -> np.ndarray:
    if info.codec != "openexr" or np.isfinite(pixels).all():
        return pixels
    if not fix:
        count = int(np.count_nonzero(~np.isfinite(pixels)))
        raise MediaError(f"frame {number} has {count} NaN/Inf value(s); pass --fix-nonfinite to replace them by 0",
                         info.path)
    fixed.append(number)
    return np.nan_to_num(pixels, nan=0.0, posinf=0.0, neginf=0.0)


def source_files(info: MediaInfo, first: int, last: int) -> list[str]:
    if info.kind == "movie":
        return [info.path]
    from ..frames.sequence import sequence_frame_path

    return [sequence_frame_path(info.path, n) for n in range(first, last + 1)]


def _source_digest(info: MediaInfo, first: int, last: int) -> str:
    return sidecar.files_digest(source_files(info, first, last))
