"""A fake ``DaVinciResolveScript`` for tests without Resolve, faithful to tests' source of truth.

It offers only the methods ``/work/shared/reference/resolve_api.md`` documents, with their documented
signatures and return conventions: None or False on failure, ``AppendToTimeline``'s exclusive ``endFrame``,
imports into the current folder, ``SetLUT`` only for LUTs discovered under the master LUT folder, version
generations (Graph from 19.0, source frames from 19.0.2, selected clips from 21.0), page-specific calls
refusing on other pages. It is stricter than Resolve where Resolve is lax: any other call (a real Resolve
answers None) raises ``UndocumentedCall`` and is logged in ``World.undocumented``, a call with the wrong
number of arguments raises ``TypeError``, and where the reference leaves behaviour open the fake takes the
harder reading (``AddSubFolder`` makes the new bin the current one, as some Resolve builds do).

Use::

    world = World(lut_folder)
    monkeypatch.setitem(sys.modules, "DaVinciResolveScript", world.module())
"""
from .app import Project, ProjectManager, Resolve, World
from .base import UndocumentedCall
from .edit import Graph, Timeline, TimelineItem
from .media import Folder, MediaPool, MediaPoolItem

API_CLASSES = (Resolve, ProjectManager, Project, MediaPool, Folder, MediaPoolItem, Timeline, TimelineItem, Graph)

__all__ = ["API_CLASSES", "Folder", "Graph", "MediaPool", "MediaPoolItem", "Project", "ProjectManager", "Resolve",
           "Timeline", "TimelineItem", "UndocumentedCall", "World"]
