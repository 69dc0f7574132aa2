"""``answerprint continuity``: find what drifts between the shots of a scene, and write the colour fix.

``continuity TIMELINE --out DIR`` reads an OTIO, EDL or FCP XML edit (through the ``answerprint.continuity``
entry point, so core needs no OTIO); ``continuity SHOT SHOT ... --out DIR`` checks loose media files, grouped
by the slates in their names or a ``--scenes`` file. DIR receives ``report.html`` (one page per scene),
``continuity.json``, the colour fixes (``fixes/*.cube``) and the timeline again with a marker on every flagged
clip (loose shots: ``continuity.otio``). The exit status is 0 when the check ran, flags or not.
"""
from __future__ import annotations

import argparse
import os
from fractions import Fraction
from types import ModuleType
from typing import Callable

from ..errors import AnswerprintError, OutputError, UsageError
from ..progress import ProgressEvent
from .terminal import add_progress_options, console, progress_for

NAME = "continuity"
HELP = ("Check continuity between the shots of each scene (exposure, white balance, levels, grain, focus, "
        "practical lights, content, wardrobe) and write a report, markers and colour fixes.")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("inputs", nargs="+", metavar="TIMELINE_OR_SHOTS",
                        help="one timeline (.otio, .otioz, .edl, .xml, .fcpxml) or several shots (movies, sequences, "
                             "stills, folders of them)")
    parser.add_argument("--out", required=True, help="folder for the report, markers and colour fixes")
    parser.add_argument("--scene-from", default="timeline", choices=("timeline", "markers", "names", "metadata"),
                        help="where scenes come from (default: the timeline's metadata, else its markers, else names)")
    parser.add_argument("--scenes", metavar="FILE", help="grouping file (JSON or CSV: name, scene, setup, take); "
                                                         "overrides --scene-from")
    parser.add_argument("--pack", help="the production's continuity pack (library reference continuity/NAME or "
                                       ".onnx); without one, generic thresholds are used and the report says so")
    parser.add_argument("--production", help="the production the check belongs to (its pack is verified for it)")
    parser.add_argument("--input-space", help="OCIO colour space of the shots (default: from each file)")
    parser.add_argument("--rate", default="24", help="frame rate of an EDL's timecodes (default 24; 24000/1001…)")
    parser.add_argument("--no-fix", action="store_true", help="do not write the colour fixes")
    parser.add_argument("--workers", type=int, default=2, help="shots read and pairs compared at once (default 2)")
    parser.add_argument("--overwrite", action="store_true", help="replace an earlier check in --out")
    add_progress_options(parser)


def continuity_reader(path: str) -> ModuleType:
    """The ``answerprint.continuity`` module reading ``path``'s timeline format (``inputs.edits.timeline_reader``)."""
    from ..inputs.edits import timeline_reader

    return timeline_reader(path, "answerprint.continuity", "not a timeline answerprint checks")


def _is_timeline(path: str) -> bool:
    return os.path.splitext(path)[1].lower() in (".otio", ".otioz", ".edl", ".xml", ".fcpxml")


def _loose_shots(paths: list[str], notify: Callable[[str], None]) -> list:
    """Shots of loose media as the input resolver reads them (``core.inputs``: movies, sequences, stills,
    folders), one line each to ``notify``; a path that cannot be read is an offline shot."""
    from ..continuity.scenes import Shot
    from ..inputs import resolve_inputs

    shots: list = []
    for path in paths:
        try:
            clips = resolve_inputs([path], notify)
        except AnswerprintError as error:
            stem = os.path.splitext(os.path.basename(path.replace("%", "")))[0].rstrip("._")
            shots.append(Shot(stem, path, 0, 0, len(shots), offline=f"media offline: {error.what}"))
            continue
        shots += [Shot(clip.name, clip.path, clip.first_frame, clip.last_frame, len(shots) + i)
                  for i, clip in enumerate(clips)]
    return shots


