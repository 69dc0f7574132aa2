"""Where DaVinci Resolve looks for scripts and LUTs, per OS and per scope (one user or all users).

From Blackmagic's scripting README (reference §1 "Workspace > Scripts", §3 "Master LUT dirs"). Resolve scans
``Fusion/Scripts`` at startup and lists ``Utility/<folder>/*.py`` under Workspace › Scripts on every page; it
applies LUTs by API only from its master LUT folder. Some Linux ISO installs live under ``/home/resolve``
instead of ``/opt/resolve``.

Standard library only: ``answerprint resolve install`` runs from an environment that may hold nothing but
answerprint itself.
"""
from __future__ import annotations

import ntpath
import os
import posixpath
from pathlib import Path
from typing import Mapping

from .settings import current_os

LINUX_ROOT = "/opt/resolve"
#: Some Linux ISO installs put Resolve under /home/resolve instead of /opt/resolve.
LINUX_ISO_ROOT = "/home/resolve"
#: Fusion/Scripts per (OS, all users); ``{home}``, ``{resolve}``, ``{APPDATA}``, ``{PROGRAMDATA}`` filled in.
SCRIPTS_FOLDERS = {
    ("linux", False): "{home}/.local/share/DaVinciResolve/Fusion/Scripts",
    ("linux", True): "{resolve}/Fusion/Scripts",
    ("macos", False): "{home}/Library/Application Support/Blackmagic Design/DaVinci Resolve/Fusion/Scripts",
    ("macos", True): "/Library/Application Support/Blackmagic Design/DaVinci Resolve/Fusion/Scripts",
    ("windows", False): "{APPDATA}\\Blackmagic Design\\DaVinci Resolve\\Support\\Fusion\\Scripts",
    ("windows", True): "{PROGRAMDATA}\\Blackmagic Design\\DaVinci Resolve\\Fusion\\Scripts",
}
#: Workspace › Scripts › answerprint: the menu's folder under Fusion/Scripts.
MENU_SUBFOLDER = ("Utility", "answerprint")
LUT_FOLDERS = {
    "macos": "/Library/Application Support/Blackmagic Design/DaVinci Resolve/LUT",
    "windows": "%PROGRAMDATA%\\Blackmagic Design\\DaVinci Resolve\\Support\\LUT",
    "linux": "/opt/resolve/LUT",
}
LUT_FOLDER_ENV = "ANSWERPRINT_RESOLVE_LUT_FOLDER"
LUT_SUBFOLDER = "answerprint"


def linux_root() -> str:
    """Resolve's install folder on Linux: /opt/resolve, or /home/resolve where only that exists."""
    if not os.path.isdir(LINUX_ROOT) and os.path.isdir(LINUX_ISO_ROOT):
        return LINUX_ISO_ROOT
    return LINUX_ROOT


def menu_folder(os_name: str, all_users: bool, environ: Mapping[str, str] | None = None,
                home: str | None = None) -> str:
    """Fusion/Scripts/Utility/answerprint for ``os_name`` (``linux``, ``macos``, ``windows``) and the scope.

    Parameters
    ----------
    environ : mapping, optional
        Environment variables (``APPDATA``, ``PROGRAMDATA`` on Windows); default ``os.environ``.
    home : str, optional
        The user's home folder; default ``~`` expanded.
    """
    environ = os.environ if environ is None else environ
    home = home or os.path.expanduser("~")
    values = {"home": home, "resolve": linux_root(),
              "APPDATA": environ.get("APPDATA") or f"{home}\\AppData\\Roaming",
              "PROGRAMDATA": environ.get("PROGRAMDATA") or "C:\\ProgramData"}
    scripts = SCRIPTS_FOLDERS[os_name, all_users].format(**values)
    paths = ntpath if os_name == "windows" else posixpath
    return paths.join(scripts, *MENU_SUBFOLDER)


def master_lut_folder(os_name: str | None = None) -> Path:
    """Resolve's master LUT folder on this machine (``ANSWERPRINT_RESOLVE_LUT_FOLDER`` when set)."""
    if os.environ.get(LUT_FOLDER_ENV):
        return Path(os.environ[LUT_FOLDER_ENV])
    os_name = os_name or current_os()
    folder = os.path.expandvars(LUT_FOLDERS[os_name])
    if os_name == "linux":
        folder = folder.replace(LINUX_ROOT, linux_root())
    return Path(folder)
