"""Fake media pool: MediaPool, Folder, MediaPoolItem (reference §2, "MediaPool" / "Folder" / "MediaPoolItem").

Imported files are probed with answerprint's own reader for their frame count and rate, as Resolve would
read them. ``ImportMedia`` puts clips in the *current* folder and skips files that are not there;
``AppendToTimeline`` takes clipInfo ranges with an *exclusive* ``endFrame``. ``AddSubFolder`` makes the new
bin current when ``World.add_subfolder_selects`` is True (the reference does not say it does not; builds
that do leave a script's user in the new bin unless the script puts them back).
"""
from __future__ import annotations

import os
from typing import Any

from answerprint.core.frames import open_media

from .base import ApiObject, since

#: Marker colours Resolve accepts (Blackmagic's README, AddMarker).
MARKER_COLORS = ("Blue", "Cyan", "Green", "Yellow", "Red", "Pink", "Purple", "Fuchsia", "Rose", "Lavender", "Sky",
                 "Mint", "Lemon", "Sand", "Cocoa", "Cream")
#: Metadata fields of Resolve's Metadata panel used here; SetMetadata refuses names it does not know.
METADATA_FIELDS = ("Comments", "Description", "Keywords", "Shot", "Scene", "Take", "Good Take", "Camera #",
                   "Roll Card #", "Reel Number", "Clip Name")


class Markers:
    """Markers on a clip: ``{frameId: {color, duration, note, name, customData}}``, one per frame."""

    def __init__(self) -> None:
        self.markers: dict[int, dict[str, Any]] = {}

    def add(self, frame_id: int, color: str, name: str, note: str, duration: int, custom_data: str,
            length: int) -> bool:
        if color not in MARKER_COLORS or frame_id in self.markers or duration < 1:
            return False
        if not 0 <= frame_id < length or frame_id + duration > length:
            return False
        self.markers[frame_id] = {"color": color, "duration": duration, "note": note, "name": name,
                                  "customData": custom_data}
        return True


class MediaPoolItem(ApiObject):
    """A clip in the media pool: a file on disk, or (``path`` empty) a compound clip or timeline."""

    def __init__(self, world: Any, path: str, frames: int, fps: float, name: str | None = None,
                 clip_type: str = "Video"):
        super().__init__(world)
        self._path, self._frames, self._fps = path, frames, fps
        self._name = name or os.path.basename(path)
        self._properties = {"File Path": path, "Frames": str(frames), "FPS": f"{fps:g}", "Type": clip_type,
                            "Clip Name": self._name}
        self._metadata: dict[str, str] = {}
        self._markers = Markers()
        self._marks: dict[str, dict[str, int]] = {}

    def GetName(self) -> str:
        return self._name

    def GetMediaId(self) -> str:
        return self._id

    def GetUniqueId(self) -> str:
        return self._id

    def GetClipProperty(self, propertyName: str | None = None) -> Any:
        if propertyName is None:
            return dict(self._properties)
        return self._properties.get(propertyName, "")

    def GetMetadata(self, metadataType: str | None = None) -> Any:
        if metadataType is None:
            return dict(self._metadata)
        return self._metadata.get(metadataType, "")

    def SetMetadata(self, metadataType: Any, metadataValue: str | None = None) -> bool:
        values = metadataType if isinstance(metadataType, dict) else {metadataType: metadataValue}
        if not all(key in METADATA_FIELDS and isinstance(value, str) for key, value in values.items()):
            return False
        self._metadata.update(values)
        return True

    def AddMarker(self, frameId: int, color: str, name: str, note: str, duration: int, customData: str) -> bool:
        return self._markers.add(frameId, color, name, note, duration, customData, self._frames)

    def GetMarkers(self) -> dict[int, dict[str, Any]]:
        return {frame: dict(marker) for frame, marker in self._markers.markers.items()}

    def GetMarkerCustomData(self, frameId: int) -> str:
        return self._markers.markers.get(frameId, {}).get("customData", "")

    @since((19, 1, 0))
    def GetMarkInOut(self) -> dict[str, dict[str, int]]:
        """``{'video': {'in': 0, 'out': 134}, 'audio': {...}}``, keys omitted when not set (README 19.1)."""
        return {kind: dict(marks) for kind, marks in self._marks.items()}


class Folder(ApiObject):
    """A bin."""

    def __init__(self, world: Any, name: str):
        super().__init__(world)
        self._name = name
        self._clips: list[MediaPoolItem] = []
        self._subfolders: list[Folder] = []

    def GetClipList(self) -> list[MediaPoolItem]:
        return list(self._clips)

    def GetSubFolderList(self) -> list["Folder"]:
        return list(self._subfolders)

    def GetName(self) -> str:
        return self._name

    def GetUniqueId(self) -> str:
        return self._id


class MediaPool(ApiObject):
    """A project's media pool, with its root folder ``Master`` current at first."""

    def __init__(self, world: Any, project: Any):
        super().__init__(world)
        self._project = project
        self._root = Folder(world, "Master")
        self._current = self._root

    def GetRootFolder(self) -> Folder:
        return self._root

    def AddSubFolder(self, folder: Folder, name: str) -> Folder | None:
        if not isinstance(folder, Folder) or not name:
            return None
        sub = Folder(self._world, name)
        folder._subfolders.append(sub)
        if self._world.add_subfolder_selects:
            self._current = sub
        return sub

    def GetCurrentFolder(self) -> Folder:
        return self._current

    def SetCurrentFolder(self, Folder: "Folder") -> bool:
        if not isinstance(Folder, type(self._root)):
            return False
        self._current = Folder
        return True

    def ImportMedia(self, items: list[Any]) -> list[MediaPoolItem]:
        imported = []
        for path in items:
            if not isinstance(path, str) or not os.path.isfile(path):
                continue
            with open_media(path) as reader:
                info = reader.info
            clip = MediaPoolItem(self._world, os.path.abspath(path), info.frame_count, float(info.frame_rate))
            self._current._clips.append(clip)
            imported.append(clip)
        return imported

    def CreateEmptyTimeline(self, name: str) -> Any:
        return self._project._new_timeline(name)

    def AppendToTimeline(self, *clips: Any) -> list[Any]:
        infos = clips[0] if len(clips) == 1 and isinstance(clips[0], list) else list(clips)
        timeline = self._project._current_timeline
        if timeline is None:
            return []
        appended = []
        for info in infos:
            clip = info.get("mediaPoolItem") if isinstance(info, dict) else None
            if not isinstance(clip, MediaPoolItem):
                continue
            start, end = info.get("startFrame", 0), info.get("endFrame", clip._frames)
            if 0 <= start < end <= clip._frames:
                appended.append(timeline._append(clip, start, end - start, info.get("trackIndex", 1),
                                                 info.get("recordFrame")))
        return appended
