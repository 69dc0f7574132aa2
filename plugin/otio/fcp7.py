"""FCP 7 XML (``xmeml``) as Premiere, Final Cut 7, Resolve and Avid write it: read through otio-fcp-adapter,
conformed in place.

Reading: the adapter builds the edit (clip items, transitions, file timecodes, NTSC rates). It reads a
``Time Remap`` filter as an opaque effect and takes the clip's ``in`` as a source frame, whereas XML counts
a retimed clip's ``in``/``out`` in retimed frames (source frame = ``in`` × speed, Premiere and Final Cut
alike); answerprint turns a constant ``Time Remap`` into a ``LinearTimeWarp`` from the true first source
frame (negative for ``reverse``, which plays the same frames backwards). A variable-speed remap
(``variablespeed`` 1, keyframed ramps) stays an unknown effect: such clips are reported, not rendered.
Clips inside nested sequences are reported too: a nested sequence is shared by every use of it, so one use
cannot be re-pointed alone.

Writing: the conformed XML is the document read, with only each rendered clip item's ``<file>`` replaced by
a new file element for its render (path, rate, duration, timecode of its first frame) and its ``in``/``out``
moved by the frames the render starts after the source (in retimed frames for a retimed clip, so such a
render starts on a frame where that move is whole). Effects, audio, links, labels and markers are kept; a
file definition the replaced element carried moves to the next clip item using that file.
"""
from __future__ import annotations

import os
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from fractions import Fraction
from urllib.parse import quote

import opentimelineio as otio

from answerprint.core.errors import MediaError
from answerprint.core.frames.timecode import frames_to_timecode, is_drop_frame_rate

from .conform import Rendered
from .retime import exact
from .shots import OFFLINE_METADATA

#: Key of the metadata answerprint keeps on each clip read from FCP 7 XML: {"clipitem": id, "speed": str}.
FCP7_METADATA = "answerprint_fcp7"


def _text(element: ElementTree.Element | None, path: str, default: str = "") -> str:
    found = element.find(path) if element is not None else None
    return (found.text or "").strip() if found is not None and found.text else default


@dataclass(frozen=True)
class TimeRemap:
    """A clip item's ``Time Remap`` filter: speed as a ratio (0.5 = 50 %), reversed or not, ramped or not."""

    speed: Fraction
    reverse: bool
    variable: bool

    @classmethod
    def of(cls, clipitem: ElementTree.Element) -> "TimeRemap | None":
        for effect in clipitem.findall("./filter/effect"):
            if _text(effect, "effectid").lower() != "timeremap":
                continue
            params = {_text(p, "parameterid") or _text(p, "name"): p for p in effect.findall("parameter")}
            speed = exact(float(_text(params.get("speed"), "value", "100")) / 100, 10_000)
            reverse = _text(params.get("reverse"), "value", "FALSE").upper() == "TRUE"
            variable = _text(params.get("variablespeed"), "value", "0") not in ("0", "", "FALSE")
            return cls(abs(speed), reverse or speed < 0, variable)
        return None


