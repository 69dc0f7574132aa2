"""What gets installed into Resolve: install.sh and install.ps1 against a temporary home, and the menu scripts.

install.sh runs for real (registering this test environment, or creating one without pip), for the Linux and
the macOS folder tables (``ANSWERPRINT_TARGET_OS``). install.ps1 runs only where ``pwsh`` exists; elsewhere its
folder table is read from the script and checked against the reference and the other two readers.
"""
from __future__ import annotations

import ast
import glob
import json
import ntpath
import os
import posixpath
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from answerprint.plugin.resolve import lut, settings

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="install.sh and the launch check need a POSIX shell")
REPO = Path(__file__).resolve().parents[1]
INSTALL_SH = REPO / "install_scripts" / "install.sh"
INSTALL_PS1 = REPO / "install_scripts" / "install.ps1"
MENU = REPO / "plugin" / "resolve" / "menu"
MENU_ITEMS = ("Panel", "Cleanup", "Relight", "Color Match", "Continuity", "Continuity fix colour", "Train from bin")
REFERENCE = Path("/work/shared/reference/resolve_api.md")
#: Fusion/Scripts folders as the reference (Blackmagic's README) gives them; {home} is the user's home.
SCRIPTS_FOLDERS = {
    ("linux", "user"): "{home}/.local/share/DaVinciResolve/Fusion/Scripts",
    ("linux", "all"): "/opt/resolve/Fusion/Scripts",
    ("macos", "user"): "{home}/Library/Application Support/Blackmagic Design/DaVinci Resolve/Fusion/Scripts",
    ("macos", "all"): "/Library/Application Support/Blackmagic Design/DaVinci Resolve/Fusion/Scripts",
    ("windows", "user"): "%APPDATA%\\Blackmagic Design\\DaVinci Resolve\\Support\\Fusion\\Scripts",
    ("windows", "all"): "%PROGRAMDATA%\\Blackmagic Design\\DaVinci Resolve\\Fusion\\Scripts",
}
REFERENCE_HOMES = {"linux": "$HOME", "macos": "/Users/<UserName>", "windows": ""}


