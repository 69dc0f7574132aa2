"""Render a clip range through an effect: decode → working space → process → output space → encode.

``render(job)`` resolves everything once (effect, pack, colour processors, output) and checks, before the first
frame and before compiling the effect, that the output can be completed and nothing can be lost: the source is
never overwritten, the folder is writable, the name suits the codec (extension, frame number for several frames),
an existing output is replaced only with ``overwrite`` or continued with ``resume``, the disk has room. It then
streams frames through a ``Pipeline`` (``stream``): resolve → plan → run. Outputs appear under their final names
only when complete; every render leaves a sidecar, and a sequence render that fails removes it or marks it failed.
Image-sequence frames are numbered like the source (a movie's by its timecode) or from ``job.start_frame``.
"""
from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass, field
from typing import Any, Iterator

from ..color import ColorProcessor, config_uri, default_source_space
from ..color.describe import describe_space
from ..effects import Effect, EffectContext, declared, get_effect
from ..errors import MediaError, OutputError, UsageError
from ..frames import BT709, ColorTags, MediaInfo, OutputSpec, SpaceTags, check_output, open_media
from ..frames.timecode import offset_timecode
from ..progress import CancelToken, ProgressCallback, no_progress
from . import guards, sidecar
from .job import RenderJob, choose_codec, frames_to_render, is_sequence_codec, output_frame_offset
from .stream import Streamed, source_files, stream_frames


@dataclass
class RenderResult:
    """What a finished render wrote, and the effect's notes (``Processor.notes``) for the colorist."""

    outputs: list[str]
    sidecar: str
    frames_rendered: int
    frames_skipped: int
    seconds: float
    record: dict[str, Any] = field(repr=False, default_factory=dict)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Resolved:
    """What a job names, resolved against its source: the effect, its parameters, frames and codec.

    ``frame_range`` is the job's first and last source frame, ``wanted`` the source frames this call writes
    (the range or a chunk of it), ``offset`` what is added to a source frame number to name its output frame.
    """

    info: MediaInfo
    effect: Effect
    params: dict[str, Any]
    codec: str
    frame_range: tuple[int, int]
    wanted: range
    offset: int
    folder: str


@dataclass(frozen=True)
class _Plan:
    """What a resolved job will write: the output spec, the pack, the sidecar and its record, the frames to do."""

    spec: OutputSpec
    pack: Any
    record: dict[str, Any]
    sidecar_file: str
    todo: list[int]


