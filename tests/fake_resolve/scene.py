"""Test-only changes to a fake session that no documented API call can make: what a colorist does by hand.

These reach into the fake's state on purpose — retiming, generators, compound clips, the playhead and the
selection are set in Resolve's UI, not through scripting.
"""
from __future__ import annotations

from typing import Any

from .edit import Timeline, TimelineItem
from .media import MediaPoolItem


def retime(item: TimelineItem, speed: float) -> None:
    """Give ``item`` a constant speed change (1.0 = 100 %), keeping its length on the timeline."""
    item._speed = speed


def add_generator(timeline: Timeline, duration: int, track: int = 1) -> TimelineItem:
    """Append a generator (no media-pool item) to ``track``."""
    return timeline._append(None, 0, duration, track, None)


def add_compound_clip(timeline: Timeline, name: str, duration: int, track: int = 1) -> TimelineItem:
    """Append a compound clip: its media-pool item has no file."""
    clip = MediaPoolItem(timeline._world, "", duration, 24.0, name=name, clip_type="Compound")
    return timeline._append(clip, 0, duration, track, None)


def park_playhead(timeline: Timeline, item: TimelineItem) -> None:
    """Put the playhead on the first frame of ``item``."""
    timeline._playhead = item.GetStart()


def select(timeline: Timeline, *items: Any) -> None:
    """Select ``items`` on the timeline (what ``GetSelectedClips`` reports from Resolve 21.0)."""
    timeline._selection = list(items)


def graded_lut(item: TimelineItem, node: int = 1) -> str:
    """The LUT path set on a node, whatever API generation set it."""
    return item._grade.luts.get(node, "")


def graded_cdl(item: TimelineItem) -> dict[str, str] | None:
    """The CDL map last set on the item."""
    return item._cdl


def mark_in_out(clip: MediaPoolItem, mark_in: int, mark_out: int) -> None:
    """Set video mark in and out on a media-pool clip, as a colorist does in the source viewer (frames from the
    clip's first frame, the out mark included)."""
    clip._marks["video"] = {"in": mark_in, "out": mark_out}


def item_markers(item: TimelineItem) -> dict[int, dict[str, Any]]:
    """The markers on a timeline item: ``{frame from its first frame: {color, duration, note, name, customData}}``."""
    return {frame: dict(marker) for frame, marker in item._markers.markers.items()}
