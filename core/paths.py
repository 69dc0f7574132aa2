"""Where answerprint keeps its files: user data, user config (private keys), cache, and the model library.

Defaults follow the platform's conventions through ``platformdirs`` (app name ``answerprint``):
``~/.local/share/answerprint`` on Linux, ``~/Library/Application Support/answerprint`` on macOS,
``%LOCALAPPDATA%\\answerprint`` on Windows. Two environment variables change them:

``ANSWERPRINT_HOME``
    Puts everything (data, config, cache) under one folder: ``$ANSWERPRINT_HOME/data``, ``.../config``,
    ``.../cache``. Tests and portable installs use it.
``ANSWERPRINT_SHARED_LIBRARY``
    A facility-wide model library (e.g. on the facility's file server) used instead of the per-user one.
    Public keys and productions live there, so every workstation verifies against the same keys; private
    keys never do.
"""
from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "answerprint"
HOME_ENV = "ANSWERPRINT_HOME"
SHARED_LIBRARY_ENV = "ANSWERPRINT_SHARED_LIBRARY"


def _home() -> Path | None:
    value = os.environ.get(HOME_ENV)
    return Path(value).expanduser() if value else None


def data_dir() -> Path:
    """The user's answerprint data folder (not created)."""
    home = _home()
    return home / "data" if home else Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def config_dir() -> Path:
    """The user's answerprint configuration folder, where private signing keys live (not created)."""
    home = _home()
    return home / "config" if home else Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def cache_dir() -> Path:
    """The user's answerprint cache folder (TensorRT engines and other rebuildable files; not created)."""
    home = _home()
    return home / "cache" if home else Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False))


def keys_dir() -> Path:
    """Folder of the user's private signing keys, ``<config>/keys`` (not created)."""
    return config_dir() / "keys"


def library_root(library: str | os.PathLike | None = None) -> Path:
    """The model library root: ``library`` when given, else ``$ANSWERPRINT_SHARED_LIBRARY``, else the user's.

    Parameters
    ----------
    library : path, optional
        An explicit library folder (a ``--library`` option).

    Returns
    -------
    Path
        The folder holding one sub-folder per production (not created).
    """
    if library is not None:
        return Path(library).expanduser()
    shared = os.environ.get(SHARED_LIBRARY_ENV)
    if shared:
        return Path(shared).expanduser()
    return data_dir() / "library"
