"""Final Cut Pro X XML (``.fcpxml``, ``.fcpxmld`` bundles): libraries, events and projects, read with exact
times and conformed in place.

answerprint reads FCPXML itself rather than through otio-fcpx-xml-adapter 1.0, which rounds every rate
down to a whole number (23.976 becomes 23, so 23.976 and 29.97 projects read frames off), truncates times
with ``int()``, reads only a library's first event, ignores transitions and retimes (``timeMap``), and
writes an empty ``frameDuration`` at 23.976. Here times are exact fractions of a second: ``1001/24000s``
is one 23.976 frame.

Read: every ``project`` of the document (``library/event/project``, ``event/project`` or a bare
``project``) becomes a timeline named ``Event/Project``. Its sequence's primary storyline is track 1;
connected clips and secondary storylines become the tracks above, by lane. Picture comes from
``asset-clip`` elements and from ``video`` elements inside ``clip``/``sync-clip`` containers (audio,
titles and generators are left alone). Time maps give each clip one constant speed (a ``LinearTimeWarp``,
negative when reversed, a ``FreezeFrame`` when held); a map that changes speed within the clip is a ramp,
reported and not rendered. A transition between two clips of a storyline becomes an OTIO transition, so
the media under it is rendered. Clips inside compound clips (``ref-clip``) and multicam clips
(``mc-clip``) are reported and not rendered: their media are shared by every use.

Write: the document read, with each rendered clip's ``ref`` changed to a new ``asset`` for its render
(same start timecode, so the clip's ``start``, ``duration`` and ``timeMap`` stay as they were). An
``asset-clip`` that also carried the source's sound keeps it, as a connected audio-only copy of itself.
Libraries, events, every other project, markers, keywords, roles and effects are written back unchanged.
"""
from __future__ import annotations

import copy
import os
import re
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, field
from fractions import Fraction

import opentimelineio as otio

from answerprint.core.errors import MediaError, UsageError

from .conform import Rendered
from .shots import OFFLINE_METADATA

#: Key of the metadata answerprint keeps on each clip read from FCPXML: {"leaf": index}.
FCPX_METADATA = "answerprint_fcpx"
_TIME = re.compile(r"^\s*(-?\d+(?:\.\d+)?)(?:/(\d+))?s\s*$")
_CONTAINERS = ("clip", "sync-clip", "gap")
#: Where anchored items may start showing: anywhere past their parent's ends, but not before the sequence.
_SEQUENCE_START = Fraction(0)
_STORY = ("asset-clip", "clip", "sync-clip", "gap", "ref-clip", "mc-clip", "video", "title", "audio", "spine",
          "transition")


def parse_time(text: str | None) -> Fraction:
    """An FCPXML time (``0s``, ``3600s``, ``1001/24000s``) as exact seconds; missing is 0."""
    if not text:
        return Fraction(0)
    match = _TIME.match(text)
    if not match:
        raise ValueError(f"not an FCPXML time: {text!r}")
    return Fraction(match.group(1)) / int(match.group(2) or 1)


def format_time(seconds: Fraction) -> str:
    """Exact seconds as FCPXML writes them (``0s``, ``5s``, ``1001/24000s``)."""
    seconds = Fraction(seconds)
    if seconds.denominator == 1:
        return f"{seconds.numerator}s"
    return f"{seconds.numerator}/{seconds.denominator}s"


@dataclass
class _Leaf:
    """One picture element placed on the sequence: which element, what it shows, when, on which lane."""

    element: ElementTree.Element
    asset: ElementTree.Element | None
    lane: int
    begin: Fraction          # sequence seconds where it starts showing
    end: Fraction            # and stops
    media_at_begin: Fraction  # asset seconds shown at ``begin``
    speed: Fraction | None   # asset seconds per sequence second; None for a ramp
    name: str
    offline: str | None = None


@dataclass
class _Cut:
    """A transition of a storyline: its lane, where it starts and ends, and the cut under it."""

    lane: int
    begin: Fraction
    end: Fraction
    cut: Fraction


@dataclass
class _Walk:
    """What walking one project's sequence finds."""

    leaves: list[_Leaf] = field(default_factory=list)
    cuts: list[_Cut] = field(default_factory=list)


