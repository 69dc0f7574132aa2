"""Which timeline items a job works on, and which source frames of which file each one shows.

An item can be rendered in place when it plays one source file at 100 % speed. The source range comes from
``GetLeftOffset`` (exact; ``GetSourceStartFrame`` can read one frame off) and ``GetDuration``; handles are the
render's business. Items that cannot be rendered are returned as ``Skipped`` with a reason a colorist can act
on: generators and titles, compound and Fusion clips, offline media, speed changes, and take selectors that
answerprint did not make. An item that already carries answerprint takes renders from the original source its
takes record, never from a previous render.

Speed changes cannot be read directly (there is no speed property): an item is taken as 100 % speed when its
left offset, duration and right offset add up to the media's frame count and, from Resolve 19.0.2, its source
span matches its duration within one frame. A retime shorter than one frame over the whole item goes unseen.

A clip at another frame rate than its timeline (a 25 fps camera clip on a 24 fps timeline) plays frame for
frame: its offsets and duration count its own frames, which are the frames rendered, at its own rate. Its
rate (``MediaPoolItem.GetClipProperty("FPS")``) and the timeline's (``Timeline.GetSetting
("timelineFrameRate")``) are read so that its source span, which Resolve may count in timeline frames, is
not taken for a speed change.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any

from .connect import ResolveError, ResolveSession
from .records import TakeRecord, read_record

#: Timeline.GetSelectedClips arrived in 21.0; before, the item under the playhead is the one worked on.
SELECTED_CLIPS_SINCE = (21, 0, 0)
#: TimelineItem.GetSourceStartFrame / GetSourceEndFrame arrived in 19.0.2.
SOURCE_FRAMES_SINCE = (19, 0, 2)
_BRACKET_SEQUENCE = re.compile(r"\[(\d+)-(\d+)\]")
_RATE = re.compile(r"^\s*(\d+(?:\.\d+)?)")


@dataclass(frozen=True)
class ItemSource:
    """A timeline item that can be rendered in place.

    Attributes
    ----------
    item : Resolve TimelineItem
        The item.
    label : str
        How messages name it (clip name and record frame).
    path : str
        Its source as answerprint reads it: a movie path or a sequence pattern (``A001.%04d.exr``).
    first, last : int
        Source frames the item shows, inclusive, in the source's own numbering.
    original : TakeRecord, optional
        The record of an answerprint take already on the item (its source is the one above).
    rate : float, optional
        The clip's own frame rate as Resolve reports it (None when it does not say).
    """

    item: Any
    label: str
    path: str
    first: int
    last: int
    original: TakeRecord | None = None
    rate: float | None = None


@dataclass(frozen=True)
class Skipped:
    """An item left alone, and why."""

    label: str
    reason: str

    def message(self) -> str:
        return f"skipped {self.label}: {self.reason}"


def target_items(session: ResolveSession, whole_timeline: bool = False) -> list[Any]:
    """The video items a job works on: the selected ones, else the one under the playhead.

    Parameters
    ----------
    session : ResolveSession
        The connection, with its current timeline.
    whole_timeline : bool
        Every item of every video track instead.

    Raises
    ------
    ResolveError
        When there is no timeline, or nothing to work on.
    """
    timeline = session.require_timeline()
    if whole_timeline:
        items = []
        for track in range(1, (timeline.GetTrackCount("video") or 0) + 1):
            items.extend(timeline.GetItemListInTrack("video", track) or [])
    else:
        items = _selected_video_items(timeline, session.version)
    if not items:
        raise ResolveError("no video clip is selected or under the playhead on the current timeline",
                           timeline.GetName())
    return items


def _selected_video_items(timeline: Any, version: tuple[int, int, int]) -> list[Any]:
    if version >= SELECTED_CLIPS_SINCE:
        selected = timeline.GetSelectedClips() or []
        if isinstance(selected, dict):
            selected = list(selected.values())
        video = [item for item in selected if (item.GetTrackTypeAndIndex() or [None])[0] == "video"]
        if video:
            return video
    current = timeline.GetCurrentVideoItem()
    return [current] if current else []


def item_label(item: Any) -> str:
    """``A001C003 at frame 86512``: the clip's name (or "generator") and where the item starts."""
    media_pool_item = item.GetMediaPoolItem()
    name = media_pool_item.GetName() if media_pool_item else "generator"
    return f"{name} at frame {item.GetStart()}"


