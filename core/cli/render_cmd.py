"""``answerprint render SIDECAR``: reproduce a render from the sidecar it left beside its output."""
from __future__ import annotations

import argparse
import json

from ..errors import UsageError
from ..render import RenderJob
from .apply_cmd import run_job

NAME = "render"
HELP = "Render again from a render sidecar (*.answerprint.json), optionally to a new output."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("timeline", metavar="SIDECAR", help="a render sidecar written by apply/render")
    parser.add_argument("--out", help="write to this output instead of the recorded one")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing output")


def run(args: argparse.Namespace) -> int:
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
    return run_job(RenderJob(**fields))
