"""Render a clip range through an effect: decode → working space → process → output space → encode.

``render(job)`` resolves everything once (effect, pack, colour processors, output) and checks, before the
first frame and before compiling the effect, that the output can be completed and nothing can be lost: the
source is never overwritten, the folder is writable, the name suits the codec (extension, frame number for
several frames), an existing output is replaced only with ``overwrite`` or continued with ``resume``, the disk
has room. It then streams frames through a ``Pipeline``. Outputs appear under their final names only when
complete; every render leaves a sidecar, and a sequence render that fails removes it or marks it failed.
Image-sequence frames are numbered like the source (a movie's by its timecode) or from ``job.start_frame``.
"""
from __future__ import annotations

import contextlib
import os
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Iterator

import numpy as np

from ..color import ColorProcessor, config_uri, default_source_space
from ..color.describe import describe_space
from ..effects import EffectContext, get_effect
from ..errors import AnswerprintError, Cancelled, MediaError, OutputError, UsageError
from ..frames import BT709, ColorTags, MediaInfo, OutputSpec, SpaceTags, check_output, open_media, open_writer
from ..frames.timecode import offset_timecode
from ..progress import CancelToken, ProgressCallback, ProgressEvent, no_progress
from . import guards, sidecar
from .job import RenderJob, choose_codec, frames_to_render, is_sequence_codec, output_frame_offset
from .pipeline import QUEUE_DEPTH, Pipeline, windows


@dataclass
class RenderResult:
    """What a finished render wrote."""

    outputs: list[str]
    sidecar: str
    frames_rendered: int
    frames_skipped: int
    seconds: float
    record: dict[str, Any] = field(repr=False, default_factory=dict)


def render(job: RenderJob, progress: ProgressCallback = no_progress, cancel: CancelToken | None = None,
           chunk: tuple[int, int] | None = None) -> RenderResult:
    """Run ``job`` to completion, or only the frames of ``chunk`` (one farm task).

    Parameters
    ----------
    job : RenderJob
        What to render.
    progress : callable
        Called with a ``ProgressEvent`` after each frame written (stage ``"render"``).
    cancel : CancelToken, optional
        Cancel from another thread; ``Cancelled`` is raised. A movie leaves nothing; a sequence keeps its
        complete frames for ``resume`` and its sidecar says ``cancelled``.
    chunk : tuple of int, optional
        First and last source frame number (inclusive) to write, inside the job's range, sequence outputs
        only. Frames of the job outside the chunk are decoded as temporal context where the effect needs
        them, so a shot rendered in chunks is bit-identical to the shot rendered at once. The sidecar
        says ``"complete"`` once every frame of the job's range is on disk.

    Raises
    ------
    MediaError, OutputError, UsageError, ParamError, ColorError, PackError, Cancelled
    """
    cancel = cancel or CancelToken()
    started = time.monotonic()
    with open_media(job.source) as reader:
        info = reader.info
        first, last = frames_to_render(info, job.frames, job.handles)
        _refuse_missing_frames(info, first, last)
        effect = get_effect(job.effect)
        params = effect.params.resolve(job.params)
        codec = choose_codec(job.output, info, job.codec)
        wanted = _chunk_frames(job, codec, (first, last), chunk)
        offset = output_frame_offset(info, first, job.start_frame) if is_sequence_codec(codec) else 0
        guards.refuse_source_overwrite(info, job.output)
        folder = guards.ensure_writable(job.output)

        source_space = job.input_space or default_source_space(info)
        working_space = effect.working_space or source_space
        output_space = job.output_space or source_space
        to_working = ColorProcessor(source_space, working_space, job.ocio_config)
        try:
            from_working = ColorProcessor(working_space, output_space, job.ocio_config)
        except BaseException:
            to_working.close()
            raise
        try:
            colour = {"config": config_uri(job.ocio_config), "input": to_working.source_space,
                      "working": to_working.target_space, "output": from_working.target_space}
            tags = describe_space(from_working.target_space, job.ocio_config) if is_sequence_codec(codec) else None
            spec = _output_spec(job, info, codec, first, offset, tags)
            check_output(spec, len(wanted))
            pack = _open_pack(job, effect.name, effect.needs_pack)
            record = _record(job, info, params, pack, codec, (first, last), offset, colour)
            sidecar_file = sidecar.sidecar_path(job.output)
            done = _frames_already_written(job, spec, sidecar_file, record, (first, last), offset)
            todo = [n for n in wanted if n not in done]
            guards.ensure_free_space(folder, codec, info.width, info.height, len(todo))
            context = EffectContext(info, to_working.source_space, job.providers, None, job.production)
            processor = effect.compile(params, pack, context)
            outputs, written, nonfinite, digest = _stream(job, reader, processor, (to_working, from_working),
                                                          spec, sidecar_file, record, (first, last), todo, offset,
                                                          chunk, progress, cancel)
        finally:
            to_working.close()
            from_working.close()

    record["output"]["info"] = _describe_output(job.output)
    record["source"]["sha256"] = digest.get("sha256")
    record["nonfinite_frames_fixed"] = nonfinite
    record.update(status=_status(job.output, (first, last), offset, chunk), frames_rendered=written,
                  frames_skipped=len(wanted) - len(todo),
                  seconds=round(time.monotonic() - started, 3))
    sidecar.write_sidecar(sidecar_file, record)
    return RenderResult(outputs, sidecar_file, written, len(wanted) - len(todo), record["seconds"], record)