def render(job: RenderJob, progress: ProgressCallback = no_progress, cancel: CancelToken | None = None,
           chunk: tuple[int, int] | None = None) -> RenderResult:
    """Run ``job`` to completion, or only the frames of ``chunk`` (one farm task).

    Resolves the job against its source (``_resolve``), plans the output and refuses what cannot be
    completed (``_plan``), compiles the effect, runs the frames through it (``stream.stream_frames``) and
    writes the sidecar with the processor's notes (``_finish``).

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
        resolved = _resolve(job, reader.info, chunk)
        source_space = job.input_space or default_source_space(resolved.info)
        working_space = resolved.effect.working_space or source_space
        with _converters(job, source_space, working_space) as (to_working, from_working):
            plan = _plan(job, resolved, to_working, from_working)
            context = EffectContext(resolved.info, to_working.source_space, providers=job.providers,
                                    production=job.production)
            processor = declared(resolved.effect.compile(resolved.params, plan.pack, context), resolved.effect.name)
            streamed = stream_frames(reader, processor, (to_working, from_working), spec=plan.spec,
                                     todo=plan.todo, frame_range=resolved.frame_range, offset=resolved.offset,
                                     fix_nonfinite=job.fix_nonfinite, sidecar_file=plan.sidecar_file,
                                     record=plan.record, chunk=chunk, progress=progress, cancel=cancel)
    return _finish(job, resolved, plan, chunk, streamed, processor.notes, time.monotonic() - started)


def _resolve(job: RenderJob, info: MediaInfo, chunk: tuple[int, int] | None) -> _Resolved:
    """The job against its source: frames, effect and parameters, codec, chunk; refuses what cannot be written
    there (missing frames, the source itself as output, a folder that cannot be written)."""
    first, last = frames_to_render(info, job.frames, job.handles)
    _refuse_missing_frames(info, first, last)
    effect = get_effect(job.effect)
    params = effect.params.resolve(job.params)
    codec = choose_codec(job.output, info, job.codec)
    wanted = _chunk_frames(job, codec, (first, last), chunk)
    offset = output_frame_offset(info, first, job.start_frame) if is_sequence_codec(codec) else 0
    guards.refuse_source_overwrite(info, job.output)
    folder = guards.ensure_writable(job.output)
    return _Resolved(info, effect, params, codec, (first, last), wanted, offset, folder)


@contextlib.contextmanager
def _converters(job: RenderJob, source_space: str, working_space: str
                ) -> Iterator[tuple[ColorProcessor, ColorProcessor]]:
    """Source → working space and working → output space processors, closed on exit."""
    to_working = ColorProcessor(source_space, working_space, job.ocio_config)
    try:
        from_working = ColorProcessor(working_space, job.output_space or source_space, job.ocio_config)
    except BaseException:
        to_working.close()
        raise
    try:
        yield to_working, from_working
    finally:
        to_working.close()
        from_working.close()


def _plan(job: RenderJob, resolved: _Resolved, to_working: ColorProcessor, from_working: ColorProcessor) -> _Plan:
    """The output spec, pack, sidecar record and frames still to write; refuses, before the first frame, an
    output that cannot be completed (spec, existing output without overwrite/resume, disk space)."""
    info, codec, offset = resolved.info, resolved.codec, resolved.offset
    first, _ = resolved.frame_range
    colour = {"config": config_uri(job.ocio_config), "input": to_working.source_space,
              "working": to_working.target_space, "output": from_working.target_space}
    tags = describe_space(from_working.target_space, job.ocio_config) if is_sequence_codec(codec) else None
    spec = _output_spec(job, info, codec, first, offset, tags)
    check_output(spec, len(resolved.wanted))
    pack = _open_pack(job, resolved.effect.name, resolved.effect.needs_pack)
    record = _record(job, info, resolved.params, pack, codec, resolved.frame_range, offset, colour)
    sidecar_file = sidecar.sidecar_path(job.output)
    done = _frames_already_written(job, spec, sidecar_file, record, resolved.frame_range, offset)
    todo = [n for n in resolved.wanted if n not in done]
    guards.ensure_free_space(resolved.folder, codec, info.width, info.height, len(todo))
    return _Plan(spec, pack, record, sidecar_file, todo)


def _finish(job: RenderJob, resolved: _Resolved, plan: _Plan, chunk: tuple[int, int] | None, streamed: Streamed,
            notes: tuple[str, ...], seconds: float) -> RenderResult:
    """Complete the record with what was written and the processor's ``notes``, and write the sidecar."""
    record = plan.record
    skipped = len(resolved.wanted) - len(plan.todo)
    record["output"]["info"] = _describe_output(job.output)
    record["source"]["sha256"] = streamed.digest.get("sha256")
    record["nonfinite_frames_fixed"] = streamed.nonfinite
    record.update(status=_status(job.output, resolved.frame_range, resolved.offset, chunk),
                  frames_rendered=streamed.written, frames_skipped=skipped, notes=list(notes),
                  seconds=round(seconds, 3))
    sidecar.write_sidecar(plan.sidecar_file, record)
    return RenderResult(streamed.outputs, plan.sidecar_file, streamed.written, skipped, record["seconds"], record,
                        list(notes))


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


def _source_identity(info: MediaInfo, first: int, last: int) -> tuple[int, int]:
    """Total bytes and newest modification time of the source files: cheap, and changes when they do."""
    stats = [os.stat(path) for path in source_files(info, first, last)]
    return sum(s.st_size for s in stats), max(s.st_mtime_ns for s in stats)