class FcpxFile:
    """An FCPXML document read: its projects as timelines, and how to write it back with other media."""

    def __init__(self, path: str, document: str, root: ElementTree.Element):
        self.path, self.document, self.root = path, document, root
        self.formats = {f.get("id"): f for f in root.iter("format")}
        self.assets = {a.get("id"): a for a in root.iter("asset")}
        self.leaves: list[_Leaf] = []
        self.timelines: list[otio.schema.Timeline] = []
        self.projects: list[str] = []

    @classmethod
    def read(cls, path: str, project: str | None = None) -> "FcpxFile":
        """Read every project of ``path`` (a ``.fcpxml`` file or ``.fcpxmld`` bundle), or only ``project``.

        Raises
        ------
        MediaError
            When the document cannot be parsed or holds no project.
        UsageError
            When ``project`` names none of its projects.
        """
        document = os.path.join(path, "Info.fcpxml") if os.path.isdir(path) else path
        try:
            root = ElementTree.parse(document).getroot()
        except (OSError, ElementTree.ParseError) as error:
            raise MediaError(f"not a readable FCPXML ({error})", path) from None
        if root.tag != "fcpxml":
            raise MediaError(f"not FCPXML (its root is <{root.tag}>)", path)
        fcpx = cls(path, document, root)
        projects = fcpx._projects()
        if not projects:
            raise MediaError("the FCPXML holds no project (only clips or events without a timeline)", path)
        names = [name for name, _ in projects]
        if project is not None:
            projects = [(n, p) for n, p in projects if project in (n, n.split("/")[-1])]
            if not projects:
                raise UsageError(f"no project {project!r} in it; it holds: {', '.join(names)}", path)
        for name, element in projects:
            try:
                fcpx.timelines.append(fcpx._timeline(name, element))
            except (ValueError, KeyError, TypeError, ZeroDivisionError) as error:
                raise MediaError(f"project {name}: cannot read its sequence ({error})", path) from None
            fcpx.projects.append(name)
        return fcpx

    def _projects(self) -> list[tuple[str, ElementTree.Element]]:
        found = []
        for event in self.root.iter("event"):
            found += [(f"{event.get('name', '')}/{p.get('name', '')}", p) for p in event.findall("project")]
        found += [(p.get("name", ""), p) for p in self.root.findall("project")]
        return found

    # ---- reading ------------------------------------------------------------------------------------------

    def rate_of(self, format_id: str | None) -> Fraction:
        """Frame rate of a format resource (``frameDuration="1001/24000s"`` → 24000/1001)."""
        duration = parse_time(self.formats[format_id].get("frameDuration"))
        return 1 / duration

    def _timeline(self, name: str, project: ElementTree.Element) -> otio.schema.Timeline:
        sequence = project.find("sequence")
        rate = self.rate_of(sequence.get("format"))
        walk = _Walk()
        spine = sequence.find("spine")
        if spine is not None:
            self._storyline(spine, walk, shift=Fraction(0), lane=0, lo=Fraction(0), hi=None)
        timeline = otio.schema.Timeline(name=name)
        tc_start = parse_time(sequence.get("tcStart"))
        timeline.global_start_time = otio.opentime.RationalTime(float(tc_start * rate), float(rate))
        for lane in sorted({leaf.lane for leaf in walk.leaves if leaf.lane >= 0}):  # below 0: sound lanes
            timeline.tracks.append(self._track(lane, walk, rate))
        return timeline

    def _storyline(self, spine: ElementTree.Element, walk: _Walk, shift: Fraction, lane: int, lo: Fraction,
                   hi: Fraction | None) -> None:
        """Walk a spine whose children's offsets are ``T + shift`` for sequence time ``T``."""
        children = [c for c in spine if c.tag in _STORY]
        for index, child in enumerate(children):
            if child.tag == "transition":
                begin = parse_time(child.get("offset")) - shift
                following = next((c for c in children[index + 1:] if c.tag != "transition"), None)
                cut = parse_time(following.get("offset")) - shift if following is not None else begin
                walk.cuts.append(_Cut(lane, begin, begin + parse_time(child.get("duration")), cut))
                continue
            self._item(child, walk, shift, lane, lo, hi)

    def _item(self, element: ElementTree.Element, walk: _Walk, shift: Fraction, lane: int, lo: Fraction,
              hi: Fraction | None, warp: ElementTree.Element | None = None) -> None:
        """Place one story element whose parent's local time is ``T + shift`` at sequence time ``T``.

        ``warp`` is the retimed clip containing it: its time map turns the clip's local time into the
        original local time the element's own offset counts in, and the element shows over the clip's
        whole interval ``[lo, hi)``.
        """
        tag = element.tag
        if element.get("enabled") == "0" or tag in ("audio", "title", "transition"):
            return
        item_lane = lane + int(element.get("lane", "0"))
        if warp is not None:
            if tag in ("asset-clip", "video") and element.get("srcEnable") != "audio" and self._is_picture(element):
                walk.leaves.append(self._warped_leaf(element, warp, item_lane, lo, hi, shift))
            elif tag in ("clip", "sync-clip", "ref-clip", "mc-clip"):
                walk.leaves.append(_Leaf(element, None, item_lane, lo, hi, Fraction(0), None,
                                         element.get("name", tag), offline="a clip inside a retimed clip"))
            return
        offset, duration = parse_time(element.get("offset")), parse_time(element.get("duration"))
        if tag == "video" and element.get("start") is None and hi is not None and \
                not (offset - shift < hi and lo < offset - shift + duration):
            # otio-fcpx-xml-adapter writes a clip's video at offset 0 whatever the clip's start, meaning the
            # clip's own local time is the asset's: read it so (FCPX itself would show nothing there)
            offset = start = lo + shift
        else:
            start = parse_time(element.get("start"))
        begin, end = max(offset - shift, lo), offset - shift + duration
        end = end if hi is None else min(end, hi)
        own_shift = shift - offset + start  # the element's local time is T + own_shift
        if tag == "spine":
            self._storyline(element, walk, shift - offset, item_lane, lo, None)
            return
        if tag in ("ref-clip", "mc-clip"):
            if begin < end and element.get("srcEnable") != "audio":
                kind = "a compound clip" if tag == "ref-clip" else "a multicam clip"
                walk.leaves.append(_Leaf(element, None, item_lane, begin, end, Fraction(0), Fraction(1),
                                         element.get("name", tag), offline=f"{kind}, shared by every use of it; "
                                                                           "render its clips from their own project"))
            self._anchored(element, walk, own_shift, item_lane)
            return
        time_map = element.find("timeMap")
        if tag in ("asset-clip", "video"):
            if begin < end and element.get("srcEnable") != "audio" and self._is_picture(element):
                walk.leaves.append(self._leaf(element, item_lane, begin, end, own_shift, time_map))
            self._anchored(element, walk, own_shift, item_lane)
            return
        if tag in _CONTAINERS:
            for child in element:
                if child.tag not in _STORY or child.tag == "transition":
                    continue
                if child.get("lane") not in (None, "0"):  # anchored: offsets in this element's local time
                    self._item(child, walk, own_shift, item_lane, _SEQUENCE_START, None)
                elif child.tag == "spine":
                    self._storyline(child, walk, own_shift - parse_time(child.get("offset")), item_lane, begin, end)
                else:  # contained: in the original local time when this element is retimed
                    self._item(child, walk, own_shift, item_lane, begin, end,
                               warp=element if time_map is not None else None)

    def _anchored(self, element: ElementTree.Element, walk: _Walk, own_shift: Fraction, lane: int) -> None:
        for child in element:
            if child.tag in _STORY and child.get("lane") not in (None, "0"):
                self._item(child, walk, own_shift, lane, _SEQUENCE_START, None)

    def _is_picture(self, element: ElementTree.Element) -> bool:
        asset = self.assets.get(element.get("ref"))
        return asset is not None and asset.get("hasVideo") == "1"

    def _leaf(self, element: ElementTree.Element, lane: int, begin: Fraction, end: Fraction, own_shift: Fraction,
              time_map: ElementTree.Element | None) -> _Leaf:
        """A picture element shown from ``begin`` to ``end``: the asset time shown at ``begin``, and the speed."""
        asset = self.assets[element.get("ref")]
        name = element.get("name") or asset.get("name", "")
        local = begin + own_shift
        if time_map is None:
            return _Leaf(element, asset, lane, begin, end, local, Fraction(1), name)
        mapped = _linear_map(time_map, local, end - begin)
        if mapped is None:
            return _Leaf(element, asset, lane, begin, end, Fraction(0), None, name)
        return _Leaf(element, asset, lane, begin, end, mapped[0], mapped[1], name)

    def _warped_leaf(self, element: ElementTree.Element, warp: ElementTree.Element, lane: int, begin: Fraction,
                     end: Fraction, clip_shift: Fraction) -> _Leaf:
        """A picture element inside the retimed clip ``warp`` (whose local time is ``T + clip_shift``)."""
        asset = self.assets[element.get("ref")]
        name = element.get("name") or warp.get("name") or asset.get("name", "")
        mapped = None if element.find("timeMap") is not None else \
            _linear_map(warp.find("timeMap"), begin + clip_shift, end - begin)
        if mapped is None:
            return _Leaf(element, asset, lane, begin, end, Fraction(0), None, name)
        original, speed = mapped
        media = original - parse_time(element.get("offset")) + parse_time(element.get("start"))
        return _Leaf(element, asset, lane, begin, end, media, speed, name)

    def _track(self, lane: int, walk: _Walk, rate: Fraction) -> otio.schema.Track:
        """The OTIO track of one lane: its clips at their frames, gaps between, transitions at cuts."""
        track = otio.schema.Track(name=f"V{lane + 1}" if lane >= 0 else f"lane {lane}",
                                  kind=otio.schema.TrackKind.Video)
        leaves = sorted((leaf for leaf in walk.leaves if leaf.lane == lane), key=lambda leaf: leaf.begin)
        cuts = {cut.cut: cut for cut in walk.cuts if cut.lane == lane}
        position = 0
        previous_end = None
        for leaf in leaves:
            start, stop = _frame(leaf.begin, rate), _frame(leaf.end, rate)
            if start < position:  # overlapping items on one lane: FCPX bumps them, so this is a later lane
                continue
            cut = cuts.get(leaf.begin)
            if cut is not None and previous_end == leaf.begin and start == position:
                track.append(otio.schema.Transition(
                    name="Cross Dissolve", transition_type=otio.schema.TransitionTypes.SMPTE_Dissolve,
                    in_offset=_rt(_frame(cut.cut, rate) - _frame(cut.begin, rate), rate),
                    out_offset=_rt(_frame(cut.end, rate) - _frame(cut.cut, rate), rate)))
            elif start > position:
                track.append(otio.schema.Gap(source_range=otio.opentime.TimeRange(
                    _rt(0, rate), _rt(start - position, rate))))
            track.append(self._clip(leaf, stop - start, rate))
            self.leaves.append(leaf)
            position, previous_end = stop, leaf.end
        return track

    def _clip(self, leaf: _Leaf, frames: int, rate: Fraction) -> otio.schema.Clip:
        """An OTIO clip for ``leaf``: its asset's frames at the asset's own rate, its speed as an effect."""
        clip = otio.schema.Clip(name=leaf.name)
        clip.metadata[FCPX_METADATA] = {"leaf": len(self.leaves)}
        if leaf.offline:
            clip.metadata[OFFLINE_METADATA] = leaf.offline
        if leaf.asset is None:
            clip.source_range = otio.opentime.TimeRange(_rt(0, rate), _rt(frames, rate))
            return clip
        media_rate = self.rate_of(leaf.asset.get("format")) if leaf.asset.get("format") in self.formats else rate
        src = leaf.asset.get("src") or next((rep.get("src") for rep in leaf.asset.iter("media-rep")
                                             if rep.get("kind", "original-media") == "original-media"), None)
        available = otio.opentime.TimeRange(_rt(parse_time(leaf.asset.get("start")) * media_rate, media_rate),
                                            _rt(parse_time(leaf.asset.get("duration")) * media_rate, media_rate))
        clip.media_reference = otio.schema.ExternalReference(target_url=src, available_range=available) if src \
            else otio.schema.MissingReference()
        clip.source_range = otio.opentime.TimeRange(_rt(leaf.media_at_begin * media_rate, media_rate),
                                                    _rt(Fraction(frames) / rate * media_rate, media_rate))
        if leaf.speed is None:
            clip.effects.append(otio.schema.TimeEffect(name="speed ramp", effect_name="timeMap"))
        elif leaf.speed == 0:
            clip.effects.append(otio.schema.FreezeFrame())
        elif leaf.speed != 1:
            clip.effects.append(otio.schema.LinearTimeWarp(time_scalar=float(leaf.speed)))
        return clip

    # ---- writing ------------------------------------------------------------------------------------------

    def write(self, rendered: list[Rendered]) -> bytes:
        """The document with every clip of ``rendered`` referencing a new asset for its render."""
        resources = self.root.find("resources")
        if resources is None:
            resources = ElementTree.SubElement(self.root, "resources")
        ids = {e.get("id") for e in self.root.iter() if e.get("id")}
        made: dict[str, str] = {}
        for item in rendered:
            leaf = self.leaves[item.clip.metadata[FCPX_METADATA]["leaf"]]
            if item.path not in made:
                made[item.path] = self._asset(resources, item, leaf.asset, ids)
            self._point(leaf, made[item.path])
        text = ElementTree.tostring(self.root, encoding="unicode")
        return ('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE fcpxml>\n\n' + text + "\n").encode("utf-8")

    def _asset(self, resources: ElementTree.Element, item: Rendered, original: ElementTree.Element,
               ids: set[str]) -> str:
        """Add an asset (and, when needed, a format) for ``item``'s render; its id."""
        frame_duration = format_time(1 / item.rate)
        format_id = next((fid for fid, f in self.formats.items()
                          if parse_time(f.get("frameDuration")) == 1 / item.rate
                          and f.get("width") in (None, str(item.width))), None)
        if format_id is None:
            format_id = _new_id("answerprint-format", ids)
            self.formats[format_id] = ElementTree.SubElement(
                resources, "format", id=format_id, frameDuration=frame_duration, width=str(item.width),
                height=str(item.height))
        start = item.start / item.rate  # the clip's asset time of the render's first frame, as read
        asset_id = _new_id("answerprint", ids)
        first = item.frame_path(item.first_frame)
        url = otio.url_utils.url_from_filepath(os.path.abspath(first))
        attributes = {"id": asset_id, "name": os.path.splitext(os.path.basename(first))[0],
                      "start": format_time(start), "duration": format_time(Fraction(item.frame_count) / item.rate),
                      "hasVideo": "1", "format": format_id, "videoSources": "1"}
        asset = ElementTree.SubElement(resources, "asset", attributes)
        if original is not None and original.get("src") is None:
            ElementTree.SubElement(asset, "media-rep", kind="original-media", src=url)
        else:
            asset.set("src", url)
        self.assets[asset_id] = asset
        return asset_id

    def _point(self, leaf: _Leaf, asset_id: str) -> None:
        """Make ``leaf`` show the render; an asset clip keeps its sound as a connected audio-only copy."""
        element = leaf.element
        carries_sound = element.tag == "asset-clip" and leaf.asset is not None and \
            leaf.asset.get("hasAudio") == "1" and element.get("srcEnable") not in ("video", "audio")
        if carries_sound:
            sound = copy.deepcopy(element)
            for child in list(sound):
                if child.tag in _STORY or child.tag == "marker":
                    sound.remove(child)
            sound.set("srcEnable", "audio")
            sound.set("lane", "-1")
            sound.set("offset", element.get("start", "0s"))
            sound.attrib.pop("format", None)
            element.append(sound)
            element.set("srcEnable", "video")
        element.set("ref", asset_id)
        if element.get("format") is not None:
            element.set("format", self.assets[asset_id].get("format"))


