"""What a timeline render did: the new timeline, shots rendered, clips left alone (offline) and failures.

Readers of edit decisions (the ``answerprint.timelines`` entry points, e.g. ``answerprint.plugin.otio.render``)
return a ``TimelineReport``; the ``render`` command prints it. Offline clips are reported, never fatal: the
new timeline keeps their original media reference.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class OfflineClip:
    """A clip that was not rendered.

    Attributes
    ----------
    name : str
        The clip's name in the timeline.
    media : str or None
        The media path it points to, when it points to one.
    reason : str
        Why, in one line (``media not found``, ``frames 10-80 are outside the media's 0-47``...).
    """

    name: str
    media: str | None
    reason: str


@dataclass
class TimelineReport:
    """The outcome of ``render TIMELINE``.

    Attributes
    ----------
    timeline : str
        The new timeline written (same format as the one read), whose clips point to the renders.
    shots : int
        Clips planned for rendering.
    tasks : int
        Farm tasks those shots were split into.
    frames : int
        Frames in all tasks (used ranges plus handles).
    frames_rendered, frames_skipped : int
        Frames written now, and frames found complete from an earlier run of the same job.
    offline : list of OfflineClip
        Clips left pointing at their original media.
    failed : dict
        Shot name -> one-line error, for shots some task of which failed (kept on their original media).
    pending : bool
        True when the tasks were written for a farm but not run (``--farm openjd`` without ``--run``): the
        timeline points to where the renders will be.
    plan, bundle : str or None
        The farm plan file, and the OpenJD job bundle folder when one was written.
    relinked : dict
        How the rendered clips' media were found -> how many (``as written``, ``path map``, ``reel``...).
    relink_report : str or None
        The file listing every clip's media: found (and how), ambiguous (with candidates) or offline.
    """

    timeline: str
    shots: int
    tasks: int
    frames: int
    frames_rendered: int = 0
    frames_skipped: int = 0
    offline: list[OfflineClip] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    pending: bool = False
    plan: str | None = None
    bundle: str | None = None
    relinked: dict[str, int] = field(default_factory=dict)
    relink_report: str | None = None
