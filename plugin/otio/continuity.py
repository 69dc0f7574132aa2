"""Continuity on timelines: an edit's shots for ``answerprint continuity``, and its flags back as markers.

The ``answerprint.continuity`` entry point ``otio``: core's ``continuity`` command reads the timeline through
``read_shots`` (every video clip in reading order, with its source frames, clip metadata and the timeline's
markers) and, after the check, writes the same timeline with a red marker on each flagged clip
(``write_marked``), in the format it came in: ``.otio`` keeps the note in the marker's comment, FCP 7 XML as
the marker's ``<comment>``, an EDL as a ``* LOC:`` comment line (CMX 3600 keeps the name only, upper-cased, so
the name carries the figures). Loose media files become a timeline of their own (``timeline_of_shots``).

Source time → frame number as for renders (``shots.frames_shown``: relinked media, retimes, any rate): a
clip whose timeline rate differs from its media's is read at the media's rate (a 25 fps clip in a 24 fps
edit is compared on its own frames), not refused.
"""
from __future__ import annotations

import os
from dataclasses import replace
from fractions import Fraction
from typing import Any, Sequence

import opentimelineio as otio

from answerprint.core.continuity.check import Marker
from answerprint.core.continuity.scenes import Shot
from answerprint.core.frames import MediaInfo, probe
from answerprint.core.frames.timecode import nominal_fps

from .shots import frames_shown, media_origin, written_media
from .timeline_io import ADAPTERS, adapter_for, read_timeline, url_from_path, write_timeline

#: Timeline file extensions this reader handles.
EXTENSIONS = tuple(ADAPTERS)
MARKER_COLOUR = otio.schema.MarkerColor.RED


def _plain(value: Any) -> Any:
    """OTIO metadata (AnyDictionary, AnyVector) as plain Python containers."""
    if hasattr(value, "items"):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)) or type(value).__name__ == "AnyVector":
        return [_plain(v) for v in value]
    return value


def _shot(clip: otio.schema.Clip, index: int, base_dir: str, start: otio.opentime.RationalTime) -> Shot:
    record = clip.range_in_parent().start_time
    rate = record.rate
    name = clip.name or f"clip {index + 1}"
    common = {"index": index, "record_frame": round(record.value), "rate": Fraction(rate).limit_denominator(1001),
              "record_timecode": otio.opentime.to_timecode(start + record, rate),
              "metadata": _plain(clip.metadata), "reference": clip}
    try:
        media, shown = frames_shown(clip, base_dir)
    except ValueError as reason:
        return Shot(name, written_media(clip.media_reference), 0, 0, offline=str(reason), **common)
    return Shot(name, media, min(shown), max(shown), **common)


def _markers(timeline: otio.schema.Timeline) -> list[tuple[int, str]]:
    """Markers on the timeline's stack and tracks: (frame from the timeline's start, name)."""
    found = [(round(m.marked_range.start_time.value), m.name) for m in timeline.tracks.markers]
    for track in timeline.video_tracks():
        found += [(round(m.marked_range.start_time.value), m.name) for m in track.markers]
    return sorted(found)


def read_shots(path: str, work_dir: str,
               edl_rate: Fraction = Fraction(24)) -> tuple[list[Shot], list[tuple[int, str]], Any]:
    """Every video clip of the timeline at ``path`` as a ``Shot``, the timeline's markers, and the timeline read
    (for ``write_marked``). ``work_dir`` receives an ``.otioz``'s unpacked media.

    Raises
    ------
    UsageError, MediaError
        When the timeline cannot be read.
    """
    stem = os.path.splitext(os.path.basename(path))[0]
    timeline, base_dir = read_timeline(path, os.path.join(work_dir, f"{stem}.otioz-media"), edl_rate)
    start = timeline.global_start_time or otio.opentime.RationalTime(0, 24)
    clips = [clip for track in timeline.video_tracks() for clip in track.find_clips()]
    return [_shot(clip, index, base_dir, start) for index, clip in enumerate(clips)], _markers(timeline), timeline


def timeline_of_shots(shots: Sequence[Shot], name: str = "continuity") -> tuple[otio.schema.Timeline, list[Shot]]:
    """A timeline cutting loose media files one after the other (each whole), and the shots pointing at it
    (offline shots stay out of it, unchanged)."""
    timeline = otio.schema.Timeline(name=name)
    track = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    timeline.tracks.append(track)
    placed = []
    for shot in shots:
        if shot.offline:
            placed.append(shot)
            continue
        info = probe(shot.media)
        rate = float(info.frame_rate)
        origin = 0
        available = otio.opentime.TimeRange(otio.opentime.RationalTime(origin, rate),
                                            otio.opentime.RationalTime(info.frame_count, rate))
        clip = otio.schema.Clip(name=shot.name, media_reference=otio.schema.ExternalReference(
            target_url=url_from_path(shot.media), available_range=available),
            source_range=otio.opentime.TimeRange(otio.opentime.RationalTime(shot.first - info.first_frame, rate),
                                                 otio.opentime.RationalTime(shot.last - shot.first + 1, rate)))
        track.append(clip)
        placed.append(replace(shot, reference=clip))
    return timeline, placed


def _marker_time(shot: Shot, frame: int, info: MediaInfo) -> otio.opentime.RationalTime:
    """The clip's source time of source frame ``frame`` of ``shot`` (what clip markers are measured in);
    ``info`` is the shot's media, probed."""
    clip = shot.reference
    rate = clip.trimmed_range().start_time.rate
    origin = media_origin(clip.media_reference, info, rate)
    scale = round(rate) / nominal_fps(info.frame_rate) if nominal_fps(info.frame_rate) else 1.0
    return otio.opentime.RationalTime(round(origin + (frame - info.first_frame) * scale), rate)


def add_markers(markers: Sequence[Marker]) -> int:
    """Put each continuity ``Marker`` on its shot's OTIO clip; returns how many were placed."""
    placed = 0
    probed: dict[str, MediaInfo] = {}
    for marker in markers:
        clip = marker.shot.reference
        if not isinstance(clip, otio.schema.Clip) or not marker.shot.media:
            continue
        if marker.shot.media not in probed:
            probed[marker.shot.media] = probe(marker.shot.media)
        start = _marker_time(marker.shot, marker.frame, probed[marker.shot.media])
        clip.markers.append(otio.schema.Marker(
            name=marker.name, marked_range=otio.opentime.TimeRange(start, otio.opentime.RationalTime(1, start.rate)),
            color=MARKER_COLOUR, comment=marker.note,
            metadata={"answerprint": {"continuity": marker.note}, "fcp_xml": {"comment": marker.note}}))
        placed += 1
    return placed


def write_marked(timeline: Any, markers: Sequence[Marker], target: str, overwrite: bool) -> str:
    """Add the markers and write the timeline to ``target`` (format from its extension, read back first)."""
    adapter_for(target)
    add_markers(markers)
    write_timeline(timeline, target, overwrite)
    return target