def _stream(job: RenderJob, reader: Any, processor: Any, converters: tuple[ColorProcessor, ColorProcessor],
            spec: OutputSpec, sidecar_file: str, record: dict[str, Any], frame_range: tuple[int, int],
            todo: list[int], offset: int, chunk: tuple[int, int] | None, progress: ProgressCallback,
            cancel: CancelToken) -> tuple[list[str], int, list[int], dict[str, str]]:
    """Decode, process and write the frames ``todo`` (source numbers) through the threaded pipeline.

    Returns the paths written (``FrameWriter.finish``), the number of frames written, the frames whose NaN/Inf were replaced and the source digest (``{"sha256"}``,
    empty for a chunk). A sequence's sidecar says ``in progress`` meanwhile; when the render fails, the
    sidecar is removed or marked failed (``_settle_failed_sequence``).
    """
    info, (first, last) = reader.info, frame_range
    to_working, from_working = converters
    todo_set = set(todo)
    digest: dict[str, str] = {}

    def hash_source() -> None:
        # A chunk (farm task) does not hash: every chunk of a shot would read the whole camera file
        # again. Its identity (size, modification time) is still recorded and checked on resume.
        if chunk is None:
            digest["sha256"] = _source_digest(info, first, last)

    hasher = threading.Thread(target=hash_source, daemon=True)
    hasher.start()
    writer = open_writer(spec)
    written = 0
    nonfinite: list[int] = []

    def decode() -> Iterator[tuple[int, np.ndarray]]:
        decode_from = max(first, min(todo, default=first) - processor.temporal_radius)
        decode_to = min(last, max(todo, default=first) + processor.temporal_radius)
        for number, pixels in reader.read(range(decode_from, decode_to + 1)):
            pixels = _check_finite(pixels, number, info, job.fix_nonfinite, nonfinite)
            yield number, to_working(pixels)

    wants_frame_number = getattr(processor, "wants_frame_number", False)

    def process(frames: Iterator[tuple[int, np.ndarray]]) -> Iterator[tuple[int, np.ndarray]]:
        for number, window in windows(frames, processor.temporal_radius):
            if number in todo_set:
                processed = processor(window, number) if wants_frame_number else processor(window)
                yield number, from_working(processed)

    def write(number: int, pixels: np.ndarray) -> None:
        nonlocal written
        writer.write(number + offset, pixels)
        written += 1
        progress(ProgressEvent(written, len(todo), "render", f"frame {number + offset}"))

    try:
        if spec.is_sequence:
            sidecar.write_sidecar(sidecar_file, {**record, "status": "in progress"})
        # A temporal window already holds decoded frames ahead of the one processed: one more waiting keeps
        # decode ahead without another frame-sized buffer (100 MB a UHD frame).
        decode_ahead = 1 if processor.temporal_radius else QUEUE_DEPTH
        Pipeline(cancel).run(decode(), process, write, decode_ahead)
        outputs = writer.finish()
    except BaseException as error:
        writer.abort()
        if spec.is_sequence:
            _settle_failed_sequence(job.output, writer.finish(), sidecar_file, record, error, frame_range, offset,
                                    chunk)
        raise
    hasher.join()
    return outputs, written, nonfinite, digest


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


