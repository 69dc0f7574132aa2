"""One editor per effect parameter, built from the effect's ``ParamSchema``: no second list of parameters.

The kind and the ``widget`` hint of each ``core.params.Param`` choose the editor:

==================  ==================================================================================
float / int         slider with numeric entry and a reset button (entry only when the range is open);
                    ``kelvin`` and ``tint`` get a colour-temperature / green–magenta groove
enum                drop-down of the choices
bool                check box
path                file field with a browse button (``reference``: the colour-match reference picker)
string              text field
==================  ==================================================================================

Values leave the editors as Python values of the parameter's kind and are checked by ``Param.coerce``,
exactly as the command line's ``--param name=value`` are.
"""
from __future__ import annotations

import math
from typing import Any, Mapping

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDoubleSpinBox, QFileDialog, QFormLayout, QHBoxLayout, QLabel,
                               QLineEdit, QSlider, QSpinBox, QToolButton, QWidget)

from answerprint.core.params import Param, ParamSchema

#: Slider positions for a float parameter without a ``step``.
FLOAT_SLIDER_STEPS = 200
#: Limit of the numeric entry on an open side of a parameter's range.
OPEN_RANGE = 1_000_000_000
#: Grooves of the colour sliders: warm to cool for colour temperature, green to magenta for tint.
GROOVES = {
    "kelvin": "stop:0 #ff8a2a, stop:0.45 #fff1e0, stop:1 #9bbcff",
    "tint": "stop:0 #4fc45a, stop:0.5 #d8d8d8, stop:1 #d04fc8",
}
#: Widget hints the viewer edits by dragging (pairs ``<prefix>_x`` / ``<prefix>_y``, and a radius).
SCREEN_XY, SCREEN_RADIUS = "screen_xy", "screen_radius"


class ParamEditor(QWidget):
    """Base of the editors: ``changed(name, value)`` whenever the value changes, by hand or by ``set_value``.

    Each editor provides ``value()`` (the parameter's current value) and ``set_value(value)`` (show ``value``,
    coerced by the parameter; emits ``changed`` when it differs).
    """

    changed = Signal(str, object)

    def __init__(self, param: Param, parent: QWidget | None = None):
        super().__init__(parent)
        self.param = param
        self.setObjectName(f"param_{param.name}")
        self.setToolTip(param.doc)
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)

    def reset(self) -> None:
        """Back to the parameter's default."""
        self.set_value(self.param.default)

    def _emit(self, *_: object) -> None:
        self.changed.emit(self.param.name, self.value())


class NumberEditor(ParamEditor):
    """Slider + numeric entry + reset for ``float`` and ``int`` parameters."""

    def __init__(self, param: Param, parent: QWidget | None = None):
        super().__init__(param, parent)
        is_int = param.kind == "int"
        bounded = param.minimum is not None and param.maximum is not None
        span = (param.maximum - param.minimum) if bounded else 0.0
        self.step = float(param.step or (1 if is_int else (span / FLOAT_SLIDER_STEPS if bounded else 0.01)))
        self.spin = QSpinBox() if is_int else QDoubleSpinBox()
        if not is_int:
            self.spin.setDecimals(max(2, 1 - math.floor(math.log10(self.step))))
        cast = int if is_int else float
        self.spin.setRange(cast(param.minimum if param.minimum is not None else -OPEN_RANGE),
                           cast(param.maximum if param.maximum is not None else OPEN_RANGE))
        self.spin.setSingleStep(cast(self.step))
        self.spin.setKeyboardTracking(False)
        self.spin.setSuffix(f" {param.unit}" if param.unit and len(param.unit) <= 6 else "")
        self.spin.setMaximumWidth(110)
        self.slider: QSlider | None = None
        if bounded:
            self.slider = QSlider(Qt.Orientation.Horizontal)
            self.slider.setRange(0, max(1, round(span / self.step)))
            if param.widget in GROOVES:
                self.slider.setStyleSheet("QSlider::groove:horizontal { height: 6px; background: "
                                          f"qlineargradient(x1:0, y1:0, x2:1, y2:0, {GROOVES[param.widget]}); }}")
            self.slider.valueChanged.connect(self._slider_moved)
            self._layout.addWidget(self.slider, 3)
        self._layout.addWidget(self.spin, 1)
        reset = QToolButton()
        reset.setText("↺")
        reset.setToolTip(f"Reset to {param.default}")
        reset.clicked.connect(self.reset)
        self._layout.addWidget(reset)
        self.spin.setValue(param.default)
        self._sync_slider(param.default)
        self.spin.valueChanged.connect(self._spin_changed)

    def _sync_slider(self, value: float) -> None:
        if self.slider is not None:
            self.slider.blockSignals(True)
            self.slider.setValue(round((value - self.param.minimum) / self.step))
            self.slider.blockSignals(False)

    def _slider_moved(self, position: int) -> None:
        value = min(self.param.maximum, self.param.minimum + position * self.step)
        self.spin.setValue(int(round(value)) if self.param.kind == "int" else value)

    def _spin_changed(self, value: float) -> None:
        self._sync_slider(value)
        self._emit()

    def value(self) -> Any:
        return self.param.coerce(self.spin.value())

    def set_value(self, value: Any) -> None:
        self.spin.setValue(self.param.coerce(value))


