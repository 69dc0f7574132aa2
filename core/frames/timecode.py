"""SMPTE timecode ⇄ frame counts (SMPTE ST 12-1), drop-frame included.

Timecode strings are ``HH:MM:SS:FF`` (non-drop) or ``HH:MM:SS;FF`` (drop-frame, 29.97 and 59.94 only).
"""
from __future__ import annotations

import re
from fractions import Fraction

from ..errors import MediaError

_TC = re.compile(r"^(\d{1,2}):(\d{2}):(\d{2})([:;.,])(\d{2,3})$")


def nominal_fps(frame_rate: Fraction) -> int:
    """The integer frame count per timecode second (24 for 23.976, 30 for 29.97)."""
    return int(round(float(frame_rate)))


def is_drop_frame_rate(frame_rate: Fraction) -> bool:
    """True for the NTSC rates where drop-frame timecode exists (29.97, 59.94)."""
    return frame_rate.denominator == 1001 and nominal_fps(frame_rate) in (30, 60)


def timecode_to_frames(timecode: str, frame_rate: Fraction) -> int:
    """Frames since 00:00:00:00 for ``timecode`` at ``frame_rate``.

    Raises
    ------
    MediaError
        When the string is not a timecode or its frame field is too large for the rate.
    """
    match = _TC.match(timecode.strip())
    if not match:
        raise MediaError(f"not a timecode: {timecode!r}")
    hh, mm, ss, sep, ff = match.groups()
    fps = nominal_fps(frame_rate)
    hours, minutes, seconds, frames = int(hh), int(mm), int(ss), int(ff)
    if frames >= fps or minutes > 59 or seconds > 59:
        raise MediaError(f"timecode {timecode!r} is invalid at {float(frame_rate):.3f} fps")
    total = (hours * 3600 + minutes * 60 + seconds) * fps + frames
    if sep in ";,":
        dropped = 2 * (fps // 30)
        total_minutes = hours * 60 + minutes
        total -= dropped * (total_minutes - total_minutes // 10)
    return total


def frames_to_timecode(frame: int, frame_rate: Fraction, drop_frame: bool | None = None) -> str:
    """Timecode string for a frame count since 00:00:00:00; drop-frame by default at 29.97/59.94.

    Wraps at 24 hours, as decks and NLEs do.
    """
    fps = nominal_fps(frame_rate)
    if drop_frame is None:
        drop_frame = is_drop_frame_rate(frame_rate)
    frame %= fps * 3600 * 24 - (2 * (fps // 30) * (24 * 60 - 24 * 6) if drop_frame else 0)
    if drop_frame:
        dropped = 2 * (fps // 30)
        per_10_min = fps * 600 - dropped * 9
        per_min = fps * 60 - dropped
        tens, rest = divmod(frame, per_10_min)
        extra = 0 if rest < dropped else dropped * ((rest - dropped) // per_min)
        frame += dropped * 9 * tens + extra
    ff = frame % fps
    total_seconds = frame // fps
    sep = ";" if drop_frame else ":"
    return f"{total_seconds // 3600:02d}:{total_seconds // 60 % 60:02d}:{total_seconds % 60:02d}{sep}{ff:02d}"


def offset_timecode(timecode: str, frames: int, frame_rate: Fraction) -> str:
    """``timecode`` moved by ``frames`` (e.g. the timecode of frame 48 of a clip starting at ``timecode``)."""
    drop = ";" in timecode or "," in timecode
    return frames_to_timecode(timecode_to_frames(timecode, frame_rate) + frames, frame_rate, drop)
