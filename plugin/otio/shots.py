"""From a timeline's video clips to shot renders: which source frames each clip uses, and where they go.

A clip's ``source_range`` is in the media's time, whose origin is the media reference's ``available_range``
start when the timeline gives one, else the media's own start timecode (EDLs and most NLE exports count
source time in timecode frames), else 0. ``frame number = media first frame + (time - origin)`` in frames.

Outputs: ``OUT/<shot>.mov`` for movie codecs (one task per shot), ``OUT/<shot>/<shot>.%07d.exr`` (DPX, TIFF…)
for image sequences (split into frame-range tasks). The default codec follows the source: a movie renders
to its own family (ProRes, DNxHR), a sequence to its own format.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, replace

import opentimelineio as otio

from answerprint.core.errors import AnswerprintError
from answerprint.core.farm.report import OfflineClip
from answerprint.core.farm.tasks import ShotRender
from answerprint.core.frames import MediaInfo, probe
from answerprint.core.frames.timecode import nominal_fps, timecode_to_frames
from answerprint.core.render import RenderJob
from answerprint.core.render.job import choose_codec, frames_to_render, is_sequence_codec

from .timeline_io import path_from_url

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")
#: Digits of frame numbers in rendered sequences (movie frames count from 0, scans from 86400 and more).
FRAME_PADDING = 7


@dataclass(frozen=True)
class PlannedClip:
    """A clip to re-point after rendering, with what is needed to describe the render in its time units.

    Attributes
    ----------
    clip : otio.schema.Clip
        The clip in the timeline being conformed.
    shot : ShotRender
        Its render.
    origin : int
        Media time (in the clip's nominal frames) of the media's first frame.
    media_first_frame : int
        Frame number of that first frame (0 for movies, the first file's number for sequences).
    """

    clip: otio.schema.Clip
    shot: ShotRender
    origin: int
    media_first_frame: int

    def time_of(self, frame_number: int) -> int:
        """Media time, in the clip's frames, of source frame ``frame_number``."""
        return self.origin + frame_number - self.media_first_frame


def plan_clips(timeline: otio.schema.Timeline, base_dir: str, template: RenderJob,
               out_dir: str) -> tuple[list[PlannedClip], list[OfflineClip]]:
    """Every video clip of ``timeline`` as a shot render, or as an offline clip saying why not.

    Parameters
    ----------
    timeline : otio.schema.Timeline
        The timeline read.
    base_dir : str
        Folder that relative media paths are relative to.
    template : RenderJob
        Effect, parameters, pack, colour spaces, codec, handles and flags every shot shares; its source,
        output and frames are replaced per clip.
    out_dir : str
        Folder the renders go into.
    """
    planned: list[PlannedClip] = []
    offline: list[OfflineClip] = []
    clips = [clip for track in timeline.video_tracks() for clip in track.find_clips()]
    for index, clip in enumerate(clips, start=1):
        try:
            planned.append(_plan_clip(clip, index, base_dir, template, out_dir))
        except Offline as reason:
            offline.append(OfflineClip(clip.name, reason.media, str(reason)))
    return planned, offline


class Offline(Exception):
    """Why a clip is not rendered (internal: becomes an ``OfflineClip``)."""

    def __init__(self, reason: str, media: str | None):
        super().__init__(reason)
        self.media = media


def media_path(reference: otio.core.MediaReference, base_dir: str) -> str:
    """The path (movie, or printf sequence pattern) a media reference points to."""
    if isinstance(reference, otio.schema.ImageSequenceReference):
        folder = path_from_url(reference.target_url_base, base_dir)
        return os.path.join(folder, f"{reference.name_prefix}%0{reference.frame_zero_padding}d"
                                    f"{reference.name_suffix}")
    if isinstance(reference, otio.schema.ExternalReference) and reference.target_url:
        return path_from_url(reference.target_url, base_dir)
    raise Offline(f"no media reference ({type(reference).__name__})", None)


def media_origin(reference: otio.core.MediaReference, info: MediaInfo, rate: float) -> int:
    """Media time of the media's first frame (see module docstring), in frames at ``rate``."""
    if reference.available_range is not None and reference.available_range.duration.value > 0:
        return round(reference.available_range.start_time.rescaled_to(rate).value)
    if info.timecode:
        return timecode_to_frames(info.timecode, info.frame_rate)
    return 0


def _plan_clip(clip: otio.schema.Clip, index: int, base_dir: str, template: RenderJob,
               out_dir: str) -> PlannedClip:
    """The render of the ``index``-th video clip; ``Offline`` saying why when it cannot be rendered."""
    reference = clip.media_reference
    media = media_path(reference, base_dir)
    try:
        info = probe(media)
    except AnswerprintError as error:
        raise Offline(f"media offline: {error.what}", media) from None
    used = clip.trimmed_range()
    rate = used.start_time.rate
    if nominal_fps(info.frame_rate) != round(rate):
        raise Offline(f"the timeline runs at {rate:g} fps but the media at {float(info.frame_rate):g} fps", media)
    origin = media_origin(reference, info, rate)
    first = info.first_frame + round(used.start_time.value) - origin
    last = first + round(used.duration.value) - 1
    if last < first:
        raise Offline("the clip is empty", media)
    if first < info.first_frame or last > info.last_frame:
        raise Offline(f"uses frames {first}-{last}, outside the media's {info.first_frame}-{info.last_frame}", media)
    name = f"{index:03d}_{_UNSAFE.sub('_', clip.name or os.path.basename(media)).strip('._')[:60]}"
    codec = template.codec or _default_codec(info)
    output = (os.path.join(out_dir, name, f"{name}.%0{FRAME_PADDING}d.{_extension(codec)}")
              if is_sequence_codec(codec) else os.path.join(out_dir, f"{name}.mov"))
    job = replace(template, source=media, output=output, frames=(first, last), codec=codec)
    shot = ShotRender(name, job, frames_to_render(info, (first, last), template.handles), codec)
    return PlannedClip(clip, shot, origin, info.first_frame)


def _default_codec(info: MediaInfo) -> str:
    """The source's own family: its movie codec family, or its image-sequence format."""
    if info.kind == "sequence":
        return choose_codec(info.path, info, None)
    return choose_codec("shot.mov", info, None)


def _extension(codec: str) -> str:
    """File extension of an image-sequence codec."""
    return {"exr": "exr", "dpx10": "dpx", "dpx16": "dpx", "tiff16": "tif", "png16": "png", "jpeg": "jpg"}[codec]
