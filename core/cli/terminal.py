"""How long work shows its progress on the command line, and Ctrl-C as cancellation.

One event stream (``core.progress``), three displays chosen by ``--progress``:

* ``bar`` — a rich progress bar on stderr (the default on a terminal);
* ``lines`` — plain lines on stderr, at most one per ``--progress-every`` seconds (default 5) per stage plus the
  first and last: ``answerprint apply: render 42% (21/50 frames) eta 0:12 · frame 1020`` (the default when
  stderr is not a terminal: a log file, a farm job, the Resolve console);
* ``json`` — one JSON object per line on stdout (``stage``, ``done``, ``total``, ``percent``, ``eta_s``,
  ``elapsed_s``, ``message``), at most one per ``--progress-every`` seconds (default 1), for farm managers
  and hosts;
* ``none`` — nothing.

``$ANSWERPRINT_PROGRESS`` sets the default mode (a farm task, ``python -m answerprint.core.farm``, reads it too).

``rich`` is imported only when a bar or a console is asked for: every command pays for what it shows.
"""
from __future__ import annotations

import argparse
import contextlib
import functools
import json
import os
import signal
import sys
from typing import TYPE_CHECKING, Iterator

from ..progress import CancelToken, ProgressCallback, ProgressEvent, ProgressReport, ProgressTracker, format_duration

if TYPE_CHECKING:
    from rich.console import Console

#: ``--progress`` values.
PROGRESS_MODES = ("auto", "bar", "lines", "json", "none")
#: Least seconds between two printed lines of one stage, per mode (``--progress-every`` overrides).
DEFAULT_EVERY_S = {"lines": 5.0, "json": 1.0}
#: What ``done``/``total`` count, per stage, in plain lines.
UNITS = {"render": "frames", "train": "steps", "prepare": "frames", "sample dailies": "clips",
         "look pairs": "pairs"}


@functools.lru_cache(maxsize=1)
def console() -> "Console":
    """The console on stderr for messages (no wrapping: a log line stays one line)."""
    from rich.console import Console

    return Console(stderr=True, soft_wrap=True, highlight=False)


def add_progress_options(parser: argparse.ArgumentParser) -> None:
    """``--progress`` and ``--progress-every``, for every command doing long work."""
    group = parser.add_argument_group("progress")
    group.add_argument("--progress", choices=PROGRESS_MODES, default=mode_from_environment(),
                       help="bar on a terminal, plain lines otherwise (auto, the default, or $ANSWERPRINT_PROGRESS); "
                            "json: one JSON object per line on stdout for farms and hosts; none")
    group.add_argument("--progress-every", type=float, metavar="SECONDS",
                       help="least seconds between two progress lines (default 5 for lines, 1 for json)")


def mode_from_environment() -> str:
    """``$ANSWERPRINT_PROGRESS`` when it names a mode, else ``auto``."""
    mode = os.environ.get("ANSWERPRINT_PROGRESS", "auto")
    return mode if mode in PROGRESS_MODES else "auto"


def resolve_mode(mode: str = "auto") -> str:
    """``auto`` as ``bar`` when stderr is a terminal, else ``lines``; other modes unchanged."""
    if mode != "auto":
        return mode
    return "bar" if sys.stderr.isatty() else "lines"


def plain_line(label: str, report: ProgressReport) -> str:
    """One plain progress line: ``answerprint apply: render 42% (21/50 frames) eta 0:12 · frame 1020``."""
    unit = UNITS.get(report.stage, "")
    if report.total:
        text = f"{label}: {report.stage} {report.percent:.0f}% ({report.done}/{report.total}{' ' + unit if unit else ''})"
        text += f" eta {format_duration(report.eta_s)}"
    else:
        text = f"{label}: {report.stage}"
    return text + (f" · {report.message}" if report.message else "")


def _line_printer(label: str, mode: str, every_s: float | None) -> ProgressCallback:
    """A callback printing rate-limited plain lines on stderr, or JSON lines on stdout."""
    tracker = ProgressTracker(DEFAULT_EVERY_S[mode] if every_s is None else every_s)

    def callback(event: ProgressEvent) -> None:
        report, due = tracker.update(event)
        if not due:
            return
        if mode == "json":
            sys.stdout.write(json.dumps(report.to_json()) + "\n")
            sys.stdout.flush()
        else:
            sys.stderr.write(plain_line(label, report) + "\n")
            sys.stderr.flush()

    return callback


@contextlib.contextmanager
def _bar(description: str) -> Iterator[ProgressCallback]:
    """A rich bar on stderr whose description follows the stage, with the ETA of ``ProgressTracker``."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    tracker = ProgressTracker()
    columns = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
               TextColumn("eta {task.fields[eta]}"), TextColumn("{task.fields[detail]}"))
    with Progress(*columns, console=console(), transient=False) as bar:
        task = bar.add_task(description, total=None, detail="", eta="?")

        def callback(event: ProgressEvent) -> None:
            report, due = tracker.update(event)
            if due and not event.total and event.detail:
                bar.console.print(f"{event.stage}: {event.detail}", markup=False)
            shown = f"{description} · {event.stage}" if event.stage and event.stage != description else description
            bar.update(task, description=shown, completed=event.done, total=event.total or None,
                       detail=event.detail, eta=format_duration(report.eta_s))

        yield callback


@contextlib.contextmanager
def progress_output(description: str, mode: str = "auto",
                    every_s: float | None = None) -> Iterator[tuple[ProgressCallback, CancelToken]]:
    """Show progress as ``mode`` says (see the module docstring) and let Ctrl-C cancel.

    Parameters
    ----------
    description : str
        What runs, e.g. ``"apply exposure"``; plain lines start with ``answerprint <description>:``.
    mode : str
        One of ``PROGRESS_MODES``.
    every_s : float, optional
        Least seconds between two lines of one stage (``lines`` and ``json``).

    Yields
    ------
    (callback, CancelToken)
        Hand both to the long work.
    """
    cancel = CancelToken()
    previous = signal.getsignal(signal.SIGINT)
    shown = resolve_mode(mode)
    signal.signal(signal.SIGINT, lambda signum, frame: cancel.cancel())
    try:
        if shown == "bar":
            with _bar(description) as callback:
                yield callback, cancel
        elif shown in DEFAULT_EVERY_S:
            yield _line_printer(f"answerprint {description}", shown, every_s), cancel
        else:
            yield (lambda event: None), cancel
    finally:
        signal.signal(signal.SIGINT, previous)


def progress_for(args: argparse.Namespace,
                 description: str) -> contextlib.AbstractContextManager[tuple[ProgressCallback, CancelToken]]:
    """``progress_output`` with the ``--progress`` options of ``args`` (defaults when the command has none)."""
    return progress_output(description, getattr(args, "progress", "auto"), getattr(args, "progress_every", None))
