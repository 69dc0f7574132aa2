"""Shots of an edit grouped into scenes and set-ups, and the pairs a continuity check compares.

Where scenes come from (``--scene-from``):

- ``names``: slate notation in clip or file names — ``12A-3``, ``12A_T3``, ``SC12A_TK3``, ``S012A-T03``,
  ``Scene 12A Take 3`` — give scene ``12``, set-up ``12A`` and take ``3``. Camera-roll names (``A001C003``)
  carry none.
- ``metadata``: what the timeline or host records per clip — ``scene``/``Scene``, ``shot``/``setup``,
  ``take``/``shottake`` (FCP 7 XML logging info, Resolve's metadata panel), nested anywhere in the metadata.
- ``markers``: timeline markers named after scenes (``Scene 12``, ``SC 12A``, ``12``): a shot belongs to the
  last scene marker at or before its first frame in the edit.
- ``timeline`` (the default): metadata if any clip has it, else markers, else names.
- a grouping file (``--scenes FILE``) overrides them all: JSON ``{"CLIP": {"scene": "12", "setup": "12A",
  "take": "3"}, ...}`` or CSV with a ``name,scene[,setup[,take]]`` header; names are clip names or file names.

Pairs (``plan_pairs``): within a scene, every two shots next to each other in the edit order (a *cut* pair:
the outgoing shot's last frame against the incoming shot's first) and every other two shots of one set-up
(middle frames). Offline shots are left out and reported; a scene with one shot has nothing to compare.
"""
from __future__ import annotations

import csv
import json
import os
import re
from dataclasses import dataclass, field, replace
from fractions import Fraction
from itertools import combinations
from typing import Any, Iterable, Mapping, Sequence

from ..errors import UsageError

SCENE_SOURCES = ("timeline", "markers", "names", "metadata")
_SLATE_PATTERNS = (
    re.compile(r"(?:^|[^A-Za-z0-9])(?:SC(?:ENE)?|S)[ _-]?0*(?P<scene>\d{1,4})(?P<letters>[A-Z]{0,2})"
               r"(?:[ _-]*(?:SH(?:OT)?[ _-]?(?P<shot>[A-Z0-9]{1,3})))?"
               r"[ _-]*(?:T(?:K|AKE)?)[ _-]?0*(?P<take>\d{1,3})(?:$|[^0-9])", re.IGNORECASE),
    re.compile(r"(?:^|[^A-Za-z0-9])0*(?P<scene>\d{1,4})(?P<letters>[A-Z]{0,2})[ _/-]+(?:T(?:K|AKE)?[ _-]?)?"
               r"0*(?P<take>\d{1,3})(?:$|[^0-9A-Za-z])", re.IGNORECASE),
)
_MARKER_SCENE = re.compile(r"^\s*(?:SC(?:ENE)?\.?\s*[:#]?\s*)?0*(?P<scene>\d{1,4})(?P<letters>[A-Z]{0,2})\s*$",
                           re.IGNORECASE)
_METADATA_KEYS = {"scene": "scene", "setup": "setup", "shot": "shot", "take": "take", "shottake": "take"}


@dataclass(frozen=True)
class Shot:
    """One shot of the edit, as the continuity check sees it.

    Attributes
    ----------
    name : str
        Its name in the edit (clip name, else file name).
    media : str or None
        Movie path or sequence pattern; None when the clip has no media.
    first, last : int
        Source frames the edit uses, inclusive, in the media's own numbering.
    index : int
        Position in the edit (0-based, over all video tracks in reading order).
    record_frame : int or None
        Where it starts in the edit, in frames from the edit's start (None for loose shots).
    rate : Fraction or None
        Frame rate of ``record_frame``.
    record_timecode : str or None
        Record timecode where it starts in the edit.
    space : str or None
        OCIO colour space of its media (None: from the file).
    scene, setup, take : str or None
        Slate, once grouped.
    offline : str
        Why it cannot be read ("" when it can).
    metadata : mapping
        What the timeline or host records about the clip.
    reference : Any
        What the host needs to put a marker on it (an OTIO clip, a Resolve timeline item).
    """

    name: str
    media: str | None
    first: int
    last: int
    index: int
    record_frame: int | None = None
    rate: Fraction | None = None
    record_timecode: str | None = None
    space: str | None = None
    scene: str | None = None
    setup: str | None = None
    take: str | None = None
    offline: str = ""
    metadata: Mapping[str, Any] = field(default_factory=dict, compare=False)
    reference: Any = field(default=None, compare=False, repr=False)

    @property
    def label(self) -> str:
        slate = f" ({self.setup or self.scene}" + (f"-{self.take}" if self.take else "") + ")" if self.scene else ""
        return f"{self.name}{slate}"


