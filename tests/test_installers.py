"""What gets installed into Resolve: ``answerprint resolve install``, install.sh and install.ps1 against a
temporary home, and the menu scripts they write.

install.sh runs for real, registering this test environment, for the Linux and the macOS folder tables
(``ANSWERPRINT_TARGET_OS``); creating an environment from the wheel is ``test_packaging``'s. install.ps1 runs
only where ``pwsh`` exists; everywhere it is parsed with a PowerShell grammar (tree-sitter-powershell), and
its folder table is read from the syntax tree and checked against the other readers of resolve.json.
"""
from __future__ import annotations

import argparse
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
import tree_sitter_powershell
from tree_sitter import Language, Node, Parser

from answerprint.plugin.resolve import arguments, folders, settings
from answerprint.plugin.resolve.menu import menu_items, menu_script
from answerprint.plugin.resolve.status import HANDSHAKE_SECONDS

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="install.sh and the launch check need a POSIX shell")
REPO = Path(__file__).resolve().parents[1]
INSTALL_SH = REPO / "install_scripts" / "install.sh"
INSTALL_PS1 = REPO / "install_scripts" / "install.ps1"
MENU_TITLES = ("Panel", "Cleanup", "Relight", "Color Match", "Continuity", "Continuity fix colour", "Train from bin")
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
WINDOWS_ENVIRONMENT = {"APPDATA": "%APPDATA%", "PROGRAMDATA": "%PROGRAMDATA%", "LOCALAPPDATA": "%LOCALAPPDATA%"}
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
    report = install(home, target_os, "--dry-run", "--python-env", sys.prefix,
                     *(["--all-users"] if scope == "all" else []))
    scripts = SCRIPTS_FOLDERS[target_os, scope].format(home=home)
    assert report["menu scripts"] == f"{scripts}/Utility/answerprint"
    user_config, system_config = settings.config_locations(target_os, {}, str(home))
    assert report["config"] == (user_config if scope == "user" else system_config)
    assert report["LUT folder"].startswith(f"{folders.LUT_FOLDERS[target_os]}/answerprint ")
    assert list(home.iterdir()) == []


def test_dry_run_without_an_environment_says_what_it_would_make(tmp_path):
    report = install(tmp_path, "linux", "--dry-run")
    assert report["environment"].startswith(f"{tmp_path}/.local/share/answerprint/resolve-env (create with ")
    assert report["install"] == f"pip install {REPO}"
    assert "answerprint resolve install" in report["menu scripts"]
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("target_os, scope", sorted(SCRIPTS_FOLDERS))
def test_the_menu_folder_of_each_os_and_scope_is_resolves(target_os, scope):
    if target_os == "linux" and scope == "all" and folders.linux_root() != "/opt/resolve":
        pytest.skip("this machine's Resolve lives under /home/resolve")
    home = "C:\\Users\\grader" if target_os == "windows" else "/home/grader"
    separator = "\\" if target_os == "windows" else "/"
    expected = SCRIPTS_FOLDERS[target_os, scope].format(home=home) + f"{separator}Utility{separator}answerprint"
    assert folders.menu_folder(target_os, scope == "all", WINDOWS_ENVIRONMENT, home) == expected


def test_the_folders_are_the_ones_the_reference_documents():
    if not REFERENCE.is_file():
        pytest.skip("the Resolve API reference is not on this machine")
    text = REFERENCE.read_text(encoding="utf-8")
    for (target_os, _), folder in SCRIPTS_FOLDERS.items():
        assert folder.format(home=REFERENCE_HOMES[target_os]) in text
    for folder in folders.LUT_FOLDERS.values():
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
    assert sorted(path.stem for path in menu_folder.iterdir()) == sorted(MENU_TITLES)
    for item in menu_items():
        assert (menu_folder / item.file_name).read_text(encoding="utf-8") == menu_script(item)
    written = json.loads(config.read_text())
    assert written == {"schema": "answerprint.resolve/1", "python": f"{sys.prefix}/bin/python",
                       "environment": sys.prefix, "owns_environment": False, "scripts_folder": str(menu_folder)}
    assert str(config) == settings.config_locations(target_os, {}, str(home))[0]

    config.write_text(json.dumps({**written, "production": "ep104"}))
    (menu_folder / "Old item.py").write_text('"""answerprint › Old item: from an older answerprint."""\n')
    (menu_folder / "mine.py").write_text("print('a colorist's own script')\n")
    first = tree(home)
    install(home, target_os, "--python-env", sys.prefix)
    assert set(tree(home)) == set(first) - {str((menu_folder / "Old item.py").relative_to(home))}
    assert json.loads(config.read_text()) == {**written, "production": "ep104"}

    uninstalled = install(home, target_os, "--uninstall")
    assert "kept: registered" in uninstalled["environment"]
    assert [path.name for path in menu_folder.iterdir()] == ["mine.py"]            # only answerprint's go
    assert not config.exists() and Path(sys.prefix, "pyvenv.cfg").is_file()
    install(home, target_os, "--uninstall")


