"""The viewer with its controls: view modes, zoom, frame scrubber, and a line saying what the preview shows.

Keyboard (when the panel has focus): W wipe, S side by side, A after, B before, R reference, D difference,
M mask, F fit, 1 one-to-one, Left/Right one frame, Shift+Left/Right ten frames, Home/End first/last frame.
"""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (QButtonGroup, QHBoxLayout, QLabel, QSlider, QSpinBox, QToolButton, QVBoxLayout,
                               QWidget)

from .viewer import Viewer

#: Viewer mode → (button text, shortcut, tooltip).
MODE_BUTTONS = {
    "wipe": ("Wipe", "W", "Before left of the line, after right of it; drag the line"),
    "split": ("Side by side", "S", "Before and after side by side"),
    "after": ("After", "A", "The frame through the effect"),
    "before": ("Before", "B", "The frame untouched"),
    "reference": ("Reference", "R", "The colour-match reference beside the shot"),
    "difference": ("Difference", "D", "What the effect changed, amplified"),
    "mask": ("Mask", "M", "Pixels the effect changed, in red"),
}


class ViewerPanel(QWidget):
    """Viewer, mode and zoom buttons, frame slider.

    Signals
    -------
    frame_changed(int)
        The frame number chosen by the scrubber or the keys.
    """

    frame_changed = Signal(int)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.viewer = Viewer()
        bar = QHBoxLayout()
        self.mode_buttons = QButtonGroup(self)
        for mode, (text, key, tip) in MODE_BUTTONS.items():
            button = QToolButton()
            button.setText(text)
            button.setObjectName(f"mode_{mode}")
            button.setCheckable(True)
            button.setToolTip(f"{tip} ({key})")
            button.setChecked(mode == self.viewer.mode)
            button.clicked.connect(lambda _=False, m=mode: self.viewer.set_mode(m))
            QShortcut(QKeySequence(key), self, lambda m=mode: self.viewer.set_mode(m))
            self.mode_buttons.addButton(button)
            bar.addWidget(button)
        bar.addStretch(1)
        for text, name, key, zoom in (("Fit", "zoom_fit", "F", None), ("1:1", "zoom_1to1", "1", 1.0)):
            button = QToolButton()
            button.setText(text)
            button.setObjectName(name)
            button.setToolTip(f"{'Fit the frame' if zoom is None else 'One proxy pixel per screen pixel'} ({key})")
            button.clicked.connect(lambda _=False, z=zoom: self.viewer.set_zoom(z))
            QShortcut(QKeySequence(key), self, lambda z=zoom: self.viewer.set_zoom(z))
            bar.addWidget(button)
        self.viewer.mode_changed.connect(self._mode_shown)

        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setObjectName("frame_slider")
        self.frame = QSpinBox()
        self.frame.setObjectName("frame_number")
        self.frame.setKeyboardTracking(False)
        self.timecode = QLabel("")
        self.status = QLabel("")
        self.status.setObjectName("preview_status")
        self.status.setWordWrap(True)
        self.slider.valueChanged.connect(self.frame.setValue)
        self.frame.valueChanged.connect(self._frame_chosen)
        for key, step in (("Left", -1), ("Right", 1), ("Shift+Left", -10), ("Shift+Right", 10)):
            QShortcut(QKeySequence(key), self, lambda s=step: self.frame.setValue(self.frame.value() + s))
        QShortcut(QKeySequence("Home"), self, lambda: self.frame.setValue(self.frame.minimum()))
        QShortcut(QKeySequence("End"), self, lambda: self.frame.setValue(self.frame.maximum()))
        scrub = QHBoxLayout()
        scrub.addWidget(self.slider, 1)
        scrub.addWidget(self.frame)
        scrub.addWidget(self.timecode)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.viewer, 1)
        layout.addLayout(scrub)
        layout.addWidget(self.status)

    def set_range(self, first: int, last: int, current: int | None = None) -> None:
        """Frames the scrubber offers, inclusive; shows ``current`` (default the middle one)."""
        for widget in (self.slider, self.frame):
            widget.blockSignals(True)
            widget.setRange(first, last)
            widget.blockSignals(False)
        self.frame.setValue(current if current is not None else (first + last) // 2)
        self._frame_chosen(self.frame.value())

    def _frame_chosen(self, number: int) -> None:
        self.slider.blockSignals(True)
        self.slider.setValue(number)
        self.slider.blockSignals(False)
        self.frame_changed.emit(number)

    def _mode_shown(self, mode: str) -> None:
        for button in self.mode_buttons.buttons():
            button.setChecked(button.objectName() == f"mode_{mode}")
