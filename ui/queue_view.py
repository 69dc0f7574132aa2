"""The render queue as a table: one row per job with a progress bar, ETA, state and cancel; the log below.

Everything shown comes from ``render_queue.RenderQueue``'s signals; the ETA column is refreshed once a second.
"""
from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (QHBoxLayout, QHeaderView, QPlainTextEdit, QProgressBar, QPushButton, QSplitter,
                               QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from .render_queue import RUNNING, WAITING, QueuedJob, RenderQueue

COLUMNS = ("job", "progress", "ETA", "state")


def format_eta(seconds: float | None) -> str:
    """``1:05`` for 65 s, ``1:02:03`` past an hour, ``–`` when unknown."""
    if seconds is None:
        return "–"
    whole = int(round(seconds))
    hours, rest = divmod(whole, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


class QueueView(QWidget):
    """Jobs, progress bars, ETA, cancel and the selected job's log."""

    def __init__(self, render_queue: RenderQueue, parent: QWidget | None = None):
        super().__init__(parent)
        self.queue = render_queue
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("queue_table")
        self.table.setHorizontalHeaderLabels([c.capitalize() if c != "ETA" else c for c in COLUMNS])
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.setColumnWidth(1, 220)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.log = QPlainTextEdit()
        self.log.setObjectName("queue_log")
        self.log.setReadOnly(True)
        self.cancel_button = QPushButton("Cancel job")
        self.cancel_button.setObjectName("cancel_job")
        self.cancel_button.setShortcut("Ctrl+.")
        self.cancel_button.setToolTip("Cancel the selected job (Ctrl+.)")
        self.cancel_button.clicked.connect(self.cancel_selected)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(self.log)
        splitter.setSizes([300, 150])
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)
        layout.addLayout(buttons)
        self._rows: dict[int, int] = {}
        render_queue.changed.connect(self.show_job)
        self.table.itemSelectionChanged.connect(self._show_log)
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._tick)
        self._timer.start(1000)

    def _row(self, entry: QueuedJob) -> int:
        if entry.number not in self._rows:
            row = self.table.rowCount()
            self.table.insertRow(row)
            self.table.setItem(row, 0, QTableWidgetItem(entry.label))
            bar = QProgressBar()
            bar.setRange(0, 1000)
            self.table.setCellWidget(row, 1, bar)
            self.table.setItem(row, 2, QTableWidgetItem("–"))
            self.table.setItem(row, 3, QTableWidgetItem(entry.state))
            self._rows[entry.number] = row
            self.table.selectRow(row)
        return self._rows[entry.number]

    def show_job(self, entry: QueuedJob) -> None:
        """Update the row of ``entry`` (added when new)."""
        row = self._row(entry)
        bar = self.table.cellWidget(row, 1)
        bar.setValue(int(entry.fraction * 1000))
        bar.setFormat(f"{entry.done}/{entry.total} frames" if entry.total else entry.state)
        self.table.item(row, 2).setText(format_eta(entry.eta_seconds()))
        self.table.item(row, 3).setText(entry.state)
        if self.selected() is entry:
            self._show_log()

    def selected(self) -> QueuedJob | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        number = next(n for n, r in self._rows.items() if r == rows[0].row())
        return next(e for e in self.queue.jobs if e.number == number)

    def cancel_selected(self) -> None:
        entry = self.selected()
        if entry is not None and entry.state in (WAITING, RUNNING):
            self.queue.cancel(entry)

    def _show_log(self) -> None:
        entry = self.selected()
        text = "\n".join(entry.log) if entry else ""
        if text != self.log.toPlainText():
            self.log.setPlainText(text)
        self.cancel_button.setEnabled(entry is not None and entry.state in (WAITING, RUNNING))

    def _tick(self) -> None:
        running = self.queue.running()
        if running is not None:
            self.table.item(self._row(running), 2).setText(format_eta(running.eta_seconds()))
