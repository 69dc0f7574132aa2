"""Command-line options for dailies, shared by every command that reads them (``train``, ``continuity``).

``--dailies PATH...`` takes movies, sequences, stills, folders and timelines; ``--dailies-bin [BIN]`` an NLE
bin (the current one without a value); ``--rate``, ``--project``, ``--media-root`` and ``--map-path`` say
how a timeline is read, as ``answerprint render TIMELINE`` takes them.
"""
from __future__ import annotations

import argparse
from fractions import Fraction

from ..errors import UsageError
from .clip import ResolvedClip
from .resolver import Notify, resolve_bin, resolve_inputs


def add_dailies_arguments(parser: argparse.ArgumentParser, what: str = "to learn from") -> None:
    """``--dailies``, ``--dailies-bin`` and the timeline options, in a group of their own."""
    group = parser.add_argument_group("dailies")
    group.add_argument("--dailies", nargs="+", default=[], metavar="PATH",
                       help=f"movies, image sequences (shot.%%04d.exr), stills, folders of them, or timelines "
                            f"(.otio, .edl, .xml, .fcpxml: the frames their clips use) {what}")
    group.add_argument("--dailies-bin", nargs="?", const="", metavar="BIN",
                       help="the clips of a DaVinci Resolve bin (path from the media pool root, e.g. "
                            "'Dailies/Day 03'; the current bin without a value), each over its marked range")
    group.add_argument("--rate", default="24", help="timelines: frame rate of an EDL's timecodes (default 24)")
    group.add_argument("--project", help="timelines: the one project or sequence of a file holding several")
    group.add_argument("--media-root", action="append", nargs="+", default=[], metavar="DIR",
                       help="timelines: folders where media named by other paths are looked for")
    group.add_argument("--map-path", action="append", default=[], metavar="FROM=TO",
                       help="timelines: rewrite the start of media paths (another OS's mounts)")


def dailies_from_arguments(args: argparse.Namespace, notify: Notify) -> list[ResolvedClip]:
    """The clips ``--dailies`` and ``--dailies-bin`` name, each said in one line through ``notify``.

    Raises
    ------
    UsageError
        When neither is given, or ``--rate`` is not a rate.
    MediaError, AnswerprintError
        As ``resolve_inputs`` and ``resolve_bin``.
    """
    if not args.dailies and args.dailies_bin is None:
        raise UsageError("no dailies given: pass --dailies PATH... or --dailies-bin [BIN]", "--dailies")
    try:
        rate = Fraction(args.rate)
    except (ValueError, ZeroDivisionError):
        raise UsageError(f"not a frame rate: {args.rate!r}", "--rate") from None
    clips = resolve_inputs(args.dailies, notify, edl_rate=rate, project=args.project,
                           media_roots=[root for group in args.media_root for root in group],
                           path_maps=args.map_path)
    if args.dailies_bin is not None:
        clips += resolve_bin(args.dailies_bin or None, notify)
    return clips