def core_source_path(file_path: str) -> tuple[str, int]:
    """Resolve's ``File Path`` as answerprint reads it, and the number of the media's first frame.

    A movie keeps its path (first frame 0); an image sequence shown as ``A001.[1001-1100].exr`` becomes
    ``A001.%04d.exr`` starting at 1001.
    """
    match = _BRACKET_SEQUENCE.search(file_path)
    if not match:
        return file_path, 0
    digits = match.group(1)
    pattern = file_path[:match.start()] + f"%0{len(digits)}d" + file_path[match.end():]
    return pattern, int(digits)


def media_present(path: str, first_frame: int) -> bool:
    """True when a movie, or the first frame of a sequence pattern, is on disk."""
    return os.path.isfile(path % first_frame if "%0" in path else path)


def frame_rate(text: Any) -> float | None:
    """A rate as Resolve writes it (``"25"``, ``"23.976"``, ``"29.97 DF"``), or None when it is not one."""
    match = _RATE.match(str(text or ""))
    return float(match.group(1)) if match else None


def timeline_rate(timeline: Any) -> float | None:
    """The timeline's frame rate (its own setting; a timeline made through the API has the project's)."""
    return frame_rate(timeline.GetSetting("timelineFrameRate"))


def _plays_at_full_speed(item: Any, media_pool_item: Any, version: tuple[int, int, int], clip_rate: float | None,
                         timeline_fps: float | None) -> bool:
    duration = item.GetDuration()
    frames = str(media_pool_item.GetClipProperty("Frames") or "")
    if frames.isdigit() and item.GetLeftOffset() + duration + item.GetRightOffset() != int(frames):
        return False
    if version >= SOURCE_FRAMES_SINCE:
        span = item.GetSourceEndFrame() - item.GetSourceStartFrame() + 1
        spans = [duration]  # in source frames; a clip at another rate may count them in timeline frames
        if clip_rate and timeline_fps and round(clip_rate, 2) != round(timeline_fps, 2):
            spans.append(duration * timeline_fps / clip_rate)
        if all(abs(span - expected) > 1 for expected in spans):
            return False
    return True


def locate_source(item: Any, version: tuple[int, int, int], timeline_fps: float | None = None) -> ItemSource | Skipped:
    """What ``item`` shows of which source, or why it cannot be rendered in place.

    ``timeline_fps`` is the timeline's frame rate (``timeline_rate``), needed to tell a clip of another rate
    from a speed change.
    """
    label = item_label(item)
    if (item.GetTakesCount() or 0) > 0:
        return _source_from_takes(item, label)
    media_pool_item = item.GetMediaPoolItem()
    if not media_pool_item:
        return Skipped(label, "a generator, title or effect clip has no source media to render")
    file_path = media_pool_item.GetClipProperty("File Path") or ""
    if not file_path:
        return Skipped(label, "a compound clip, Fusion clip or nested timeline has no single source file; "
                              "render it through Deliver and cut that in first")
    path, first_frame = core_source_path(file_path)
    if not media_present(path, first_frame):
        return Skipped(label, f"media offline: {file_path} is not there; relink it first")
    clip_rate = frame_rate(media_pool_item.GetClipProperty("FPS"))
    if not _plays_at_full_speed(item, media_pool_item, version, clip_rate, timeline_fps):
        return Skipped(label, "the clip has a speed change; render in place works on 100 % speed clips only")
    first = first_frame + item.GetLeftOffset()
    return ItemSource(item, label, path, first, first + item.GetDuration() - 1, rate=clip_rate)


def _source_from_takes(item: Any, label: str) -> ItemSource | Skipped:
    for index in range(1, item.GetTakesCount() + 1):
        take = item.GetTakeByIndex(index) or {}
        record = read_record(take.get("mediaPoolItem"))
        if record is None:
            continue
        if not media_present(record.source, record.first):
            return Skipped(label, f"media offline: the original source {record.source} is not there")
        return ItemSource(item, label, record.source, record.first, record.last, record)
    return Skipped(label, "the item is a take selector answerprint did not make; finalize its take first")
