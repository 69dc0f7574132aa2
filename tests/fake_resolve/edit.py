"""Fake timelines: Timeline, TimelineItem, Graph (reference §2 "Timeline" / "TimelineItem" / "Graph", §3 LUTs).

Version generations as documented: ``GetNodeGraph`` from 19.0 (then ``TimelineItem.SetLUT``/``GetNumNodes``
are gone), ``GetSourceStartFrame``/``GetSourceEndFrame`` from 19.0.2 (and reading one frame late, the quirk
the reference measures), ``Timeline.GetSelectedClips`` from 21.0. ``SetLUT`` accepts only LUTs discovered by
the last ``RefreshLUTList`` under the master LUT folder, by relative path or an absolute one inside it.

A clip whose frame rate is not the timeline's plays frame for frame at the timeline's rate: left offset,
duration and right offset count its own frames, while ``GetSourceStartFrame``/``GetSourceEndFrame`` count its
source time in timeline frames (so its source span reads shorter or longer than its duration, which is how
a 25 fps clip on a 24 fps timeline came to be taken for a speed change).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from .base import ApiObject, pages, since, until
from .media import Markers, MediaPoolItem


@dataclass
class Take:
    media_pool_item: Any
    start: int
    end: int


class NodeGrade:
    """The node LUTs of one grade layer, shared by the Graph (19+) and the older TimelineItem calls."""

    def __init__(self, world: Any, nodes: int):
        self.world, self.nodes, self.luts = world, nodes, {}

    def set_lut(self, node_index: int, lut_path: str) -> bool:
        if not 1 <= node_index <= self.nodes or not isinstance(lut_path, str):
            return False
        root = os.path.abspath(self.world.lut_folder)
        relative = os.path.relpath(lut_path, root) if os.path.isabs(lut_path) else lut_path
        if relative.replace(os.sep, "/") not in self.world.discovered_luts:
            return False
        self.luts[node_index] = lut_path
        return True


class Graph(ApiObject):
    """One layer's node graph of a timeline item (Resolve 19+)."""

    def __init__(self, world: Any, grade: NodeGrade):
        super().__init__(world)
        self._grade = grade

    def GetNumNodes(self) -> int:
        return self._grade.nodes

    def SetLUT(self, nodeIndex: int, lutPath: str) -> bool:
        return self._grade.set_lut(nodeIndex, lutPath)

    def GetLUT(self, nodeIndex: int) -> str:
        return self._grade.luts.get(nodeIndex, "")


class TimelineItem(ApiObject):
    """A clip on a track; ``media_pool_item`` None for a generator. ``speed`` is set only by ``scene.retime``."""

    def __init__(self, world: Any, timeline: "Timeline", media_pool_item: Any, left: int, duration: int,
                 track: int, record_frame: int, nodes: int = 1):
        super().__init__(world)
        self._timeline, self._clip, self._left, self._duration = timeline, media_pool_item, left, duration
        self._track, self._record = track, record_frame
        self._speed = 1.0
        self._takes: list[Take] = []
        self._selected_take = 0
        self._grade = NodeGrade(world, nodes)
        self._cdl: dict[str, str] | None = None
        self._markers = Markers()

    def _source_span(self) -> int:
        return round(self._duration * self._speed)

    def GetStart(self, subframe_precision: bool = False) -> int:
        return self._record

    def GetEnd(self, subframe_precision: bool = False) -> int:
        return self._record + self._duration

    def GetDuration(self, subframe_precision: bool = False) -> int:
        return self._duration

    def GetLeftOffset(self, subframe_precision: bool = False) -> int:
        return self._left

    def GetRightOffset(self, subframe_precision: bool = False) -> int:
        frames = self._clip._frames if self._clip else self._left + self._duration
        return max(0, frames - self._left - self._source_span())

    def _in_timeline_frames(self, source_frames: int) -> int:
        """Source time, counted in frames of the timeline's rate."""
        timeline_fps = float(self._timeline._project._settings["timelineFrameRate"])
        clip_fps = self._clip._fps if self._clip else timeline_fps
        return source_frames if clip_fps == timeline_fps else round(source_frames * timeline_fps / clip_fps)

    @since((19, 0, 2))
    def GetSourceStartFrame(self) -> int:
        return self._in_timeline_frames(self._left) + 1

    @since((19, 0, 2))
    def GetSourceEndFrame(self) -> int:
        return self._in_timeline_frames(self._left + self._source_span()) - 1

    def GetMediaPoolItem(self) -> Any:
        if self._takes:
            return self._takes[self._selected_take - 1].media_pool_item
        return self._clip

    def GetTrackTypeAndIndex(self) -> list[Any]:
        return ["video", self._track]

    def GetUniqueId(self) -> str:
        return self._id

    def AddTake(self, mediaPoolItem: Any, startFrame: int | None = None, endFrame: int | None = None) -> bool:
        if not isinstance(mediaPoolItem, MediaPoolItem):
            return False
        start = 0 if startFrame is None else startFrame
        end = mediaPoolItem._frames if endFrame is None else endFrame
        if not 0 <= start < end <= mediaPoolItem._frames:
            return False
        if not self._takes:
            self._takes.append(Take(self._clip, self._left, self._left + self._duration))
            self._selected_take = 1
        self._takes.append(Take(mediaPoolItem, start, end))
        return True

    def GetSelectedTakeIndex(self) -> int:
        return self._selected_take

    def GetTakesCount(self) -> int:
        return len(self._takes)

    def GetTakeByIndex(self, idx: int) -> dict[str, Any] | None:
        if not 1 <= idx <= len(self._takes):
            return None
        take = self._takes[idx - 1]
        return {"startFrame": take.start, "endFrame": take.end, "mediaPoolItem": take.media_pool_item}

    def SelectTakeByIndex(self, idx: int) -> bool:
        if not 1 <= idx <= len(self._takes):
            return False
        self._selected_take = idx
        return True

    def AddMarker(self, frameId: int, color: str, name: str, note: str, duration: int, customData: str) -> bool:
        """A marker ``frameId`` frames after the item's first frame (its length is the item's duration). The
        reference names no other marker call for items ("the same helpers as above" names none), so tests read
        the markers with ``scene.item_markers``."""
        return self._markers.add(frameId, color, name, note, duration, customData, self._duration)

    def SetCDL(self, cdl: dict[str, str]) -> bool:
        keys = {"NodeIndex", "Slope", "Offset", "Power", "Saturation"}
        if not isinstance(cdl, dict) or set(cdl) != keys or not all(isinstance(v, str) for v in cdl.values()):
            return False
        if not 1 <= int(cdl["NodeIndex"]) <= self._grade.nodes:
            return False
        if any(len(cdl[key].split()) != 3 for key in ("Slope", "Offset", "Power")):
            return False
        self._cdl = dict(cdl)
        return True

    @since((19, 0, 0))
    def GetNodeGraph(self, layerIdx: int) -> Graph | None:
        layers = int(self._timeline._project.GetSetting("nodeStackLayers") or 1)
        return Graph(self._world, self._grade) if 1 <= layerIdx <= layers else None

    @until((19, 0, 0))
    def GetNumNodes(self) -> int:
        return self._grade.nodes

    @until((19, 0, 0))
    def SetLUT(self, nodeIndex: int, lutPath: str) -> bool:
        return self._grade.set_lut(nodeIndex, lutPath)

    @until((19, 0, 0))
    def GetLUT(self, nodeIndex: int) -> str:
        return self._grade.luts.get(nodeIndex, "")


