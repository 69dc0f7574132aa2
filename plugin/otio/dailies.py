"""A timeline as training dailies: the media each video clip shows and the source frames it shows.

``used_media`` is what ``answerprint train --dailies cut.edl`` reads through the ``answerprint.timelines``
entry point (``render`` re-exports it). Media are found as a render finds them (``relink``: as written,
through path maps, under media roots) and the frames are those the clip shows on the timeline (its trim,
speed change, reverse or freeze frame; not handles, not the media under transitions). Generators are not
media; clips whose media cannot be found, or whose retime is a ramp, are left out with the reason.
"""
from __future__ import annotations

import os
import tempfile
from fractions import Fraction
from typing import Iterable

import opentimelineio as otio

from answerprint.core.errors import UsageError
from answerprint.core.inputs.edits import UsedMedia

from .relink import Relinker, RelinkOptions
from .shots import frames_shown, video_clips
from .timeline_io import adapter_for, open_edit


def used_media(timeline: str, *, edl_rate: Fraction = Fraction(24), project: str | None = None,
               media_roots: Iterable[str] = (), path_maps: Iterable[str] = ()) -> tuple[list[UsedMedia], list[str]]:
    """Every video clip's media and the source frames it shows, and one line per clip left out.

    Parameters
    ----------
    timeline : str
        ``.otio``, ``.edl``, ``.xml`` (FCP 7), ``.fcpxml`` or ``.fcpxmld``; read only.
    edl_rate, project, media_roots, path_maps
        As ``render_timeline`` takes them.

    Returns
    -------
    (list of UsedMedia, list of str)
        One ``UsedMedia`` per clip (first to last frame shown), in track order; ``clip name: reason`` for
        each clip left out.

    Raises
    ------
    UsageError
        An ``.otioz`` bundle (its media lie inside it), or a timeline that cannot be read.
    MediaError
        When the file is missing or cannot be parsed.
    """
    if adapter_for(timeline) == "otioz":
        raise UsageError("an .otioz bundle holds its media inside it: unpack it under an approved media root "
                         "and pass the .otio", timeline)
    relinker = Relinker(RelinkOptions.from_arguments(media_roots, path_maps))
    with tempfile.TemporaryDirectory(prefix="answerprint-dailies-") as unused:
        edit = open_edit(timeline, os.path.join(unused, "media"), edl_rate, project)
    used: list[UsedMedia] = []
    left_out: list[str] = []
    for clip in (clip for one in edit.timelines for clip in video_clips(one)):
        if isinstance(clip.media_reference, otio.schema.GeneratorReference):
            continue
        try:
            path, frames = frames_shown(clip, edit.base_dir, relinker)
        except ValueError as reason:
            left_out.append(f"{clip.name}: {reason}")
            continue
        if frames:
            used.append(UsedMedia(path, min(frames), max(frames), (clip.name,)))
    return used, left_out
