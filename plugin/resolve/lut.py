"""Color match as a native, real-time grade: the core's ``.cube`` on a node, and a CDL where one was fitted.

``SetLUT`` only resolves LUTs Resolve has discovered under its master LUT folder (or configured custom
folders) — an absolute path into the per-user LUT folder is refused. So the ``.cube`` is copied to
``<master LUT folder>/answerprint/<production>/<name>-<hash>.cube`` (a new name for new content: a LUT already
used by grades is never rewritten), ``Project.RefreshLUTList()`` makes Resolve see it, and the path *relative
to the LUT folder* is set on each item's node: ``item.GetNodeGraph(1).SetLUT(node, path)`` from Resolve 19,
``item.SetLUT(node, path)`` before. A CDL goes on the same node with ``item.SetCDL``.

The master LUT folder is per OS (``folders``); ``ANSWERPRINT_RESOLVE_LUT_FOLDER`` names another one (a facility's
custom LUT path configured in Resolve). Writing there usually needs the folder ``answerprint`` to be made
writable once by an administrator.
"""
from __future__ import annotations

import hashlib
import os
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from answerprint.core.atomic import write_atomically
from answerprint.core.color.cube import read_cube
from answerprint.core.errors import OutputError, UsageError
from answerprint.core.packs.production import check_production_id

from .connect import ResolveError, ResolveSession
from .folders import LUT_SUBFOLDER, master_lut_folder
from .timeline import item_label

#: TimelineItem.GetNodeGraph(layer) replaced TimelineItem.SetLUT / GetNumNodes in Resolve 19.0.
GRAPH_SINCE = (19, 0, 0)


@dataclass(frozen=True)
class ColorDecision:
    """An ASC CDL: per-channel slope, offset, power, then saturation."""

    slope: tuple[float, float, float] = (1.0, 1.0, 1.0)
    offset: tuple[float, float, float] = (0.0, 0.0, 0.0)
    power: tuple[float, float, float] = (1.0, 1.0, 1.0)
    saturation: float = 1.0

    def for_resolve(self, node: int) -> dict[str, str]:
        """The map ``TimelineItem.SetCDL`` takes: every value a string, channels space-separated."""
        def triple(values: Sequence[float]) -> str:
            return " ".join(f"{value:.6g}" for value in values)

        return {"NodeIndex": str(node), "Slope": triple(self.slope), "Offset": triple(self.offset),
                "Power": triple(self.power), "Saturation": f"{self.saturation:.6g}"}


def read_cdl(path: str | os.PathLike) -> ColorDecision:
    """The first colour correction of an ASC CDL file (``.cc``, ``.cdl`` or ``.ccc``; XML namespaces ignored).

    Raises
    ------
    UsageError
        When the file is unreadable or lacks a complete SOP node.
    """
    try:
        root = ElementTree.parse(path).getroot()
    except (OSError, ElementTree.ParseError) as error:
        raise UsageError(f"not a readable ASC CDL file ({error})", os.fspath(path)) from None
    values = {element.tag.rsplit("}", 1)[-1]: (element.text or "").split() for element in root.iter()}
    try:
        slope, offset, power = (tuple(float(v) for v in values[name]) for name in ("Slope", "Offset", "Power"))
        saturation = float(values.get("Saturation", ["1"])[0])
    except (KeyError, ValueError, IndexError):
        raise UsageError("the CDL needs Slope, Offset and Power of three numbers each", os.fspath(path)) from None
    if not len(slope) == len(offset) == len(power) == 3:
        raise UsageError("the CDL needs Slope, Offset and Power of three numbers each", os.fspath(path))
    return ColorDecision(slope, offset, power, saturation)


def install_cube(cube: str | os.PathLike, production: str, lut_folder: str | os.PathLike | None = None) -> str:
    """Copy a ``.cube`` under the LUT folder and return its path relative to that folder (``/``-separated).

    Raises
    ------
    ColorError
        When the file is not a valid 3D ``.cube`` (``CubeError``).
    UsageError
        When ``production`` is not a valid production id.
    OutputError
        When the LUT folder cannot be written.
    """
    read_cube(cube)
    content = Path(cube).read_bytes()
    name = f"{Path(cube).stem}-{hashlib.sha256(content).hexdigest()[:8]}.cube"
    relative = f"{LUT_SUBFOLDER}/{check_production_id(production)}/{name}"
    target = Path(lut_folder or master_lut_folder()) / relative
    if target.is_file() and target.read_bytes() == content:
        return relative
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(target, content)
    except OSError as error:
        raise OutputError(f"cannot write into Resolve's LUT folder ({error.strerror or error}); ask an "
                          f"administrator to make {target.parent.parent} writable for colorists",
                          target.parent) from None
    return relative


def set_node_lut(item: Any, node: int, relative_path: str, version: tuple[int, int, int]) -> None:
    """Set the LUT on node ``node`` of the item's first layer (Graph from Resolve 19, the item before).

    Raises
    ------
    ResolveError
        When the node does not exist or Resolve refuses the LUT.
    """
    target = item.GetNodeGraph(1) if version >= GRAPH_SINCE else item
    if not target:
        raise ResolveError("Resolve gave no node graph for the clip", item_label(item))
    count = target.GetNumNodes()
    if count and not 1 <= node <= count:
        raise ResolveError(f"node {node} does not exist; the grade has {count} node(s)", item_label(item))
    if not target.SetLUT(node, relative_path):
        raise ResolveError(f"Resolve refused the LUT {relative_path} on node {node}", item_label(item))


@dataclass
class ColorMatchResult:
    """The LUT as Resolve knows it, and per item what was applied or why not."""

    lut: str
    applied: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def apply_color_match(session: ResolveSession, items: Sequence[Any], cube: str | os.PathLike, production: str,
                      node: int = 1, cdl: ColorDecision | None = None,
                      lut_folder: str | os.PathLike | None = None) -> ColorMatchResult:
    """Install ``cube`` for Resolve and grade every item with it (and ``cdl``) on node ``node``.

    Raises
    ------
    ColorError, UsageError, OutputError
        As ``install_cube``.
    ResolveError
        When Resolve refuses to refresh its LUT list. Per-item refusals are reported in the result.
    """
    relative = install_cube(cube, production, lut_folder)
    if not session.project.RefreshLUTList():
        raise ResolveError("Resolve refused to refresh its LUT list", relative)
    result = ColorMatchResult(relative)
    for item in items:
        label = item_label(item)
        try:
            set_node_lut(item, node, relative, session.version)
            if cdl is not None and not item.SetCDL(cdl.for_resolve(node)):
                raise ResolveError(f"Resolve refused the CDL on node {node}", label)
        except ResolveError as error:
            result.failed.append(error.one_line())
            continue
        result.applied.append(f"{label}: node {node} ← {relative}" + (" + CDL" if cdl else ""))
    return result