@dataclass(frozen=True)
class Slate:
    """Scene, set-up and take of a shot (set-up and take may be unknown)."""

    scene: str
    setup: str | None = None
    take: str | None = None


@dataclass(frozen=True)
class PlannedPair:
    """Two shots of a scene to compare, and which frames: ``cut`` (last → first) or ``setup`` (middles)."""

    first: Shot
    second: Shot
    kind: str

    @property
    def keys(self) -> tuple[str, str]:
        return ("last", "first") if self.kind == "cut" else ("middle", "middle")


@dataclass
class Scene:
    """One scene: its shots in edit order, the pairs to compare, and what was left out."""

    name: str
    shots: list[Shot]
    pairs: list[PlannedPair] = field(default_factory=list)
    offline: list[Shot] = field(default_factory=list)
    note: str = ""


def slate_from_name(name: str) -> Slate | None:
    """Scene, set-up and take from slate notation in a name (see the module docstring), or None."""
    stem = os.path.splitext(os.path.basename(name))[0]
    for pattern in _SLATE_PATTERNS:
        match = pattern.search(stem)
        if match:
            scene = match["scene"]
            setup = scene + match["letters"].upper() + (match.groupdict().get("shot") or "").upper()
            return Slate(scene, setup, match["take"])
    return None


def _find_keys(metadata: Any, found: dict[str, str]) -> None:
    if isinstance(metadata, Mapping):
        for key, value in metadata.items():
            name = _METADATA_KEYS.get(str(key).strip().lower())
            if name and isinstance(value, (str, int)) and str(value).strip() and name not in found:
                found[name] = str(value).strip()
            else:
                _find_keys(value, found)
    elif isinstance(metadata, (list, tuple)):
        for value in metadata:
            _find_keys(value, found)


def slate_from_metadata(metadata: Mapping[str, Any]) -> Slate | None:
    """Scene, set-up and take from clip metadata (see the module docstring), or None."""
    found: dict[str, str] = {}
    _find_keys(metadata, found)
    if "scene" not in found:
        return None
    parsed = _MARKER_SCENE.match(found["scene"])
    scene = parsed["scene"] if parsed else found["scene"]
    letters = parsed["letters"].upper() if parsed else ""
    setup = found.get("setup") or (scene + letters + found.get("shot", "").upper() if letters or "shot" in found
                                   else None)
    return Slate(scene, setup, found.get("take"))


def scene_from_marker(text: str) -> Slate | None:
    """The scene a marker names (``Scene 12``, ``SC 12A``, ``12``), or None."""
    match = _MARKER_SCENE.match(text or "")
    if not match:
        return None
    return Slate(match["scene"], match["scene"] + match["letters"].upper() if match["letters"] else None)


def read_grouping_file(path: str) -> dict[str, Slate]:
    """Read a grouping file (JSON or CSV, see the module docstring): name → slate.

    Raises
    ------
    UsageError
        When it cannot be read or lacks the scene of a row.
    """
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            if path.lower().endswith(".json"):
                rows = [{"name": name, **fields} for name, fields in json.load(handle).items()]
            else:
                rows = list(csv.DictReader(handle))
    except (OSError, ValueError, AttributeError, TypeError) as error:
        raise UsageError(f"not a readable grouping file ({error})", path) from None
    grouping = {}
    for number, row in enumerate(rows, start=1):
        fields = {key: str(row.get(key) or "").strip() for key in ("name", "scene", "setup", "take")} \
            if isinstance(row, dict) else {}
        if not fields.get("name") or not fields.get("scene"):
            raise UsageError(f"row {number} needs a name and a scene", path)
        grouping[fields["name"]] = Slate(fields["scene"], fields["setup"] or None, fields["take"] or None)
    return grouping


