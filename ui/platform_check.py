"""Before Qt starts: can this machine show the panel? A missing system library is one line, not a SIGABRT.

Qt aborts the whole process (SIGABRT, no Python error) when its X11 platform plugin cannot load, for example on
Debian without ``libxcb-cursor0`` (needed since Qt 6.5), or when the display cannot be reached. ``check_platform``
looks first, without importing Qt: it asks the dynamic loader (``ldd``) which libraries of PySide6's xcb plugin
are missing and names the Debian/Ubuntu packages that bring them, and it checks that ``$DISPLAY`` answers.
``python -m answerprint.ui.platform_check`` prints the verdict (installers call it).
"""
from __future__ import annotations

import importlib.util
import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

from answerprint.core.errors import AnswerprintError

#: Shared libraries of Qt's xcb platform plugin (and of Qt itself) → the Debian/Ubuntu package holding them.
DEBIAN_PACKAGES = {
    "libxcb-cursor.so.0": "libxcb-cursor0", "libxcb-icccm.so.4": "libxcb-icccm4", "libxcb-util.so.1": "libxcb-util1",
    "libxcb-image.so.0": "libxcb-image0", "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-randr.so.0": "libxcb-randr0", "libxcb-render.so.0": "libxcb-render0",
    "libxcb-render-util.so.0": "libxcb-render-util0", "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-shm.so.0": "libxcb-shm0", "libxcb-sync.so.1": "libxcb-sync1", "libxcb.so.1": "libxcb1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0", "libxcb-xkb.so.1": "libxcb-xkb1", "libxkbcommon.so.0": "libxkbcommon0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0", "libX11-xcb.so.1": "libx11-xcb1", "libX11.so.6": "libx11-6",
    "libGL.so.1": "libgl1", "libEGL.so.1": "libegl1", "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6", "libdbus-1.so.3": "libdbus-1-3", "libglib-2.0.so.0": "libglib2.0-0",
    "libgthread-2.0.so.0": "libglib2.0-0",
}
_NOT_FOUND = re.compile(r"^\s*(\S+)\s+=>\s+not found", re.MULTILINE)


class DisplayUnavailable(AnswerprintError):
    """The panel cannot be shown on this machine: a system library is missing or the display does not answer."""

    exit_code = 3


def missing_libraries(ldd_output: str) -> list[str]:
    """The sonames ``ldd`` reports as ``not found``, each once, in order."""
    return list(dict.fromkeys(_NOT_FOUND.findall(ldd_output)))


def install_hint(sonames: list[str]) -> str:
    """What to run to bring ``sonames``: the apt-get line for those Debian/Ubuntu knows by name."""
    packages = list(dict.fromkeys(DEBIAN_PACKAGES[name] for name in sonames if name in DEBIAN_PACKAGES))
    unknown = [name for name in sonames if name not in DEBIAN_PACKAGES]
    hint = f"sudo apt-get install {' '.join(packages)}" if packages else ""
    if unknown:
        hint += ("; and " if hint else "install the packages holding ") + ", ".join(unknown)
    return hint


def xcb_plugin() -> Path | None:
    """PySide6's xcb platform plugin, found without importing Qt; None when PySide6 has none (not Linux)."""
    spec = importlib.util.find_spec("PySide6")
    if spec is None or not spec.submodule_search_locations:
        return None
    plugin = Path(list(spec.submodule_search_locations)[0]) / "Qt" / "plugins" / "platforms" / "libqxcb.so"
    return plugin if plugin.is_file() else None


def _display_answers(display: str) -> bool:
    """True when an X server listens at ``display`` (``:0``, ``:99.0``, ``host:10``)."""
    match = re.fullmatch(r"(?P<host>[^:]*):(?P<number>\d+)(?:\.\d+)?", display)
    if match is None:
        return False
    host, number = match.group("host"), int(match.group("number"))
    try:
        if host in ("", "unix"):
            path = f"/tmp/.X11-unix/X{number}"
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
                connection.settimeout(2.0)
                try:
                    connection.connect(path)
                except OSError:
                    connection.connect("\0" + path)          # Linux's abstract socket
            return True
        with socket.create_connection((host, 6000 + number), timeout=2.0):
            return True
    except OSError:
        return False


def check_platform(environment: dict[str, str] | None = None) -> None:
    """Refuse, in one line, to start Qt where it would abort; nothing to say on macOS, Windows or offscreen.

    Raises
    ------
    DisplayUnavailable
        When the xcb plugin lacks system libraries (naming the packages) or ``$DISPLAY`` does not answer.
    """
    environment = dict(os.environ if environment is None else environment)
    platform = environment.get("QT_QPA_PLATFORM", "")
    if not sys.platform.startswith("linux") or platform not in ("", "xcb"):
        return
    if not platform and environment.get("WAYLAND_DISPLAY"):
        return                                       # Qt prefers Wayland there
    plugin = xcb_plugin()
    if plugin is not None and shutil.which("ldd"):
        report = subprocess.run(["ldd", str(plugin)], capture_output=True, text=True, timeout=30).stdout
        missing = missing_libraries(report)
        if missing:
            raise DisplayUnavailable(f"Qt's X11 display plugin needs {', '.join(missing)}; run: "
                                     f"{install_hint(missing)}")
    display = environment.get("DISPLAY", "")
    if not display:
        raise DisplayUnavailable("no display: set DISPLAY (or QT_QPA_PLATFORM=offscreen to render without one)")
    if not _display_answers(display):
        raise DisplayUnavailable(f"the X display {display} does not answer (is the X server running, and "
                                 "may this user connect to it?)")


def main() -> int:
    """Print whether the panel can start here; exit status 0 when it can, else the error's."""
    try:
        check_platform()
    except AnswerprintError as error:
        print(f"answerprint panel: {error.one_line()}", file=sys.stderr)
        return error.exit_code
    print("answerprint panel: this machine can show the panel")
    return 0


if __name__ == "__main__":
    sys.exit(main())
