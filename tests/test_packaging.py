"""The wheel: built without a warning, holding every module and data file, and enough on its own to put the
Resolve menu in place from a fresh environment.

One test, the slowest of the suite (about 20 s on two cores): it builds the wheel from a copy of the sources
with setuptools' PEP 517 backend (what ``pip wheel .`` calls, here without an isolated build environment so no
index is needed), then runs install.sh as a colorist would, with ``--source`` the wheel, in a fresh
environment that gets nothing but that wheel (``PIP_NO_DEPS``, ``PIP_NO_INDEX``): the Resolve menu is written
from the package's template, and ``--uninstall`` takes everything out again.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from answerprint.plugin.resolve import settings
from answerprint.plugin.resolve.menu import menu_items, menu_script

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="install.sh needs a POSIX shell")
REPO = Path(__file__).resolve().parents[1]
TOP_LEVEL = ("core", "models", "plugin", "ui")
#: What building a wheel needs from the checkout.
SOURCES = ("pyproject.toml", "setup.py", "README.md", *TOP_LEVEL)
BUILD = "import setuptools.build_meta as backend, sys; print(backend.build_wheel(sys.argv[1]))"


def expected_members() -> set[str]:
    """Every module and data file under the top-level folders, as the wheel names them."""
    members = set()
    for top in TOP_LEVEL:
        for path in (REPO / top).rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                members.add("answerprint/" + path.relative_to(REPO).as_posix())
    return members


def test_the_wheel_builds_without_warnings_and_alone_installs_the_resolve_menu(tmp_path):
    source = tmp_path / "source"
    source.mkdir()
    for name in SOURCES:
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(REPO / name, source / name)
    environment = {key: value for key, value in os.environ.items() if not key.startswith("PYTHON")}
    built = subprocess.run([sys.executable, "-W", "always", "-c", BUILD, str(tmp_path / "dist")], cwd=source,
                           env=environment, capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr
    output = built.stdout + built.stderr
    assert "warning" not in output.lower() and "would be ignored" not in output, output
    wheel = tmp_path / "dist" / built.stdout.strip().splitlines()[-1]
    with zipfile.ZipFile(wheel) as archive:
        members = {name for name in archive.namelist() if not name.startswith("answerprint-")}
        entry_points = archive.read(next(n for n in archive.namelist() if n.endswith("entry_points.txt"))).decode()
    assert members == expected_members()
    assert {"answerprint/plugin/resolve/menu_script.template", "answerprint/core/demo/media/coffee.jpg",
            "answerprint/core/packs/pack_manifest.schema.json"} <= members
    assert "resolve = answerprint.plugin.resolve.command" in entry_points

    home, venv = tmp_path / "home", tmp_path / "resolve-env"
    home.mkdir()
    offline = {"PATH": os.environ["PATH"], "HOME": str(home), "ANSWERPRINT_TARGET_OS": "linux",
               "PIP_NO_DEPS": "1", "PIP_NO_INDEX": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    installer = [str(REPO / "install_scripts" / "install.sh"), "--python", sys.executable, "--no-gpu"]
    done = subprocess.run(["bash", *installer, "--source", str(wheel), "--environment", str(venv)],
                          env=offline, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    config = Path(settings.config_locations("linux", {}, str(home))[0])
    registered = json.loads(config.read_text())
    assert (registered["python"], registered["owns_environment"]) == (str(venv / "bin" / "python"), True)
    menu = Path(registered["scripts_folder"])
    assert menu == home / ".local/share/DaVinciResolve/Fusion/Scripts/Utility/answerprint"
    assert {path.name: path.read_text(encoding="utf-8") for path in menu.iterdir()} == \
        {item.file_name: menu_script(item) for item in menu_items()}
    installed = subprocess.run([str(venv / "bin" / "pip"), "list", "--format=json"], env=offline,
                               capture_output=True, text=True, timeout=60)
    names = {package["name"] for package in json.loads(installed.stdout)}
    assert names - {"pip", "setuptools"} == {"answerprint"}                    # what venv itself puts in, and it
    dry = subprocess.run([str(venv / "bin" / "answerprint"), "resolve", "install", "--dry-run"], env=offline,
                         capture_output=True, text=True, timeout=60)
    assert dry.returncode == 0 and f"menu scripts: {menu}" in dry.stdout, dry.stderr

    removed = subprocess.run(["bash", *installer, "--uninstall"], env=offline, capture_output=True, text=True,
                             timeout=60)
    assert removed.returncode == 0, removed.stderr
    assert not menu.exists() and not config.exists() and not venv.exists()