def test_answerprint_resolve_install_alone_registers_the_running_environment(tmp_path):
    environment = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "ANSWERPRINT_TARGET_OS": "linux"}
    command = [sys.executable, "-m", "answerprint.core.cli", "resolve"]
    done = subprocess.run([*command, "install"], env=environment, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    config = Path(settings.config_locations("linux", {}, str(tmp_path))[0])
    assert json.loads(config.read_text())["python"] == sys.executable
    assert subprocess.run([*command, "uninstall"], env=environment, timeout=60).returncode == 0
    assert not config.exists()


def test_a_menu_folder_that_cannot_be_written_is_said_in_one_line(tmp_path):
    (tmp_path / ".local" / "share").mkdir(parents=True)
    (tmp_path / ".local" / "share" / "DaVinciResolve").write_text("a file where Resolve's folder should be")
    environment = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "ANSWERPRINT_TARGET_OS": "linux"}
    refused = subprocess.run([sys.executable, "-m", "answerprint.core.cli", "resolve", "install"], env=environment,
                             capture_output=True, text=True, timeout=60)
    assert refused.returncode == 4 and refused.stderr.count("\n") == 1
    assert refused.stderr.startswith("answerprint resolve: error: ") and "cannot be written (Not a directory)" in refused.stderr
    assert not (tmp_path / ".config" / "answerprint" / "resolve.json").exists()


