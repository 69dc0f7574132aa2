"""What each rendered clip now points to, and pointing an OTIO timeline's clips at their renders.

A render covers the frames its clips show (retimes and transitions included) plus handles and carries the
source timecode of its first frame, so every clip keeps its ``source_range``, its time effect and its
transitions: only the media reference changes. ``Rendered`` describes a clip's render in the clip's own
time units; the EDL, FCP 7 XML and FCPX writers use it to edit their documents in place, and
``point_to_renders`` to re-point an ``.otio``/``.otioz`` timeline.

In ``.otio``/``.otioz`` the original reference is kept beside the render (``DEFAULT_MEDIA``, the active one
being ``answerprint``) and image sequences are ``ImageSequenceReference``s; NLE formats that cannot express
a sequence reference its first frame (FCP 7 XML, FCPX) or ``name.[first-last].exr`` (EDL).
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from fractions import Fraction

import opentimelineio as otio

from answerprint.core.frames.patterns import parse_sequence_path
from answerprint.core.frames.timecode import offset_timecode
from answerprint.core.render.job import is_sequence_codec

from .shots import PlannedClip

#: Name of the media reference holding the render, made the clip's active reference.
RENDER_REFERENCE = "answerprint"


@dataclass(frozen=True)
class Rendered:
    """A clip's render, described as the clip's timeline needs it.

    Attributes
    ----------
    clip : otio.schema.Clip
        The clip (in the timeline read).
    path : str
        The render: a movie, or a printf sequence pattern.
    sequence : bool
        True for an image-sequence render.
    first_frame, frame_count : int
        Number of the render's first frame on disk (the job's start frame: the source's numbering unless
        re-based) and how many frames it has.
    rate : Fraction
        The render's (the source's) frame rate.
    start : Fraction
        Media position of the render's first frame, in frames at ``reference_rate`` (the clip's time units).
    reference_rate : float
        Rate of those units.
    timecode : str or None
        Source timecode of the render's first frame.
    source_offset : int
        Frames between the source's first frame and the render's (formats counting in points from the file
        start shift them by this).
    width, height : int
        Picture size.
    effect, params, pack, source
        What made it (recorded in ``.otio`` metadata).
    """

    clip: otio.schema.Clip
    path: str
    sequence: bool
    first_frame: int
    frame_count: int
    rate: Fraction
    start: Fraction
    reference_rate: float
    timecode: str | None
    source_offset: int
    width: int
    height: int
    effect: str
    params: dict
    pack: str | None
    source: str

    def frame_path(self, frame_number: int) -> str:
        """The file of render frame ``frame_number`` (the movie itself for a movie)."""
        return parse_sequence_path(self.path).frame_path(frame_number) if self.sequence else self.path


def rendered_clips(planned: list[PlannedClip], rendered: set[str]) -> list[Rendered]:
    """A ``Rendered`` for every planned clip whose shot name is in ``rendered`` (all frames on disk, or for a
    farm bundle only written, to be)."""
    out = []
    for item in planned:
        shot = item.shot
        if shot.name not in rendered:
            continue
        first, last = shot.frame_range
        offset = first - item.info.first_frame
        timecode = offset_timecode(item.info.timecode, offset, item.rate) if item.info.timecode else None
        # A sequence's files are numbered from the job's start frame (the source's numbering unless re-based).
        on_disk = shot.job.start_frame if shot.job.start_frame is not None else first
        out.append(Rendered(item.clip, shot.job.output, is_sequence_codec(shot.codec), on_disk, last - first + 1,
                            item.rate, item.time_of(first), item.reference_rate, timecode, offset,
                            item.info.width, item.info.height, shot.job.effect, dict(shot.job.params),
                            shot.job.pack, shot.job.source))
    return out


def point_to_renders(rendered: list[Rendered]) -> None:
    """Re-point every clip of ``rendered`` to its render (``.otio``/``.otioz`` timelines)."""
    from .timeline_io import url_from_path

    for item in rendered:
        clip = item.clip
        available = otio.opentime.TimeRange(otio.opentime.RationalTime(float(item.start), item.reference_rate),
                                            otio.opentime.RationalTime(item.frame_count, item.reference_rate))
        if item.sequence:
            pattern = parse_sequence_path(item.path)
            reference: otio.core.MediaReference = otio.schema.ImageSequenceReference(
                target_url_base=url_from_path(pattern.directory) + "/", name_prefix=pattern.prefix,
                name_suffix=pattern.suffix, start_frame=item.first_frame, frame_step=1, rate=item.reference_rate,
                frame_zero_padding=pattern.padding or 0, available_range=available)
        else:
            reference = otio.schema.ExternalReference(target_url=url_from_path(item.path), available_range=available)
        reference.metadata["answerprint"] = {"effect": item.effect, "params": item.params, "pack": item.pack,
                                             "source": item.source,
                                             "frames": [item.first_frame, item.first_frame + item.frame_count - 1]}
        # A copy: handing the clip its own current reference back crashes OTIO 0.18 when writing.
        original = clip.media_reference.clone()
        clip.set_media_references({otio.schema.Clip.DEFAULT_MEDIA_KEY: original, RENDER_REFERENCE: reference},
                                  RENDER_REFERENCE)


def anchor_relative_media(timelines: list[otio.schema.Timeline], base_dir: str) -> None:
    """Make media references relative to the timeline read absolute, so a conformed timeline written to another
    folder still finds the clips that were not rendered."""
    from .timeline_io import url_from_path

    for timeline in timelines:
        for clip in timeline.find_clips():
            for reference in clip.media_references().values():
                if isinstance(reference, otio.schema.ExternalReference) and _relative(reference.target_url):
                    reference.target_url = url_from_path(os.path.join(base_dir, reference.target_url))
                elif isinstance(reference, otio.schema.ImageSequenceReference) and \
                        _relative(reference.target_url_base):
                    reference.target_url_base = url_from_path(os.path.join(base_dir, reference.target_url_base)) + "/"


def _relative(url: str | None) -> bool:
    return bool(url) and "://" not in url and not os.path.isabs(url) and not re.match(r"^[A-Za-z]:[\\/]", url)
