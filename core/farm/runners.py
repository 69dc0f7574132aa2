"""Choose where a timeline's tasks run: in this process, on Dask, or as an Open Job Description bundle.

Every runner renders the same ``FrameTask`` list through ``run_task``, so the frames are bit-identical
whichever ran them; the plan file is written in every case, beside the renders, for the record.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from ..errors import UsageError
from ..progress import CancelToken, ProgressCallback, no_progress
from .plan import save_plan
from .tasks import DEFAULT_CHUNK_FRAMES, FrameTask, TaskOutcome, movie_already_rendered

#: Where tasks can run (``--farm``).
FARMS = ("local", "dask", "openjd")


@dataclass(frozen=True)
class FarmOptions:
    """How to run a timeline's tasks.

    Attributes
    ----------
    farm : str
        ``local`` (this process), ``dask`` (a local cluster, or ``scheduler``) or ``openjd`` (a job bundle).
    chunk_frames : int
        Frames per task for image-sequence outputs.
    scheduler : str, optional
        Dask scheduler address; None starts a local cluster of ``workers`` processes.
    workers : int
        Worker processes of the local Dask cluster.
    retries : int
        Extra attempts for a failed task (Dask) or a failed ``openjd run`` (OpenJD, resuming).
    run : bool
        For ``openjd``: also run the bundle here with openjd-cli; otherwise only write it for submission.
    """

    farm: str = "local"
    chunk_frames: int = DEFAULT_CHUNK_FRAMES
    scheduler: str | None = None
    workers: int = 2
    retries: int = 2
    run: bool = False

    def check(self) -> None:
        """Raises UsageError for options that contradict each other."""
        if self.farm not in FARMS:
            raise UsageError(f"unknown farm {self.farm!r}; choose one of {', '.join(FARMS)}", "--farm")
        if self.scheduler and self.farm != "dask":
            raise UsageError("--scheduler is a Dask address; use it with --farm dask", "--scheduler")
        if self.workers < 1 or self.retries < 0:
            raise UsageError("--workers must be at least 1 and --retries at least 0")


@dataclass(frozen=True)
class FarmRun:
    """Outcomes of the tasks (None when an OpenJD bundle was only written), the plan and bundle paths."""

    outcomes: list[TaskOutcome] | None
    plan: str
    bundle: str | None = None


def execute(tasks: list[FrameTask], options: FarmOptions, work_dir: str, name: str,
            progress: ProgressCallback = no_progress, cancel: CancelToken | None = None) -> FarmRun:
    """Write the plan into ``work_dir`` and run ``tasks`` where ``options`` say (no tasks: nothing to start).

    Parameters
    ----------
    tasks : list of FrameTask
        The tasks of one timeline.
    options : FarmOptions
        Where and how.
    work_dir : str
        Folder for ``<name>.farm.json`` and the OpenJD bundle ``<name>.openjd/``.
    name : str
        Base name of those files (the timeline's), also the OpenJD job name.

    Raises
    ------
    UsageError, OutputError, AnswerprintError, Cancelled
    """
    options.check()
    plan = os.path.join(work_dir, f"{name}.farm.json")
    save_plan(plan, tasks, name)
    if options.farm == "local" or not tasks:
        from .local import run_local

        return FarmRun(run_local(tasks, progress, cancel), plan)
    if options.farm == "dask":
        from .dask_runner import run_dask

        return FarmRun(run_dask(tasks, options.scheduler, options.workers, options.retries, progress, cancel), plan)
    from .openjd import run_job_bundle, write_job_bundle

    bundle = os.path.join(work_dir, f"{name}.openjd")
    write_job_bundle(bundle, plan, len(tasks), f"answerprint {name}")
    if not options.run:
        return FarmRun(None, plan, bundle)
    run_job_bundle(bundle, [task.frame_count for task in tasks], options.retries, progress, cancel)
    return FarmRun([outcome_on_disk(task) for task in tasks], plan, bundle)


def outcome_on_disk(task: FrameTask) -> TaskOutcome:
    """A task's outcome read from the disk after another process ran it: are all its frames there?"""
    if not task.chunked:
        done = movie_already_rendered(task.job)
    else:
        from ..frames.sequence import existing_frames

        present = set(existing_frames(task.job.output))
        done = all(n in present for n in task.output_frames)
    if done:
        return TaskOutcome(task, frames_rendered=task.frame_count)
    return TaskOutcome(task, error=f"frames {task.first}-{task.last} are not all on disk after the farm run")
