"""CMX 3600 EDLs as Avid, Premiere and Resolve write them: read through otio-cmx3600-adapter, conformed in place.

Reading: the adapter builds the edit (cuts, dissolves and wipes, ``M2`` speed changes, freeze frames, reels,
clip names, ``* FROM CLIP:`` paths). Around it, answerprint

* keeps drop-frame: events under ``FCM: DROP FRAME`` at 29.97/59.94 are read as drop-frame timecode (the
  adapter ignores ``FCM`` and would count them non-drop, 108 frames an hour off);
* gives a dissolve's incoming clip its own media (``* TO CLIP:``; the adapter hands it the outgoing clip's
  ``FROM CLIP`` path) or none, for relinking by reel, clip name and timecode;
* remembers each video clip's event and reel (the adapter drops the reel ``AX``).

Writing: the conformed EDL is the EDL read, line for line, with only the media paths changed
(``* FROM CLIP:``, or ``* TO CLIP:`` for a dissolve's incoming clip, added where the event had none; in an
EDL as Premiere writes them — reels ``AX``, no paths — as ``* OTIO REFERENCE FROM:``, which Premiere ignores
where a ``FROM CLIP`` line would make it name the clip ``UNKNOWN``). Reels,
``FCM``, ``M2``/freeze-frame lines, locators, CDLs and audio events stay exactly as the editor's NLE wrote
them — the adapter's own writer would rename reel ``AX`` after the file (``ZZ100501``), drop ``FCM`` and
rewrite the source out of speed changes. An image-sequence render is written as the adapter writes
sequences, ``name.[first-last].exr`` over the frames the event uses.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction

import opentimelineio as otio

from answerprint.core.errors import MediaError

#: Key of the metadata answerprint keeps on each clip read from an EDL: {"event": index, "reel": str}.
EDL_METADATA = "answerprint_edl"
_CHANNELS = {"A": ["A1"], "AA": ["A1", "A2"], "B": ["V", "A1"], "A2/V": ["V", "A2"], "AA/V": ["V", "A1", "A2"]}
_EVENT = re.compile(r"^\s*(\d+)\s")
_TIMECODE = re.compile(r"\b(\d\d:\d\d:\d\d)[:;](\d\d)\b")
_PATH_COMMENT = re.compile(r"^\s*\*\s*(?:(?P<side>FROM|TO)\s+(?P<kind>CLIP|FILE)|OTIO\s+REFERENCE\s+(?P<otio>FROM|TO))"
                           r"\s*:\s*(?P<path>.*?)\s*$", re.IGNORECASE)
_BRACKETS = re.compile(r"^(?P<base>.*[\\/])(?P<prefix>[^\\/]*)\[(?P<start>\d+)-(?P<end>\d+)\](?P<suffix>\.\w+)$")
_MOTION = re.compile(r"^\s*M2\s+.*?\s(-?\d+(?:\.\d+)?)\s+\d\d[:;]\d\d[:;]\d\d[:;]\d\d\s*$")
_NAME_COMMENT = re.compile(r"^\s*\*\s*(FROM|TO)\s+CLIP\s+NAME\s*:", re.IGNORECASE)
#: Reels that name no source: black, bars, and the "auxiliary" reel Premiere writes for every event.
NO_REEL = ("BL", "BLACK", "BARS", "AX")
NTSC_RATES = {24: Fraction(24000, 1001), 30: Fraction(30000, 1001), 48: Fraction(48000, 1001),
              60: Fraction(60000, 1001), 120: Fraction(120000, 1001)}


def exact_rate(rate: Fraction) -> Fraction:
    """``rate`` with the NTSC rates written as decimals made exact (23.976 → 24000/1001, 29.97 → 30000/1001)."""
    for nominal, ntsc in NTSC_RATES.items():
        if rate != nominal and abs(rate - ntsc) < Fraction(1, 100):
            return ntsc
    return rate


@dataclass
class Event:
    """One EDL event: its line(s), the comment lines after them, the FCM it falls under."""

    number: int
    lines: list[int]
    comments: list[int] = field(default_factory=list)
    drop_frame: bool = False

    def fields(self, text_lines: list[str]) -> list[str]:
        """The fields of the event's last line (a transition's incoming side)."""
        return text_lines[self.lines[-1]].split()

    def channel(self, text_lines: list[str]) -> str:
        return self.fields(text_lines)[2]

    def reel(self, text_lines: list[str]) -> str:
        return self.fields(text_lines)[1]

    @property
    def is_transition(self) -> bool:
        return len(self.lines) > 1


def scan_events(lines: list[str]) -> list[Event]:
    """The events of an EDL, grouped as otio-cmx3600-adapter groups them (a repeated event number is the
    event's transition line; ``SPLIT`` gives two events the same comments)."""
    events: list[Event] = []
    drop = False
    index = 0
    while index < len(lines):
        text = lines[index].strip()
        if text.upper().startswith("FCM"):
            drop = "NON" not in text.upper() and "DROP" in text.upper()
        elif text.upper().startswith("SPLIT"):
            split = [Event(_number(lines[i]), [i], drop_frame=drop) for i in _next_lines(lines, index, 2)]
            index = split[-1].lines[0] if split else index
            comments, index = _comments(lines, index + 1)
            for event in split:
                event.comments = comments
            events += split
            continue
        elif _EVENT.match(lines[index]):
            event = Event(_number(lines[index]), [index], drop_frame=drop)
            index += 1
            while index < len(lines):
                if not lines[index].strip():
                    index += 1
                elif not _EVENT.match(lines[index]):
                    event.comments.append(index)
                    index += 1
                elif _number(lines[index]) == event.number and not event.is_transition:
                    event.lines.append(index)
                    index += 1
                else:
                    break
            events.append(event)
            continue
        index += 1
    return events


def _number(line: str) -> int:
    return int(_EVENT.match(line).group(1))


def _next_lines(lines: list[str], index: int, count: int) -> list[int]:
    found = []
    for i in range(index + 1, len(lines)):
        if lines[i].strip():
            found.append(i)
            if len(found) == count:
                break
    return found


def _comments(lines: list[str], index: int) -> tuple[list[int], int]:
    comments = []
    while index < len(lines) and not _EVENT.match(lines[index]):
        if lines[index].strip():
            comments.append(index)
        index += 1
    return comments, index


def video_tracks_of(channel: str) -> list[str]:
    """The video track names the adapter puts an event of ``channel`` on (``V`` for ``B``, ``V2`` for ``V2``)."""
    names = _CHANNELS.get(channel, [channel])
    return [name for name in names if not name.startswith("A")]


def _drop_frame_text(lines: list[str], events: list[Event], rate: Fraction) -> list[str]:
    """``lines`` with the event lines under ``FCM: DROP FRAME`` written as drop-frame timecode (``;``)."""
    if round(rate) not in (30, 60) or rate.denominator != 1001:
        return lines
    converted = list(lines)
    for event in events:
        if event.drop_frame:
            for index in event.lines:
                converted[index] = _TIMECODE.sub(r"\1;\2", converted[index])
    return converted


@dataclass
class EdlFile:
    """An EDL read: its timeline, and what is needed to write it back with other media."""

    path: str
    rate: Fraction
    lines: list[str]
    events: list[Event]
    timeline: otio.schema.Timeline
    encoding: str = "utf-8"

    @classmethod
    def read(cls, path: str, rate: Fraction) -> "EdlFile":
        """Read ``path`` at ``rate`` (EDLs do not state it).

        Raises
        ------
        MediaError
            When the file cannot be read or parsed, naming the adapter's complaint.
        """
        rate = exact_rate(rate)
        try:
            with open(path, "rb") as handle:
                raw = handle.read()
        except OSError as error:
            raise MediaError(f"cannot read the EDL ({error.strerror})", path) from None
        encoding = _encoding(raw)
        lines = raw.decode(encoding).splitlines(keepends=True)
        events = scan_events(lines)
        text = "".join(_drop_frame_text(lines, events, rate))
        try:
            timeline = otio.adapters.read_from_string(text, adapter_name="cmx_3600", rate=float(rate))
        except Exception as error:  # the adapter raises EDLParseError, ValueError... on bad input
            raise MediaError(f"the cmx_3600 adapter cannot read it at {float(rate):g} fps "
                             f"({type(error).__name__}: {error})", path) from None
        edl = cls(path, rate, lines, events, timeline, encoding)
        edl._attach_events()
        return edl

    def _attach_events(self) -> None:
        """Give each video clip its event and reel, and a dissolve's incoming clip its own media."""
        per_track: dict[str, list[int]] = {}
        for index, event in enumerate(self.events):
            for name in video_tracks_of(event.channel(self.lines)):
                per_track.setdefault(name, []).append(index)
        for track in self.timeline.video_tracks():
            clips = [item for item in track if isinstance(item, otio.schema.Clip)]
            indices = per_track.get(track.name, [])
            if len(clips) != len(indices):
                raise MediaError(f"track {track.name}: {len(clips)} clips read for {len(indices)} events; "
                                 "cannot tell which event is which clip", self.path)
            for clip, index in zip(clips, indices):
                event = self.events[index]
                clip.metadata[EDL_METADATA] = {"event": index, "reel": event.reel(self.lines)}
                self._keep_speed(clip, event)
                if event.is_transition and not isinstance(clip.media_reference, otio.schema.GeneratorReference):
                    clip.media_reference = _reference(self._comment_path(event, "TO"), clip)

    def _keep_speed(self, clip: otio.schema.Clip, event: Event) -> None:
        """Add the ``M2`` speed the adapter skips when source and record lengths happen to match (a reverse
        at 100 %: ``M2 ... -024.0``)."""
        if any(isinstance(effect, otio.schema.TimeEffect) for effect in clip.effects):
            return
        for index in event.comments:
            match = _MOTION.match(self.lines[index])
            if match and Fraction(match.group(1)) != self.rate and float(match.group(1)) != float(round(self.rate)):
                clip.effects.append(otio.schema.LinearTimeWarp(time_scalar=float(match.group(1)) / float(self.rate)))

    def _comment_path(self, event: Event, side: str) -> str | None:
        for index in event.comments:
            match = _PATH_COMMENT.match(self.lines[index])
            if match and _side(match) == side and match.group("path"):
                return match.group("path")
        return None

    def _premiere_style(self) -> bool:
        """True for an EDL as Premiere writes it: every reel ``AX`` and no media path (Premiere names the clips
        of an EDL carrying ``* FROM CLIP:`` lines ``UNKNOWN``, so paths are added as ``* OTIO REFERENCE``)."""
        return all(event.reel(self.lines).upper() in ("AX", "BL", "BLACK") for event in self.events) and \
            not any(_PATH_COMMENT.match(self.lines[i]) for event in self.events for i in event.comments)

    def write(self, paths: dict[int, str]) -> str:
        """The EDL text with event ``i``'s clip pointing at ``paths[i]`` (event indices as in ``EDL_METADATA``)."""
        lines = list(self.lines)
        inserts: dict[int, list[str]] = {}
        self._added_kind = "OTIO REFERENCE" if self._premiere_style() else "CLIP"
        for index, path in paths.items():
            event = self.events[index]
            side = "TO" if event.is_transition else "FROM"
            self._set_path(lines, inserts, event, side, path)
            following = self._next_on_track(index)
            if following is not None and self.events[following].is_transition:
                self._set_path(lines, inserts, self.events[following], "FROM", path, add=False)
        out = []
        for index, line in enumerate(lines):
            out.append(line)
            out += inserts.get(index, [])
        return "".join(out)

    def _set_path(self, lines: list[str], inserts: dict[int, list[str]], event: Event, side: str, path: str,
                  add: bool = True) -> None:
        replaced = False
        for index in event.comments:
            match = _PATH_COMMENT.match(lines[index])
            if match and _side(match) == side:
                ending = lines[index][len(lines[index].rstrip("\r\n")):]
                lines[index] = _path_line(match.group("kind") or "OTIO REFERENCE", side, path) + ending
                replaced = True
        if replaced or not add:
            return
        anchor = event.lines[-1]
        for index in event.comments:
            name = _NAME_COMMENT.match(lines[index])
            if name and name.group(1).upper() == side:
                anchor = index
        ending = lines[event.lines[-1]][len(lines[event.lines[-1]].rstrip("\r\n")):] or "\n"
        inserts.setdefault(anchor, []).append(_path_line(self._added_kind, side, path) + ending)

    def _next_on_track(self, index: int) -> int | None:
        """The next event on the same video track as event ``index``."""
        tracks = set(video_tracks_of(self.events[index].channel(self.lines)))
        for following in range(index + 1, len(self.events)):
            if tracks & set(video_tracks_of(self.events[following].channel(self.lines))):
                return following
        return None


def _encoding(raw: bytes) -> str:
    """How an EDL's bytes are written, kept for writing it back: UTF-8 (with its BOM if it has one), else
    Latin-1 (older Avid and Windows EDLs), which decodes any byte."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    try:
        raw.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        return "latin-1"


def _side(match: re.Match) -> str:
    """``FROM`` or ``TO``: which clip of an event a path comment names."""
    return (match.group("side") or match.group("otio")).upper()


def _path_line(kind: str, side: str, path: str) -> str:
    """``* FROM CLIP: path``, ``* TO FILE: path`` or ``* OTIO REFERENCE FROM: path``."""
    kind = kind.upper()
    return f"* OTIO REFERENCE {side}: {path}" if kind == "OTIO REFERENCE" else f"* {side} {kind}: {path}"


def _reference(path: str | None, clip: otio.schema.Clip) -> otio.core.MediaReference:
    """A clip's media from an EDL path: an image sequence for ``name.[first-last].exr`` (the first frame at the
    clip's source in, as otio-cmx3600-adapter reads it), a file otherwise, missing without a path."""
    if not path:
        return otio.schema.MissingReference()
    match = _BRACKETS.match(path)
    if not match:
        return otio.schema.ExternalReference(target_url=path)
    start = clip.source_range.start_time
    frames = int(match.group("end")) - int(match.group("start")) + 1
    return otio.schema.ImageSequenceReference(
        target_url_base=match.group("base"), name_prefix=match.group("prefix"), name_suffix=match.group("suffix"),
        start_frame=int(match.group("start")), frame_zero_padding=len(match.group("start")), rate=start.rate,
        available_range=otio.opentime.TimeRange(start, otio.opentime.RationalTime(frames, start.rate)))


def sequence_path_for_edl(pattern_directory: str, prefix: str, suffix: str, padding: int,
                          first: int, last: int) -> str:
    """``dir/name.[0000004-0000013].exr``: how otio-cmx3600-adapter reads and writes an image sequence."""
    return f"{pattern_directory}/{prefix}[{first:0{padding}d}-{last:0{padding}d}]{suffix}"
