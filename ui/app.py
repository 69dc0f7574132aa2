"""``run_panel``: start the Qt application with the panel, standalone or hosted.

Standalone (the default, no host needed) opens the clips and folders given. Hosted (``--host resolve``, what
Resolve's Workspace › Scripts › answerprint › Panel launches) connects to the host first and opens its
current clips; renders then go back to the host. Errors before the window exists are printed as one line
with the error's exit code, like every answerprint command; after, they are dialogs.
"""
from __future__ import annotations

import signal
import sys

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from answerprint.core.errors import AnswerprintError, Cancelled

from .dialogs import install_excepthook
from .hosts import open_host
from .main_window import MainWindow
from .theme import apply_theme, prepare_application

APPLICATION = "answerprint"
#: How often the event loop lets Python look for Ctrl+C (milliseconds).
INTERRUPT_POLL_MS = 250


def application() -> QApplication:
    """The running ``QApplication``, created (HiDPI-ready, dark theme) when there is none."""
    existing = QApplication.instance()
    if existing is not None:
        return existing
    prepare_application()
    app = QApplication(sys.argv[:1])
    app.setApplicationName(APPLICATION)
    app.setOrganizationName(APPLICATION)
    apply_theme(app)
    return app


def build_panel(media: list[str], production: str | None = None, effect: str | None = None,
                host: str | None = None) -> MainWindow:
    """The panel window with ``media`` (and, hosted, the host's current clips) opened; not yet shown.

    Raises
    ------
    AnswerprintError
        When the host cannot be reached (Resolve not running, scripting off, no project...).
    """
    connected = open_host(host, production) if host else None
    window = MainWindow(production, effect, connected)
    if connected is not None:
        window.open_host_clips()
    if media:
        window.open_media(list(media))
    return window


def run_panel(media: list[str], production: str | None = None, effect: str | None = None,
              host: str | None = None) -> int:
    """Show the panel until it is closed; returns the process exit code."""
    app = application()
    try:
        window = build_panel(media, production, effect, host)
    except AnswerprintError as error:
        print(f"answerprint panel: error: {error.one_line()}", file=sys.stderr)
        return error.exit_code
    install_excepthook(window)
    interrupted = _close_on_interrupt(window)
    window.show()
    code = app.exec()
    return Cancelled.exit_code if interrupted else code


def _close_on_interrupt(window: MainWindow) -> list[int]:
    """Ctrl+C in the terminal closes the window (saving its layout, cancelling renders) instead of hanging.

    Python runs signal handlers only between bytecodes; a timer lets it in while Qt's event loop waits.
    Returns a list that receives the signal number once it has happened.
    """
    received: list[int] = []

    def close(number: int, _frame: object) -> None:
        received.append(number)
        window.close()

    signal.signal(signal.SIGINT, close)
    timer = QTimer(window)
    timer.timeout.connect(lambda: None)
    timer.start(INTERRUPT_POLL_MS)
    return received
