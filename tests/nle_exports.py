"""Timelines written the way NLEs export them, for tests: no downloads, our own files with their features.

Modelled on the sample exports OpenTimelineIO's adapters test against (otio-cmx3600-adapter's Avid,
Premiere and speed-effect EDLs; otio-fcp-adapter's Premiere XML with Time Remap filters; otio-fcpx-xml-
adapter's FCPX library with events, projects, connected clips and transitions) and on Resolve's OTIO export:

* ``avid_edl``: CMX 3600 as Avid Media Composer writes it — ``TITLE``, ``FCM``, 8-character reels (``AX`` for
  an unnamed source), ``* FROM CLIP NAME:`` and Windows ``* FROM CLIP:`` paths, ``M2`` speed lines in
  frames per second (``047.6``), freeze frames (``M2 ... 000.0``, `` FF``, ``* * FREEZE FRAME``), reverse
  (``-024.0``) and dissolves as a cut line plus a ``D 006`` line under one event number;
* ``premiere_xml``: FCP 7 XML (``xmeml`` 4) as Premiere Pro writes it — NTSC rates, ``file://localhost/D%3a/``
  paths, file definitions shared by id with the audio track, ``masterclipid``, a ``Time Remap`` filter
  (``speed``, ``reverse``, ``variablespeed``) whose clip's ``in``/``out`` count retimed frames, and a
  centred ``Cross Dissolve`` transition item with ``start``/``end`` of -1 on its clips;
* ``fcpx_library``: FCPXML 1.10 as Final Cut Pro writes a library — ``library/event/project``, formats by
  ``frameDuration``, assets with ``media-rep`` and start timecode, ``asset-clip``s, a ``clip`` holding a
  ``video``, a ``timeMap`` retime, a centred ``transition``, a gap carrying a connected clip, two projects;
* ``resolve_otio``: OTIO as DaVinci Resolve exports it — ``Clip.2`` with a ``media_references`` map, plain
  paths, source ranges in the media's absolute timecode frames, ``LinearTimeWarp`` retimes, dissolves.

Each takes ``Event``s: which source, where in it, how long on the record side, at what speed.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from urllib.parse import quote

import opentimelineio as otio

from answerprint.core.frames.timecode import frames_to_timecode, is_drop_frame_rate, timecode_to_frames


@dataclass(frozen=True)
class Source:
    """A camera file: where it is, its start timecode, rate and length, and its reel (tape) name."""

    path: Path
    timecode: str
    rate: Fraction
    frames: int
    reel: str

    @property
    def start(self) -> int:
        """Its first frame's timecode as a frame count."""
        return timecode_to_frames(self.timecode, self.rate)

    @property
    def drop(self) -> bool:
        return ";" in self.timecode


@dataclass(frozen=True)
class Event:
    """One edit: ``length`` record frames of ``source`` from frame ``first`` (0 = the file's first frame).

    ``speed`` is media frames per record frame (0: freeze frame, negative: reverse, running down from
    ``first``); ``dissolve`` is the length of a dissolve from the previous event into this one.
    """

    source: Source
    first: int
    length: int
    speed: Fraction = Fraction(1)
    dissolve: int = 0

    def shown(self) -> list[int]:
        """The source frame (0-based) each record frame shows: the position rounded down."""
        return [math.floor(self.first + k * self.speed) for k in range(self.length)]

    def needed(self) -> tuple[int, int]:
        """First and last media frame (0-based) the event shows itself, by the retime maths."""
        ends = (self.first, self.first + (self.length - 1) * self.speed)
        return math.floor(min(ends)), math.ceil(max(ends))


def _tc(frames: int, rate: Fraction, drop: bool) -> str:
    return frames_to_timecode(frames, rate, drop)


# ---- Avid Media Composer: CMX 3600 ---------------------------------------------------------------------------

