"""What the panel remembers between sessions: last production, effect, folder, window layout.

Stored as an INI file ``panel.ini`` in answerprint's per-user config folder (``core.paths.config_dir``; under
``$ANSWERPRINT_HOME`` when that is set, which is how tests keep away from the user's own settings).
"""
from __future__ import annotations

from PySide6.QtCore import QSettings

from answerprint.core.paths import config_dir

FILE_NAME = "panel.ini"


def panel_settings() -> QSettings:
    """The panel's settings store (created on first write)."""
    return QSettings(str(config_dir() / FILE_NAME), QSettings.Format.IniFormat)
