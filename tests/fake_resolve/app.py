"""Fake application objects: Resolve, ProjectManager, Project (reference §1 "Connecting", §2), and the World.

``World`` is the state behind one fake Resolve: which edition runs, whether External scripting is Local,
the version, the page, the master LUT folder, and the logs of documented and undocumented calls.
``World.module()`` is the ``DaVinciResolveScript`` module to put in ``sys.modules``.
"""
from __future__ import annotations

import os
import types
from typing import Any

from .base import ApiObject
from .edit import Timeline
from .media import MediaPool

PAGES = ("media", "cut", "edit", "fusion", "color", "fairlight", "deliver")


class Project(ApiObject):
    """A project with its media pool and timelines."""

    def __init__(self, world: Any, name: str):
        super().__init__(world)
        self._name = name
        self._media_pool = MediaPool(world, self)
        self._timelines: list[Timeline] = []
        self._current_timeline: Timeline | None = None
        self._settings = {"nodeStackLayers": "1", "timelineFrameRate": "24"}

    def _new_timeline(self, name: str) -> Timeline | None:
        if any(t.GetName() == name for t in self._timelines):
            return None
        timeline = Timeline(self._world, self, name)
        self._timelines.append(timeline)
        self._current_timeline = timeline
        return timeline

    def GetMediaPool(self) -> MediaPool:
        return self._media_pool

    def GetCurrentTimeline(self) -> Timeline | None:
        return self._current_timeline

    def GetTimelineCount(self) -> int:
        return len(self._timelines)

    def GetTimelineByIndex(self, idx: int) -> Timeline | None:
        return self._timelines[idx - 1] if 1 <= idx <= len(self._timelines) else None

    def SetCurrentTimeline(self, timeline: Timeline) -> bool:
        if timeline not in self._timelines:
            return False
        self._current_timeline = timeline
        return True

    def GetSetting(self, settingName: str | None = None) -> Any:
        return dict(self._settings) if settingName is None else self._settings.get(settingName, "")

    def RefreshLUTList(self) -> bool:
        root = self._world.lut_folder
        found = set()
        for folder, _, names in os.walk(root):
            for name in names:
                if name.lower().endswith((".cube", ".dctl")):
                    found.add(os.path.relpath(os.path.join(folder, name), root).replace(os.sep, "/"))
        self._world.discovered_luts = found
        return True

    def GetUniqueId(self) -> str:
        return self._id


class ProjectManager(ApiObject):
    """Projects by name; one is current."""

    def __init__(self, world: Any):
        super().__init__(world)
        self._projects: dict[str, Project] = {}
        self._current: Project | None = None

    def GetCurrentProject(self) -> Project | None:
        return self._current

    def CreateProject(self, projectName: str, mediaLocationPath: str | None = None) -> Project | None:
        if projectName in self._projects:
            return None
        self._projects[projectName] = self._current = Project(self._world, projectName)
        return self._current

    def LoadProject(self, projectName: str) -> Project | None:
        self._current = self._projects.get(projectName) or self._current
        return self._projects.get(projectName)


class Resolve(ApiObject):
    """The application object ``scriptapp("Resolve")`` returns."""

    def GetProjectManager(self) -> ProjectManager:
        return self._world.project_manager

    def OpenPage(self, pageName: str) -> bool:
        if pageName not in PAGES:
            return False
        self._world.page = pageName
        return True

    def GetCurrentPage(self) -> str:
        return self._world.page

    def GetProductName(self) -> str:
        return "DaVinci Resolve Studio" if self._world.edition == "Studio" else "DaVinci Resolve"

    def GetVersion(self) -> list[Any]:
        return list(self._world.version)

    def GetVersionString(self) -> str:
        major, minor, patch, build, suffix = self._world.version
        return f"{major}.{minor}.{patch}.{build}{suffix}"


class World:
    """One fake Resolve installation and session.

    Parameters
    ----------
    lut_folder : path
        The master LUT folder (``RefreshLUTList`` scans it; ``SetLUT`` resolves against it).
    edition : str
        ``"Studio"`` or ``"Free"``.
    external_scripting : str
        ``"Local"``, ``"Network"`` or ``"None"`` (Preferences › System › General).
    running : bool
        Whether Resolve runs at all.
    version : tuple
        ``(major, minor, patch, build, suffix)`` as ``GetVersion`` returns it.
    free_accepts_external : bool
        A Free build that still answers outside scripts (older versions); normally Free returns None.
    add_subfolder_selects : bool
        ``MediaPool.AddSubFolder`` makes the new bin the current one (the strict reading; False for builds
        that leave the current bin alone).
    """

    def __init__(self, lut_folder: str | os.PathLike, edition: str = "Studio", external_scripting: str = "Local",
                 running: bool = True, version: tuple = (19, 1, 3, 7, ""), free_accepts_external: bool = False,
                 add_subfolder_selects: bool = True):
        self.lut_folder = os.fspath(lut_folder)
        self.edition, self.external_scripting, self.running = edition, external_scripting, running
        self.version, self.free_accepts_external = version, free_accepts_external
        self.add_subfolder_selects = add_subfolder_selects
        self.page = "edit"
        self.calls: list[str] = []
        self.undocumented: list[str] = []
        self.discovered_luts: set[str] = set()
        self.project_manager = ProjectManager(self)
        self.resolve = Resolve(self)

    def scriptapp(self, name: str) -> Resolve | None:
        """What ``DaVinciResolveScript.scriptapp`` answers from an outside process."""
        reachable = self.running and self.external_scripting in ("Local", "Network")
        if name != "Resolve" or not reachable or (self.edition != "Studio" and not self.free_accepts_external):
            return None
        return self.resolve

    def module(self) -> types.ModuleType:
        """The fake ``DaVinciResolveScript`` module: only ``scriptapp``."""
        module = types.ModuleType("DaVinciResolveScript")
        module.scriptapp = self.scriptapp
        return module
