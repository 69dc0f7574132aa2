"""From a timeline's video clips to shot renders: which source frames each clip uses, and where they go.

A clip's ``source_range`` is in the media's time, whose origin is the media reference's ``available_range``
start when the timeline gives one, else the media's own start timecode (EDLs and most NLE exports count
source time in timecode frames), else 0: ``frame number = media first frame + (position - origin)``. The
positions a clip shows come from ``retime.used_frames``: its trimmed range through its speed change,
reverse or freeze frame, widened by the media under the transitions either side.

Each source is found by ``relink.Relinker`` (as written, through path maps, under media roots). Clips of the
same source whose ranges overlap or touch (handles included) share one render. Renders are named after the
source file: ``OUT/A001C003_<effect>_v001.mov`` (a second, separate range of the same source
``A001C003-2_<effect>_v001.mov``), ``OUT/<name>/<name>.%07d.exr`` for image sequences. The default codec
follows the source: a movie renders to its own family (ProRes, DNxHR), a sequence to its own format.

Clips that are not rendered are returned as ``OfflineClip``s saying why (media not found or ambiguous, a
speed ramp, frames outside the media, a clip inside a compound clip); generators (black, bars, titles) are
skipped without a word, having no media.
"""
from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Callable

import opentimelineio as otio

from answerprint.core.errors import AnswerprintError
from answerprint.core.farm.report import OfflineClip
from answerprint.core.farm.tasks import ShotRender
from answerprint.core.frames import MediaInfo
from answerprint.core.frames.timecode import timecode_to_frames
from answerprint.core.render import RenderJob
from answerprint.core.render.job import choose_codec, frames_to_render, is_sequence_codec, output_frame_offset

from .edl import NO_REEL
from .relink import Ambiguous, NotFound, Relinker, media_stem, written_path
from .retime import UnsupportedRetime, UsedFrames, exact, same_nominal_rate, used_frames

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")
#: Digits of frame numbers in rendered sequences (movie frames count from 0, scans from 86400 and more).
FRAME_PADDING = 7
#: Version written into render names (``A001C003_cleanup_v001.mov``).
RENDER_VERSION = 1
#: Clip metadata key a timeline reader sets to a reason when it cannot conform that clip in place.
OFFLINE_METADATA = "answerprint_offline"
#: Clip metadata keys naming a clip's reel, by the format that records it.
_REEL_KEYS = (("answerprint_edl", "reel"), ("cmx_3600", "reel"))


@dataclass(frozen=True)
class PlannedClip:
    """A clip to re-point after rendering, with what is needed to describe the render in its time units.

    Attributes
    ----------
    clip : otio.schema.Clip
        The clip in the timeline being conformed.
    shot : ShotRender
        Its render (possibly shared with other clips of the same source).
    origin : Fraction
        Media position (in frames at ``rate``) of the media's first frame.
    media_first_frame : int
        Frame number of that first frame (0 for movies, the first file's number for sequences).
    rate : Fraction
        The media's frame rate, at which it is rendered.
    reference_rate : float
        Rate of the clip's time units for media positions (the clip's own when it counts the media's frames,
        else the media's).
    used : UsedFrames
        The media positions the clip shows.
    info : MediaInfo
        The source, probed.
    how : str
        How the source was found (``as written``, ``path map``, ``reel``...).
    """

    clip: otio.schema.Clip
    shot: ShotRender
    origin: Fraction
    media_first_frame: int
    rate: Fraction
    reference_rate: float
    used: UsedFrames
    info: MediaInfo
    how: str

    def time_of(self, frame_number: int) -> Fraction:
        """Media position, in frames at ``reference_rate``, of source frame ``frame_number``."""
        return self.origin + frame_number - self.media_first_frame


@dataclass(frozen=True)
class _Source:
    """A clip whose source is found and whose frames are known, before renders are grouped."""

    clip: otio.schema.Clip
    info: MediaInfo
    origin: Fraction
    media_first_frame: int
    reference_rate: float
    used: UsedFrames
    first: int
    last: int
    grid: int
    how: str


def video_clips(timeline: otio.schema.Timeline) -> list[otio.schema.Clip]:
    """Every clip of every video track, nested stacks included, in track order."""
    return [clip for track in timeline.video_tracks() for clip in track.find_clips()]


