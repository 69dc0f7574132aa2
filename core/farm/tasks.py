"""Farm tasks: a shot render split into frame-range chunks, each one idempotent and safe to retry.

A ``ShotRender`` is one clip of a timeline: a ``RenderJob`` whose frames are the clip's used range and
handles, and the resolved source frame range that covers. ``split_into_tasks`` cuts it into ``FrameTask``
chunks of at most ``chunk_frames`` frames when the output is an image sequence (one file per frame, so
any frame range can be written by any worker and re-rendered on its own); a movie output cannot be
written by two processes, so a movie shot is one task.

``run_task`` renders one task with ``resume``: frames already on disk from the same job (same effect,
parameters, pack, colour and source, checked through the render sidecar's job key) are skipped, so
running a task twice, or again after its worker was killed, writes every frame exactly once. Frames
appear under their final names only complete (the sequence writer renames a finished temporary file),
so a killed worker leaves at most a hidden ``.NAME.answerprint-partial.EXT`` file, overwritten on retry.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, replace
from typing import Any

from ..errors import AnswerprintError, OutputError, UsageError
from ..progress import CancelToken, ProgressCallback, no_progress
from ..render import RenderJob, render, sidecar
from ..render.job import is_sequence_codec

#: Frames per task when a shot renders to an image sequence (Deadline's usual chunk size for comps).
DEFAULT_CHUNK_FRAMES = 24


@dataclass(frozen=True)
class ShotRender:
    """One timeline clip to render.

    Attributes
    ----------
    name : str
        Unique, file-system safe name of the shot in this timeline (``A001C003_cleanup_v001``).
    job : RenderJob
        The render: source, output, effect, parameters; ``frames`` is the clip's used source range.
    frame_range : tuple of int
        Source frame numbers actually rendered, first and last inclusive (used range plus handles, clipped
        to the source).
    codec : str
        Output codec the job resolves to (``exr``, ``prores_422hq``...).
    """

    name: str
    job: RenderJob
    frame_range: tuple[int, int]
    codec: str

    @property
    def frame_count(self) -> int:
        """Frames rendered for the shot."""
        return self.frame_range[1] - self.frame_range[0] + 1


@dataclass(frozen=True)
class FrameTask:
    """One unit of farm work: frames ``first``..``last`` (inclusive, source numbering) of one shot.

    ``chunked`` is False for a movie output, rendered whole by one task. ``offset`` is what output frame numbers
    add to source ones (the job's ``start_frame`` minus the shot's first frame; 0 for a movie).
    """

    shot: str
    job: RenderJob
    first: int
    last: int
    chunked: bool
    offset: int = 0

    @property
    def chunk(self) -> tuple[int, int] | None:
        """The frame range handed to ``render(chunk=...)``; None for a whole movie shot."""
        return (self.first, self.last) if self.chunked else None

    @property
    def frame_count(self) -> int:
        """Frames of the task."""
        return self.last - self.first + 1

    @property
    def output_frames(self) -> range:
        """The numbers the task's frames have on disk (``first + offset`` ... ``last + offset``)."""
        return range(self.first + self.offset, self.last + self.offset + 1)

    @property
    def label(self) -> str:
        """``A001C003_cleanup_v001 1001-1024``, for logs and progress."""
        return f"{self.shot} {self.first}-{self.last}"

    def to_json(self) -> dict[str, Any]:
        """The task as JSON (the plan file, Dask messages)."""
        return {"shot": self.shot, "job": self.job.to_json(), "first": self.first, "last": self.last,
                "chunked": self.chunked, "offset": self.offset}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "FrameTask":
        """The task ``to_json`` wrote."""
        fields = dict(data["job"])
        fields["frames"] = tuple(fields["frames"]) if fields.get("frames") else None
        return cls(data["shot"], RenderJob(**fields), int(data["first"]), int(data["last"]), bool(data["chunked"]),
                   int(data.get("offset", 0)))