def avid_edl(path: Path, events: list[Event], rate: Fraction, title: str = "REEL_1_V3", windows_root: str | None =
             None, record_start: str = "01:00:00:00", names: bool = True) -> Path:
    """An Avid-style EDL of ``events`` at ``rate`` (``FCM: DROP FRAME`` with colon timecodes when drop-frame).

    ``windows_root`` writes ``* FROM CLIP: <root>\\<file>`` as Avid on Windows does; ``names`` the clip names.
    """
    drop = is_drop_frame_rate(rate) and ";" in record_start
    record = timecode_to_frames(record_start, rate)
    lines = [f"TITLE:   {title}", f"FCM: {'DROP FRAME' if drop else 'NON-DROP FRAME'}"]

    def tc(frames: int) -> str:
        return _tc(frames, rate, drop).replace(";", ":")  # Avid writes colons; FCM says drop-frame

    previous: Event | None = None
    for number, event in enumerate(events, start=1):
        src = event.source.start + event.first
        span = max(1, abs(math.ceil(event.length * event.speed))) if event.speed != 1 else event.length
        src_out = src + span if event.speed >= 0 else src - span
        reel = f"{event.source.reel[:8]:8}"
        if event.dissolve and previous is not None:
            a_out = previous.source.start + previous.first + previous.length
            lines.append(f"{number:03d}  {previous.source.reel[:8]:8} V     C        {tc(a_out)} {tc(a_out)} "
                         f"{tc(record)} {tc(record)}")
            lines.append(f"{number:03d}  {reel} V     D    {event.dissolve:03d} {tc(src)} {tc(src_out)} "
                         f"{tc(record)} {tc(record + event.length)}")
        else:
            lines.append(f"{number:03d}  {reel} V     C        {tc(src)} {tc(src_out)} {tc(record)} "
                         f"{tc(record + event.length)}")
        if event.speed != 1:
            fps = event.speed * float(rate)
            lines.append(f"M2   {reel}       {fps:05.1f}                {tc(src)}")
        clip_name = os.path.splitext(event.source.path.name)[0]
        if event.dissolve and previous is not None:
            lines.append("* BLEND, DISSOLVE")
            if names:
                lines.append(f"* FROM CLIP NAME:  {os.path.splitext(previous.source.path.name)[0]}")
                lines.append(f"* TO CLIP NAME:  {clip_name}")
        elif names:
            lines.append(f"* FROM CLIP NAME:  {clip_name}{' FF' if event.speed == 0 else ''}")
        if event.speed == 0:
            lines.append("* * FREEZE FRAME")
        if windows_root is not None:
            side = "TO" if event.dissolve and previous is not None else "FROM"
            lines.append(f"* {side} CLIP: {windows_root}\\{event.source.path.name}")
        record += event.length
        previous = event
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode())  # Avid on Windows: CRLF
    return path


# ---- Premiere Pro: FCP 7 XML ---------------------------------------------------------------------------------

def _rate_xml(rate: Fraction) -> str:
    return f"<rate><timebase>{round(rate)}</timebase><ntsc>{'TRUE' if rate.denominator == 1001 else 'FALSE'}</ntsc></rate>"


def _timecode_xml(frames: int, rate: Fraction, drop: bool) -> str:
    return (f"<timecode>{_rate_xml(rate)}<string>{_tc(frames, rate, drop)}</string><frame>{frames}</frame>"
            f"<displayformat>{'DF' if drop else 'NDF'}</displayformat></timecode>")


def premiere_xml(path: Path, events: list[Event], rate: Fraction, windows_root: str | None = "D:/show",
                 name: str = "reel1_v3", drop: bool = False) -> Path:
    """A Premiere-style FCP 7 XML of one sequence of ``events``: one video track, the audio of each file on one
    audio track. Files live under ``windows_root`` (``file://localhost/D%3a/show/...``) unless None (their
    real paths). A dissolve of ``d`` frames is centred on the cut, so each side gives ``d/2`` frames of handle.
    """
    sequence = _PremiereSequences(rate, windows_root, drop).sequence(name, events)
    path.write_text(f'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE xmeml>\n<xmeml version="4">{sequence}</xmeml>\n')
    return path


