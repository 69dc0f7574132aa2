"""``answerprint resolve install | uninstall``: put answerprint's menu into DaVinci Resolve, or take it out.

``install`` registers the environment it runs from with Resolve: it writes the menu scripts (``menu``: each
generated from the package's one template) into ``Fusion/Scripts/Utility/answerprint`` (``folders``), so they
appear under Workspace › Scripts › answerprint, and writes ``resolve.json`` (``settings``) telling them which
Python to start. Keys of ``resolve.json`` it does not own (production, render folder, job defaults) are kept.
Run again, it updates everything in place. install.sh and install.ps1 make an environment, install
answerprint into it with pip, then run this command from it (``--owned-environment``: their ``--uninstall``
then removes that environment too).

``uninstall`` removes the menu scripts answerprint wrote and ``resolve.json``; it never removes an environment
(the installers do, for one they made) nor the LUTs that grades use.

Standard library only: it must run from an environment that holds nothing but answerprint.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from answerprint.core.atomic import write_atomically
from answerprint.core.errors import OutputError

from .folders import LUT_SUBFOLDER, master_lut_folder, menu_folder
from .menu import SIGNATURE, menu_items, menu_script
from .settings import SCHEMA, config_locations, current_os, load_settings

#: Picks another OS's folder table (tests); the default is this machine's.
TARGET_OS_ENV = "ANSWERPRINT_TARGET_OS"


@dataclass(frozen=True)
class Locations:
    """Where one installation lives: the menu folder, ``resolve.json`` and Resolve's master LUT folder."""

    os_name: str
    all_users: bool
    menu_folder: Path
    config: Path
    lut_folder: str


def locations(all_users: bool, os_name: str | None = None) -> Locations:
    """The folders of an installation for one user (default) or all users of this machine."""
    os_name = os_name or os.environ.get(TARGET_OS_ENV) or current_os()
    user_config, system_config = config_locations(os_name)
    return Locations(os_name, all_users, Path(menu_folder(os_name, all_users)),
                     Path(system_config if all_users else user_config),
                     f"{master_lut_folder(os_name)}/{LUT_SUBFOLDER}")


def _say(label: str, text: str) -> None:
    print(f"{label:<14}{text}", flush=True)


def _own_scripts(folder: Path) -> list[Path]:
    """The menu scripts in ``folder`` answerprint wrote (this version's items and any older one's)."""
    if not folder.is_dir():
        return []
    found = []
    for path in sorted(folder.glob("*.py")):
        try:
            with open(path, encoding="utf-8") as handle:
                if handle.read(len(SIGNATURE)) == SIGNATURE:
                    found.append(path)
        except (OSError, UnicodeDecodeError):
            continue
    return found


def _write(path: Path, text: str, dry_run: bool) -> None:
    if dry_run:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, text)
    except OSError as error:
        hint = "; --all-users needs an administrator" if "ermission" in str(error) else ""
        raise OutputError(f"cannot be written ({error.strerror or error}){hint}", path) from None


def install(where: Locations, python: str, environment: str, owned_environment: bool = False,
            dry_run: bool = False) -> None:
    """Write the menu scripts and ``resolve.json`` registering ``python`` (see the module docstring).

    Raises
    ------
    OutputError
        When a folder is not writable (``--all-users`` without administrator rights).
    UsageError
        When an existing ``resolve.json`` is not answerprint's.
    """
    _say("menu scripts:", str(where.menu_folder))
    items = menu_items()
    current = {item.file_name for item in items}
    for stale in _own_scripts(where.menu_folder):
        if stale.name not in current and not dry_run:
            stale.unlink()
    for item in items:
        _write(where.menu_folder / item.file_name, menu_script(item), dry_run)
    _say("config:", str(where.config))
    settings = load_settings(where.config)
    previous = settings.data
    owns = owned_environment or (previous.get("environment") == environment and bool(previous.get("owns_environment")))
    settings.data = {**previous, "schema": SCHEMA, "python": python, "environment": environment,
                     "owns_environment": owns, "scripts_folder": str(where.menu_folder)}
    _write(where.config, json.dumps(settings.data, indent=2) + "\n", dry_run)
    _say("python:", f"{python} ({'made by the installer' if owns else 'registered'})")
    _say("LUT folder:", f"{where.lut_folder} (Color Match writes its LUTs here; make it writable for colorists)")
    if not dry_run:
        print("done: in Resolve Studio, with External scripting = Local, open Workspace › Scripts › answerprint")


def uninstall(where: Locations, dry_run: bool = False) -> None:
    """Remove answerprint's menu scripts and ``resolve.json``; say what is kept (environment, LUTs)."""
    registered: dict = {}
    if where.config.is_file():
        try:
            registered = json.loads(where.config.read_text(encoding="utf-8-sig"))
        except (OSError, ValueError):
            registered = {}
    folder = Path(registered.get("scripts_folder") or where.menu_folder)
    _say("menu scripts:", f"{folder} (remove)")
    if not dry_run:
        for script in _own_scripts(folder):
            script.unlink()
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
    _say("config:", f"{where.config} (remove)")
    if not dry_run and where.config.is_file():
        where.config.unlink()
    environment = registered.get("environment")
    if environment:
        kept = ("made by the installer: install.sh / install.ps1 --uninstall removes it"
                if registered.get("owns_environment") else "kept: registered, not made by the installer")
        _say("environment:", f"{environment} ({kept})")
    _say("LUT folder:", f"{where.lut_folder} (kept: grades use these LUTs)")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``install`` and ``uninstall``."""
    parser.add_argument("--all-users", action="store_true",
                        help="for every user of this machine (run as an administrator)")
    parser.add_argument("--dry-run", action="store_true", help="print the folders and steps, change nothing")
    parser.add_argument("--owned-environment", action="store_true", help=argparse.SUPPRESS)


def run(args: argparse.Namespace) -> int:
    """``install`` or ``uninstall`` as ``args.action`` says; returns the exit code."""
    where = locations(args.all_users)
    scope = "all users" if args.all_users else "per user"
    dry = " (dry run: nothing is changed)" if args.dry_run else ""
    _say("Resolve menu:", f"{args.action}, {where.os_name}, {scope}{dry}")
    if args.action == "install":
        install(where, sys.executable, sys.prefix, args.owned_environment, args.dry_run)
    else:
        uninstall(where, args.dry_run)
    return 0