@dataclass(frozen=True)
class TaskOutcome:
    """What one task did: frames written and skipped (already complete), or the one-line error."""

    task: FrameTask
    frames_rendered: int = 0
    frames_skipped: int = 0
    error: str | None = None

    @property
    def ok(self) -> bool:
        """True when the task's frames are all on disk."""
        return self.error is None


def split_into_tasks(shots: list[ShotRender], chunk_frames: int = DEFAULT_CHUNK_FRAMES) -> list[FrameTask]:
    """Cut every shot into tasks: chunks of ``chunk_frames`` for sequence outputs, the whole shot for movies.

    Raises
    ------
    UsageError
        When ``chunk_frames`` is not positive.
    """
    if chunk_frames < 1:
        raise UsageError(f"a chunk needs at least one frame, got {chunk_frames}", "--chunk")
    tasks = []
    for shot in shots:
        first, last = shot.frame_range
        if not is_sequence_codec(shot.codec):
            tasks.append(FrameTask(shot.name, shot.job, first, last, chunked=False))
            continue
        offset = 0 if shot.job.start_frame is None else shot.job.start_frame - first
        for start in range(first, last + 1, chunk_frames):
            tasks.append(FrameTask(shot.name, shot.job, start, min(last, start + chunk_frames - 1), chunked=True,
                                   offset=offset))
    return tasks


def run_task(task: FrameTask, progress: ProgressCallback = no_progress,
             cancel: CancelToken | None = None) -> TaskOutcome:
    """Render one task, skipping its frames already complete from the same job; idempotent.

    A chunk always resumes (``overwrite`` on the job re-renders its frames instead); a movie shot whose
    output this same job already completed is skipped.

    Raises
    ------
    AnswerprintError
        Whatever the render raises (the runners turn it into a failed ``TaskOutcome`` after retries).
    """
    job = task.job
    if task.chunked:
        job = replace(job, resume=True)
        _make_folder(os.path.dirname(job.output))
    elif movie_already_rendered(job):
        return TaskOutcome(task, 0, task.frame_count)
    result = render(job, progress, cancel, chunk=task.chunk)
    return TaskOutcome(task, result.frames_rendered, result.frames_skipped)


def _make_folder(folder: str) -> None:
    """Create a shot's sequence folder (any task of the shot may run first).

    Raises
    ------
    OutputError
        When it cannot be created.
    """
    try:
        os.makedirs(folder or ".", exist_ok=True)
    except OSError as error:
        raise OutputError(f"cannot create the output folder ({error.strerror})", folder) from None


def movie_already_rendered(job: RenderJob) -> bool:
    """True when ``job.output`` is a movie this very job finished: its sidecar says complete, records the
    same job and the source still has the size and modification time it had then."""
    if is_sequence_codec(job.codec or "") or not os.path.isfile(job.output):
        return False
    record = sidecar.read_sidecar(sidecar.sidecar_path(job.output))
    if not record or record.get("status") != "complete":
        return False
    recorded, wanted = dict(record.get("job") or {}), job.to_json()
    for flag in ("overwrite", "resume"):
        recorded.pop(flag, None)
        wanted.pop(flag, None)
    try:
        stat = os.stat(job.source)
    except OSError:
        return False
    source = record.get("source") or {}
    return recorded == wanted and (source.get("size"), source.get("mtime_ns")) == (stat.st_size, stat.st_mtime_ns)


def run_task_json(data: dict[str, Any]) -> dict[str, Any]:
    """``run_task`` on a task given as JSON, returning the outcome as JSON (what farm workers exchange).

    An ``AnswerprintError`` is returned as ``{"error": ...}`` rather than raised: bad media or parameters
    fail the same way on every retry. Anything else (a crash, a lost file share) raises, so the engine
    retries it.
    """
    task = FrameTask.from_json(data)
    try:
        outcome = run_task(task)
    except AnswerprintError as error:
        return {"error": error.one_line(), "frames_rendered": 0, "frames_skipped": 0}
    return {"error": None, "frames_rendered": outcome.frames_rendered, "frames_skipped": outcome.frames_skipped}
