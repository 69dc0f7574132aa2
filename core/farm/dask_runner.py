"""Run farm tasks on Dask distributed: a local cluster by default, or a facility's scheduler.

Every task is submitted as JSON to ``run_task_json`` with ``retries`` (a task that raises is run again)
and ``pure=False`` (never served from a cache). When a worker process dies mid-task, the scheduler gives
the task to another worker; since tasks resume, the frames the dead worker finished are kept and only the
rest are rendered. Workers must have answerprint installed and see the same paths (shared storage).
"""
from __future__ import annotations

import uuid

from ..errors import AnswerprintError, Cancelled
from ..progress import CancelToken, ProgressCallback, ProgressEvent, no_progress
from .tasks import FrameTask, TaskOutcome, run_task_json

#: Seconds between checks of the cancel token while waiting for tasks.
_POLL_S = 0.25
#: Dask starts workers with ``MALLOC_TRIM_THRESHOLD_=65536``, which makes glibc hand every freed frame buffer
#: (tens of MB) back to the system and fault it in again for the next frame: +30 % CPU per frame measured
#: (bench/README.md). The local cluster is started without it; set the same on a facility's workers.
_MALLOC_TRIM = "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_"
_NOT_INSTALLED = "dask is not installed; run: pip install 'answerprint[farm]'"


def run_dask(tasks: list[FrameTask], scheduler: str | None = None, workers: int = 2, retries: int = 2,
             progress: ProgressCallback = no_progress, cancel: CancelToken | None = None) -> list[TaskOutcome]:
    """Render ``tasks`` on a Dask cluster and return their outcomes in task order.

    Parameters
    ----------
    tasks : list of FrameTask
        What to render.
    scheduler : str, optional
        Address of a running scheduler (``tcp://farm-sched:8786``); None starts a ``LocalCluster`` of
        ``workers`` single-threaded worker processes on 127.0.0.1, closed afterwards.
    workers : int
        Worker processes of the local cluster (one per core is a good start; ignored with ``scheduler``).
    retries : int
        Extra attempts for a task that raised (on top of the scheduler's re-run of tasks whose worker died).
    progress : callable
        Gets ``ProgressEvent(frames done, frames in all, "render", task label)`` as tasks finish.
    cancel : CancelToken, optional
        Cancels the tasks not yet finished; frames already written stay for a resume.

    Raises
    ------
    AnswerprintError
        When Dask is not installed or the scheduler cannot be reached.
    Cancelled
        When ``cancel`` is set.
    """
    try:
        from dask.distributed import Client
    except ImportError:
        raise AnswerprintError(_NOT_INSTALLED) from None
    cancel = cancel or CancelToken()
    cluster = None
    try:
        if scheduler is None:
            cluster = start_local_cluster(workers)
        with Client(cluster or scheduler, timeout="20s") as client:
            return _run_on(client, tasks, retries, progress, cancel)
    except (OSError, TimeoutError) as error:
        raise AnswerprintError(f"cannot reach the Dask scheduler ({error})", scheduler or "local cluster") from None
    finally:
        if cluster is not None:
            cluster.close()


def start_local_cluster(workers: int = 2):
    """A Dask ``LocalCluster`` of ``workers`` single-threaded worker processes on 127.0.0.1, no dashboard.

    Raises
    ------
    AnswerprintError
        When Dask is not installed.
    """
    try:
        import dask
        from dask.distributed import LocalCluster
    except ImportError:
        raise AnswerprintError(_NOT_INSTALLED) from None
    with dask.config.set({_MALLOC_TRIM: None}):
        return LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                            host="127.0.0.1")


def _run_on(client, tasks: list[FrameTask], retries: int, progress: ProgressCallback,
            cancel: CancelToken) -> list[TaskOutcome]:
    """Submit every task, then collect outcomes as they finish, polling ``cancel``."""
    from dask.distributed import wait

    run_id = uuid.uuid4().hex[:8]
    futures = [client.submit(run_task_json, task.to_json(), key=f"answerprint-{run_id}-{index}",
                             retries=retries, pure=False) for index, task in enumerate(tasks)]
    index_of = {future.key: index for index, future in enumerate(futures)}
    outcomes: dict[int, TaskOutcome] = {}
    total = sum(task.frame_count for task in tasks)
    finished = 0
    pending = set(futures)
    while pending:
        if cancel.cancelled:
            client.cancel(list(pending))
            raise Cancelled("cancelled by the user; finished frames are kept for a resume")
        try:
            done, pending = wait(pending, timeout=_POLL_S, return_when="FIRST_COMPLETED")
        except TimeoutError:
            continue
        for future in done:
            index = index_of[future.key]
            outcomes[index] = _outcome(tasks[index], future)
            finished += tasks[index].frame_count
            progress(ProgressEvent(finished, total, "render", tasks[index].label))
    return [outcomes[index] for index in range(len(tasks))]


def _outcome(task: FrameTask, future) -> TaskOutcome:
    """The outcome of a finished future: its JSON result, or the exception that ended its last attempt."""
    if future.status != "finished":
        error = future.exception()
        return TaskOutcome(task, error=f"{type(error).__name__}: {error}")
    result = future.result()
    return TaskOutcome(task, result["frames_rendered"], result["frames_skipped"], result["error"])