class Fcp7File:
    """An FCP 7 XML document read: its sequences as timelines, and how to write it back with other media."""

    def __init__(self, path: str, tree: ElementTree.ElementTree, timelines: list[otio.schema.Timeline],
                 doctype: bool):
        self.path, self.tree, self.timelines, self.doctype = path, tree, timelines, doctype
        self._clipitems = {item.get("id"): item for item in tree.iter("clipitem") if item.get("id") and len(item)}
        self._order = {id(element): index for index, element in enumerate(tree.iter())}

    @classmethod
    def read(cls, path: str, sequences: list[otio.schema.Timeline]) -> "Fcp7File":
        """Wrap the adapter's ``sequences`` of ``path`` with the parsed document, fixing retimes.

        Raises
        ------
        MediaError
            When the XML cannot be parsed.
        """
        try:
            tree = ElementTree.parse(path)
            with open(path, "rb") as handle:
                doctype = b"<!DOCTYPE" in handle.read(512)
        except (OSError, ElementTree.ParseError) as error:
            raise MediaError(f"not a readable FCP 7 XML ({error})", path) from None
        document = cls(path, tree, sequences, doctype)
        for timeline in sequences:
            for track in timeline.video_tracks():
                for clip in track.find_clips():
                    document._attach(clip)
        return document

    def _attach(self, clip: otio.schema.Clip) -> None:
        """Link ``clip`` to its clip item; make a constant Time Remap a LinearTimeWarp (module docstring)."""
        item_id = clip.metadata.get("fcp_xml", {}).get("@id")
        element = self._clipitems.get(item_id)
        if _in_nested_sequence(clip):
            clip.metadata[OFFLINE_METADATA] = ("inside a nested sequence, which every use of it shares; "
                                               "render the nested sequence's own XML")
            return
        if element is None:
            clip.metadata[OFFLINE_METADATA] = "the XML gives its clip item no id; it cannot be re-pointed"
            return
        clip.metadata[FCP7_METADATA] = {"clipitem": item_id}
        remap = TimeRemap.of(element)
        if remap is None or (remap.speed == 1 and not remap.reverse and not remap.variable):
            clip.effects[:] = [e for e in clip.effects if not _is_time_remap(e)]
            return
        if remap.variable:
            clip.effects[:] = [otio.schema.TimeEffect(name="variable speed", effect_name="Time Remap")
                               if _is_time_remap(e) else e for e in clip.effects]
            return
        clip.metadata[FCP7_METADATA]["speed"] = str(remap.speed)
        used = clip.source_range
        rate = used.start_time.rate
        media_start = clip.media_reference.available_range.start_time if clip.media_reference.available_range \
            else otio.opentime.RationalTime(0, rate)
        retimed_first = exact((used.start_time - media_start).value_rescaled_to(rate))  # in + transition offset
        in_point = int(_text(element, "in", "0"))
        out_point = int(_text(element, "out", "0"))
        index = retimed_first if not remap.reverse else in_point + out_point - 1 - retimed_first
        first = exact(media_start.value_rescaled_to(rate)) + index * remap.speed
        clip.source_range = otio.opentime.TimeRange(otio.opentime.RationalTime(float(first), rate), used.duration)
        warp = otio.schema.LinearTimeWarp(name="Time Remap",
                                          time_scalar=float(-remap.speed if remap.reverse else remap.speed))
        clip.effects[:] = [warp if _is_time_remap(e) else e for e in clip.effects]

    @staticmethod
    def grid(clip: otio.schema.Clip, speed: Fraction) -> int:
        """Frames a retimed clip's render must start on a multiple of, so its ``in`` stays a whole frame."""
        if FCP7_METADATA not in clip.metadata or speed == 0:
            return 1
        return abs(speed).numerator

    def write(self, rendered: list[Rendered]) -> bytes:
        """The document with every clip of ``rendered`` pointing at its render."""
        self._files_by_id: dict[str, list[ElementTree.Element]] = {}
        for element in self.tree.iter("file"):
            self._files_by_id.setdefault(element.get("id"), []).append(element)
        files: dict[str, str] = {}
        ordered = sorted(rendered, key=lambda r: self._order.get(id(self._element(r.clip)), 0))
        for item in ordered:
            element = self._element(item.clip)
            speed = Fraction(item.clip.metadata[FCP7_METADATA].get("speed", "1"))
            clip_rate = item.clip.trimmed_range().start_time.rate
            shift = Fraction(item.source_offset) / speed  # in the clip item's (retimed) frames
            if round(clip_rate) != round(item.rate):
                shift = shift * exact(clip_rate) / item.rate
            if shift.denominator != 1:
                raise MediaError(f"clip {item.clip.name}: its render starts {item.source_offset} frames into the "
                                 "source, not a whole number of retimed frames", self.path)
            for tag in ("in", "out"):
                node = element.find(tag)
                if node is not None and node.text and int(node.text) >= 0:
                    node.text = str(int(node.text) - int(shift))
            duration = element.find("duration")
            if duration is not None:
                duration.text = str(int(item.frame_count / speed))
            for master in element.findall("masterclipid"):
                element.remove(master)
            self._replace_file(element, item, files)
        text = ElementTree.tostring(self.tree.getroot(), encoding="unicode")
        header = '<?xml version="1.0" encoding="UTF-8"?>\n' + ("<!DOCTYPE xmeml>\n" if self.doctype else "")
        return (header + text + "\n").encode("utf-8")

    def _element(self, clip: otio.schema.Clip) -> ElementTree.Element:
        return self._clipitems[clip.metadata[FCP7_METADATA]["clipitem"]]

    def _replace_file(self, clipitem: ElementTree.Element, item: Rendered, files: dict[str, str]) -> None:
        """Put a file element for ``item``'s render in ``clipitem`` (defined once, referenced after)."""
        old = clipitem.find("file")
        index = list(clipitem).index(old) if old is not None else len(clipitem)
        if old is not None:
            self._hand_over_definition(old)
            clipitem.remove(old)
        if item.path in files:
            new = ElementTree.Element("file", id=files[item.path])
        else:
            files[item.path] = f"file-answerprint-{len(files) + 1}"
            new = _file_element(files[item.path], item)
        clipitem.insert(index, new)

    def _hand_over_definition(self, old: ElementTree.Element) -> None:
        """When ``old`` defines a file other elements reference by id, move the definition to the first one."""
        if not len(old) or not old.get("id"):
            return
        for other in self._files_by_id.get(old.get("id"), []):
            if other is not old and not len(other):
                other.extend(list(old))
                return