def plan_clips(timelines: list[otio.schema.Timeline] | otio.schema.Timeline, base_dir: str, template: RenderJob, out_dir: str,
               relinker: Relinker | None = None, grid: Callable[[otio.schema.Clip, Fraction], int] | None = None
               ) -> tuple[list[PlannedClip], list[OfflineClip]]:
    """Every video clip of ``timelines`` as a shot render, or as an offline clip saying why not.

    Parameters
    ----------
    timelines : list of otio.schema.Timeline, or one Timeline
        The timelines read (an FCPX library holds several projects).
    base_dir : str
        Folder that relative media paths are relative to.
    template : RenderJob
        Effect, parameters, pack, colour spaces, codec, handles and flags every shot shares; its source,
        output and frames are replaced per shot.
    out_dir : str
        Folder the renders go into.
    relinker : Relinker, optional
        Where to look for media (default: only as written).
    grid : callable, optional
        ``grid(clip, speed)``: the render of ``clip`` must start a multiple of this many frames after the
        media's first frame (a format that counts a retimed clip's in point in retimed frames needs it;
        default 1).
    """
    if isinstance(timelines, otio.schema.Timeline):  # one timeline, as callers before FCPX libraries passed it
        timelines = [timelines]
    relinker = relinker or Relinker()
    sources: list[_Source] = []
    offline: list[OfflineClip] = []
    for timeline in timelines:
        for clip in video_clips(timeline):
            if isinstance(clip.media_reference, otio.schema.GeneratorReference):
                continue
            try:
                sources.append(_locate(clip, base_dir, relinker, grid))
            except _Offline as reason:
                offline.append(OfflineClip(clip.name, reason.media, str(reason)))
    return _group_into_shots(sources, template, out_dir), offline


class _Offline(Exception):
    """Why a clip is not rendered (internal: becomes an ``OfflineClip``)."""

    def __init__(self, reason: str, media: str | None):
        super().__init__(reason)
        self.media = media


def written_media(reference: otio.core.MediaReference) -> str | None:
    """What a media reference names (a URL or path as written; a printf pattern for an image sequence)."""
    if isinstance(reference, otio.schema.ImageSequenceReference):  # a path: "%04d" must not be URL-decoded
        base = written_path(reference.target_url_base).rstrip("/\\") + "/"
        return f"{base}{reference.name_prefix}%0{reference.frame_zero_padding}d{reference.name_suffix}"
    if isinstance(reference, otio.schema.ExternalReference) and reference.target_url:
        return reference.target_url
    return None


def clip_reel(clip: otio.schema.Clip) -> str | None:
    """The reel a clip's format recorded (EDL reels other than black, bars and ``AX``), else None."""
    for key, field in _REEL_KEYS:
        reel = str(clip.metadata.get(key, {}).get(field) or "").strip()
        if reel and reel.upper() not in NO_REEL:
            return reel
    return None


def _locate(clip: otio.schema.Clip, base_dir: str, relinker: Relinker,
            grid: Callable[[otio.schema.Clip, Fraction], int] | None) -> _Source:
    """Find ``clip``'s source and the frames it uses; ``_Offline`` saying why when it cannot be rendered."""
    reason = clip.metadata.get(OFFLINE_METADATA)
    reference = clip.media_reference
    written = written_media(reference)
    if reason:
        raise _Offline(str(reason), written)
    try:
        found = relinker.locate(written or "", base_dir, clip_reel(clip), clip.name,
                                lambda info: _fits(clip, reference, info))
    except (NotFound, Ambiguous) as error:
        raise _Offline(str(error), written) from None
    try:
        info = relinker.probe(found.path)
    except AnswerprintError as error:
        raise _Offline(f"media offline: {error.what}", found.path) from None
    try:
        used, origin, first_frame, reference_rate = _frames(clip, reference, info)
    except UnsupportedRetime as error:
        raise _Offline(f"{error}; render the retimed clip from the NLE, or flatten the ramp", found.path) from None
    first = math.floor(first_frame + used.span[0] - origin)  # whole frames unless the origin is not
    last = math.ceil(first_frame + used.span[1] - origin)
    if used.count < 1:
        raise _Offline("the clip is empty", found.path)
    if first < info.first_frame or last > info.last_frame:
        raise _Offline(f"uses frames {first}-{last}, outside the media's "
                       f"{info.first_frame}-{info.last_frame}", found.path)
    step = grid(clip, used.speed) if grid else 1
    return _Source(clip, info, origin, first_frame, reference_rate, used, first, last, step, found.how)