class Timeline(ApiObject):
    """A timeline starting at 01:00:00:00 (frame 86400 at 24 fps); ``scene`` moves its playhead and selection."""

    def __init__(self, world: Any, project: Any, name: str):
        super().__init__(world)
        self._project, self._name = project, name
        self._start = 86400
        self._tracks: dict[int, list[TimelineItem]] = {1: []}
        self._playhead = self._start
        self._selection: list[TimelineItem] = []
        self._markers = Markers()

    def _append(self, clip: Any, left: int, duration: int, track: int, record_frame: int | None) -> TimelineItem:
        items = self._tracks.setdefault(track, [])
        record = record_frame if record_frame is not None else max((i.GetEnd() for i in items), default=self._start)
        item = TimelineItem(self._world, self, clip, left, duration, track, record)
        items.append(item)
        items.sort(key=lambda i: i._record)
        return item

    def GetName(self) -> str:
        return self._name

    def GetSetting(self, settingName: str | None = None) -> Any:
        """Timeline settings; a timeline made through the API takes the project's."""
        return self._project.GetSetting(settingName)

    def GetStartFrame(self) -> int:
        return self._start

    def GetEndFrame(self) -> int:
        return max((i.GetEnd() for items in self._tracks.values() for i in items), default=self._start)

    def AddMarker(self, frameId: int, color: str, name: str, note: str, duration: int, customData: str) -> bool:
        """A marker ``frameId`` frames after the timeline's start (reference: samuelgursky PR #66, measured)."""
        return self._markers.add(frameId, color, name, note, duration, customData,
                                 max(1, self.GetEndFrame() - self._start))

    def GetMarkers(self) -> dict[int, dict[str, Any]]:
        return {frame: dict(marker) for frame, marker in self._markers.markers.items()}

    def GetTrackCount(self, trackType: str) -> int:
        return max(self._tracks) if trackType == "video" else 0

    def GetItemListInTrack(self, trackType: str, index: int) -> list[TimelineItem]:
        return list(self._tracks.get(index, [])) if trackType == "video" else []

    def GetCurrentVideoItem(self) -> TimelineItem | None:
        for track in sorted(self._tracks, reverse=True):
            for item in self._tracks[track]:
                if item._record <= self._playhead < item.GetEnd():
                    return item
        return None

    @since((21, 0, 0))
    def GetSelectedClips(self) -> list[TimelineItem]:
        return list(self._selection)

    @pages("cut", "edit", "color", "fairlight", "deliver")
    def GetCurrentTimecode(self) -> str:
        frames = self._playhead
        return f"{frames // 86400:02d}:{frames // 1440 % 60:02d}:{frames // 24 % 60:02d}:{frames % 24:02d}"

    @pages("edit")
    def DeleteClips(self, timelineItems: list[TimelineItem], ripple: bool = False) -> bool:
        for items in self._tracks.values():
            items[:] = [item for item in items if item not in timelineItems]
        return True
