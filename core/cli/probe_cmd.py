"""``answerprint probe MEDIA``: what a movie or sequence is (size, rate, timecode, codec, depth, colour)."""
from __future__ import annotations

import argparse
import json

from rich.table import Table

from ..color import default_source_space, load_config, space_names
from ..frames import probe
from rich.console import Console

from ..errors import UsageError

NAME = "probe"
HELP = "Describe a movie or image sequence: size, frame rate, timecode, codec, bit depth, colour tags."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("media", nargs="?", help="movie file or sequence (shot.%%04d.exr, shot.####.exr)")
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON")
    parser.add_argument("--spaces", action="store_true", help="list the colour spaces of the OCIO config")


def run(args: argparse.Namespace) -> int:
    out = Console()
    if args.spaces:
        for name, aliases in space_names(load_config()):
            out.print(f"{name}  [dim]{', '.join(aliases)}[/dim]")
        return 0
    if not args.media:
        raise UsageError("MEDIA is required (or --spaces)")
    info = probe(args.media)
    data = info.to_json()
    data["assumed_colour_space"] = default_source_space(info)
    if args.json:
        print(json.dumps(data, indent=2))
        return 0
    table = Table(title=info.path, show_header=False)
    for key in ("kind", "codec", "profile", "pixel_format", "bit_depth", "width", "height", "pixel_aspect",
                "frame_rate", "first_frame", "frame_count", "timecode", "color_tags", "assumed_colour_space",
                "missing_frames"):
        table.add_row(key, str(data.get(key)))
    out.print(table)
    return 0