def premiere_project(path: Path, sequences: dict[str, list[Event]], rate: Fraction,
                     windows_root: str | None = None) -> Path:
    """A Premiere project export: a ``project`` whose bin holds several sequences sharing their files by id."""
    maker = _PremiereSequences(rate, windows_root, False)
    children = "".join(maker.sequence(name, events) for name, events in sequences.items())
    path.write_text('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE xmeml>\n<xmeml version="4"><project>'
                    f"<name>EP104</name><children><bin><name>Sequences</name><children>{children}</children></bin>"
                    "</children></project></xmeml>\n")
    return path


class _PremiereSequences:
    """Writes Premiere ``sequence`` elements; clip item and file ids are unique across the document."""

    def __init__(self, rate: Fraction, windows_root: str | None, drop: bool):
        self.rate, self.windows_root, self.drop = rate, windows_root, drop
        self.files: dict[Path, str] = {}
        self.defined: set[str] = set()
        self.items = 0

    def file_xml(self, source: Source) -> str:
        file_id = self.files.setdefault(source.path, f"file-{len(self.files) + 1}")
        if file_id in self.defined:
            return f'<file id="{file_id}"/>'
        self.defined.add(file_id)
        if self.windows_root is None:
            url = "file://localhost" + quote(str(source.path))
        else:
            drive, rest = self.windows_root.split(":", 1)
            url = f"file://localhost/{drive}%3a{quote(rest)}/{quote(source.path.name)}"
        return (f'<file id="{file_id}"><name>{source.path.name}</name><pathurl>{url}</pathurl>'
                f"{_rate_xml(source.rate)}<duration>{source.frames}</duration>"
                f"{_timecode_xml(source.start, source.rate, source.drop)}"
                f"<media><video><samplecharacteristics>{_rate_xml(source.rate)}<width>64</width><height>36</height>"
                f"</samplecharacteristics></video><audio><channelcount>2</channelcount></audio></media></file>")

    def sequence(self, name: str, events: list[Event]) -> str:
        rate = self.rate
        video, audio = [], []
        record = 0
        for index, event in enumerate(events):
            following = events[index + 1] if index + 1 < len(events) else None
            head = event.dissolve // 2 if event.dissolve else 0
            tail = following.dissolve - following.dissolve // 2 if following is not None and following.dissolve else 0
            start = -1 if event.dissolve else record
            end = -1 if tail else record + event.length
            speed = abs(event.speed) if event.speed else Fraction(1)
            reverse = event.speed < 0
            # in/out count retimed frames and cover the media under the dissolves either side
            if not reverse:
                in_point = Fraction(event.first, 1) / speed - head
            else:  # a reversed clip shows the same segment backwards: first shown = (out - 1) * speed
                in_point = Fraction(event.first, 1) / speed - (event.length - 1) - tail
            out_point = in_point + head + event.length + tail
            assert in_point.denominator == 1, "choose events whose in point is a whole number of retimed frames"
            if event.dissolve:
                video.append(
                    f"<transitionitem><start>{record - head}</start><end>{record - head + event.dissolve}</end>"
                    f"<alignment>center</alignment>{_rate_xml(rate)}<effect><name>Cross Dissolve</name>"
                    "<effectid>Cross Dissolve</effectid><effectcategory>Dissolve</effectcategory>"
                    "<effecttype>transition</effecttype><mediatype>video</mediatype></effect></transitionitem>")
            remap = "" if event.speed == 1 else (
                "<filter><effect><name>Time Remap</name><effectid>timeremap</effectid><effectcategory>motion"
                "</effectcategory><effecttype>motion</effecttype><mediatype>video</mediatype>"
                '<parameter authoringApp="PremierePro"><parameterid>variablespeed</parameterid><name>variablespeed'
                "</name><valuemin>0</valuemin><valuemax>1</valuemax><value>0</value></parameter>"
                '<parameter authoringApp="PremierePro"><parameterid>speed</parameterid><name>speed</name>'
                f"<valuemin>-100000</valuemin><valuemax>100000</valuemax><value>{float(speed * 100):g}</value>"
                '</parameter><parameter authoringApp="PremierePro"><parameterid>reverse</parameterid>'
                f"<name>reverse</name><value>{'TRUE' if reverse else 'FALSE'}</value></parameter>"
                '<parameter authoringApp="PremierePro"><parameterid>frameblending</parameterid><name>frameblending'
                "</name><value>FALSE</value></parameter></effect></filter>")
            self.items += 1
            number = self.items
            name_xml = f"<name>{event.source.path.name}</name>"
            video.append(
                f'<clipitem id="clipitem-{number}"><masterclipid>masterclip-{number}</masterclipid>{name_xml}'
                f"<enabled>TRUE</enabled><duration>{math.floor(event.source.frames / speed)}</duration>"
                f"{_rate_xml(rate)}<start>{start}</start><end>{end}</end><in>{in_point}</in><out>{out_point}</out>"
                f"{self.file_xml(event.source)}{remap}<link><linkclipref>clipitem-{number}</linkclipref>"
                "<mediatype>video</mediatype><trackindex>1</trackindex></link></clipitem>")
            audio.append(
                f'<clipitem id="clipitem-{number + 100}" premiereChannelType="stereo">{name_xml}<enabled>TRUE'
                f"</enabled>{_rate_xml(rate)}<start>{record}</start><end>{record + event.length}</end>"
                f"<in>{event.first}</in><out>{event.first + event.length}</out>"
                f'<file id="{self.files[event.source.path]}"/>'
                "<sourcetrack><mediatype>audio</mediatype><trackindex>1</trackindex></sourcetrack></clipitem>")
            record += event.length
        return (f'<sequence id="sequence-{name}"><uuid>4f3c-answerprint-{name}</uuid><duration>{record}</duration>'
                f"{_rate_xml(rate)}<name>{name}</name><media><video><format><samplecharacteristics>"
                f"{_rate_xml(rate)}<width>64</width><height>36</height></samplecharacteristics></format><track>"
                f"{''.join(video)}<enabled>TRUE</enabled><locked>FALSE</locked></track></video><audio><track>"
                f"{''.join(audio)}</track></audio></media>"
                f"{_timecode_xml(timecode_to_frames('01:00:00:00', rate), rate, self.drop)}</sequence>")


