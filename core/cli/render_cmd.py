"""``answerprint render``: re-render from a render sidecar, or render a whole timeline through an effect.

``render SIDECAR [--out OUT]`` reproduces a render from the ``*.answerprint.json`` left beside its output.
``render TIMELINE --effect E --out DIR`` renders the used range (plus handles) of every video clip of an
OTIO, EDL or FCP XML timeline and writes the same timeline pointing to the renders. Timelines are read by
the ``answerprint.timelines`` entry points (``answerprint.plugin.otio.render``), so core needs no OTIO.
Tasks run here (``--farm local``), on Dask (``--farm dask [--scheduler ADDR]``) or as an Open Job
Description bundle (``--farm openjd [--run]``).
"""
from __future__ import annotations

import argparse
import json
import os
from typing import TYPE_CHECKING

from ..inputs.edits import timeline_reader
from .apply_cmd import run_job
from .terminal import add_progress_options, console, progress_for

if TYPE_CHECKING:
    from ..farm.report import TimelineReport

NAME = "render"
HELP = ("Render again from a render sidecar (*.answerprint.json), or render every clip of a timeline "
        "(.otio, .otioz, .edl, .xml, .fcpxml) through an effect and write the conformed timeline.")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of both forms; the timeline and farm ones are ignored for a sidecar."""
    from ..effects import effect_names
    from ..farm.runners import FARMS
    from ..farm.tasks import DEFAULT_CHUNK_FRAMES
    from ..frames.media import WRITE_CODECS

    parser.add_argument("timeline", metavar="SIDECAR|TIMELINE",
                        help="a render sidecar written by apply/render, or a timeline")
    parser.add_argument("--out", help="sidecar: write to this output instead of the recorded one; "
                                      "timeline: folder for the renders and the new timeline")
    parser.add_argument("--overwrite", action="store_true", help="replace existing outputs")
    timeline = parser.add_argument_group("timelines")
    timeline.add_argument("--effect", metavar="EFFECT", help=f"effect for every clip: {', '.join(effect_names())}")
    timeline.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                          help="effect parameter (repeatable), e.g. --param stops=1")
    timeline.add_argument("--pack", help="model pack: a .onnx path or a library reference effect/name[@version]")
    timeline.add_argument("--production", help="the production the job belongs to")
    timeline.add_argument("--handles", type=int, default=0, help="extra frames rendered each side of a clip")
    timeline.add_argument("--codec", choices=WRITE_CODECS,
                          help="output codec (default: each source's own; sequences split into chunks)")
    timeline.add_argument("--exr-compression", default="piz", choices=("piz", "zip", "dwaa"))
    timeline.add_argument("--input-space", help="OCIO colour space of the sources")
    timeline.add_argument("--output-space", help="OCIO colour space of the renders (default: the input's)")
    timeline.add_argument("--ocio", help="OCIO config path/URI")
    timeline.add_argument("--providers", help="onnxruntime providers, comma separated")
    timeline.add_argument("--resume", action="store_true", help="finish an interrupted render of this timeline")
    timeline.add_argument("--rate", default="24",
                          help="frame rate of an EDL's timecodes (default 24; 23.976, 25, 29.97, 24000/1001…)")
    timeline.add_argument("--project", help="FCPX library/event: the one project to render (Project or "
                                            "Event/Project); FCP 7 XML: the one sequence (default: all)")
    relink = parser.add_argument_group("relinking")
    relink.add_argument("--media-root", action="append", nargs="+", default=[], metavar="DIR",
                        help="folders to search for media the timeline names by another path, by reel, clip "
                             "name or source timecode (repeatable)")
    relink.add_argument("--map-path", action="append", default=[], metavar="FROM=TO",
                        help="replace a path prefix, e.g. 'S:\\=/mnt/show/' (repeatable)")
    relink.add_argument("--relink-config", metavar="TOML",
                        help="a file whose [relink] table holds media_roots and a path_map table")
    farm = parser.add_argument_group("farm")
    farm.add_argument("--farm", choices=FARMS, default="local", help="where the tasks run (default: here)")
    farm.add_argument("--chunk", type=int, default=DEFAULT_CHUNK_FRAMES,
                      help=f"frames per task for image-sequence outputs (default {DEFAULT_CHUNK_FRAMES})")
    farm.add_argument("--scheduler", help="Dask scheduler address (default: a local cluster)")
    farm.add_argument("--workers", type=int, default=2, help="worker processes of the local Dask cluster")
    farm.add_argument("--retries", type=int, default=2, help="extra attempts for a failed task")
    farm.add_argument("--run", action="store_true", help="with --farm openjd: also run the bundle here")
    add_progress_options(parser)


def run(args: argparse.Namespace) -> int:
    """A ``.json`` argument is a sidecar; anything else a timeline."""
    if args.timeline.endswith(".json"):
        return _run_sidecar(args)
    return _run_timeline(args)


def _run_sidecar(args: argparse.Namespace) -> int:
    """Render the job a sidecar records, to ``--out`` when given."""
    from ..errors import UsageError
    from ..render import RenderJob

    try:
        with open(args.timeline, encoding="utf-8") as handle:
            record = json.load(handle)
        fields = dict(record["job"])
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise UsageError(f"not a readable render sidecar ({error})", args.timeline) from None
    fields["frames"] = tuple(fields["frames"]) if fields.get("frames") else None
    fields["output"] = args.out or fields["output"]
    fields["overwrite"] = args.overwrite
    fields["resume"] = False
    return run_job(RenderJob(**fields), args)


def _run_timeline(args: argparse.Namespace) -> int:
    """Render every clip of the timeline through the reader its extension names, with progress."""
    from fractions import Fraction

    from ..effects import get_effect
    from ..errors import UsageError
    from ..farm.runners import FarmOptions
    from ..params import parse_assignments
    from ..render import RenderJob

    if not args.effect or not args.out:
        raise UsageError("a timeline render needs --effect and --out", args.timeline)
    try:
        edl_rate = Fraction(args.rate)
    except (ValueError, ZeroDivisionError):
        raise UsageError(f"not a frame rate: {args.rate!r}", "--rate") from None
    get_effect(args.effect)
    reader = timeline_reader(args.timeline)
    template = RenderJob(
        source="", output="", effect=args.effect, params=parse_assignments(args.param), pack=args.pack,
        handles=args.handles, input_space=args.input_space, output_space=args.output_space, codec=args.codec,
        exr_compression=args.exr_compression, overwrite=args.overwrite, resume=args.resume,
        production=args.production, ocio_config=args.ocio,
        providers=args.providers.split(",") if args.providers else None)
    options = FarmOptions(args.farm, args.chunk, args.scheduler, args.workers, args.retries, args.run)
    with progress_for(args, f"{NAME} {os.path.basename(args.timeline)} {args.effect}") as (callback, cancel):
        report = reader.render_timeline(args.timeline, args.out, template, options, edl_rate, callback, cancel,
                                        media_roots=[root for group in args.media_root for root in group],
                                        path_maps=args.map_path, relink_config=args.relink_config,
                                        project=args.project)
    return print_report(report)


def say(text: str) -> None:
    console().print(text, markup=False)


def print_report(report: "TimelineReport") -> int:
    """Say what the timeline render did; exit status 1 when a shot failed, else 0 (offline clips included)."""
    if report.pending:
        say(f"planned {report.shots} shot(s) as {report.tasks} task(s), {report.frames} frame(s); "
                      f"OpenJD bundle {report.bundle} (submit it, or run it here with --run)")
    else:
        say(f"rendered {report.shots - len(report.failed)}/{report.shots} shot(s) in {report.tasks} "
                      f"task(s): {report.frames_rendered} frame(s) written, {report.frames_skipped} already complete")
    if report.relinked or report.offline:
        found = ", ".join(f"{count} {how}" for how, count in sorted(report.relinked.items()))
        ambiguous = sum(clip.reason.startswith("ambiguous") for clip in report.offline)
        say(f"media: {sum(report.relinked.values())} found ({found or 'none'}), {ambiguous} ambiguous, "
            f"{len(report.offline) - ambiguous} offline" +
            (f"; report {report.relink_report}" if report.relink_report else ""))
    for clip in report.offline:
        state = "ambiguous" if clip.reason.startswith("ambiguous") else "offline"
        say(f"{state}: {clip.name}: {clip.reason}" + (f" ({clip.media})" if clip.media else ""))
    for shot, error in report.failed.items():
        say(f"failed: {shot}: {error} (kept on its original media)")
    say(f"timeline {report.timeline}; farm plan {report.plan}")
    return 1 if report.failed else 0