def frames_shown(clip: otio.schema.Clip, base_dir: str, relinker: Relinker | None = None) -> tuple[str, list[int]]:
    """The media ``clip`` shows (a movie, or a sequence pattern) and the frame number it shows at each of its
    track frames, in order (a retime's position between two frames is taken at the earlier one).

    Raises
    ------
    ValueError
        When the clip's media cannot be found or its retime is not a constant speed (with the reason).
    """
    try:
        source = _locate(clip, base_dir, relinker or Relinker(), None)
    except _Offline as reason:
        raise ValueError(str(reason)) from None
    used = source.used
    return source.info.path, [int(source.media_first_frame + (used.position(k) - source.origin) // 1)
                              for k in range(used.count)]


def _frames(clip: otio.schema.Clip, reference: otio.core.MediaReference,
            info: MediaInfo) -> tuple[UsedFrames, Fraction, int, float]:
    """The positions ``clip`` shows, the media's origin and first frame number, and the positions' rate."""
    clip_rate = clip.trimmed_range().start_time.rate
    same = same_nominal_rate(clip_rate, float(info.frame_rate))
    reference_rate = clip_rate if same else float(info.frame_rate)
    used = used_frames(clip, float(info.frame_rate))
    first_frame = info.first_frame
    if isinstance(reference, otio.schema.ImageSequenceReference) and reference.available_range is not None:
        first_frame = reference.start_frame
    return used, media_origin(reference, info, reference_rate), first_frame, reference_rate


def media_origin(reference: otio.core.MediaReference, info: MediaInfo, rate: float) -> Fraction:
    """Media position of the media's first frame (see module docstring), in frames at ``rate``."""
    available = reference.available_range if reference is not None else None
    if available is not None and available.duration.value > 0:
        start = available.start_time
        if same_nominal_rate(start.rate, rate):
            return exact(start.value)
        return exact(start.value_rescaled_to(rate))
    if info.timecode:
        return Fraction(timecode_to_frames(info.timecode, info.frame_rate))
    return Fraction(0)


def _fits(clip: otio.schema.Clip, reference: otio.core.MediaReference, info: MediaInfo) -> bool:
    """True when ``info`` holds every frame ``clip`` needs (how relinking tells candidates apart)."""
    try:
        used, origin, first_frame, _ = _frames(clip, reference, info)
    except UnsupportedRetime:
        return False
    first, last = (first_frame + end - origin for end in used.span)
    return info.first_frame <= first and last <= info.last_frame


def _group_into_shots(sources: list[_Source], template: RenderJob, out_dir: str) -> list[PlannedClip]:
    """One render per source range: clips of the same source whose frames overlap or touch share it."""
    by_source: dict[str, list[_Source]] = {}
    for source in sources:
        by_source.setdefault(source.info.path, []).append(source)
    names: dict[str, int] = {}
    planned: list[PlannedClip] = []
    for path, group in by_source.items():
        for members in _overlapping(group, template.handles):
            stem = _UNSAFE.sub("_", media_stem(path)).strip("._") or "clip"
            names[stem] = names.get(stem, 0) + 1
            base = stem if names[stem] == 1 else f"{stem}-{names[stem]}"
            shot = _shot(f"{base}_{template.effect}_v{RENDER_VERSION:03d}", members, template, out_dir)
            planned += [PlannedClip(m.clip, shot, m.origin, m.media_first_frame, m.info.frame_rate,
                                    m.reference_rate, m.used, m.info, m.how) for m in members]
    return planned


def _overlapping(group: list[_Source], handles: int) -> list[list[_Source]]:
    """``group`` split into runs whose rendered ranges overlap or touch; a clip needing a render grid alone."""
    runs: list[list[_Source]] = []
    for source in sorted(group, key=lambda s: (s.first, s.last)):
        last_run = runs[-1] if runs else None
        if last_run and source.grid == 1 and all(s.grid == 1 for s in last_run) and \
                source.first - handles <= max(s.last for s in last_run) + handles + 1:
            last_run.append(source)
        else:
            runs.append([source])
    return runs


def _shot(name: str, members: list[_Source], template: RenderJob, out_dir: str) -> ShotRender:
    """The render of ``members`` (clips of one source): their frames plus handles, on the render grid."""
    info = members[0].info
    first, last = min(m.first for m in members), max(m.last for m in members)
    step = members[0].grid
    if step > 1:  # start on the grid, at least ``handles`` before the first frame used
        wanted = max(info.first_frame, first - template.handles)
        aligned = info.first_frame + (wanted - info.first_frame) // step * step
        first = min(first, aligned + template.handles)
    codec = template.codec or _default_codec(info)
    output = (os.path.join(out_dir, name, f"{name}.%0{FRAME_PADDING}d.{_extension(codec)}")
              if is_sequence_codec(codec) else os.path.join(out_dir, f"{name}.mov"))
    frame_range = frames_to_render(info, (first, last), template.handles)
    # Every task of the shot and the conform number the output frames alike: the first one's number is fixed here.
    start = (frame_range[0] + output_frame_offset(info, frame_range[0], template.start_frame)
             if is_sequence_codec(codec) else None)
    job = replace(template, source=info.path, output=output, frames=(first, last), codec=codec, start_frame=start)
    return ShotRender(name, job, frame_range, codec)


def _default_codec(info: MediaInfo) -> str:
    """The source's own family: its movie codec family, or its image-sequence format."""
    if info.kind == "sequence":
        return choose_codec(info.path, info, None)
    return choose_codec("shot.mov", info, None)


def _extension(codec: str) -> str:
    """File extension of an image-sequence codec."""
    return {"exr": "exr", "dpx10": "dpx", "dpx16": "dpx", "tiff16": "tif", "png16": "png", "jpeg": "jpg"}[codec]
