"""Mixed dailies: what several clips share, and the one-line refusal naming the clip that does not fit.

Trainers call ``refuse_odd_clip`` for what their method cannot mix (cleanup: the encoding; relight: the
colour space), and ``mixed_note`` for what it can but the user should know (sizes, rates).
"""
from __future__ import annotations

from collections import Counter
from typing import Any, Callable, Sequence

from ..errors import UsageError
from .clip import ResolvedClip


def _common(clips: Sequence[ResolvedClip], key: Callable[[ResolvedClip], Any]) -> Any:
    """The ``key`` most clips share (the earliest clip's on a tie)."""
    values = [key(clip) for clip in clips]
    counts = Counter(values)
    return max(counts, key=lambda value: (counts[value], -values.index(value)))


def odd_clip(clips: Sequence[ResolvedClip], key: Callable[[ResolvedClip], Any]) -> ResolvedClip | None:
    """The first clip whose ``key`` differs from the one most clips share; None when all agree."""
    if not clips:
        return None
    common = _common(clips, key)
    return next((clip for clip in clips if key(clip) != common), None)


def refuse_odd_clip(clips: Sequence[ResolvedClip], key: Callable[[ResolvedClip], Any],
                    describe: Callable[[ResolvedClip], str], why: str) -> None:
    """Refuse dailies that do not all share ``key``, in one line naming the clip that differs.

    Parameters
    ----------
    key : callable
        What must agree (``clip.encoding``...).
    describe : callable
        ``key`` in words, for the message (``clip.encoding_text``...).
    why : str
        Why the method needs it and what to do, ending the message.

    Raises
    ------
    UsageError
        ``A002C001.mov: this clip is png, 16-bit but 3 other clips are prores HQ, 10-bit: <why>`` (where:
        the clip).
    """
    odd = odd_clip(clips, key)
    if odd is None:
        return
    common = _common(clips, key)
    sharing = [clip for clip in clips if key(clip) == common]
    count = len(sharing)
    raise UsageError(f"this clip is {describe(odd)} but {count} other clip{'s' * (count != 1)} "
                     f"{'are' if count != 1 else 'is'} {describe(sharing[0])}: {why}", odd.path)


def mixed_note(clips: Sequence[Any], key: Callable[[Any], Any], describe: Callable[[Any], str], what: str,
               treatment: str) -> str | None:
    """One line saying the dailies mix ``what`` (each value with its clip count) and how training treats it;
    None when they do not. ``clips`` are anything ``key`` reads (resolved clips, a trainer's own clips);
    those whose ``key`` is None (a still's rate) are not counted."""
    counts = Counter(value for value in (key(clip) for clip in clips) if value is not None)
    if len(counts) < 2:
        return None
    listed = ", ".join(f"{describe(value)} ({count})" for value, count in sorted(counts.items(), key=str))
    return f"the dailies mix {what}: {listed}; {treatment}"
