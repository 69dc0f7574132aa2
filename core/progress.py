"""Progress reporting and cancellation for long work (renders, training, verification).

Hosts and the panel pass a callback; the terminal gets a rich progress bar (see ``cli``). Cancellation is
cooperative: long loops call ``token.raise_if_cancelled()`` between units of work.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Callable

from .errors import Cancelled


@dataclass(frozen=True)
class ProgressEvent:
    """One step of long work.

    Attributes
    ----------
    done, total : int
        Units finished and units in all (frames for a render, steps for training).
    stage : str
        What is being done, e.g. ``"render"``, ``"hash source"``.
    detail : str
        Free text for a log line, e.g. the frame number just written.
    """

    done: int
    total: int
    stage: str = ""
    detail: str = ""

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 0.0


ProgressCallback = Callable[[ProgressEvent], None]


def no_progress(event: ProgressEvent) -> None:
    """A callback that ignores progress."""


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
