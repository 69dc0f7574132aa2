"""``answerprint probe MEDIA``: what a movie or sequence is (size, rate, timecode, codec, depth, colour).

Imports only what reading the file needs (PyAV or OpenImageIO, numpy); the colour-space list (``--spaces``)
loads OpenColorIO.
"""
from __future__ import annotations

import argparse
import json

NAME = "probe"
HELP = "Describe a movie or image sequence: size, frame rate, timecode, codec, bit depth, colour tags."
#: The fields the table shows, in order.
FIELDS = ("kind", "codec", "profile", "pixel_format", "bit_depth", "width", "height", "pixel_aspect", "frame_rate",
          "first_frame", "frame_count", "timecode", "color_tags", "assumed_colour_space", "missing_frames")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("media", nargs="?", help="movie file or sequence (shot.%%04d.exr, shot.####.exr)")
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON")
    parser.add_argument("--spaces", action="store_true", help="list the colour spaces of the OCIO config")
    parser.add_argument("--ocio", help="OCIO config path/URI for --spaces (default: $OCIO, else the pinned ACES config)")


def run(args: argparse.Namespace) -> int:
    from ..errors import UsageError

    if args.spaces:
        from ..color import load_config, space_names

        for name, aliases in space_names(load_config(args.ocio)):
            print(f"{name}  {', '.join(aliases)}".rstrip())
        return 0
    if not args.media:
        raise UsageError("MEDIA is required (or --spaces)")
    from ..color.defaults import default_source_space
    from ..frames import probe

    info = probe(args.media)
    data = info.to_json()
    data["assumed_colour_space"] = default_source_space(info)
    if args.json:
        print(json.dumps(data, indent=2))
        return 0
    width = max(map(len, FIELDS))
    print(info.path)
    for key in FIELDS:
        value = data.get(key)
        if key == "color_tags" and isinstance(value, dict):
            value = ", ".join(f"{k} {v}" for k, v in value.items())
        print(f"  {key:<{width}}  {value}")
    return 0