def test_a_registered_environment_that_is_gone_is_still_uninstalled(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    report = install(home, "linux", "--python-env", sys.prefix)
    config = Path(report["config"])
    config.write_text(json.dumps({**json.loads(config.read_text()), "python": str(tmp_path / "gone" / "python")}))
    uninstalled = install(home, "linux", "--uninstall")
    assert uninstalled["menu scripts"] == f"{report['menu scripts']} (remove)"
    assert not Path(report["menu scripts"]).exists() and not config.exists()


def test_install_sh_is_valid_bash():
    assert subprocess.run(["bash", "-n", str(INSTALL_SH)]).returncode == 0


def powershell_tree(source: bytes) -> Node:
    return Parser(Language(tree_sitter_powershell.language())).parse(source).root_node


def syntax_errors(node: Node) -> list[str]:
    """Every ERROR or missing node under ``node``, with its line."""
    found = [f"line {node.start_point[0] + 1}: {node.text[:60]!r}"] if node.type == "ERROR" or node.is_missing else []
    for child in node.children:
        found += syntax_errors(child)
    return found


def test_install_ps1_parses_with_a_powershell_grammar():
    source = INSTALL_PS1.read_bytes()
    assert syntax_errors(powershell_tree(source)) == []
    broken = source.replace(b"if ($Uninstall) {\n", b"if ($Uninstall \n", 1)
    assert broken != source and syntax_errors(powershell_tree(broken)) != []       # the grammar does check


def ps1_nodes(node: Node, kinds: tuple[str, ...]) -> list[Node]:
    """Every node of one of ``kinds`` under ``node``, in source order."""
    found = [node] if node.type in kinds else []
    for child in node.children:
        found += ps1_nodes(child, kinds)
    return found


def test_install_ps1_calls_answerprint_resolve_with_options_it_takes():
    root = powershell_tree(INSTALL_PS1.read_bytes())
    calls = [[element.text.decode() for element in command.child_by_field_name("command_elements").children
              if element.type != "command_argument_sep"]
             for command in ps1_nodes(root, ("command",)) if command.child_by_field_name("command_elements")]
    assert ["-m", "answerprint.core.cli", "resolve", "@Arguments", "@ResolveOptions"] in calls
    strings = {node.text.decode().strip("\"'") for node in ps1_nodes(root, ("expandable_string_literal",
                                                                            "verbatim_string_characters"))}
    assert {"install", "uninstall", "--all-users", "--dry-run", "--owned-environment"} <= strings
    parser = argparse.ArgumentParser()
    arguments.add_actions(parser)
    for action in ("install", "uninstall"):
        parsed = parser.parse_args([action, "--all-users", "--dry-run", "--owned-environment"])
        assert (parsed.action, parsed.all_users, parsed.dry_run) == (action, True, True)


def powershell_folders() -> dict[tuple[str, str], str]:
    """install.ps1's folder table, with %VAR% for $env:VAR: {(scope, key): folder}."""
    text = INSTALL_PS1.read_text(encoding="utf-8")
    table = text[text.index("$Folders = @{"):text.index("if ($AllUsers)")]
    found, scope = {}, None
    for line in table.splitlines():
        opening = re.match(r"\s*(User|AllUsers) = @\{", line)
        entry = re.match(r"\s*(\w+)\s*= Join-Path \$env:(\w+) '([^']+)'", line)
        if opening:
            scope = opening.group(1)
        elif entry:
            found[scope, entry.group(1)] = f"%{entry.group(2)}%\\{entry.group(3)}"
    return found


def test_install_ps1_config_table_matches_the_readers():
    table = powershell_folders()
    expected = settings.config_locations("windows", WINDOWS_ENVIRONMENT)
    assert (table["User", "Config"], table["AllUsers", "Config"]) == expected
    assert table["User", "Environment"] == "%LOCALAPPDATA%\\answerprint\\resolve-env"


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


def menu_source(title: str) -> str:
    return menu_script(next(item for item in menu_items() if item.title == title))


@pytest.mark.parametrize("title", MENU_TITLES)
def test_menu_scripts_are_python_3_6_standard_library(title):
    tree_ = ast.parse(menu_source(title), feature_version=(3, 6))
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


def test_menu_scripts_compile_on_a_real_python_3_6(tmp_path):
    interpreter = python_36()
    if interpreter is None:
        pytest.skip("no Python 3.6 on this machine")
    for title in MENU_TITLES:
        path = tmp_path / f"{title}.py"
        path.write_text(menu_source(title), encoding="utf-8")
        check = "import sys; compile(open(sys.argv[1], encoding='utf-8').read(), sys.argv[1], 'exec')"
        assert subprocess.run([interpreter, "-c", check, str(path)]).returncode == 0, title


def test_menu_scripts_differ_only_in_what_names_their_item():
    cleanup, relight = (menu_source(title).splitlines() for title in ("Cleanup", "Relight"))
    differing = [(a, b) for a, b in zip(cleanup, relight) if a != b]
    assert len(cleanup) == len(relight) and len(differing) == 3
    assert [a.split()[0] for a, _ in differing] == ['"""answerprint', "ACTION", "TITLE"]


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


#: Stand-ins for answerprint's Python: each reads --status from its arguments, then behaves as a job would.
JOBS = {
    "working": "printf '{\"state\": \"working\", \"message\": \"rendering 1 clip(s) through cleanup\"}' "
               "> \"$status\"\nsleep 3",
    "failed": "echo 'answerprint resolve apply: error: DaVinci Resolve refuses the connection'\n"
              "printf '{\"state\": \"failed\", \"message\": \"DaVinci Resolve refuses the connection: set "
              "External scripting = Local\"}' > \"$status\"\nexit 8",
    "crashed": "echo 'Traceback (most recent call last):' >&2\necho 'ImportError: no module named numpy' >&2\nexit 1",
    "silent": "sleep 3",
}


def fake_answerprint(folder: Path, job: str) -> Path:
    """A 'python' that records its arguments and environment and then runs ``JOBS[job]``."""
    script = folder / "python"
    script.write_text("#!/bin/sh\nstatus=''; previous=''\n"
                      "for argument in \"$@\"; do [ \"$previous\" = --status ] && status=\"$argument\"; "
                      "previous=\"$argument\"; done\n"
                      "{ printf '%s\\n' \"$@\"; printf 'PYTHONPATH=%s\\n' \"${PYTHONPATH-unset}\"; } > \"$0.args\"\n"
                      + JOBS[job] + "\n")
    script.chmod(0o755)
    return script


def installed(home: Path, python: Path) -> Path:
    config = Path(settings.config_locations("linux", {}, str(home))[0])
    config.parent.mkdir(parents=True)
    config.write_text(json.dumps({"schema": "answerprint.resolve/1", "python": str(python)}))
    return config


def run_menu(title: str, home: Path, interpreter: str, handshake: float | None = None) -> subprocess.CompletedProcess:
    source = menu_source(title)
    if handshake is not None:
        source = source.replace(f"HANDSHAKE_SECONDS = {HANDSHAKE_SECONDS!r}", f"HANDSHAKE_SECONDS = {handshake!r}")
    script = home.parent / f"{title}.py"
    script.write_text(source, encoding="utf-8")
    environment = {"PATH": os.environ["PATH"], "HOME": str(home), "PYTHONPATH": "/Resolve/own/python/lib"}
    return subprocess.run([interpreter, str(script)], env=environment, capture_output=True, text=True, timeout=30)


@pytest.mark.parametrize("which", ["current", "3.6"])
def test_a_menu_item_launches_answerprint_detached_and_says_it_is_working(tmp_path, which):
    interpreter = sys.executable if which == "current" else python_36()
    if interpreter is None:
        pytest.skip("no Python 3.6 on this machine")
    home = tmp_path / "home"
    config = installed(home, fake_answerprint(tmp_path, "working"))
    started = time.monotonic()
    done = run_menu("Cleanup", home, interpreter)
    assert done.returncode == 0 and time.monotonic() - started < 2.5          # answerprint still runs (3 s)
    log = config.parent / "logs" / "resolve.log"
    assert re.search(r"answerprint Cleanup is working \(process \d+\): rendering 1 clip\(s\) through cleanup\. "
                     rf"Progress is in {re.escape(str(log))}", done.stdout), done.stdout
    arguments = (tmp_path / "python.args").read_text().splitlines()
    status = arguments[arguments.index("--status") + 1]
    assert arguments == ["-m", "answerprint.plugin.resolve", "--settings", str(config), "--status", status,
                         "--log", str(log), "apply", "cleanup", "PYTHONPATH=unset"]
    assert Path(status).parent == log.parent / "status"
    assert "answerprint Cleanup ==" in log.read_text()


class FakeUIManager:
    """Resolve's UIManager and UIDispatcher as far as a menu script uses them; a click on OK closes the window."""

    def __init__(self) -> None:
        self.shown: list[tuple[str, str]] = []
        self.closed = False

    def __getattr__(self, element: str):
        return lambda *parts: (element, parts)

    def Label(self, properties: dict) -> tuple:
        self.text = properties["Text"]
        return ("Label", properties)

    def UIDispatcher(self, ui: "FakeUIManager") -> "FakeUIManager":
        return self

    def AddWindow(self, properties: dict, layout: tuple) -> SimpleNamespace:
        self.shown.append((properties["WindowTitle"], self.text))
        self.window = SimpleNamespace(On=SimpleNamespace(ok=SimpleNamespace(), answerprint=SimpleNamespace()),
                                      Show=lambda: None, Hide=lambda: None)
        return self.window

    def RunLoop(self) -> None:
        self.window.On.ok.Clicked({"who": "ok"})

    def ExitLoop(self) -> None:
        self.closed = True


def test_a_failure_goes_to_the_console_and_a_dialog_with_the_log(tmp_path, monkeypatch, capsys):
    home = tmp_path / "home"
    config = installed(home, fake_answerprint(tmp_path, "failed"))
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    ui = FakeUIManager()
    namespace = {"__name__": "__main__", "fusion": SimpleNamespace(UIManager=ui), "bmd": ui}  # Resolve's globals
    exec(compile(menu_source("Cleanup"), "Cleanup.py", "exec"), namespace)
    log = config.parent / "logs" / "resolve.log"
    expected = ("answerprint Cleanup failed: DaVinci Resolve refuses the connection: set External scripting = Local\n"
                f"Details are in {log}")
    assert capsys.readouterr().out.strip() == expected
    assert ui.shown == [("answerprint Cleanup", expected)] and ui.closed


def test_a_crash_before_any_status_shows_its_last_log_line(tmp_path):
    home = tmp_path / "home"
    installed(home, fake_answerprint(tmp_path, "crashed"))
    done = run_menu("Relight", home, sys.executable)
    assert done.stdout.startswith("answerprint Relight failed: ImportError: no module named numpy\nDetails are in ")


def test_a_job_that_says_nothing_in_time_is_left_running_with_the_log_named(tmp_path):
    home = tmp_path / "home"
    installed(home, fake_answerprint(tmp_path, "silent"))
    started = time.monotonic()
    done = run_menu("Train from bin", home, sys.executable, handshake=0.5)
    assert time.monotonic() - started < 2.5
    assert re.match(r"answerprint Train from bin started \(process \d+\); its messages are in .*resolve\.log$",
                    done.stdout.strip())


def test_a_menu_item_without_an_installation_says_how_to_install(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    done = run_menu("Color Match", home, sys.executable)
    assert done.returncode == 0
    assert "answerprint is not installed for Resolve" in done.stdout
    assert "answerprint resolve install" in done.stdout
    assert str(home / ".config" / "answerprint" / "resolve.json") in done.stdout