def _chunk_frames(job: RenderJob, codec: str, frame_range: tuple[int, int],
                  chunk: tuple[int, int] | None) -> range:
    """The frame numbers this call writes: the whole range, or ``chunk`` after checking it fits.

    Raises
    ------
    UsageError
        When a chunk is asked of a movie output or lies outside the job's range.
    """
    first, last = frame_range
    if chunk is None:
        return range(first, last + 1)
    if not is_sequence_codec(codec):
        raise UsageError("only image-sequence outputs can be rendered in frame-range chunks", job.output)
    if not first <= chunk[0] <= chunk[1] <= last:
        raise UsageError(f"chunk {chunk[0]}-{chunk[1]} lies outside the render's frames {first}-{last}", job.output)
    return range(chunk[0], chunk[1] + 1)


def _status(output: str, frame_range: tuple[int, int], offset: int, chunk: tuple[int, int] | None) -> str:
    """``"complete"`` unless this was a chunk and frames of the job's range (source numbers; on disk numbered
    ``+ offset``) are still missing on disk."""
    if chunk is None or chunk == frame_range:
        return "complete"
    from ..frames.sequence import existing_frames

    present = set(existing_frames(output))
    return ("complete" if all(n + offset in present for n in range(frame_range[0], frame_range[1] + 1))
            else "in progress")


def _describe_output(output: str) -> dict[str, Any]:
    """What was written, as a reader sees it: rate, timecode, pixel aspect and colour tags carried."""
    with open_media(output) as reader:
        return reader.info.to_json()


def _refuse_missing_frames(info: MediaInfo, first: int, last: int) -> None:
    missing = [n for n in info.missing_frames if first <= n <= last]
    if missing:
        shown = ", ".join(map(str, missing[:10])) + (" ..." if len(missing) > 10 else "")
        raise MediaError(f"{len(missing)} frame(s) missing from the sequence: {shown}", info.path)


def _open_pack(job: RenderJob, effect_name: str, needs_pack: bool) -> Any:
    if job.pack is None:
        if needs_pack:
            raise UsageError(f"the {effect_name} effect needs a model pack; pass --pack", "--pack")
        return None
    from ..packs import open_pack_for_job

    return open_pack_for_job(job.pack, effect_name, job.production)


def _output_spec(job: RenderJob, info: MediaInfo, codec: str, first: int, offset: int,
                 colour_space: SpaceTags | None) -> OutputSpec:
    """What to write: the source's size, rate, pixel aspect and tags; timecode of source frame ``first``, which
    is written as frame ``first + offset``; the output space described in EXR/DPX headers."""
    tags = info.color_tags
    tags = ColorTags(*(value if value != "unknown" else default
                       for value, default in zip((tags.primaries, tags.transfer, tags.matrix, tags.range),
                                                 (BT709.primaries, BT709.transfer, BT709.matrix, BT709.range))))
    timecode = offset_timecode(info.timecode, first - info.first_frame, info.frame_rate) if info.timecode else None
    return OutputSpec(path=job.output, codec=codec, width=info.width, height=info.height,
                      frame_rate=info.frame_rate, first_frame=first + offset, timecode=timecode,
                      pixel_aspect=info.pixel_aspect, color_tags=tags, exr_compression=job.exr_compression,
                      colour_space=colour_space)


