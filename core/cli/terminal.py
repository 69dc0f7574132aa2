"""Terminal helpers: a rich progress bar bound to a ``ProgressCallback``, and Ctrl-C as cancellation."""
from __future__ import annotations

import contextlib
import signal
import sys
from typing import Iterator

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from ..progress import CancelToken, ProgressCallback, ProgressEvent

console = Console(stderr=True)


@contextlib.contextmanager
def progress_bar(description: str) -> Iterator[tuple[ProgressCallback, CancelToken]]:
    """A progress bar on stderr (hidden when stderr is not a terminal) and a token that Ctrl-C cancels."""
    cancel = CancelToken()
    previous = signal.getsignal(signal.SIGINT)

    def on_interrupt(signum: int, frame: object) -> None:
        cancel.cancel()

    columns = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
               TextColumn("eta"), TimeRemainingColumn(), TextColumn("{task.fields[detail]}"))
    with Progress(*columns, console=console, disable=not sys.stderr.isatty(), transient=False) as bar:
        task = bar.add_task(description, total=None, detail="")

        def callback(event: ProgressEvent) -> None:
            bar.update(task, completed=event.done, total=event.total or None, detail=event.detail)

        signal.signal(signal.SIGINT, on_interrupt)
        try:
            yield callback, cancel
        finally:
            signal.signal(signal.SIGINT, previous)