class EnumEditor(ParamEditor):
    """Drop-down of an ``enum`` parameter's choices."""

    def __init__(self, param: Param, parent: QWidget | None = None):
        super().__init__(param, parent)
        self.combo = QComboBox()
        self.combo.addItems(list(param.choices))
        self.combo.setCurrentText(param.default)
        self.combo.currentTextChanged.connect(self._emit)
        self._layout.addWidget(self.combo)

    def value(self) -> Any:
        return self.combo.currentText()

    def set_value(self, value: Any) -> None:
        self.combo.setCurrentText(self.param.coerce(value))


class BoolEditor(ParamEditor):
    """Check box of a ``bool`` parameter."""

    def __init__(self, param: Param, parent: QWidget | None = None):
        super().__init__(param, parent)
        self.check = QCheckBox()
        self.check.setChecked(bool(param.default))
        self.check.toggled.connect(self._emit)
        self._layout.addWidget(self.check)

    def value(self) -> Any:
        return self.check.isChecked()

    def set_value(self, value: Any) -> None:
        self.check.setChecked(self.param.coerce(value))


class TextEditor(ParamEditor):
    """Text field of a ``string`` parameter, or file field with a browse button for a ``path`` one.

    Empty text is None (the parameter's "not given"). The value is taken when editing finishes.
    """

    def __init__(self, param: Param, parent: QWidget | None = None):
        super().__init__(param, parent)
        self.line = QLineEdit("" if param.default is None else str(param.default))
        self.line.setPlaceholderText("reference still or clip" if param.widget == "reference" else param.doc[:60])
        self.line.editingFinished.connect(self._emit)
        self._layout.addWidget(self.line)
        if param.kind == "path":
            browse = QToolButton()
            browse.setText("…")
            browse.setObjectName(f"browse_{param.name}")
            browse.setToolTip(f"Choose the {param.label or param.name}")
            browse.clicked.connect(self._browse)
            self._layout.addWidget(browse)

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, self.param.label or self.param.name, self.line.text())
        if path:
            self.set_value(path)

    def value(self) -> Any:
        return self.param.coerce(self.line.text().strip() or None)

    def set_value(self, value: Any) -> None:
        text = "" if value is None else str(self.param.coerce(value))
        if text != self.line.text():
            self.line.setText(text)
            self._emit()


def editor_for(param: Param, parent: QWidget | None = None) -> ParamEditor:
    """The editor the parameter's kind calls for."""
    if param.kind in ("float", "int"):
        return NumberEditor(param, parent)
    if param.kind == "enum":
        return EnumEditor(param, parent)
    if param.kind == "bool":
        return BoolEditor(param, parent)
    return TextEditor(param, parent)


class ParamForm(QWidget):
    """Every parameter of one effect, in schema order.

    Signals
    -------
    values_changed(dict)
        All current values, after any editor changed.
    """

    values_changed = Signal(dict)

    def __init__(self, schema: ParamSchema, parent: QWidget | None = None):
        super().__init__(parent)
        self.schema = schema
        layout = QFormLayout(self)
        layout.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.editors: dict[str, ParamEditor] = {}
        for param in schema:
            editor = editor_for(param, self)
            editor.changed.connect(lambda *_: self.values_changed.emit(self.values()))
            self.editors[param.name] = editor
            label = QLabel(param.label or param.name)
            label.setToolTip(f"{param.doc} ({param.unit})" if param.unit else param.doc)
            layout.addRow(label, editor)

    def values(self) -> dict[str, Any]:
        """Every parameter's current value."""
        return {name: editor.value() for name, editor in self.editors.items()}

    def set_values(self, values: Mapping[str, Any]) -> None:
        """Show ``values`` (names not in the schema are refused by ``ParamSchema.__getitem__``)."""
        for name, value in values.items():
            if name not in self.editors:
                self.schema[name]  # raises the ParamError that lists this effect's parameters
            self.editors[name].set_value(value)

    def reset(self) -> None:
        """Every parameter back to its default."""
        for editor in self.editors.values():
            editor.reset()

    def set_unavailable(self, reasons: Mapping[str, str]) -> None:
        """Disable the editors of parameters that do nothing here, their tooltip saying why; enable the others."""
        for name, editor in self.editors.items():
            editor.setEnabled(name not in reasons)
            editor.setToolTip(reasons.get(name, editor.param.doc))

    def screen_points(self) -> list[tuple[str, str, str]]:
        """``(prefix, x name, y name)`` of every float pair ``<prefix>_x``/``<prefix>_y`` hinted ``screen_xy``.

        Coordinates are fractions of the frame's width and height from its top-left corner.
        """
        floats = {p.name for p in self.schema if p.widget == SCREEN_XY and p.kind == "float"}
        return [(name[:-2], name, name[:-2] + "_y") for name in sorted(floats)
                if name.endswith("_x") and name[:-2] + "_y" in floats]

    def screen_radii(self) -> dict[str, str]:
        """``{point prefix: radius name}`` for float parameters hinted ``screen_radius``.

        ``<prefix>_radius`` (any name starting with a point's prefix) belongs to that point, otherwise to the
        first point. Radii are fractions of the frame's width.
        """
        prefixes = [prefix for prefix, _, _ in self.screen_points()]
        radii: dict[str, str] = {}
        for param in self.schema:
            if param.widget != SCREEN_RADIUS or param.kind != "float" or not prefixes:
                continue
            owner = next((p for p in prefixes if param.name.startswith(p + "_")), prefixes[0])
            radii.setdefault(owner, param.name)
        return radii
