"""Preview refreshes on a worker thread, so the panel never waits for the core.

The panel sends ``PreviewRequest`` values; the worker keeps only the newest one that is waiting (a slider
dragged across fifty values costs one or two refreshes, not fifty), runs it through a
``core.render.preview.PreviewSession`` (reopened only when the clip, effect, pack or colour space change)
and answers with ``ready(request, PreviewFrame)`` or ``failed(request, message)`` (one line, from the typed
error, naming parameters by their panel labels). When the clip opens but the effect cannot run yet (a shot
match before its reference is chosen) the clip is shown untouched and the reason follows, so the viewer never
sits empty. The display and view asked for are applied to the open session (``PreviewSession.set_display``).
While nothing waits, it prepares the next frame, so stepping forward costs only the effect and the display.
Signals cross threads through Qt's queued connections.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal, Slot

from answerprint.core.color.display import DisplayView
from answerprint.core.effects import get_effect
from answerprint.core.errors import AnswerprintError
from answerprint.core.render.preview import PreviewSession, reference_still


@dataclass(frozen=True)
class PreviewRequest:
    """One preview wanted.

    Attributes
    ----------
    source : str
        Movie path or sequence pattern.
    effect : str
        Effect name.
    frame : int
        Source frame number.
    params : dict
        Parameter values (the form's).
    pack, production, input_space : str, optional
        As for a render job.
    reference : (str, int, str or None), optional
        A colour-match reference to show beside the shot: path, frame number (-1: middle), colour space.
    display : DisplayView, optional
        The display and view to show through; None for the clip's default (``color.display``).
    serial : int
        Increasing number the panel gives each request, to recognise the newest answer.
    """

    source: str
    effect: str
    frame: int
    params: dict[str, Any] = field(default_factory=dict)
    pack: str | None = None
    production: str | None = None
    input_space: str | None = None
    reference: tuple[str, int, str | None] | None = None
    display: DisplayView | None = None
    serial: int = 0

    def session_key(self) -> tuple:
        return self.source, self.effect, self.pack, self.production, self.input_space


class PreviewWorker(QObject):
    """Runs previews; lives on its own ``QThread`` (see ``start_preview_thread``).

    Signals
    -------
    ready(PreviewRequest, PreviewFrame, ndarray or None)
        The refreshed frame, and the reference frame for the display when the request names one.
    failed(PreviewRequest, str)
        Why the request could not be shown, in one line.
    """

    ready = Signal(object, object, object)
    failed = Signal(object, str)
    _wake = Signal()

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._pending: PreviewRequest | None = None
        self._session: PreviewSession | None = None
        self._session_key: tuple | None = None
        self._reference: tuple[tuple, object] | None = None
        self._wake.connect(self._run_pending)

    def submit(self, request: PreviewRequest) -> None:
        """Ask for ``request`` (from any thread); replaces a request still waiting."""
        with self._lock:
            self._pending = request
        self._wake.emit()

    @Slot()
    def _run_pending(self) -> None:
        with self._lock:
            request, self._pending = self._pending, None
        if request is None:
            return
        session = None
        try:
            session = self._session_for(request)
            session.set_display(request.display)
            frame = session.render(request.frame, request.params)
            reference = self._reference_for(request, session)
        except AnswerprintError as error:
            self._show_untouched(session, request)
            self.failed.emit(request, panel_message(error, request.effect))
            return
        except Exception as error:  # a bug must reach the user as a dialog, not kill the worker thread
            self.failed.emit(request, f"unexpected {type(error).__name__}: {error}")
            return
        self.ready.emit(request, frame, reference)
        with self._lock:
            idle = self._pending is None
        if idle:
            self._prefetch(session, request.frame + 1)

    def _prefetch(self, session: PreviewSession, frame_number: int) -> None:
        """Prepare the next frame while the user looks at this one; a failure shows when it is asked for."""
        try:
            session.prefetch(frame_number)
        except AnswerprintError:
            return

    def _show_untouched(self, session: PreviewSession | None, request: PreviewRequest) -> None:
        """The clip as it is, when it opened but the effect could not run (the reason is sent next)."""
        if session is None:
            return
        try:
            self.ready.emit(request, session.render_untouched(request.frame), None)
        except AnswerprintError:
            return

    def _reference_for(self, request: PreviewRequest, session: PreviewSession) -> object:
        if request.reference is None:
            return None
        key = (request.reference, session.display_view)
        if self._reference is None or self._reference[0] != key:
            path, frame, space = request.reference
            self._reference = (key, reference_still(path, frame, space, display_view=session.display_view))
        return self._reference[1]

    def _session_for(self, request: PreviewRequest) -> PreviewSession:
        if self._session is None or self._session_key != request.session_key():
            self.close()
            self._session = PreviewSession(request.source, request.effect, pack=request.pack,
                                           production=request.production, input_space=request.input_space)
            self._session_key = request.session_key()
        return self._session

    @Slot()
    def close(self) -> None:
        """Release the open session (on the worker's thread)."""
        if self._session is not None:
            self._session.close()
            self._session, self._session_key = None, None


def panel_message(error: AnswerprintError, effect: str) -> str:
    """``error`` in one line, a parameter named by its panel label (``Reference``) rather than ``--param reference``."""
    where = (error.where or "").removeprefix("--param ")
    try:
        params = get_effect(effect).params
        label = params[where].label if where in params.names else ""
    except AnswerprintError:
        label = ""
    return f"{label or where}: {error.what}" if (label or where) else error.what


def start_preview_thread(parent: QObject) -> tuple[PreviewWorker, QThread]:
    """A ``PreviewWorker`` running on a new, started ``QThread`` owned by ``parent``.

    Stop it with ``stop_preview_thread``.
    """
    thread = QThread(parent)
    thread.setObjectName("answerprint-preview")
    worker = PreviewWorker()
    worker.moveToThread(thread)
    thread.start()
    return worker, thread


def stop_preview_thread(worker: PreviewWorker, thread: QThread) -> None:
    """Let the current refresh finish, release the session and end the thread."""
    thread.quit()
    thread.wait()
    worker.close()