def _record(job: RenderJob, info: MediaInfo, params: dict[str, Any], pack: Any, codec: str,
            frame_range: tuple[int, int], offset: int, colour: dict[str, str]) -> dict[str, Any]:
    size, mtime_ns = _source_identity(info, *frame_range)
    record = sidecar.base_record()
    record.update(
        effect=job.effect, params=params,
        pack=None if pack is None else {"id": pack.pack_id, "sha256": pack.sha256, "path": pack.path},
        source={"path": os.path.abspath(info.path), "size": size, "mtime_ns": mtime_ns, "sha256": None,
                "info": info.to_json()},
        output={"path": os.path.abspath(job.output), "codec": codec}, output_codec=codec,
        frames={"first": frame_range[0], "last": frame_range[1], "requested": job.frames, "handles": job.handles,
                "output_first": frame_range[0] + offset, "output_last": frame_range[1] + offset},
        colour=colour, job=job.to_json(),
    )
    record["job_key"] = sidecar.job_key(record)
    return record


def _frames_already_written(job: RenderJob, spec: OutputSpec, sidecar_file: str, record: dict[str, Any],
                            frame_range: tuple[int, int], offset: int) -> set[int]:
    """Frames to skip (source numbers): complete frames of the *same* interrupted sequence render, when resuming.

    Raises
    ------
    OutputError
        When the output exists and neither ``overwrite`` nor a matching ``resume`` allows touching it.
    """
    if not is_sequence_codec(spec.codec):
        if os.path.exists(job.output) and not job.overwrite:
            raise OutputError("the output exists; pass --overwrite to replace it", job.output)
        return set()
    from ..frames.sequence import existing_frames

    first, last = frame_range
    present = {n - offset for n in existing_frames(job.output) if first <= n - offset <= last}
    if not present or job.overwrite:
        return set()
    previous = sidecar.read_sidecar(sidecar_file)
    if job.resume and previous and previous.get("job_key") == record["job_key"]:
        return present
    if job.resume:
        raise OutputError("cannot resume: the frames there come from a different render "
                          "(effect, parameters, pack or source differ); pass --overwrite", job.output)
    raise OutputError(f"{len(present)} output frame(s) exist already; pass --resume to continue the same "
                      "render or --overwrite to replace them", job.output)


def _check_finite(pixels: np.ndarray, number: int, info: MediaInfo, fix: bool, fixed: list[int]) -> np.ndarray:
    if info.codec != "openexr" or np.isfinite(pixels).all():
        return pixels
    if not fix:
        count = int(np.count_nonzero(~np.isfinite(pixels)))
        raise MediaError(f"frame {number} has {count} NaN/Inf value(s); pass --fix-nonfinite to replace them by 0",
                         info.path)
    fixed.append(number)
    return np.nan_to_num(pixels, nan=0.0, posinf=0.0, neginf=0.0)


def _source_files(info: MediaInfo, first: int, last: int) -> list[str]:
    if info.kind == "movie":
        return [info.path]
    from ..frames.sequence import sequence_frame_path

    return [sequence_frame_path(info.path, n) for n in range(first, last + 1)]


def _source_identity(info: MediaInfo, first: int, last: int) -> tuple[int, int]:
    """Total bytes and newest modification time of the source files: cheap, and changes when they do."""
    stats = [os.stat(path) for path in _source_files(info, first, last)]
    return sum(s.st_size for s in stats), max(s.st_mtime_ns for s in stats)


def _source_digest(info: MediaInfo, first: int, last: int) -> str:
    return sidecar.files_digest(_source_files(info, first, last))
