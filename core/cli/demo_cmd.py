"""``answerprint demo``: run the main job on bundled sample dailies and write an HTML report."""
from __future__ import annotations

import argparse

from .terminal import add_progress_options

NAME = "demo"
HELP = "Make sample dailies, run the effects on them and write outputs plus an HTML report."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", default="demo_out", help="folder for dailies, renders and report.html")
    add_progress_options(parser)


def run(args: argparse.Namespace) -> int:
    from ..demo import run_demo
    from .terminal import console, progress_for

    with progress_for(args, NAME) as (callback, cancel):
        report = run_demo(args.out, callback, cancel)
    console().print(f"demo finished: open {report}", markup=False)
    return 0
