"""The render queue: jobs rendered one after another on a background thread, with progress, ETA, cancel, logs.

Each ``QueuedJob`` wraps a core ``RenderJob``; the queue's thread calls ``core.render.render`` with a progress
callback and the job's ``CancelToken``. In hosted mode a job carries the host's clip and the host, and a
finished render goes back through ``host.send_back`` (in Resolve: a new selected take on the item).
Signals are emitted from the render thread and reach the widgets through Qt's queued connections.
"""
from __future__ import annotations

import itertools
import queue
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, Signal

from answerprint.core.errors import AnswerprintError, Cancelled
from answerprint.core.progress import CancelToken, ProgressEvent
from answerprint.core.render import RenderJob, render

#: Job states, in the order a job goes through them.
WAITING, RUNNING, DONE, FAILED, CANCELLED = "waiting", "running", "done", "failed", "cancelled"


@dataclass
class QueuedJob:
    """One job of the queue and what is known of it so far.

    Attributes
    ----------
    number : int
        Position in the order jobs were added (1, 2...).
    job : RenderJob
        What to render.
    clip, host : optional
        The host's clip and the host to send the finished render back to (hosted mode).
    state : str
        ``waiting``, ``running``, ``done``, ``failed`` or ``cancelled``.
    done, total : int
        Frames written and frames to write.
    started : float or None
        ``time.monotonic()`` when rendering began.
    log : list of str
        One line per event: start, every tenth of the frames, the outcome.
    """

    number: int
    job: RenderJob
    clip: Any = None
    host: Any = None
    state: str = WAITING
    done: int = 0
    total: int = 0
    started: float | None = None
    finished: float | None = None
    log: list[str] = field(default_factory=list)
    cancel: CancelToken = field(default_factory=CancelToken)

    @property
    def label(self) -> str:
        return f"{self.job.effect}: {self.job.source.rsplit('/', 1)[-1]} → {self.job.output.rsplit('/', 1)[-1]}"

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 0.0

    def eta_seconds(self, now: float | None = None) -> float | None:
        """Seconds left at the pace so far; None before the first frame or when not running."""
        if self.state != RUNNING or not self.done or self.started is None:
            return None
        elapsed = (now or time.monotonic()) - self.started
        return elapsed / self.done * (self.total - self.done)


class RenderQueue(QObject):
    """Jobs rendered in the order added, one at a time, on one background thread.

    Signals
    -------
    changed(QueuedJob)
        A job was added, progressed, or changed state.
    finished(QueuedJob)
        A job ended (done, failed or cancelled).
    """

    changed = Signal(object)
    finished = Signal(object)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.jobs: list[QueuedJob] = []
        self._numbers = itertools.count(1)
        self._todo: queue.Queue[QueuedJob | None] = queue.Queue()
        self._thread = threading.Thread(target=self._work, name="answerprint-render-queue", daemon=True)
        self._thread.start()

    def add(self, job: RenderJob, clip: Any = None, host: Any = None) -> QueuedJob:
        """Queue ``job``; returns its entry."""
        entry = QueuedJob(next(self._numbers), job, clip, host)
        entry.log.append(f"queued: {job.source} → {job.output}")
        self.jobs.append(entry)
        self._todo.put(entry)
        self.changed.emit(entry)
        return entry

    def cancel(self, entry: QueuedJob) -> None:
        """Cancel a waiting job at once, or a running one at its next frame (its partial output is removed)."""
        entry.cancel.cancel()
        if entry.state == WAITING:
            self._end(entry, CANCELLED, "cancelled before it started")

    def running(self) -> QueuedJob | None:
        return next((entry for entry in self.jobs if entry.state == RUNNING), None)

    def shutdown(self, wait: float = 5.0) -> None:
        """Cancel every unfinished job and stop the thread (waits at most ``wait`` seconds)."""
        for entry in self.jobs:
            if entry.state in (WAITING, RUNNING):
                self.cancel(entry)
        self._todo.put(None)
        self._thread.join(wait)

    def _end(self, entry: QueuedJob, state: str, line: str) -> None:
        entry.state, entry.finished = state, time.monotonic()
        entry.log.append(line)
        self.changed.emit(entry)
        self.finished.emit(entry)

    def _work(self) -> None:
        while (entry := self._todo.get()) is not None:
            if entry.state != WAITING:
                continue
            self._run(entry)

    def _run(self, entry: QueuedJob) -> None:
        entry.state, entry.started = RUNNING, time.monotonic()
        entry.log.append(f"started {time.strftime('%H:%M:%S')}")
        self.changed.emit(entry)
        tenths = {-1}

        def progress(event: ProgressEvent) -> None:
            entry.done, entry.total = event.done, event.total
            tenth = int(event.fraction * 10)
            if tenth not in tenths:
                tenths.add(tenth)
                entry.log.append(f"{tenth * 10} % ({event.done}/{event.total} frames, {event.detail})")
            self.changed.emit(entry)

        try:
            result = render(entry.job, progress, entry.cancel)
            entry.log.extend(f"note: {note}" for note in result.notes)
            line = f"done: {result.frames_rendered} frames in {result.seconds:.1f} s → {result.outputs[0]}"
            if entry.host is not None:
                entry.log.append(line)
                line = entry.host.send_back(entry.clip, entry.job, result)
        except Cancelled:
            self._end(entry, CANCELLED, "cancelled; the partial output was removed")
        except AnswerprintError as error:
            self._end(entry, FAILED, f"failed: {error.one_line()}")
        except Exception as error:  # a bug must reach the log and the dialog, not end the queue's thread
            self._end(entry, FAILED, f"failed: unexpected {type(error).__name__}: {error}")
        else:
            self._end(entry, DONE, line)
