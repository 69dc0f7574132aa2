"""Error dialogs instead of tracebacks.

A typed ``AnswerprintError`` becomes a dialog with its one line (what and where); anything else that escapes
an event handler becomes a dialog saying it is unexpected, with the traceback written to stderr (the log a
host launch collects) instead of a crash. Dialogs are window-modal but never block the event loop
(``open()``, not ``exec()``), so renders and previews keep going behind them.
"""
from __future__ import annotations

import sys
import traceback
from types import TracebackType

from PySide6.QtWidgets import QMessageBox, QWidget

from answerprint.core.errors import AnswerprintError

TITLE = "answerprint"


def show_error(parent: QWidget, message: str, title: str = TITLE) -> QMessageBox:
    """Show ``message`` (one line) in an error dialog; returns the dialog (already open)."""
    box = QMessageBox(QMessageBox.Icon.Critical, title, message, QMessageBox.StandardButton.Ok, parent)
    box.setObjectName("error_dialog")
    box.open()
    return box


def install_excepthook(parent: QWidget) -> None:
    """Route uncaught exceptions of event handlers to ``show_error`` (tracebacks go to stderr only)."""

    def hook(kind: type[BaseException], error: BaseException, trace: TracebackType | None) -> None:
        if isinstance(error, KeyboardInterrupt):
            sys.__excepthook__(kind, error, trace)
            return
        if isinstance(error, AnswerprintError):
            show_error(parent, error.one_line())
            return
        traceback.print_exception(kind, error, trace, file=sys.stderr)
        show_error(parent, f"unexpected {kind.__name__}: {error} (details in the log)")

    sys.excepthook = hook
