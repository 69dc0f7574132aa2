"""What a job launched from Resolve's menu tells the menu script and, when it outlives it, the colorist.

The menu script starts ``python -m answerprint.plugin.resolve --status FILE --log LOG ACTION`` and waits up to
``HANDSHAKE_SECONDS`` for FILE. The job writes FILE (JSON, schema ``answerprint.resolve-status/1``,
atomically) as it goes:

* ``working``, once Resolve is connected and the job checked (the clips found, the pack found), with what it
  will do; then ``progress`` (0..1) and a line per step as it renders;
* ``done`` or ``failed`` at the end, with a one-line message.

The menu script prints what it read in Resolve's Console (a failure also in a small dialog), with LOG's path.
A job that was still going when the menu script stopped waiting (it said ``working``, or it took longer than
``HANDSHAKE_SECONDS``) ends with a desktop notification (``notify``) of its outcome and LOG's path.
Standard library only.
"""
from __future__ import annotations

import json
import os
import time
from typing import Callable

from answerprint.core.atomic import write_atomically

from .notify import notify

SCHEMA = "answerprint.resolve-status/1"
#: Longest wait of a menu script for a job to say it is working, has finished or has failed (seconds).
HANDSHAKE_SECONDS = 10.0


class JobStatus:
    """The status file of one job; does nothing when the job was not launched by a menu script (``path`` None).

    Parameters
    ----------
    path : str, optional
        The status file the menu script named.
    log : str, optional
        The log the job's output goes to (named in messages).
    title : str
        The job as the colorist knows it (``Cleanup``, ``Color Match``...).
    clock : callable
        Seconds, monotonic (tests pass their own).
    notifier : callable
        ``notifier(title, text)`` shows a desktop notification (default ``notify.notify``).
    """

    def __init__(self, path: str | None, log: str | None, title: str, clock: Callable[[], float] = time.monotonic,
                 notifier: Callable[[str, str], bool] = notify):
        self.path, self.log, self.title = path, log, title
        self._clock, self._notifier = clock, notifier
        self._started = clock()
        self._said_working = False
        self._data: dict = {}

    def _write(self, **values: object) -> None:
        if self.path is None:
            return
        self._data.update(values, schema=SCHEMA, pid=os.getpid(), log=self.log, updated=time.time())
        try:
            write_atomically(self.path, json.dumps(self._data))
        except OSError:
            pass  # the log still has every message

    def working(self, message: str) -> None:
        """The job is checked and under way: ``message`` says what it does."""
        self._said_working = True
        self._write(state="working", message=message, progress=0.0)

    def progress(self, fraction: float, message: str) -> None:
        """How far the job is (0..1) and its current step."""
        self._write(progress=round(float(fraction), 3), step=message)

    def finished(self, exit_code: int, message: str) -> None:
        """The job ended: ``done`` (exit code 0) or ``failed``; a notification when the menu script had gone."""
        state = "done" if exit_code == 0 else "failed"
        self._write(state=state, message=message, exit_code=exit_code, progress=1.0 if exit_code == 0 else None)
        outlived_menu = self._said_working or self._clock() - self._started >= HANDSHAKE_SECONDS
        if self.path is not None and outlived_menu:
            details = f" Details: {self.log}" if self.log else ""
            verb = "finished" if exit_code == 0 else "failed"
            self._notifier(f"answerprint {self.title} {verb}", f"{message}.{details}")