def run(args: argparse.Namespace) -> int:
    from ..continuity.check import check_continuity
    from ..continuity.scenes import read_grouping_file
    from ..continuity.thresholds import from_pack, generic

    try:
        edl_rate = Fraction(args.rate)
    except (ValueError, ZeroDivisionError):
        raise UsageError(f"not a frame rate: {args.rate!r}", "--rate") from None
    if args.workers < 1:
        raise UsageError("--workers must be at least 1", "--workers")
    timelines = [path for path in args.inputs if _is_timeline(path)]
    if timelines and len(args.inputs) > 1:
        raise UsageError("give one timeline, or several shots, not both", timelines[0])
    if os.path.exists(os.path.join(args.out, "continuity.json")) and not args.overwrite:
        raise OutputError("an earlier continuity check is there; pass --overwrite to replace it", args.out)
    grouping = read_grouping_file(args.scenes) if args.scenes else None
    thresholds = generic()
    if args.pack:
        from ..packs import open_pack_for_job

        thresholds = from_pack(open_pack_for_job(args.pack, "continuity", args.production))
    reader, timeline, markers = None, None, []
    decided: list[str] = []
    if timelines:
        reader = continuity_reader(timelines[0])
        shots, markers, timeline = reader.read_shots(timelines[0], args.out, edl_rate)
        if not shots:
            raise UsageError("the timeline has no video clip", timelines[0])
    else:
        shots = _loose_shots(args.inputs, decided.append)
        if len(shots) < 2:
            raise UsageError("a continuity check compares shots: give two or more, or a timeline", args.inputs[0])
        reader = _optional_reader()
        if reader is not None:
            timeline, shots = reader.timeline_of_shots(shots)
    title = os.path.basename(timelines[0]) if timelines else f"{len(shots)} shots"
    with progress_for(args, f"continuity · {title}") as (callback, cancel):
        for line in decided:
            callback(ProgressEvent(0, 0, "shots", line))
        result = check_continuity(shots, args.out, thresholds=thresholds, scene_from=args.scene_from, markers=markers,
                                  grouping=grouping, input_space=args.input_space, write_fixes=not args.no_fix,
                                  workers=args.workers, title=title, progress=callback, cancel=cancel)
    marked = _write_markers(result, timelines[0] if timelines else None, reader, timeline, args)
    return _summarise(result, marked)


def _optional_reader() -> ModuleType | None:
    """The OTIO continuity module, or None (with a note) when OpenTimelineIO is not installed."""
    try:
        return continuity_reader("continuity.otio")
    except AnswerprintError:
        console().print("markers: OpenTimelineIO is not installed (pip install 'answerprint[timeline]'); the report "
                      "and continuity.json hold every flag")
        return None


def _write_markers(result, timeline_path: str | None, reader: ModuleType | None, timeline,
                   args: argparse.Namespace) -> str | None:
    """The timeline with its markers: the input's format, or ``continuity.otio`` for loose shots."""
    if reader is None:
        return None
    if timeline_path is None:
        return reader.write_marked(timeline, result.markers, os.path.join(args.out, "continuity.otio"), True)
    stem, extension = os.path.splitext(os.path.basename(timeline_path))
    return reader.write_marked(timeline, result.markers, os.path.join(args.out, f"{stem}_continuity{extension}"), True)


def _summarise(result, marked: str | None) -> int:
    for scene in result.scenes:
        flagged = [p for p in scene.pairs if p.flags]
        line = f"scene {scene.scene.name}: {len(scene.pairs)} pair(s) compared, {len(flagged)} flagged"
        console().print(line + (f" ({scene.scene.note})" if scene.scene.note else ""))
        for pair in flagged:
            console().print(f"  {pair.pair.first.name} → {pair.pair.second.name}: {', '.join(pair.flags)}")
        for name, why in scene.unreadable.items():
            console().print(f"  unreadable: {name}: {why}")
        for shot in scene.scene.offline:
            console().print(f"  offline: {shot.name}: {shot.offline}")
        for fix in scene.fixes:
            console().print(f"  colour fix: {fix.plan.shot.name} → {fix.plan.reference.name}: {fix.cube} "
                          f"(ΔE00 {fix.before_de00:.2f} → {fix.after_de00:.2f})")
    if result.loose:
        console().print(f"in no scene: {', '.join(s.name for s in result.loose)}")
    console().print(f"thresholds: {result.thresholds.source}")
    console().print(f"report: {result.report}")
    if marked:
        console().print(f"markers: {marked}")
    return 0
