"""Connect to a running DaVinci Resolve from answerprint's own process, or say plainly why not.

Resolve's scripting module is found the way Blackmagic's README describes: ``RESOLVE_SCRIPT_API`` (its
``Modules`` folder holds ``DaVinciResolveScript.py``) and ``RESOLVE_SCRIPT_LIB`` (``fusionscript``), with the
per-OS install paths as defaults. ``scriptapp("Resolve")`` returns None when Resolve is not running, when
External scripting is off, and on the Free edition, which refuses outside scripts; the message tells these
apart as far as they can be told apart.

Example
-------
>>> session = open_session()                      # doctest: +SKIP
>>> session.timeline.GetName()                    # doctest: +SKIP
'EP104 reel 2 v12'
"""
from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import os
import subprocess
import sys
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Callable

from answerprint.core.errors import AnswerprintError

from .folders import LINUX_ROOT, linux_root
from .settings import current_os

MODULE_NAME = "DaVinciResolveScript"
PREFERENCE = "Preferences › System › General › External scripting using"
#: (RESOLVE_SCRIPT_API, RESOLVE_SCRIPT_LIB) per OS, from the README's "Using a script" section.
SCRIPT_PATHS = {
    "macos": ("/Library/Application Support/Blackmagic Design/DaVinci Resolve/Developer/Scripting",
              "/Applications/DaVinci Resolve/DaVinci Resolve.app/Contents/Libraries/Fusion/fusionscript.so"),
    "windows": ("%PROGRAMDATA%\\Blackmagic Design\\DaVinci Resolve\\Support\\Developer\\Scripting",
                "C:\\Program Files\\Blackmagic Design\\DaVinci Resolve\\fusionscript.dll"),
    "linux": ("/opt/resolve/Developer/Scripting", "/opt/resolve/libs/Fusion/fusionscript.so"),
}
_PROCESS_QUERIES = {
    "linux": ["pgrep", "-f", "/resolve/bin/resolve"],
    "macos": ["pgrep", "-x", "Resolve"],
    "windows": ["tasklist", "/FI", "IMAGENAME eq Resolve.exe", "/NH"],
}


class ResolveError(AnswerprintError):
    """Resolve cannot do what was asked: not reachable, wrong edition, no project or timeline, a refused call."""

    exit_code = 8


class ResolveNotRunningError(ResolveError):
    """No DaVinci Resolve process is running on this machine."""


class ExternalScriptingOffError(ResolveError):
    """Resolve runs but refuses an outside connection (External scripting off, or the Free edition)."""


class ResolveEditionError(ResolveError):
    """The connected Resolve is the Free edition, which answerprint cannot drive."""


@dataclass
class ResolveSession:
    """The Resolve objects a job works on, fetched once.

    Attributes
    ----------
    resolve, project, media_pool : Resolve API objects
        ``scriptapp("Resolve")``, the current project and its media pool.
    timeline : Resolve Timeline or None
        The current timeline, None when the project has none open.
    version : tuple of int
        ``(major, minor, patch)`` from ``GetVersion()``: decides between API generations (Graph from 19.0).
    """

    resolve: Any
    project: Any
    media_pool: Any
    timeline: Any
    version: tuple[int, int, int]

    def require_timeline(self) -> Any:
        """The current timeline.

        Raises
        ------
        ResolveError
            When no timeline is open.
        """
        if not self.timeline:
            raise ResolveError("no timeline is open in the current project; open one on the Edit or Color page")
        return self.timeline


def script_paths(os_name: str | None = None) -> tuple[str, str]:
    """``(RESOLVE_SCRIPT_API, RESOLVE_SCRIPT_LIB)``: the environment's values, else the OS's install paths."""
    os_name = os_name or current_os()
    api, lib = SCRIPT_PATHS[os_name]
    if os_name == "windows":
        api = os.path.expandvars(api)
    elif os_name == "linux":
        api, lib = (path.replace(LINUX_ROOT, linux_root()) for path in (api, lib))
    return os.environ.get("RESOLVE_SCRIPT_API", api), os.environ.get("RESOLVE_SCRIPT_LIB", lib)


