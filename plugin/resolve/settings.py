"""The Resolve plugin's configuration file: where the installer put answerprint, and the colorist's job defaults.

One JSON file, ``resolve.json`` (schema ``answerprint.resolve/1``), shared by three readers that must agree on
where it lives: the installers (which write it), the menu scripts inside Resolve (stdlib only, which read
``python`` from it to launch answerprint), and this package. Per user it is in the user's configuration folder,
for all users in a system folder; a per-user file wins::

    Linux    per user   ${XDG_CONFIG_HOME:-~/.config}/answerprint/resolve.json
             all users  /etc/answerprint/resolve.json
    macOS    per user   ~/Library/Application Support/answerprint/resolve.json
             all users  /Library/Application Support/answerprint/resolve.json
    Windows  per user   %LOCALAPPDATA%\\answerprint\\resolve.json
             all users  %PROGRAMDATA%\\answerprint\\resolve.json

Contents::

    {"schema": "answerprint.resolve/1",
     "python": ".../resolve-env/bin/python", "environment": ".../resolve-env",   written by the installer
     "owns_environment": true, "scripts_folder": ".../Fusion/Scripts/Utility/answerprint",
     "production": "ep104",                      the production jobs belong to (packs, LUT folder, training)
     "render_folder": "/mnt/san/renders",        where rendered takes are written
     "jobs": {"cleanup": {"pack": "cleanup/grain", "params": {"strength": 0.7}, "handles": 8},
              "colormatch": {"cube": "/.../A001_match.cube", "cdl": null, "node": 1},
              "train": {"effect": "cleanup", "profile": "quick"}}}

The installer preserves every key it does not own when it re-runs.
"""
from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from answerprint.core.atomic import write_atomically
from answerprint.core.errors import UsageError

SCHEMA = "answerprint.resolve/1"
CONFIG_NAME = "resolve.json"
#: Extra source frames rendered each side of an item when its job sets none (``jobs.<effect>.handles``).
DEFAULT_HANDLES = 8


def current_os() -> str:
    """``"windows"``, ``"macos"`` or ``"linux"`` for the machine this runs on."""
    if sys.platform == "win32":
        return "windows"
    return "macos" if sys.platform == "darwin" else "linux"


def config_locations(os_name: str | None = None, environ: Mapping[str, str] | None = None,
                     home: str | None = None) -> tuple[str, str]:
    """The per-user and the all-users path of ``resolve.json`` (in that order of precedence).

    Parameters
    ----------
    os_name : str, optional
        ``"linux"``, ``"macos"`` or ``"windows"``; default this machine's.
    environ : mapping, optional
        Environment variables (``XDG_CONFIG_HOME``, ``LOCALAPPDATA``, ``PROGRAMDATA``); default ``os.environ``.
    home : str, optional
        The user's home folder; default ``~`` expanded.
    """
    os_name = os_name or current_os()
    environ = os.environ if environ is None else environ
    home = home or os.path.expanduser("~")
    if os_name == "windows":
        local = environ.get("LOCALAPPDATA") or f"{home}\\AppData\\Local"
        program_data = environ.get("PROGRAMDATA") or "C:\\ProgramData"
        return f"{local}\\answerprint\\{CONFIG_NAME}", f"{program_data}\\answerprint\\{CONFIG_NAME}"
    if os_name == "macos":
        return (f"{home}/Library/Application Support/answerprint/{CONFIG_NAME}",
                f"/Library/Application Support/answerprint/{CONFIG_NAME}")
    config_home = environ.get("XDG_CONFIG_HOME") or f"{home}/.config"
    return f"{config_home}/answerprint/{CONFIG_NAME}", f"/etc/answerprint/{CONFIG_NAME}"


def find_config() -> Path | None:
    """The ``resolve.json`` in effect on this machine (per-user first), or None when neither exists."""
    for location in config_locations():
        if os.path.isfile(location):
            return Path(location)
    return None


@dataclass
class ResolveSettings:
    """The configuration as read, plus where it came from.

    Attributes
    ----------
    path : Path
        The file (it may not exist yet: settings then start empty).
    data : dict
        Its JSON content.
    """

    path: Path
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def production(self) -> str | None:
        return self.data.get("production")

    @property
    def render_folder(self) -> str | None:
        return self.data.get("render_folder")

    def job(self, name: str) -> dict[str, Any]:
        """The colorist's defaults for one job (``cleanup``, ``colormatch``, ``train``...); empty when unset."""
        return dict(self.data.get("jobs", {}).get(name, {}))

    def update(self, production: str | None = None, render_folder: str | None = None,
               job: str | None = None, job_values: Mapping[str, Any] | None = None) -> None:
        """Change the production, the render folder or one job's defaults (values of None are left alone)."""
        if production is not None:
            self.data["production"] = production
        if render_folder is not None:
            self.data["render_folder"] = render_folder
        if job is not None and job_values:
            jobs = self.data.setdefault("jobs", {})
            merged = jobs.setdefault(job, {})
            for key, value in job_values.items():
                if key == "params":
                    merged.setdefault("params", {}).update(value)
                elif value is not None:
                    merged[key] = value

    def save(self) -> None:
        """Write the file atomically (creating its folder), keeping keys this code does not know."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.data.setdefault("schema", SCHEMA)
        write_atomically(self.path, json.dumps(self.data, indent=2) + "\n")


def load_settings(path: str | os.PathLike | None = None) -> ResolveSettings:
    """Read ``resolve.json``: ``path`` when given, else the file in effect, else an empty per-user one.

    Raises
    ------
    UsageError
        When the file exists but is not a readable ``answerprint.resolve/1`` object.
    """
    location = Path(path) if path is not None else (find_config() or Path(config_locations()[0]))
    if not location.is_file():
        return ResolveSettings(location)
    try:
        data = json.loads(location.read_text(encoding="utf-8-sig"))
    except (OSError, ValueError) as error:
        raise UsageError(f"unreadable Resolve plugin configuration: {error}", location) from None
    if not isinstance(data, dict) or data.get("schema", SCHEMA) != SCHEMA:
        raise UsageError(f"not an {SCHEMA} configuration; re-run the answerprint installer", location)
    return ResolveSettings(location, data)
