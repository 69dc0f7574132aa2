"""Which media frames a timeline clip shows: its trimmed range mapped through its time effect and transitions.

Conventions (those of OpenTimelineIO's EDL and AAF adapters, Avid and Resolve exports): a clip's
``source_range`` starts at the first media sample it shows and lasts as long as the clip plays on the
track; a ``LinearTimeWarp`` of ``time_scalar`` s advances the media s frames per track frame (negative:
backwards from the start, so a reverse runs down from ``source_range.start_time``), a ``FreezeFrame`` holds
the start. Track frame k of the clip (k = 0 at its first frame; negative k and k past its end lie under
the transitions either side) shows media position

    p(k) = start + k * s            (in media frames; fractional between two frames)

and the frames needed are every frame from ``floor(min p)`` to ``ceil(max p)``: a nearest-frame retime uses
one of them, a blended or optical-flow retime both neighbours. Everything is exact: positions are
fractions (speeds as ratios with denominators up to 10 000, e.g. 47.6/24 = 119/60), so a 100 % clip needs
exactly its trimmed frames and a freeze frame exactly one.

Rates: frame counts are taken as they stand where the clip's, the track's and the media's rates have the
same nominal frame count per second (an EDL read at 24 cutting 23.976 media); otherwise times are
converted through seconds (a 25 fps clip on a 24 fps timeline plays in real time, as OpenTimelineIO's
times mean).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import opentimelineio as otio

#: Largest denominator kept when a float speed or frame position becomes an exact fraction.
_SPEED_DENOMINATOR = 10_000
_POSITION_DENOMINATOR = 100_000


class UnsupportedRetime(ValueError):
    """A time effect whose frames cannot be worked out (a speed ramp, an unknown effect)."""


def exact(value: float, denominator: int = _POSITION_DENOMINATOR) -> Fraction:
    """``value`` as the nearest fraction with a denominator up to ``denominator`` (floats carry 1/3 badly)."""
    return Fraction(value).limit_denominator(denominator)


def same_nominal_rate(a: float, b: float) -> bool:
    """True when two rates count the same frames per timecode second (23.976 and 24, 29.97 and 30)."""
    return round(a) == round(b)


def time_scalar(clip: otio.schema.Clip) -> Fraction:
    """Media frames per track frame of ``clip``'s time effect: 1 without one, 0 for a freeze frame.

    Raises
    ------
    UnsupportedRetime
        For a time effect other than a constant speed or a freeze frame, or more than one.
    """
    timing = [effect for effect in clip.effects if isinstance(effect, otio.schema.TimeEffect)]
    if not timing:
        return Fraction(1)
    if len(timing) > 1:
        raise UnsupportedRetime(f"{len(timing)} time effects on one clip")
    effect = timing[0]
    if isinstance(effect, otio.schema.FreezeFrame):
        return Fraction(0)
    if isinstance(effect, otio.schema.LinearTimeWarp):
        return exact(effect.time_scalar, _SPEED_DENOMINATOR)
    raise UnsupportedRetime(f"the time effect {effect.effect_name or effect.name or type(effect).__name__!r} "
                            "is not a constant speed (a speed ramp?)")


@dataclass(frozen=True)
class UsedFrames:
    """The media positions a clip shows, in media frames of the media's own rate and numbering origin.

    Attributes
    ----------
    start : Fraction
        Media position of the clip's first frame (its ``source_range`` start).
    speed : Fraction
        Media frames advanced per track frame (negative: reverse, 0: freeze).
    before, count, after : int
        Track frames under the transition before the clip, of the clip itself, and under the one after.
    """

    start: Fraction
    speed: Fraction
    before: int
    count: int
    after: int

    def position(self, k: int) -> Fraction:
        """Media position shown at the clip's track frame ``k`` (0 = its first frame)."""
        return self.start + k * self.speed

    @property
    def span(self) -> tuple[int, int]:
        """First and last media frame needed, transitions included (``floor(min)``, ``ceil(max)``)."""
        ends = (self.position(-self.before), self.position(self.count - 1 + self.after))
        return math.floor(min(ends)), math.ceil(max(ends))

    @property
    def shown(self) -> tuple[int, int]:
        """First and last media frame the clip itself needs, without the transitions' media."""
        ends = (self.position(0), self.position(self.count - 1))
        return math.floor(min(ends)), math.ceil(max(ends))


def used_frames(clip: otio.schema.Clip, media_rate: float) -> UsedFrames:
    """The media positions ``clip`` shows (see the module docstring), in frames at ``media_rate``.

    Raises
    ------
    UnsupportedRetime
        When the clip's time effect is not a constant speed or a freeze frame.
    """
    used = clip.trimmed_range()
    clip_rate = used.start_time.rate
    track_rate = _track_rate(clip, clip_rate)
    start = exact(used.start_time.value)
    if not same_nominal_rate(clip_rate, media_rate):
        start = start * exact(media_rate) / exact(clip_rate)
    count = _track_frames(used.duration, track_rate)
    speed = time_scalar(clip)
    if not same_nominal_rate(track_rate, media_rate):
        speed = speed * exact(media_rate) / exact(track_rate)
    before, after = _transition_frames(clip, track_rate)
    return UsedFrames(start, speed, before, count, after)


def _track_rate(clip: otio.schema.Clip, default: float) -> float:
    """The rate of the track holding ``clip`` (its first child's), else ``default``."""
    parent = clip.parent()
    while parent is not None and not isinstance(parent, otio.schema.Track):
        parent = parent.parent()
    if parent is None:
        return default
    for item in parent:
        if isinstance(item, otio.core.Item) and item.source_range is not None:
            return item.source_range.duration.rate
    return default


def _track_frames(time: otio.opentime.RationalTime, track_rate: float) -> int:
    """Whole track frames in ``time`` (rates of the same nominal count are taken frame for frame)."""
    if same_nominal_rate(time.rate, track_rate):
        return round(time.value)
    return round(time.value_rescaled_to(track_rate))


def _transition_frames(clip: otio.schema.Clip, track_rate: float) -> tuple[int, int]:
    """Track frames of media the transitions either side take from ``clip``: (before its cut, after its end)."""
    parent = clip.parent()
    if not isinstance(parent, otio.schema.Track):
        return 0, 0
    previous, following = parent.neighbors_of(clip)
    before = _track_frames(previous.in_offset, track_rate) if isinstance(previous, otio.schema.Transition) else 0
    after = _track_frames(following.out_offset, track_rate) if isinstance(following, otio.schema.Transition) else 0
    return before, after