# ---- Final Cut Pro: FCPXML library ---------------------------------------------------------------------------

def _t(frames: int | Fraction, rate: Fraction) -> str:
    seconds = Fraction(frames) / rate
    return f"{seconds.numerator}s" if seconds.denominator == 1 else f"{seconds.numerator}/{seconds.denominator}s"


def fcpx_library(path: Path, projects: dict[str, list[Event]], rate: Fraction, connected: Event | None = None,
                 event_name: str = "Dailies Day 1", bundle: bool = False, drop: bool = False) -> Path:
    """An FCPXML 1.10 library export: one event holding browser clips and the ``projects`` given.

    Each project's events go on its primary storyline: plain ones as ``asset-clip``, retimed ones as a
    ``clip`` holding a ``video`` with a ``timeMap``; a dissolve is a centred ``transition``. ``connected`` is
    placed on lane 1 over the first project's first clip. ``bundle`` writes an ``.fcpxmld`` folder.
    """
    sources: dict[Path, Source] = {}
    for events in projects.values():
        for event in events:
            sources.setdefault(event.source.path, event.source)
    if connected is not None:
        sources.setdefault(connected.source.path, connected.source)
    formats = {rate: "r1"}
    for source in sources.values():
        formats.setdefault(source.rate, f"r{len(formats) + 1}")
    ids = {p: f"r{len(formats) + i + 1}" for i, p in enumerate(sources)}
    resources = [f'<format id="{fid}" name="FFVideoFormat{r}" frameDuration="{_t(1, r)}" width="64" height="36" '
                 f'colorSpace="1-1-1 (Rec. 709)"/>' for r, fid in formats.items()]
    for source_path, source in sources.items():
        resources.append(
            f'<asset id="{ids[source_path]}" name="{source_path.stem}" uid="{abs(hash(source_path.name)):X}" '
            f'start="{_t(source.start, source.rate)}" duration="{_t(source.frames, source.rate)}" hasVideo="1" '
            f'format="{formats[source.rate]}" hasAudio="1" videoSources="1" audioSources="1" audioChannels="2" '
            f'audioRate="48000"><media-rep kind="original-media" sig="{abs(hash(source_path.name)):X}" '
            f'src="{otio.url_utils.url_from_filepath(str(source_path))}"/>'
            f'<metadata><md key="com.apple.proapps.studio.reel" value="{source.reel}"/></metadata></asset>')
    resources.append('<effect id="r90" name="Cross Dissolve" uid="FxPlug:4731E73A-8DAC-4113-9A30-AE85B1761265"/>')
    browser = [f'<asset-clip name="{p.stem}" ref="{ids[p]}" duration="{_t(s.frames, s.rate)}" '
               f'start="{_t(s.start, s.rate)}" format="{formats[s.rate]}" tcFormat="NDF" audioRole="dialogue"/>'
               for p, s in sources.items()]
    project_xml = []
    for number, (name, events) in enumerate(projects.items()):
        spine, offset = [], 0
        for index, event in enumerate(events):
            source = event.source
            if event.dissolve:
                head = event.dissolve // 2
                spine.append(f'<transition name="Cross Dissolve" offset="{_t(offset - head, rate)}" '
                             f'duration="{_t(event.dissolve, rate)}"><filter-video ref="r90" name="Cross Dissolve">'
                             '<param name="Look" key="1" value="11 (Video)"/></filter-video></transition>')
            start = Fraction(source.start + event.first) / source.rate  # asset time shown first
            lane = ""
            if connected is not None and number == 0 and index == 0:
                c = connected
                lane = (f'<asset-clip name="{c.source.path.stem}" lane="1" ref="{ids[c.source.path]}" '
                        f'offset="{_t(Fraction(source.start + event.first) * rate / source.rate + 2, rate)}" '
                        f'start="{_t(c.source.start + c.first, c.source.rate)}" duration="{_t(c.length, rate)}" '
                        f'format="{formats[c.source.rate]}" tcFormat="NDF" audioRole="dialogue"/>')
            if event.speed == 1:
                spine.append(f'<asset-clip name="{source.path.stem}" ref="{ids[source.path]}" '
                             f'offset="{_t(offset, rate)}" start="{_t(start * rate, rate)}" '
                             f'duration="{_t(event.length, rate)}" format="{formats[source.rate]}" tcFormat="NDF" '
                             f'audioRole="dialogue">{lane}<marker start="{_t(start * rate, rate)}" '
                             f'duration="{_t(1, rate)}" value="{source.reel} in"/></asset-clip>')
            else:  # a retimed clip: its local time runs 0..length, the time map gives asset time
                local_end = Fraction(event.length, 1) / rate
                value_end = start + Fraction(event.length) * event.speed / source.rate
                spine.append(
                    f'<clip name="{source.path.stem}" offset="{_t(offset, rate)}" duration="{_t(event.length, rate)}" '
                    f'tcFormat="NDF"><conform-rate scaleEnabled="0"/><timeMap>'
                    f'<timept time="0s" value="{_fmt(start)}" interp="linear"/>'
                    f'<timept time="{_fmt(local_end)}" value="{_fmt(value_end)}" interp="linear"/></timeMap>'
                    f'<video ref="{ids[source.path]}" offset="{_fmt(Fraction(source.start) / source.rate)}" '
                    f'start="{_fmt(Fraction(source.start) / source.rate)}" '
                    f'duration="{_t(source.frames, source.rate)}"/>{lane}</clip>')
            offset += event.length
        project_xml.append(
            f'<project name="{name}" uid="P{number}-answerprint" modDate="2026-11-02 10:00:00 +0000">'
            f'<sequence format="r1" duration="{_t(offset, rate)}" tcStart="{_t(timecode_to_frames("01:00:00:00", rate), rate)}" '
            f'tcFormat="{"DF" if drop else "NDF"}" audioLayout="stereo" audioRate="48k">'
            f"<spine>{''.join(spine)}</spine></sequence></project>")
    xml = ('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE fcpxml>\n\n<fcpxml version="1.10">'
           f"<resources>{''.join(resources)}</resources>"
           f'<library location="file:///Volumes/RAID/Show.fcpbundle/"><event name="{event_name}" uid="E1-answerprint">'
           f"{''.join(browser)}{''.join(project_xml)}</event>"
           '<smart-collection name="Projects" match="all"><match-clip rule="is" type="project"/></smart-collection>'
           "</library></fcpxml>\n")
    if bundle:
        path.mkdir()
        (path / "Info.fcpxml").write_text(xml)
    else:
        path.write_text(xml)
    return path