def _linear_map(time_map: ElementTree.Element, local: Fraction, length: Fraction) -> tuple[Fraction, Fraction] | None:
    """(value at ``local``, slope) of a time map over ``[local, local + length)``; None when the speed changes
    there (a ramp). Before its first point and past its last, a map goes on at its end segments' speed; two
    points are one segment, read as a constant speed whatever their ``interp``.
    """
    points = [(parse_time(p.get("time")), parse_time(p.get("value"))) for p in time_map.findall("timept")]
    if not points:
        return None
    if len(points) == 1:
        return points[0][1], Fraction(0)
    segments = [(t0, v0, (v1 - v0) / (t1 - t0), t1) for (t0, v0), (t1, v1) in zip(points, points[1:]) if t1 > t0]
    if not segments:
        return None
    end = local + length
    used = [seg for index, seg in enumerate(segments)
            if (seg[0] < end or index == 0) and (local < seg[3] or index == len(segments) - 1)]
    if not used or len({seg[2] for seg in used}) > 1:
        return None
    t0, v0, slope, _ = used[0]
    return v0 + (local - t0) * slope, slope


def _frame(seconds: Fraction, rate: Fraction) -> int:
    return round(seconds * rate)


def _rt(value: Fraction | int, rate: Fraction) -> otio.opentime.RationalTime:
    return otio.opentime.RationalTime(float(value), float(rate))


def _new_id(prefix: str, ids: set[str]) -> str:
    number = 1
    while f"{prefix}-{number}" in ids:
        number += 1
    ids.add(f"{prefix}-{number}")
    return f"{prefix}-{number}"
