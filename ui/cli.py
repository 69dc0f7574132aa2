"""``answerprint panel``: open the PySide6 panel, standalone or hosted (launched by a host's menu script).

Advertised through the ``answerprint.commands`` entry point, so the core command line never imports Qt; a
machine without the ``ui`` extra gets a one-line error naming the ``pip install`` that brings it.
"""
from __future__ import annotations

import argparse

NAME = "panel"
HELP = "Open the panel: parameters with a live before/after, the model library and the render queue"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("media", nargs="*", help="clips, sequence patterns or folders to open")
    parser.add_argument("--production", help="production whose packs the library shows (default: the last one)")
    parser.add_argument("--effect", help="effect to show first (cleanup, colormatch, relight...)")
    parser.add_argument("--host", choices=["resolve"], help="hosted mode: renders go back to this host")


def run(args: argparse.Namespace) -> int:
    from answerprint.core.cli import import_extra

    import_extra("PySide6.QtWidgets", "ui")
    from answerprint.ui.platform_check import check_platform

    check_platform()                  # a missing system library or display is one line, not Qt's SIGABRT
    from answerprint.ui.app import run_panel

    return run_panel(args.media, production=args.production, effect=args.effect, host=args.host)