def _fmt(seconds: Fraction) -> str:
    return f"{seconds.numerator}s" if seconds.denominator == 1 else f"{seconds.numerator}/{seconds.denominator}s"


# ---- DaVinci Resolve: OTIO -----------------------------------------------------------------------------------

def resolve_otio(path: Path, events: list[Event], rate: Fraction, name: str = "Timeline 1") -> Path:
    """An OTIO timeline shaped as Resolve exports it (see the module docstring); dissolves centred on the cut."""
    r = float(rate)
    timeline = otio.schema.Timeline(name=name, global_start_time=otio.opentime.RationalTime(
        timecode_to_frames("01:00:00:00", rate), r))
    track = otio.schema.Track(name="Video 1", kind=otio.schema.TrackKind.Video)
    timeline.tracks.append(track)
    for event in events:
        source = event.source
        sr = float(source.rate)
        if event.dissolve:
            head = event.dissolve // 2
            track.append(otio.schema.Transition(name="Cross Dissolve",
                                                transition_type=otio.schema.TransitionTypes.SMPTE_Dissolve,
                                                in_offset=otio.opentime.RationalTime(head, r),
                                                out_offset=otio.opentime.RationalTime(event.dissolve - head, r)))
        reference = otio.schema.ExternalReference(
            target_url=str(source.path), available_range=otio.opentime.TimeRange(
                otio.opentime.RationalTime(source.start, sr), otio.opentime.RationalTime(source.frames, sr)))
        reference.name = source.path.name
        clip = otio.schema.Clip(name=source.path.name, source_range=otio.opentime.TimeRange(
            otio.opentime.RationalTime(source.start + event.first, sr), otio.opentime.RationalTime(event.length, sr)))
        clip.set_media_references({otio.schema.Clip.DEFAULT_MEDIA_KEY: reference},
                                  otio.schema.Clip.DEFAULT_MEDIA_KEY)
        clip.metadata["Resolve_OTIO"] = {"Link Group ID": 1}
        if event.speed == 0:
            clip.effects.append(otio.schema.FreezeFrame())
        elif event.speed != 1:
            clip.effects.append(otio.schema.LinearTimeWarp(time_scalar=float(event.speed)))
        track.append(clip)
    otio.adapters.write_to_file(timeline, str(path))
    return path
