"""Edits and bins as inputs: the media a timeline or an NLE bin uses, read through the plug-ins' entry points.

Core imports no plug-in: a timeline is read by the ``answerprint.timelines`` module whose ``EXTENSIONS`` hold
its extension (``answerprint.plugin.otio.render``: OTIO, EDL, FCP 7 XML, FCPX), which offers
``used_media(path, *, edl_rate, project, media_roots, path_maps) -> (list of UsedMedia, list of str)``; a bin
by the ``answerprint.bins`` module of its host (``resolve``: ``answerprint.plugin.resolve.train``), which
offers ``bin_media(bin_path) -> (list of UsedMedia, list of str)``. The strings are one-line reasons for
clips left out (media offline, a generator, a compound clip).
"""
from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from fractions import Fraction
from importlib.metadata import entry_points
from types import ModuleType
from typing import Iterable

from ..errors import AnswerprintError, UsageError

TIMELINES_GROUP = "answerprint.timelines"
BINS_GROUP = "answerprint.bins"
_TIMELINE_HINT = "; run: pip install 'answerprint[timeline]'"


@dataclass(frozen=True)
class UsedMedia:
    """Media an edit or a bin uses.

    Attributes
    ----------
    path : str
        The movie, or the image sequence in printf form (``A001.%04d.exr``), found on disk.
    first_frame, last_frame : int
        Source frames used, inclusive, in the media's own numbering (a movie's first frame is 0).
    clips : tuple of str
        Names of the clips (timeline items, bin clips) that use them.
    """

    path: str
    first_frame: int
    last_frame: int
    clips: tuple[str, ...]


def merge_ranges(used: Iterable[UsedMedia]) -> list[UsedMedia]:
    """One ``UsedMedia`` per source range: uses of the same media whose frames overlap or touch are merged,
    in the order the media are first used."""
    by_path: dict[str, list[UsedMedia]] = {}
    for item in used:
        by_path.setdefault(item.path, []).append(item)
    merged: list[UsedMedia] = []
    for path, items in by_path.items():
        runs: list[UsedMedia] = []
        for item in sorted(items, key=lambda u: (u.first_frame, u.last_frame)):
            if runs and item.first_frame <= runs[-1].last_frame + 1:
                last = runs[-1]
                runs[-1] = UsedMedia(path, last.first_frame, max(last.last_frame, item.last_frame),
                                     last.clips + tuple(c for c in item.clips if c not in last.clips))
            else:
                runs.append(item)
        merged += runs
    return merged


def _load(point: object, hint: str = "") -> ModuleType:
    """The module an entry point names; AnswerprintError naming what is missing when it cannot be imported."""
    try:
        return point.load()
    except ImportError as error:
        raise AnswerprintError(f"{error.name or point.value} is not installed{hint}") from None


def timeline_reader(path: str, group: str = TIMELINES_GROUP,
                    refusal: str = "not a sidecar (.json) nor a timeline") -> ModuleType:
    """The module of entry-point ``group`` reading ``path``'s extension (``answerprint.timelines`` for renders and
    dailies, ``answerprint.continuity`` for continuity checks).

    Raises
    ------
    UsageError
        When no installed reader takes that extension (``refusal`` and the extensions known).
    AnswerprintError
        When the reader's dependencies (OpenTimelineIO) are not installed.
    """
    extension = os.path.splitext(path.rstrip("/\\"))[1].lower()
    known: list[str] = []
    for point in entry_points(group=group):
        module = _load(point, _TIMELINE_HINT)
        if extension in module.EXTENSIONS:
            return module
        known += module.EXTENSIONS
    raise UsageError(f"{refusal} ({', '.join(known) or 'no reader installed'})", path)


@functools.lru_cache(maxsize=1)
def timeline_extensions() -> tuple[str, ...]:
    """Extensions of the timelines the installed readers take (none when OpenTimelineIO is missing)."""
    found: list[str] = []
    for point in entry_points(group=TIMELINES_GROUP):
        try:
            found += point.load().EXTENSIONS
        except ImportError:
            continue
    return tuple(found)


def is_timeline(path: str) -> bool:
    """True when ``path`` names a timeline file (by extension: ``.otio``, ``.edl``, ``.xml``, ``.fcpxml``...)."""
    return os.path.splitext(path.rstrip("/\\"))[1].lower() in timeline_extensions()


def timeline_media(path: str, *, edl_rate: Fraction = Fraction(24), project: str | None = None,
                   media_roots: Iterable[str] = (), path_maps: Iterable[str] = ()
                   ) -> tuple[list[UsedMedia], list[str]]:
    """The media every video clip of a timeline shows, with the source frames it shows, and the clips left out.

    Raises
    ------
    UsageError, MediaError
        When the timeline cannot be read (one line, naming it).
    """
    used, left_out = timeline_reader(path).used_media(path, edl_rate=edl_rate, project=project,
                                                      media_roots=tuple(media_roots), path_maps=tuple(path_maps))
    return merge_ranges(used), list(left_out)


def bin_media(bin_path: str | None, host: str = "resolve") -> tuple[list[UsedMedia], list[str]]:
    """The media of an NLE bin (``None``: the current bin), through host ``host``'s ``answerprint.bins`` module.

    Raises
    ------
    UsageError
        When no such host is installed.
    AnswerprintError
        What the host raises (not running, no such bin).
    """
    found = [point for point in entry_points(group=BINS_GROUP) if point.name == host]
    if not found:
        installed = ", ".join(sorted(point.name for point in entry_points(group=BINS_GROUP))) or "none"
        raise UsageError(f"no host reads bins here (installed: {installed})", host)
    used, left_out = _load(found[0]).bin_media(bin_path)
    return merge_ranges(used), list(left_out)
