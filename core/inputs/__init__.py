"""Training inputs as assistant editors hand them over: movies, sequences, stills, folders, timelines and bins.

``resolve_inputs(paths, notify)`` turns what a user gives into ``ResolvedClip``s (kind, path or pattern,
size, rate, frames used, one-line description), deciding by the files which numbered images are a sequence
and which are stills; ``resolve_bin`` does the same for an NLE bin. Every trainer, the continuity report
and the panel's media browser use them, so a path means the same everywhere. ``mixed`` holds the refusals
for dailies a method cannot mix.
"""
from .clip import KINDS, ResolvedClip
from .edits import UsedMedia, is_timeline, timeline_reader
from .mixed import mixed_note, odd_clip, refuse_odd_clip
from .resolver import Notify, resolve_bin, resolve_inputs, used_clips

__all__ = ["KINDS", "Notify", "ResolvedClip", "UsedMedia", "is_timeline", "mixed_note", "odd_clip",
           "refuse_odd_clip", "resolve_bin", "resolve_inputs", "timeline_reader", "used_clips"]
