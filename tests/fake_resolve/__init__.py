"""A fake ``DaVinciResolveScript`` for tests without Resolve, faithful to tests' source of truth.

It offers only the methods ``/work/shared/reference/resolve_api.md`` documents, with their documented
signatures and return conventions: None or False on failure, ``AppendToTimeline``'s exclusive ``endFrame``,
imports into the current folder, ``SetLUT`` only for LUTs discovered under the master LUT folder, version
generations (Graph from 19.0, source frames from 19.0.2, selected clips from 21.0), page-specific calls
refusing on other pages. Any other call answers None, as on a real Resolve object, and is logged in
``World.undocumented``.

Use::

    world = World(lut_folder)
    monkeypatch.setitem(sys.modules, "DaVinciResolveScript", world.module())
"""
from .app import Project, ProjectManager, Resolve, World
from .edit import Graph, Timeline, TimelineItem
from .media import Folder, MediaPool, MediaPoolItem

API_CLASSES = (Resolve, ProjectManager, Project, MediaPool, Folder, MediaPoolItem, Timeline, TimelineItem, Graph)

__all__ = ["API_CLASSES", "Folder", "Graph", "MediaPool", "MediaPoolItem", "Project", "ProjectManager", "Resolve",
           "Timeline", "TimelineItem", "World"]
