"""Point a timeline's clips at their renders, keeping every clip's source range and source timecode.

A render covers the clip's used range plus handles and carries the source timecode of its first frame,
so the clip's ``source_range`` stays as it was: only the media reference changes, its ``available_range``
now the rendered frames. The original reference is kept beside it (``DEFAULT_MEDIA``, the active one
being ``answerprint``), which ``.otio`` files preserve and the other formats drop.

Image sequences are ``ImageSequenceReference`` in ``.otio``/``.otioz``; EDL and XML adapters cannot write
those, so there the reference is the sequence's first frame file, which Resolve and Premiere import as
the sequence.
"""
from __future__ import annotations

import opentimelineio as otio

from answerprint.core.frames.patterns import parse_sequence_path
from answerprint.core.render.job import is_sequence_codec

from .shots import PlannedClip
from .timeline_io import url_from_path

#: Name of the media reference holding the render, made the clip's active reference.
RENDER_REFERENCE = "answerprint"


def point_to_renders(planned: list[PlannedClip], rendered: set[str], adapter: str) -> None:
    """Re-point every clip of ``planned`` whose shot name is in ``rendered`` to its render.

    Parameters
    ----------
    planned : list of PlannedClip
        Clips and their shot renders.
    rendered : set of str
        Shot names whose every frame is rendered (or, for a farm bundle only written, will be).
    adapter : str
        OTIO adapter that will write the timeline (decides how image sequences are referenced).
    """
    for item in planned:
        if item.shot.name not in rendered:
            continue
        clip, shot = item.clip, item.shot
        rate = clip.trimmed_range().start_time.rate
        first, last = shot.frame_range
        available = otio.opentime.TimeRange(otio.opentime.RationalTime(item.time_of(first), rate),
                                            otio.opentime.RationalTime(last - first + 1, rate))
        on_disk = shot.job.start_frame if shot.job.start_frame is not None else first
        reference = _reference(shot.job.output, shot.codec, on_disk, rate, available, adapter)
        reference.metadata["answerprint"] = {"effect": shot.job.effect, "params": dict(shot.job.params),
                                             "pack": shot.job.pack, "source": shot.job.source,
                                             "frames": [first, last]}
        # A copy: handing the clip its own current reference back crashes OTIO 0.18 when writing.
        original = clip.media_reference.clone()
        clip.set_media_references({otio.schema.Clip.DEFAULT_MEDIA_KEY: original, RENDER_REFERENCE: reference},
                                  RENDER_REFERENCE)


def _reference(output: str, codec: str, first: int, rate: float, available: otio.opentime.TimeRange,
               adapter: str) -> otio.core.MediaReference:
    """The media reference of a render, as the adapter writing the timeline can express it."""
    if not is_sequence_codec(codec):
        return otio.schema.ExternalReference(target_url=url_from_path(output), available_range=available)
    pattern = parse_sequence_path(output)
    if adapter in ("otio_json", "otioz"):
        return otio.schema.ImageSequenceReference(
            target_url_base=url_from_path(pattern.directory) + "/", name_prefix=pattern.prefix,
            name_suffix=pattern.suffix, start_frame=first, frame_step=1, rate=rate,
            frame_zero_padding=pattern.padding or 0, available_range=available)
    return otio.schema.ExternalReference(target_url=url_from_path(pattern.frame_path(first)),
                                         available_range=available)