def _by_markers(shots: Sequence[Shot], markers: Sequence[tuple[int, str]]) -> dict[int, Slate]:
    scenes = sorted((frame, slate) for frame, text in markers if (slate := scene_from_marker(text)) is not None)
    found = {}
    for shot in shots:
        if shot.record_frame is None:
            continue
        current = [slate for frame, slate in scenes if frame <= shot.record_frame]
        if current:
            found[shot.index] = current[-1]
    return found


def assign_scenes(shots: Sequence[Shot], source: str = "timeline", markers: Sequence[tuple[int, str]] = (),
                  grouping: Mapping[str, Slate] | None = None) -> list[Shot]:
    """Every shot with its scene, set-up and take from ``source`` (or ``grouping``, which wins).

    Parameters
    ----------
    markers : sequence of (int, str)
        Edit markers: frame from the edit's start and name.

    Raises
    ------
    UsageError
        When ``source`` is unknown, or no shot gets a scene (the message names the ways to give them).
    """
    if source not in SCENE_SOURCES:
        raise UsageError(f"unknown scene source {source!r}; use one of {', '.join(SCENE_SOURCES)}", "--scene-from")
    by_rule = {
        "names": lambda: {s.index: slate for s in shots if (slate := slate_from_name(s.name)
                                                             or slate_from_name(s.media or "")) is not None},
        "metadata": lambda: {s.index: slate for s in shots if (slate := slate_from_metadata(s.metadata)) is not None},
        "markers": lambda: _by_markers(shots, markers),
    }
    if grouping is not None:
        found = {s.index: grouping[key] for s in shots for key in (s.name, os.path.basename(s.media or ""),
                                                                   os.path.splitext(os.path.basename(s.media or ""))[0])
                 if key in grouping}
    elif source == "timeline":
        found = {}
        for rule in ("metadata", "markers", "names"):
            found = by_rule[rule]()
            if found:
                break
    else:
        found = by_rule[source]()
    if not found:
        where = "" if source == "timeline" else f" in its {source}"
        raise UsageError(f"no scene information{where}: name clips with slates (12A-3, SC12A_TK3), add scene metadata "
                         "or 'Scene 12' markers, or give a grouping file with --scenes FILE", "--scene-from")
    return [replace(s, scene=found[s.index].scene, setup=found[s.index].setup, take=found[s.index].take)
            if s.index in found else s for s in shots]


def plan_pairs(shots: Iterable[Shot]) -> tuple[list[Scene], list[Shot]]:
    """Scenes (in order of their first shot) with their pairs, and the shots no scene took."""
    scenes: dict[str, Scene] = {}
    loose = []
    for shot in sorted(shots, key=lambda s: s.index):
        if shot.scene is None:
            loose.append(shot)
            continue
        scene = scenes.setdefault(shot.scene, Scene(shot.scene, []))
        (scene.offline if shot.offline else scene.shots).append(shot)
    for scene in scenes.values():
        pairs = {}
        for first, second in zip(scene.shots, scene.shots[1:]):
            pairs[(first.index, second.index)] = PlannedPair(first, second, "cut")
        for first, second in combinations(scene.shots, 2):
            if first.setup and first.setup == second.setup and (first.index, second.index) not in pairs:
                pairs[(first.index, second.index)] = PlannedPair(first, second, "setup")
        scene.pairs = list(pairs.values())
        if len(scene.shots) < 2:
            scene.note = (f"scene {scene.name} has {len(scene.shots)} shot(s) online: nothing to compare"
                          + (f" ({len(scene.offline)} offline)" if scene.offline else ""))
    return list(scenes.values()), loose
