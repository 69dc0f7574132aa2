"""The panel's look: a dark theme close to DaVinci Resolve's greys, and HiDPI rendering.

Colours are sRGB hex; the accent is the warm orange colorists know from Resolve's selections. Call
``prepare_application()`` before the ``QApplication`` exists and ``apply_theme(app)`` after.
"""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

#: Window, panel, field and text greys, and the accent (sRGB hex).
WINDOW, PANEL, FIELD, BORDER = "#1c1c1e", "#262628", "#121214", "#3a3a3d"
TEXT, TEXT_DIM, ACCENT, ERROR = "#d6d6d6", "#8c8c8f", "#e2883a", "#e05a4f"

_STYLE = f"""
QWidget {{ background: {WINDOW}; color: {TEXT}; }}
QGroupBox, QTabWidget::pane, QTreeWidget, QTableWidget, QPlainTextEdit, QListWidget {{
    background: {PANEL}; border: 1px solid {BORDER}; }}
QGroupBox {{ margin-top: 1.2em; padding-top: 0.4em; }}
QGroupBox::title {{ subcontrol-origin: margin; left: 8px; color: {TEXT_DIM}; }}
QLineEdit, QSpinBox, QDoubleSpinBox, QComboBox {{ background: {FIELD}; border: 1px solid {BORDER};
    padding: 2px 4px; selection-background-color: {ACCENT}; }}
QPushButton, QToolButton {{ background: #323235; border: 1px solid {BORDER}; padding: 3px 10px; }}
QPushButton:hover, QToolButton:hover {{ border-color: {ACCENT}; }}
QPushButton:checked, QToolButton:checked {{ background: #4a3320; border-color: {ACCENT}; }}
QPushButton:disabled {{ color: {TEXT_DIM}; }}
QTabBar::tab {{ background: {PANEL}; padding: 5px 14px; border: 1px solid {BORDER}; }}
QTabBar::tab:selected {{ background: #333336; border-bottom: 2px solid {ACCENT}; }}
QSlider::groove:horizontal {{ height: 4px; background: {BORDER}; }}
QSlider::handle:horizontal {{ width: 10px; margin: -5px 0; background: {TEXT}; border-radius: 5px; }}
QProgressBar {{ background: {FIELD}; border: 1px solid {BORDER}; text-align: center; }}
QProgressBar::chunk {{ background: {ACCENT}; }}
QHeaderView::section {{ background: {PANEL}; color: {TEXT_DIM}; border: 0; padding: 3px; }}
QStatusBar {{ color: {TEXT_DIM}; }}
"""


def prepare_application() -> None:
    """HiDPI: pass fractional display scales through (125 %, 150 %) instead of rounding them."""
    QGuiApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)


def apply_theme(app: QApplication) -> None:
    """Fusion style with the dark palette and style sheet above."""
    app.setStyle("Fusion")
    palette = QPalette()
    for role, colour in ((QPalette.Window, WINDOW), (QPalette.Base, FIELD), (QPalette.AlternateBase, PANEL),
                         (QPalette.Button, PANEL), (QPalette.Text, TEXT), (QPalette.WindowText, TEXT),
                         (QPalette.ButtonText, TEXT), (QPalette.Highlight, ACCENT),
                         (QPalette.HighlightedText, WINDOW), (QPalette.ToolTipBase, PANEL),
                         (QPalette.ToolTipText, TEXT), (QPalette.PlaceholderText, TEXT_DIM)):
        palette.setColor(role, QColor(colour))
    app.setPalette(palette)
    app.setStyleSheet(_STYLE)
