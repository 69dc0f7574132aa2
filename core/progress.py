"""Progress reporting and cancellation for long work (renders, training, verification, the demo).

Long work calls a ``ProgressCallback`` with ``ProgressEvent`` values; the CLI (``cli.terminal``), the panel and
the hosts decide how to show them. ``ProgressTracker`` turns the event stream into ``ProgressReport`` values
(percent and ETA per stage) and says when one is worth printing, so the terminal bar, the plain log lines of a
non-terminal run and the ``--progress json`` stream all read the same figures. Cancellation is cooperative:
long loops call ``token.raise_if_cancelled()`` between units of work.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any, Callable

from .errors import Cancelled


@dataclass(frozen=True)
class ProgressEvent:
    """One step of long work.

    Attributes
    ----------
    done, total : int
        Units finished and units in all (frames for a render, steps for training); ``total`` 0 when unknown.
    stage : str
        What is being done, e.g. ``"render"``, ``"train"``, ``"hash source"``.
    detail : str
        Free text for a log line, e.g. the frame number just written.
    time_left_s : float, optional
        An upper bound on the seconds left, when the work knows one (a training run with a time budget stops
        at its budget even if steps remain); the ETA is the smaller of this and the pace so far.
    """

    done: int
    total: int
    stage: str = ""
    detail: str = ""
    time_left_s: float | None = None

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 0.0


ProgressCallback = Callable[[ProgressEvent], None]


def no_progress(event: ProgressEvent) -> None:
    """A callback that ignores progress."""


@dataclass(frozen=True)
class ProgressReport:
    """Where long work stands, as every progress display shows it.

    Attributes
    ----------
    stage : str
        The event's stage.
    done, total : int
        Units finished and in all (0 when unknown).
    percent : float or None
        ``100 · done / total``, None when the total is unknown.
    eta_s : float or None
        Seconds left at the stage's pace so far (bounded by ``ProgressEvent.time_left_s``); None before the
        pace is known.
    elapsed_s : float
        Seconds since the stage began.
    message : str
        The event's detail.
    """

    stage: str
    done: int
    total: int
    percent: float | None
    eta_s: float | None
    elapsed_s: float
    message: str

    def to_json(self) -> dict[str, Any]:
        """The fields of one ``--progress json`` line."""
        return {"stage": self.stage, "done": self.done, "total": self.total,
                "percent": None if self.percent is None else round(self.percent, 1),
                "eta_s": None if self.eta_s is None else round(self.eta_s, 1),
                "elapsed_s": round(self.elapsed_s, 1), "message": self.message}


def format_duration(seconds: float | None) -> str:
    """``m:ss`` (``h:mm:ss`` from an hour), ``?`` when unknown.

    >>> format_duration(75.4), format_duration(3725), format_duration(None)
    ('1:15', '1:02:05', '?')
    """
    if seconds is None:
        return "?"
    whole = int(round(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class ProgressTracker:
    """Percent and ETA per stage from a stream of ``ProgressEvent``, and a rate limit for printed lines.

    A stage starts when the stage name changes or ``done`` goes backwards (a second render of the demo); its
    pace is measured from its first event. ``due`` says whether a report should be printed now: the first
    event of a stage, the last (``done == total``), a new message of work with no known total, and otherwise
    at most once every ``every_s`` seconds.

    Parameters
    ----------
    every_s : float
        Least seconds between two printed lines of the same stage.
    clock : callable
        Monotonic seconds (``time.monotonic``); tests give their own.
    """

    def __init__(self, every_s: float = 5.0, clock: Callable[[], float] = time.monotonic):
        self.every_s = every_s
        self._clock = clock
        self._stage: str | None = None
        self._start = 0.0
        self._start_done = 0
        self._last_done = 0
        self._last_printed: float | None = None
        self._last_printed_done = -1
        self._last_message = ""

    def update(self, event: ProgressEvent) -> tuple[ProgressReport, bool]:
        """The report for ``event`` and whether it is due to be printed."""
        now = self._clock()
        new_stage = event.stage != self._stage or event.done < self._last_done
        if new_stage:
            self._stage, self._start, self._start_done = event.stage, now, event.done
            self._last_printed, self._last_printed_done = None, -1
        self._last_done = event.done
        elapsed = now - self._start
        percent = 100.0 * event.done / event.total if event.total else None
        eta = None
        advanced = event.done - self._start_done
        if event.total and advanced > 0 and elapsed > 0:
            eta = max(0.0, (event.total - event.done) * elapsed / advanced)
        if event.time_left_s is not None:
            eta = event.time_left_s if eta is None else min(eta, event.time_left_s)
        report = ProgressReport(event.stage, event.done, event.total, percent, eta, elapsed, event.detail)
        finished = bool(event.total) and event.done >= event.total and event.done != self._last_printed_done
        fresh_message = not event.total and event.detail != self._last_message
        due = (self._last_printed is None or finished or fresh_message
               or now - self._last_printed >= self.every_s)
        if due:
            self._last_printed, self._last_printed_done = now, event.done
            self._last_message = event.detail
        return report, due


class CancelToken:
    """A thread-safe flag that long work polls; ``cancel()`` may be called from any thread."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self, where: str | None = None) -> None:
        if self._event.is_set():
            raise Cancelled("cancelled by the user", where)