def install(home: Path, target_os: str, *options: str, extra_env: dict | None = None) -> dict[str, str]:
    """Run install.sh with ``home`` as HOME; returns its report lines as {label: text}."""
    environment = {"PATH": os.environ["PATH"], "HOME": str(home), "ANSWERPRINT_TARGET_OS": target_os,
                   **(extra_env or {})}
    done = subprocess.run(["bash", str(INSTALL_SH), *options], env=environment, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return dict(re.findall(r"^([a-zA-Z ]+):\s+(.*)$", done.stdout, flags=re.MULTILINE))


def tree(root: Path) -> dict[str, bytes]:
    return {str(path.relative_to(root)): path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file()}


@pytest.mark.parametrize("target_os", ["linux", "macos"])
@pytest.mark.parametrize("scope", ["user", "all"])
def test_dry_run_prints_resolves_folders_for_each_os(tmp_path, target_os, scope):
    if target_os == "linux" and scope == "all" and not Path("/opt/resolve").is_dir() and Path("/home/resolve").is_dir():
        pytest.skip("this machine's Resolve lives under /home/resolve")
    home = tmp_path / "home"
    home.mkdir()
    report = install(home, target_os, "--dry-run", *(["--all-users"] if scope == "all" else []))
    scripts = SCRIPTS_FOLDERS[target_os, scope].format(home=home)
    assert report["menu scripts"] == f"{scripts}/Utility/answerprint"
    user_config, system_config = settings.config_locations(target_os, {}, str(home))
    assert report["config"] == (user_config if scope == "user" else system_config)
    assert report["LUT folder"].startswith(f"{lut.LUT_FOLDERS[target_os]}/answerprint ")
    assert "(create with" in report["environment"]
    assert list(home.iterdir()) == []


def test_the_folders_are_the_ones_the_reference_documents():
    if not REFERENCE.is_file():
        pytest.skip("the Resolve API reference is not on this machine")
    text = REFERENCE.read_text(encoding="utf-8")
    for (target_os, _), folder in SCRIPTS_FOLDERS.items():
        assert folder.format(home=REFERENCE_HOMES[target_os]) in text
    for folder in lut.LUT_FOLDERS.values():
        assert folder in text


def test_the_gpu_extra_follows_the_nvidia_driver(tmp_path):
    tools = tmp_path / "bin"
    tools.mkdir()
    (tools / "nvidia-smi").write_text("#!/bin/sh\necho 'GPU 0: NVIDIA RTX A6000 (UUID: GPU-1)'\n")
    (tools / "nvidia-smi").chmod(0o755)
    with_driver = {"PATH": f"{tools}{os.pathsep}{os.environ['PATH']}"}
    assert install(tmp_path, "linux", "--dry-run", extra_env=with_driver)["install"] == f"pip install {REPO}[gpu]"
    assert install(tmp_path, "linux", "--dry-run", "--no-gpu", "--extras", "ui",
                   extra_env=with_driver)["install"] == f"pip install {REPO}[ui]"
    assert install(tmp_path, "macos", "--dry-run", extra_env=with_driver)["install"] == f"pip install {REPO}"
    assert install(tmp_path, "linux", "--dry-run")["install"] == f"pip install {REPO}"


@pytest.mark.parametrize("target_os", ["linux", "macos"])
def test_install_registers_the_environment_idempotently_and_uninstalls(tmp_path, target_os):
    home = tmp_path / "home"
    home.mkdir()
    report = install(home, target_os, "--python-env", sys.prefix)
    menu_folder, config = Path(report["menu scripts"]), Path(report["config"])
    assert sorted(path.stem for path in menu_folder.iterdir()) == sorted(MENU_ITEMS)
    assert (menu_folder / "Cleanup.py").read_bytes() == (MENU / "Cleanup.py").read_bytes()
    written = json.loads(config.read_text())
    assert written == {"schema": "answerprint.resolve/1", "python": f"{sys.prefix}/bin/python",
                       "environment": sys.prefix, "owns_environment": False, "scripts_folder": str(menu_folder)}
    assert str(config) == settings.config_locations(target_os, {}, str(home))[0]

    config.write_text(json.dumps({**written, "production": "ep104"}))
    first = tree(home)
    install(home, target_os, "--python-env", sys.prefix)
    assert tree(home).keys() == first.keys()
    assert json.loads(config.read_text()) == {**written, "production": "ep104"}

    uninstalled = install(home, target_os, "--uninstall")
    assert "kept: registered" in uninstalled["environment"]
    assert not menu_folder.exists() and not config.exists() and Path(sys.prefix, "pyvenv.cfg").is_file()
    install(home, target_os, "--uninstall")


def test_install_creates_and_uninstall_removes_its_own_environment(tmp_path):
    home, environment = tmp_path / "home", tmp_path / "env"
    home.mkdir()
    report = install(home, "linux", "--environment", str(environment), "--python", sys.executable,
                     extra_env={"ANSWERPRINT_SKIP_PIP": "1"})
    assert report["install"].startswith("skipped (ANSWERPRINT_SKIP_PIP=1)")
    config = json.loads(Path(report["config"]).read_text())
    assert (config["python"], config["owns_environment"]) == (f"{environment}/bin/python", True)
    assert (environment / "pyvenv.cfg").is_file()
    again = install(home, "linux", "--environment", str(environment), extra_env={"ANSWERPRINT_SKIP_PIP": "1"})
    assert again["environment"] == f"{environment} (exists; updated)"
    install(home, "linux", "--uninstall")
    assert not environment.exists() and not Path(report["config"]).exists()


def test_install_sh_is_valid_bash():
    assert subprocess.run(["bash", "-n", str(INSTALL_SH)]).returncode == 0


def powershell_folders() -> dict[tuple[str, str], str]:
    """install.ps1's folder table, with %VAR% for $env:VAR: {(scope, key): folder}."""
    text = INSTALL_PS1.read_text(encoding="utf-8")
    table = text[text.index("$Folders = @{"):text.index("$LutFolder")]
    folders, scope = {}, None
    for line in table.splitlines():
        opening = re.match(r"\s*(User|AllUsers) = @\{", line)
        entry = re.match(r"\s*(\w+)\s*= Join-Path \$env:(\w+) '([^']+)'", line)
        if opening:
            scope = opening.group(1)
        elif entry:
            folders[scope, entry.group(1)] = f"%{entry.group(2)}%\\{entry.group(3)}"
    lut_line = re.search(r"\$LutFolder = Join-Path \$env:(\w+) '([^']+)'", text)
    folders["any", "LUT"] = f"%{lut_line.group(1)}%\\{lut_line.group(2)}"
    return folders


def test_install_ps1_folder_table_matches_the_reference_and_the_readers():
    folders = powershell_folders()
    assert folders["User", "Scripts"] == SCRIPTS_FOLDERS["windows", "user"]
    assert folders["AllUsers", "Scripts"] == SCRIPTS_FOLDERS["windows", "all"]
    assert folders["any", "LUT"] == lut.LUT_FOLDERS["windows"]
    expected = settings.config_locations("windows", {"LOCALAPPDATA": "%LOCALAPPDATA%", "PROGRAMDATA": "%PROGRAMDATA%"})
    assert (folders["User", "Config"], folders["AllUsers", "Config"]) == expected


@pytest.mark.skipif(shutil.which("pwsh") is None, reason="PowerShell (pwsh) is not installed here")
def test_install_ps1_dry_run_prints_the_windows_folders(tmp_path):
    environment = {**os.environ, "APPDATA": str(tmp_path / "Roaming"), "LOCALAPPDATA": str(tmp_path / "Local"),
                   "PROGRAMDATA": str(tmp_path / "ProgramData")}
    done = subprocess.run(["pwsh", "-NoProfile", "-File", str(INSTALL_PS1), "-DryRun"], env=environment,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    report = dict(re.findall(r"^([a-zA-Z ]+):\s+(.*)$", done.stdout, flags=re.MULTILINE))
    scripts = SCRIPTS_FOLDERS["windows", "user"].replace("%APPDATA%", environment["APPDATA"])
    assert report["menu scripts"].replace("/", "\\") == f"{scripts}\\Utility\\answerprint".replace("/", "\\")


def menu_source(item: str) -> str:
    return (MENU / f"{item}.py").read_text(encoding="utf-8")


@pytest.mark.parametrize("item", MENU_ITEMS)
def test_menu_scripts_are_python_3_6_standard_library(item):
    tree_ = ast.parse(menu_source(item), feature_version=(3, 6))
    imported = {alias.name for node in ast.walk(tree_) if isinstance(node, ast.Import) for alias in node.names}
    assert not any(isinstance(node, ast.ImportFrom) for node in ast.walk(tree_))
    assert imported <= {"json", "os", "subprocess", "sys", "time"}


def python_36() -> str | None:
    """A real Python 3.6 if this machine has one (on PATH or under pyenv)."""
    candidates = [shutil.which("python3.6") or ""]
    candidates += sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.6*/bin/python3.6")))
    for candidate in candidates:
        if candidate and subprocess.run([candidate, "-c", "import sys; assert sys.version_info[:2] == (3, 6)"],
                                        capture_output=True).returncode == 0:
            return candidate
    return None


def test_menu_scripts_compile_on_a_real_python_3_6():
    interpreter = python_36()
    if interpreter is None:
        pytest.skip("no Python 3.6 on this machine")
    for item in MENU_ITEMS:
        path = str(MENU / f"{item}.py")
        check = "import sys; compile(open(sys.argv[1], encoding='utf-8').read(), sys.argv[1], 'exec')"
        assert subprocess.run([interpreter, "-c", check, path]).returncode == 0, item


def test_menu_scripts_share_one_launcher():
    marker = "# Everything below this line is the same in every answerprint menu script."
    shared = {menu_source(item).split(marker)[1] for item in MENU_ITEMS}
    assert len(shared) == 1


def menu_config_locations(platform: str, environ: dict, home: str) -> list[str]:
    """The menu scripts' ``config_locations()`` as it runs on ``platform`` ("linux", "darwin", "win32")."""
    module = ast.parse(menu_source("Panel"))
    module.body = [node for node in module.body if isinstance(node, ast.FunctionDef)]
    paths = ntpath if platform == "win32" else posixpath
    fake_os = SimpleNamespace(environ=environ, path=SimpleNamespace(
        join=paths.join, expanduser=lambda path: path.replace("~", home, 1)))
    namespace = {"os": fake_os, "sys": SimpleNamespace(platform=platform)}
    exec(compile(module, "Panel.py", "exec"), namespace)
    return namespace["config_locations"]()


@pytest.mark.parametrize("platform, os_name, home, environ", [
    ("linux", "linux", "/home/grader", {}),
    ("linux", "linux", "/home/grader", {"XDG_CONFIG_HOME": "/home/grader/cfg"}),
    ("darwin", "macos", "/Users/grader", {}),
    ("win32", "windows", "C:\\Users\\grader", {"LOCALAPPDATA": "C:\\Users\\grader\\AppData\\Local",
                                                "PROGRAMDATA": "C:\\ProgramData"}),
])
def test_menu_scripts_look_for_the_config_where_the_installers_write_it(platform, os_name, home, environ):
    assert menu_config_locations(platform, environ, home) == list(settings.config_locations(os_name, environ, home))


def run_menu(item: str, home: Path, interpreter: str) -> subprocess.CompletedProcess:
    environment = {"PATH": os.environ["PATH"], "HOME": str(home), "PYTHONPATH": "/Resolve/own/python/lib"}
    return subprocess.run([interpreter, str(MENU / f"{item}.py")], env=environment, capture_output=True,
                          text=True, timeout=30)


@pytest.mark.parametrize("which", ["current", "3.6"])
def test_a_menu_item_launches_answerprint_detached_and_returns(tmp_path, which):
    interpreter = sys.executable if which == "current" else python_36()
    if interpreter is None:
        pytest.skip("no Python 3.6 on this machine")
    home = tmp_path / "home"
    recorder = tmp_path / "python"
    recorder.write_text("#!/bin/sh\nsleep 3\n{ printf '%s\\n' \"$@\"; printf 'PYTHONPATH=%s\\n' \"${PYTHONPATH-unset}\"; }"
                        " > \"$0.partial\" && mv \"$0.partial\" \"$0.args\"\n")
    recorder.chmod(0o755)
    config = Path(settings.config_locations("linux", {}, str(home))[0])
    config.parent.mkdir(parents=True)
    config.write_text(json.dumps({"schema": "answerprint.resolve/1", "python": str(recorder)}))

    started = time.monotonic()
    done = run_menu("Cleanup", home, interpreter)
    assert done.returncode == 0 and time.monotonic() - started < 2.5          # answerprint still runs (3 s)
    assert "answerprint Cleanup started" in done.stdout
    arguments = tmp_path / "python.args"
    for _ in range(200):
        if arguments.exists():
            break
        time.sleep(0.05)
    assert arguments.read_text().splitlines() == ["-m", "answerprint.plugin.resolve", "--settings", str(config),
                                                  "apply", "cleanup", "PYTHONPATH=unset"]
    assert "answerprint Cleanup ==" in (config.parent / "logs" / "resolve.log").read_text()


def test_a_menu_item_without_an_installation_says_how_to_install(tmp_path):
    done = run_menu("Color Match", tmp_path, sys.executable)
    assert done.returncode == 0
    assert "answerprint is not installed for Resolve" in done.stdout
    assert str(tmp_path / ".config" / "answerprint" / "resolve.json") in done.stdout