def import_script_module() -> ModuleType:
    """Resolve's ``DaVinciResolveScript`` module (already imported, on the path, or from the install).

    When the shipped shim cannot load under this Python (copies before Resolve 18 use ``imp``, gone in 3.12),
    ``fusionscript`` is loaded directly from ``RESOLVE_SCRIPT_LIB``; it offers the same ``scriptapp``.

    Raises
    ------
    ResolveError
        When neither can be loaded: Resolve is not installed where expected.
    """
    if MODULE_NAME in sys.modules:
        return sys.modules[MODULE_NAME]
    api, lib = script_paths()
    os.environ.setdefault("RESOLVE_SCRIPT_LIB", lib)
    if current_os() == "windows":
        os.environ.setdefault("FUSION_PYTHON3_HOME", sys.base_prefix)
    modules = os.path.join(api, "Modules")
    if modules not in sys.path:
        sys.path.append(modules)
    try:
        return importlib.import_module(MODULE_NAME)
    except ImportError as error:
        if os.path.isfile(lib):
            loader = importlib.machinery.ExtensionFileLoader("fusionscript", lib)
            spec = importlib.util.spec_from_loader("fusionscript", loader)
            module = importlib.util.module_from_spec(spec)
            loader.exec_module(module)
            return module
        raise ResolveError(f"DaVinci Resolve's scripting module is not installed here ({error}); install "
                           "Resolve Studio, or set RESOLVE_SCRIPT_API and RESOLVE_SCRIPT_LIB", modules) from None


def resolve_is_running(os_name: str | None = None) -> bool:
    """True when a DaVinci Resolve process runs on this machine (asked of ``pgrep`` / ``tasklist``).

    When the question cannot be asked (no ``pgrep``), the answer is True: the caller then blames the
    connection settings, the likelier cause when the menu item was chosen inside Resolve.
    """
    query = _PROCESS_QUERIES[os_name or current_os()]
    try:
        found = subprocess.run(query, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return True
    if query[0] == "tasklist":
        return "Resolve.exe" in found.stdout
    return found.returncode == 0


def connect(process_running: Callable[[], bool] | None = None) -> Any:
    """The ``Resolve`` scripting object of the running Resolve Studio.

    Parameters
    ----------
    process_running : callable, optional
        Says whether Resolve runs (default ``resolve_is_running``); asked only when the connection fails, to
        word the message.

    Raises
    ------
    ResolveNotRunningError, ExternalScriptingOffError, ResolveEditionError
        With a message saying what to do.
    """
    resolve = import_script_module().scriptapp("Resolve")
    if resolve is None:
        if not (process_running or resolve_is_running)():
            raise ResolveNotRunningError("DaVinci Resolve is not running; start Resolve Studio, open the project, "
                                         "then choose the answerprint menu item again")
        raise ExternalScriptingOffError(
            f"DaVinci Resolve refuses the connection: in Resolve Studio set {PREFERENCE} = Local. The Free "
            "edition does not accept outside scripts (and from 21.1 runs no Python scripts at all)")
    product = resolve.GetProductName() or ""
    if "Studio" not in product:
        raise ResolveEditionError(f"{product or 'this Resolve'} is the Free edition; answerprint needs DaVinci "
                                  "Resolve Studio (outside scripting, render and import are Studio features)")
    return resolve


def open_session(process_running: Callable[[], bool] | None = None) -> ResolveSession:
    """Connect and fetch the current project, its media pool and current timeline.

    Raises
    ------
    ResolveError
        When Resolve is unreachable or the Free edition, or no project is open.
    """
    resolve = connect(process_running)
    project = resolve.GetProjectManager().GetCurrentProject()
    if not project:
        raise ResolveError("no project is open in DaVinci Resolve")
    version = tuple(int(part) for part in (resolve.GetVersion() or [0, 0, 0])[:3])
    return ResolveSession(resolve, project, project.GetMediaPool(), project.GetCurrentTimeline(),
                          (version + (0, 0, 0))[:3])
