"""Run farm tasks one after the other in this process: the workstation path, and the reference the farm
runners are compared against (same tasks, same frames, same bits)."""
from __future__ import annotations

from ..errors import AnswerprintError, Cancelled
from ..progress import CancelToken, ProgressCallback, ProgressEvent, no_progress
from .tasks import FrameTask, TaskOutcome, run_task


def run_local(tasks: list[FrameTask], progress: ProgressCallback = no_progress,
              cancel: CancelToken | None = None) -> list[TaskOutcome]:
    """Render ``tasks`` in order; a task that fails is reported in its outcome and the others still run.

    Parameters
    ----------
    tasks : list of FrameTask
        What to render.
    progress : callable
        Gets ``ProgressEvent(frames done, frames in all, "render", task label)`` after every frame.
    cancel : CancelToken, optional
        Stops the render; the frame being written is removed, completed frames stay for a resume.

    Raises
    ------
    Cancelled
        When ``cancel`` is set.
    """
    cancel = cancel or CancelToken()
    total = sum(task.frame_count for task in tasks)
    finished = 0
    outcomes = []
    for task in tasks:
        cancel.raise_if_cancelled()

        def on_frame(event: ProgressEvent, task: FrameTask = task) -> None:
            progress(ProgressEvent(finished + event.done, total, "render", task.label))

        try:
            outcome = run_task(task, on_frame, cancel)
        except Cancelled:
            raise
        except AnswerprintError as error:
            outcome = TaskOutcome(task, error=error.one_line())
        outcomes.append(outcome)
        finished += task.frame_count
        progress(ProgressEvent(finished, total, "render", task.label))
    return outcomes