def _is_time_remap(effect: otio.schema.Effect) -> bool:
    return str(effect.metadata.get("fcp_xml", {}).get("effectid", "")).lower() == "timeremap" or \
        (effect.name or "") == "Time Remap"


def _in_nested_sequence(clip: otio.schema.Clip) -> bool:
    """True when ``clip`` sits in a nested sequence (a stack below the timeline's own)."""
    parent, stacks = clip.parent(), 0
    while parent is not None:
        stacks += isinstance(parent, otio.schema.Stack)
        parent = parent.parent()
    return stacks > 1


def _rate_element(rate: Fraction) -> ElementTree.Element:
    element = ElementTree.Element("rate")
    ElementTree.SubElement(element, "timebase").text = str(round(rate))
    ElementTree.SubElement(element, "ntsc").text = "TRUE" if rate.denominator == 1001 else "FALSE"
    return element


def _file_element(file_id: str, item: Rendered) -> ElementTree.Element:
    """``<file>`` for a render: name, path URL, rate, duration, start timecode, picture size."""
    first = item.frame_path(item.first_frame)
    element = ElementTree.Element("file", id=file_id)
    ElementTree.SubElement(element, "name").text = os.path.basename(first)
    ElementTree.SubElement(element, "pathurl").text = "file://localhost" + quote(os.path.abspath(first))
    element.append(_rate_element(item.rate))
    ElementTree.SubElement(element, "duration").text = str(item.frame_count)
    drop = bool(item.timecode) and ";" in item.timecode and is_drop_frame_rate(item.rate)
    frames = int(item.start)  # the clip's media time of the render's first frame, as the XML counts it
    timecode = ElementTree.SubElement(element, "timecode")
    timecode.append(_rate_element(item.rate))
    ElementTree.SubElement(timecode, "string").text = frames_to_timecode(frames, item.rate, drop)
    ElementTree.SubElement(timecode, "frame").text = str(frames)
    ElementTree.SubElement(timecode, "displayformat").text = "DF" if drop else "NDF"
    characteristics = ElementTree.SubElement(ElementTree.SubElement(ElementTree.SubElement(
        element, "media"), "video"), "samplecharacteristics")
    characteristics.append(_rate_element(item.rate))
    ElementTree.SubElement(characteristics, "width").text = str(item.width)
    ElementTree.SubElement(characteristics, "height").text = str(item.height)
    return element
