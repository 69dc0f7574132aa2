"""The left side of the panel: which clip, which effect, which pack, the source's colour space, the parameters.

The parameter form is rebuilt from the chosen effect's ``ParamSchema`` (``param_widgets.ParamForm``); values
typed for an effect are kept while the panel is open, so switching effects back and forth loses nothing.
"""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QComboBox, QFileDialog, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QListWidget,
                               QPushButton, QScrollArea, QVBoxLayout, QWidget)

from answerprint.core.color import load_config, space_names
from answerprint.core.effects import Effect, available_effects

from .param_widgets import ParamForm

#: The pack picker's entry that asks for a pack file instead of a library pack.
PACK_FILE_ENTRY = "Pack file…"
NO_PACK_ENTRY = "(no pack)"
#: The colour-space picker's first entry: the space answerprint assumes from the file.
AUTO_SPACE = "from the file"


class EffectPanel(QWidget):
    """Clips, effect, pack, colour space and parameters.

    Signals
    -------
    clip_chosen(int)
        Row of the clip list chosen.
    settings_changed()
        Effect, pack, colour space or any parameter changed: the preview is out of date.
    render_requested()
        The Render button (Ctrl+R).
    """

    clip_chosen = Signal(int)
    settings_changed = Signal()
    render_requested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.effects: dict[str, Effect] = dict(sorted(available_effects().items()))
        self.clips = QListWidget()
        self.clips.setObjectName("clips")
        self.clips.currentRowChanged.connect(self.clip_chosen)
        self.effect = QComboBox()
        self.effect.setObjectName("effect")
        self.effect.addItems(list(self.effects))
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.pack = QComboBox()
        self.pack.setObjectName("pack")
        self.input_space = QComboBox()
        self.input_space.setObjectName("input_space")
        self.input_space.setEditable(True)
        self.input_space.addItem(AUTO_SPACE)
        self.input_space.addItems([name for name, _ in space_names(load_config())])
        self.form_area = QScrollArea()
        self.form_area.setWidgetResizable(True)
        self.form_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.form: ParamForm | None = None
        self._kept: dict[str, dict[str, Any]] = {}
        self._library_packs: list[tuple[str, str]] = []
        reset = QPushButton("Reset parameters")
        reset.setObjectName("reset_params")
        reset.setShortcut("Ctrl+Backspace")
        reset.clicked.connect(lambda: self.form.reset() if self.form else None)
        self.render_button = QPushButton("Render  (Ctrl+R)")
        self.render_button.setObjectName("render")
        self.render_button.clicked.connect(self.render_requested)

        clips_box = QGroupBox("Clips")
        QVBoxLayout(clips_box).addWidget(self.clips)
        setup = QGroupBox("Effect")
        setup_layout = QFormLayout(setup)
        setup_layout.addRow("Effect", self.effect)
        setup_layout.addRow(self.summary)
        setup_layout.addRow("Pack", self.pack)
        setup_layout.addRow("Source space", self.input_space)
        params_box = QGroupBox("Parameters")
        QVBoxLayout(params_box).addWidget(self.form_area)
        buttons = QHBoxLayout()
        buttons.addWidget(reset)
        buttons.addWidget(self.render_button, 1)
        self.setMinimumWidth(360)
        layout = QVBoxLayout(self)
        layout.addWidget(clips_box, 1)
        layout.addWidget(setup)
        layout.addWidget(params_box, 3)
        layout.addLayout(buttons)

        self.effect.currentTextChanged.connect(self._effect_chosen)
        self.pack.activated.connect(self._pack_activated)
        self.input_space.currentTextChanged.connect(lambda *_: self.settings_changed.emit())
        self._effect_chosen(self.effect.currentText())

    # -- effect and parameters -------------------------------------------------------------------------------
    def effect_name(self) -> str:
        return self.effect.currentText()

    def set_effect(self, name: str) -> None:
        """Show effect ``name`` (ignored when not installed)."""
        if name in self.effects:
            self.effect.setCurrentText(name)

    def _effect_chosen(self, name: str) -> None:
        if self.form is not None:
            self._kept[self.form.objectName()] = self.form.values()
        effect = self.effects[name]
        self.summary.setText(effect.summary)
        self.form = ParamForm(effect.params)
        self.form.setObjectName(name)
        if name in self._kept:
            self.form.set_values(self._kept[name])
        self.form.values_changed.connect(lambda *_: self.settings_changed.emit())
        self.form_area.setWidget(self.form)
        self._fill_packs()
        self.settings_changed.emit()

    def values(self) -> dict[str, Any]:
        """The parameter values of the current effect."""
        return self.form.values() if self.form else {}

    # -- packs -----------------------------------------------------------------------------------------------
    def set_library_packs(self, packs: list[tuple[str, str]]) -> None:
        """The verified library packs ``(effect, path)`` the picker offers (for the effect they serve)."""
        self._library_packs = packs
        self._fill_packs()

    def _fill_packs(self) -> None:
        current = self.pack_path()
        self.pack.blockSignals(True)
        self.pack.clear()
        self.pack.addItem(NO_PACK_ENTRY, None)
        for effect, path in self._library_packs:
            if effect == self.effect_name():
                self.pack.addItem(path.rsplit("/", 3)[-3] + " v" + path.rsplit("/", 2)[-2], path)
        self.pack.addItem(PACK_FILE_ENTRY, None)
        index = self.pack.findData(current) if current else -1
        if index < 0:
            has_library_pack = self.pack.count() > 2
            index = 1 if has_library_pack and self.effects[self.effect_name()].needs_pack else 0
        self.pack.setCurrentIndex(index)
        self.pack.blockSignals(False)

    def pack_path(self) -> str | None:
        return self.pack.currentData()

    def set_pack(self, path: str) -> None:
        """Choose the pack at ``path`` (added to the picker when not from the library)."""
        index = self.pack.findData(path)
        if index < 0:
            self.pack.insertItem(self.pack.count() - 1, path.rsplit("/", 1)[-1], path)
            index = self.pack.findData(path)
        self.pack.setCurrentIndex(index)
        self.settings_changed.emit()

    def _pack_activated(self, index: int) -> None:
        if self.pack.itemText(index) == PACK_FILE_ENTRY:
            path, _ = QFileDialog.getOpenFileName(self, "Choose a model pack", "", "Model packs (*.onnx)")
            if path:
                self.set_pack(path)
                return
            self.pack.setCurrentIndex(0)
        self.settings_changed.emit()

    # -- colour space ----------------------------------------------------------------------------------------
    def input_space_name(self) -> str | None:
        text = self.input_space.currentText().strip()
        return None if text in ("", AUTO_SPACE) else text
