"""The panel's main window: effect panel on the left; viewer, model library and render queue in tabs.

It wires the parts together: parameter changes and frame moves ask the preview worker for a refresh (the
newest answer wins), light handles dragged on the viewer write their parameters back, the Render button
queues a core ``RenderJob`` (in hosted mode one the host will take back), and the window remembers its
production, effect, folder and layout between sessions. View › Display and View › View transform choose how
the viewer shows pictures among the OCIO config's displays and views (remembered per production; Automatic
shows a video clip on its own display at its own code values, scene-referred footage through the ACES SDR
view); the status bar says which is active. Cleanup opens at 1:1 on the busiest part of the frame, where
grain and detail are judged.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QKeySequence
from PySide6.QtWidgets import QFileDialog, QLabel, QMainWindow, QSplitter, QTabWidget

from answerprint.core.color.display import DisplayView, display_views
from answerprint.core.effects import get_effect
from answerprint.core.errors import AnswerprintError
from answerprint.core.frames import probe
from answerprint.core.frames.timecode import offset_timecode
from answerprint.core.render import RenderJob
from answerprint.core.render.detail import busiest_region
from answerprint.core.render.preview import PreviewFrame

from . import theme
from .dialogs import show_error
from .effect_panel import EffectPanel
from .library_view import LibraryView
from .media_browser import clips_of
from .preview_worker import PreviewRequest, start_preview_thread, stop_preview_thread
from .queue_view import QueueView
from .render_queue import RenderQueue
from .settings import panel_settings
from .viewer import ScreenHandle
from .viewer_panel import ViewerPanel

#: Folder, beside the source, that standalone renders go to.
RENDER_FOLDER = "answerprint_renders"
#: What the Display menu's first item stores: follow each clip's own display.
AUTOMATIC = "automatic"
_SEQUENCE_FIELD = re.compile(r"[._]?(%0?\d*d|#+)$")


@dataclass
class PanelClip:
    """A clip the panel works on: what the list shows, what the core opens, the frames it offers."""

    label: str
    path: str
    first: int
    last: int
    timecode: str | None = None
    frame_rate: Any = None
    host_clip: Any = None


def next_output(folder: str, source: str, effect: str) -> str:
    """``<folder>/<source stem>.<effect>.v<NNN>.mov`` with the first version not on disk (never overwrites)."""
    stem = _SEQUENCE_FIELD.sub("", os.path.splitext(os.path.basename(source))[0]) or "frames"
    version = 1
    while os.path.exists(os.path.join(folder, f"{stem}.{effect}.v{version:03d}.mov")):
        version += 1
    return os.path.join(folder, f"{stem}.{effect}.v{version:03d}.mov")


class MainWindow(QMainWindow):
    """The panel (see the module docstring).

    Parameters
    ----------
    production : str, optional
        Production whose packs the library shows; default the last one used.
    effect : str, optional
        Effect shown first; default the last one used.
    host : object, optional
        A connected host (``hosts.open_host``): its current clips are opened and renders go back to it.
    settings : QSettings, optional
        Where to remember things; default ``settings.panel_settings()``.
    """

    def __init__(self, production: str | None = None, effect: str | None = None, host: Any = None,
                 settings: QSettings | None = None):
        super().__init__()
        self.setObjectName("answerprint_panel")
        self.setWindowTitle("answerprint" + (f" — in {host.name}" if host else ""))
        self.settings = settings or panel_settings()
        self.host = host
        self.clips: list[PanelClip] = []
        self.last_frame: PreviewFrame | None = None
        self.last_error: str | None = None
        self.display_choice: DisplayView | None = None
        self._serial = 0
        self._shown_serial = -1
        self._focused: tuple[str, str] | None = None

        self.render_queue = RenderQueue(self)
        self.effect_panel = EffectPanel()
        self.viewer_panel = ViewerPanel()
        self.viewer = self.viewer_panel.viewer
        self.library = LibraryView()
        self.queue_view = QueueView(self.render_queue)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("tabs")
        for widget, title in ((self.viewer_panel, "Viewer"), (self.library, "Model library"),
                              (self.queue_view, "Render queue")):
            self.tabs.addTab(widget, title)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("main_splitter")
        self.splitter.addWidget(self.effect_panel)
        self.splitter.addWidget(self.tabs)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([420, 1060])
        self.setCentralWidget(self.splitter)
        self.statusBar().showMessage("Open a clip or a folder of clips (Ctrl+O, Ctrl+Shift+O)")
        self.display_status = QLabel("")
        self.display_status.setObjectName("display_status")
        self.statusBar().addPermanentWidget(self.display_status)
        self._add_actions()

        self.worker, self._thread = start_preview_thread(self)
        self.worker.ready.connect(self._preview_ready)
        self.worker.failed.connect(self._preview_failed)
        self.effect_panel.settings_changed.connect(self._settings_changed)
        self.effect_panel.clip_chosen.connect(self._clip_chosen)
        self.effect_panel.render_requested.connect(self.render_current)
        self.viewer_panel.frame_changed.connect(lambda *_: self.request_preview())
        self.viewer.handle_moved.connect(self._handle_moved)
        self.viewer.radius_moved.connect(self._radius_moved)
        self.library.production_changed.connect(self._production_changed)
        self.library.pack_chosen.connect(self._pack_chosen)
        self.library.message.connect(lambda text: self.statusBar().showMessage(text, 10000))
        self.library.error.connect(self.show_error)
        self.render_queue.finished.connect(self._job_finished)

        self.library.load_productions(production or self.settings.value("production"))
        self._production_changed(self.library.current_production() or "")
        self.effect_panel.set_effect(effect or self.settings.value("effect", ""))
        self._update_handles()
        self._restore_layout()

    # -- menus and shortcuts ---------------------------------------------------------------------------------
    def _add_actions(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        view_menu = self.menuBar().addMenu("&View")
        for menu, text, key, slot in (
                (file_menu, "Open clip…", QKeySequence.StandardKey.Open, self.open_clip_dialog),
                (file_menu, "Open folder…", "Ctrl+Shift+O", self.open_folder_dialog),
                (file_menu, "Render current clip", "Ctrl+R", self.render_current),
                (file_menu, "Quit", QKeySequence.StandardKey.Quit, self.close),
                (view_menu, "Viewer", "Ctrl+1", lambda: self.tabs.setCurrentIndex(0)),
                (view_menu, "Model library", "Ctrl+2", lambda: self.tabs.setCurrentIndex(1)),
                (view_menu, "Render queue", "Ctrl+3", lambda: self.tabs.setCurrentIndex(2))):
            action = QAction(text, self)
            action.setShortcut(QKeySequence(key))
            action.triggered.connect(slot)
            menu.addAction(action)
        view_menu.addSeparator()
        self.display_menu = view_menu.addMenu("Display")
        self.display_menu.setObjectName("display_menu")
        self.view_menu = view_menu.addMenu("View transform")
        self.view_menu.setObjectName("view_transform_menu")
        self._display_group = QActionGroup(self)
        automatic = self.display_menu.addAction("Automatic: a video clip on its own display, log and linear "
                                                "through the ACES SDR view")
        automatic.setCheckable(True)
        automatic.setData(AUTOMATIC)
        self._display_group.addAction(automatic)
        self.display_menu.addSeparator()
        for display in dict.fromkeys(choice.display for choice in display_views()):
            action = self.display_menu.addAction(display)
            action.setCheckable(True)
            action.setData(display)
            self._display_group.addAction(action)
        self._display_group.triggered.connect(self._display_picked)

    # -- display and view ------------------------------------------------------------------------------------
    def set_display_choice(self, choice: DisplayView | None) -> None:
        """Show pictures through ``choice`` (None: each clip's default), remember it for the production, refresh."""
        self.display_choice = choice
        self.settings.setValue(self._display_key(), choice.to_text() if choice else AUTOMATIC)
        self._sync_display_menus()
        self.request_preview()

    def _display_key(self) -> str:
        return f"display/{self.library.current_production() or '_'}"

    def _display_picked(self, action: QAction) -> None:
        if action.data() == AUTOMATIC:
            self.set_display_choice(None)
            return
        display = str(action.data())
        views = [c.view for c in display_views() if c.display == display]
        current = self.display_choice or (self.last_frame.display if self.last_frame else None)
        keep = current.view if current and current.view in views else views[0]
        self.set_display_choice(DisplayView(display, keep))

    def _sync_display_menus(self) -> None:
        """Tick the chosen display and list its views (none to choose while Automatic)."""
        chosen = AUTOMATIC if self.display_choice is None else self.display_choice.display
        for action in self._display_group.actions():
            action.setChecked(action.data() == chosen)
        self.view_menu.clear()
        self.view_menu.setEnabled(self.display_choice is not None)
        if self.display_choice is None:
            return
        group = QActionGroup(self.view_menu)
        for choice in display_views():
            if choice.display == self.display_choice.display:
                action = self.view_menu.addAction(choice.view)
                action.setCheckable(True)
                action.setChecked(choice == self.display_choice)
                action.triggered.connect(lambda _=False, c=choice: self.set_display_choice(c))
                group.addAction(action)

    def _load_display_choice(self) -> None:
        stored = str(self.settings.value(self._display_key(), AUTOMATIC))
        choice = DisplayView.from_text(stored)
        self.display_choice = choice if choice in display_views() else None
        self._sync_display_menus()

    def _show_display(self, frame: PreviewFrame) -> None:
        if frame.display is not None:
            how = "automatic" if self.display_choice is None else "chosen"
            self.display_status.setText(f"Display: {frame.display.label} ({how})")

    def show_error(self, message: str) -> None:
        """An error dialog with ``message`` (one line); remembered in ``last_error``."""
        self.last_error = message
        show_error(self, message)

    # -- clips -----------------------------------------------------------------------------------------------
    def open_clip_dialog(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Open clips", str(self.settings.value("folder", "")))
        if paths:
            self.open_media(paths)

    def open_folder_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open a folder of clips",
                                                  str(self.settings.value("folder", "")))
        if folder:
            self.open_media([folder])

    def open_media(self, paths: list[str]) -> None:
        """Add clips (folders: the movies, sequences and stills inside, as ``core.inputs`` decides) and show the
        first one added; the status bar says what each was read as, an error dialog what could not be read."""
        decided: list[str] = []
        clips = clips_of(paths, decided.append, lambda error: self.show_error(error.one_line()))
        for clip in clips:
            self._add_clip(PanelClip(os.path.basename(clip.path), clip.path, clip.first_frame, clip.last_frame,
                                     clip.info.timecode, clip.info.frame_rate))
        if decided:
            self.statusBar().showMessage("; ".join(decided), 20000)
        if paths:
            folder = paths[0] if os.path.isdir(paths[0]) else os.path.dirname(os.path.abspath(paths[0]))
            self.settings.setValue("folder", folder)
        if clips:
            self.effect_panel.clips.setCurrentRow(len(self.clips) - len(clips))

    def open_host_clips(self) -> None:
        """Open the host's current clips (hosted mode); items it cannot render are listed in the status bar."""
        clips, skipped = self.host.current_clips()
        for clip in clips:
            info = probe(clip.path)
            self._add_clip(PanelClip(clip.label, clip.path, clip.first, clip.last, info.timecode, info.frame_rate,
                                     clip))
        if skipped:
            self.statusBar().showMessage("; ".join(skipped), 20000)
        if clips:
            self.effect_panel.clips.setCurrentRow(0)

    def _add_clip(self, clip: PanelClip) -> None:
        self.clips.append(clip)
        self.effect_panel.clips.addItem(f"{clip.label}  [{clip.first}-{clip.last}]")

    def current_clip(self) -> PanelClip | None:
        row = self.effect_panel.clips.currentRow()
        return self.clips[row] if 0 <= row < len(self.clips) else None

    def _clip_chosen(self, row: int) -> None:
        clip = self.current_clip()
        if clip is not None:
            self.viewer_panel.set_range(clip.first, clip.last)

    # -- preview ---------------------------------------------------------------------------------------------
    def request_preview(self) -> PreviewRequest | None:
        """Ask the worker for the current clip, frame, effect and parameters; returns the request sent."""
        clip = self.current_clip()
        if clip is None:
            return None
        params = self.effect_panel.values()
        self._serial += 1
        request = PreviewRequest(clip.path, self.effect_panel.effect_name(), self.viewer_panel.frame.value(),
                                 params, self.effect_panel.pack_path(), self.library.current_production(),
                                 self.effect_panel.input_space_name(), self._reference(params), self.display_choice,
                                 self._serial)
        self.worker.submit(request)
        if clip.timecode and clip.frame_rate:
            self.viewer_panel.timecode.setText(offset_timecode(clip.timecode, request.frame - clip.first,
                                                               clip.frame_rate))
        return request

    def _reference(self, params: dict[str, Any]) -> tuple[str, int, str | None] | None:
        form = self.effect_panel.form
        names = [p.name for p in form.schema if p.widget == "reference"] if form else []
        if not names or not params.get(names[0]):
            return None
        return params[names[0]], int(params.get(f"{names[0]}_frame", -1)), params.get(f"{names[0]}_space")

    def _preview_ready(self, request: PreviewRequest, frame: PreviewFrame, reference: Any) -> None:
        if request.serial < self._shown_serial:
            return
        self._shown_serial = request.serial
        self.last_frame = frame
        if self.effect_panel.form is not None and request.effect == self.effect_panel.effect_name():
            self.effect_panel.form.set_unavailable(frame.unavailable)
        self.viewer.set_frames(frame.before, frame.after)
        self.viewer.set_reference(reference)
        self._show_display(frame)
        self._focus_detail(request, frame)
        timing = f"{frame.apply_seconds * 1000:.0f} ms"
        if frame.compile_seconds:
            timing += f" + compile {frame.compile_seconds:.2f} s"
        notes = f" — {'; '.join(frame.notes)}" if frame.notes else ""
        self.viewer_panel.status.setStyleSheet("")
        self.viewer_panel.status.setText(f"frame {frame.frame_number} · {frame.after.shape[1]}x{frame.after.shape[0]} "
                                         f"proxy · {request.effect} · {timing}{notes}")

    def _preview_failed(self, request: PreviewRequest, message: str) -> None:
        if request.serial < self._shown_serial:
            return
        self._shown_serial = request.serial
        self.last_error = message
        self.viewer_panel.status.setStyleSheet(f"color: {theme.ERROR}")
        self.viewer_panel.status.setText(f"preview: {message}")

    def _focus_detail(self, request: PreviewRequest, frame: PreviewFrame) -> None:
        """The first time an effect tagged ``detail`` shows a clip: 1:1 on the busiest part of the frame."""
        if "detail" not in get_effect(request.effect).tags or self._focused == (request.source, request.effect):
            return
        self._focused = (request.source, request.effect)
        x, y = busiest_region(frame.before)
        self.viewer.show_region(x, y, 1.0)

    def _settings_changed(self) -> None:
        self._update_handles()
        self.request_preview()

    # -- screen handles (light position and radius) ----------------------------------------------------------
    def _update_handles(self) -> None:
        form = self.effect_panel.form
        if form is None:
            return
        values = form.values()
        radii = form.screen_radii()
        self.viewer.set_handles([ScreenHandle(prefix, values[x], values[y],
                                              values[radii[prefix]] if prefix in radii else None)
                                 for prefix, x, y in form.screen_points()])

    def _handle_moved(self, prefix: str, x: float, y: float) -> None:
        editors = self.effect_panel.form.editors
        editors[f"{prefix}_x"].set_value(round(x, 4))
        editors[f"{prefix}_y"].set_value(round(y, 4))

    def _radius_moved(self, prefix: str, radius: float) -> None:
        form = self.effect_panel.form
        param = form.schema[form.screen_radii()[prefix]]
        low = param.minimum if param.minimum is not None else 0.0
        high = param.maximum if param.maximum is not None else radius
        form.editors[param.name].set_value(round(min(max(radius, low), high), 4))

    # -- library ---------------------------------------------------------------------------------------------
    def _production_changed(self, production: str) -> None:
        if production:
            self.settings.setValue("production", production)
        self._load_display_choice()
        self.request_preview()
        self.effect_panel.set_library_packs([(e.manifest.effect, str(e.path)) for e in self.library.entries
                                             if e.verified and e.manifest])

    def _pack_chosen(self, effect: str, path: str) -> None:
        self.effect_panel.set_effect(effect)
        self.effect_panel.set_pack(path)
        self.tabs.setCurrentIndex(0)

    # -- render ----------------------------------------------------------------------------------------------
    def render_job(self) -> RenderJob | None:
        """The job the Render button queues for the current clip, effect, pack and parameters."""
        clip = self.current_clip()
        if clip is None:
            return None
        effect, params = self.effect_panel.effect_name(), self.effect_panel.values()
        params = {name: value for name, value in params.items() if value is not None}
        pack, space = self.effect_panel.pack_path(), self.effect_panel.input_space_name()
        if clip.host_clip is not None:
            return self.host.job_for(clip.host_clip, effect, params, pack, space)
        folder = os.path.join(os.path.dirname(os.path.abspath(clip.path)), RENDER_FOLDER)
        os.makedirs(folder, exist_ok=True)
        return RenderJob(clip.path, next_output(folder, clip.path, effect), effect, params, pack, input_space=space,
                         production=self.library.current_production())

    def render_current(self) -> None:
        """Queue the current clip's render (Ctrl+R)."""
        try:
            job = self.render_job()
        except (AnswerprintError, OSError) as error:
            self.show_error(error.one_line() if isinstance(error, AnswerprintError) else str(error))
            return
        if job is None:
            self.show_error("open a clip first (Ctrl+O)")
            return
        clip = self.current_clip()
        self.render_queue.add(job, clip.host_clip, self.host if clip.host_clip is not None else None)
        self.statusBar().showMessage(f"queued {job.effect} → {job.output} (Ctrl+3 shows the queue)", 10000)

    def _job_finished(self, entry: Any) -> None:
        self.statusBar().showMessage(f"job {entry.number}: {entry.log[-1]}", 15000)
        if entry.state == "failed":
            self.show_error(entry.log[-1].removeprefix("failed: "))

    # -- layout memory ---------------------------------------------------------------------------------------
    def _restore_layout(self) -> None:
        geometry, state = self.settings.value("geometry"), self.settings.value("splitter")
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1480, 900)
        if state is not None:
            self.splitter.restoreState(state)
        self.tabs.setCurrentIndex(int(self.settings.value("tab", 0)))
        self.viewer.set_mode(str(self.settings.value("viewer_mode", self.viewer.mode)))

    def save_layout(self) -> None:
        """Remember production, effect, window geometry, splitter, tab and viewer mode."""
        self.settings.setValue("geometry", self.saveGeometry())
        self.settings.setValue("splitter", self.splitter.saveState())
        self.settings.setValue("tab", self.tabs.currentIndex())
        self.settings.setValue("viewer_mode", self.viewer.mode)
        self.settings.setValue("effect", self.effect_panel.effect_name())
        self.settings.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_layout()
        self.render_queue.shutdown()
        stop_preview_thread(self.worker, self._thread)
        super().closeEvent(event)


__all__ = ["MainWindow", "PanelClip", "next_output"]
