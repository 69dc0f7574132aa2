"""Continuity in Resolve: check the current timeline, put a marker on each flagged item, apply the colour fixes.

The timeline's video items become the check's shots (``timeline.locate_source``: the source frames each item
shows; generators, compound clips, offline media and speed changes are reported, not read), with their
media-pool metadata (Resolve's Metadata panel: *Scene*, *Shot*, *Take*) and the timeline's markers for grouping
scenes. ``core.continuity.check_continuity`` does the rest. Markers go on the flagged items through the
documented ``TimelineItem.AddMarker(frameId, color, name, note, duration, customData)``; ``frameId`` is counted
from the item's first frame (the clip-relative convention field scripts use; the reference does not state it),
and ``customData`` is ``answerprint-continuity`` so a later check can tell its markers from the colorist's.
The colour fix is colour match's native route (``lut.apply_color_match``): the fix's ``.cube`` on the item's
grade.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Mapping, Sequence

from answerprint.core.continuity.check import ContinuityResult, Marker, check_continuity
from answerprint.core.continuity.scenes import Shot, Slate
from answerprint.core.continuity.thresholds import Thresholds
from answerprint.core.errors import UsageError
from answerprint.core.progress import ProgressCallback, no_progress

from .connect import ResolveError, ResolveSession
from .lut import apply_color_match
from .timeline import ItemSource, item_label, locate_source

#: ``customData`` of the markers a continuity check places.
MARKER_DATA = "answerprint-continuity"
MARKER_COLOUR = "Red"


@dataclass
class ResolveContinuity:
    """What a check in Resolve did: the result, the markers placed and refused, the fixes applied and refused."""

    result: ContinuityResult
    marked: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    fixed: list[str] = field(default_factory=list)


def _rate(session: ResolveSession) -> Fraction:
    text = str(session.project.GetSetting("timelineFrameRate") or "24").split()[0]
    try:
        return Fraction(text).limit_denominator(1001)
    except (ValueError, ZeroDivisionError):
        return Fraction(24)


def timeline_shots(session: ResolveSession) -> tuple[list[Shot], list[tuple[int, str]]]:
    """Every video item of the current timeline as a ``Shot`` (in record order), and the timeline's markers
    (frame from the timeline's start, name).

    Raises
    ------
    ResolveError
        When no timeline is open.
    """
    timeline = session.require_timeline()
    items = []
    for track in range(1, (timeline.GetTrackCount("video") or 0) + 1):
        items.extend(timeline.GetItemListInTrack("video", track) or [])
    items.sort(key=lambda item: item.GetStart())
    start, rate = timeline.GetStartFrame(), _rate(session)
    shots = []
    for index, item in enumerate(items):
        clip = item.GetMediaPoolItem()
        name = clip.GetName() if clip else "generator"
        metadata = dict(clip.GetMetadata() or {}) if clip else {}
        common = {"index": index, "record_frame": item.GetStart() - start, "rate": rate, "metadata": metadata,
                  "reference": item}
        source = locate_source(item, session.version)
        if isinstance(source, ItemSource):
            shots.append(Shot(name, source.path, source.first, source.last, **common))
        else:
            shots.append(Shot(name, None, 0, 0, offline=source.reason, **common))
    markers = [(int(frame), str(info.get("name", ""))) for frame, info in (timeline.GetMarkers() or {}).items()]
    return shots, markers


def place_markers(markers: Sequence[Marker]) -> tuple[list[str], list[str]]:
    """Put each marker on its item (``TimelineItem.AddMarker``); returns what was placed and what Resolve refused."""
    placed, refused = [], []
    for marker in markers:
        item = marker.shot.reference
        offset = marker.frame - marker.shot.first
        label = item_label(item)
        if item.AddMarker(offset, MARKER_COLOUR, marker.name, marker.note, 1, MARKER_DATA):
            placed.append(f"{label}: marker at its frame {offset}: {marker.name}")
        else:
            refused.append(f"{label}: Resolve refused a marker at its frame {offset} (one may already be there)")
    return placed, refused


def check_timeline(session: ResolveSession, out_dir: str | os.PathLike, *, thresholds: Thresholds | None = None,
                   scene_from: str = "timeline", grouping: Mapping[str, Slate] | None = None,
                   input_space: str | None = None, fix: bool = False, production: str | None = None,
                   node: int = 1, lut_folder: str | None = None,
                   progress: ProgressCallback = no_progress) -> ResolveContinuity:
    """Check the current timeline, mark the flagged items and, with ``fix``, put each colour fix on its item.

    Raises
    ------
    ResolveError
        When no timeline is open, or Resolve refuses to refresh its LUT list for a fix.
    UsageError
        When no scene can be found, or a fix is asked for without a production.
    """
    shots, markers = timeline_shots(session)
    if not shots:
        raise ResolveError("the timeline has no video item", session.timeline.GetName())
    if fix and not production:
        raise UsageError("a colour fix names its LUT folder after the production; pass --production", "--production")
    result = check_continuity(shots, out_dir, thresholds=thresholds, scene_from=scene_from, markers=markers,
                              grouping=grouping, input_space=input_space, title=session.timeline.GetName(),
                              progress=progress)
    done = ResolveContinuity(result)
    done.marked, done.refused = place_markers(result.markers)
    if fix:
        for scene in result.scenes:
            for colour_fix in scene.fixes:
                applied = apply_color_match(session, [colour_fix.plan.shot.reference], colour_fix.cube, production,
                                            node, None, lut_folder)
                done.fixed += applied.applied
                done.refused += applied.failed
    return done
