"""``answerprint resolve ACTION``: the Resolve adapter as a subcommand of ``answerprint`` (the
``answerprint.commands`` entry point ``resolve``).

Only ``argparse`` is imported here and only the standard library to build the arguments (``arguments``), so
``answerprint --help`` stays quick and ``answerprint resolve install`` runs where nothing but answerprint is
installed; the actions that drive Resolve import what they need when they run (``cli``).
"""
from __future__ import annotations

import argparse

NAME = "resolve"
HELP = "Drive DaVinci Resolve: install its menu, render selected clips back as takes, put LUTs on grades."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from .arguments import add_actions

    add_actions(parser)


def run(args: argparse.Namespace) -> int:
    from .arguments import INSTALL_ACTIONS

    if args.action in INSTALL_ACTIONS:
        from .install import run as run_install

        return run_install(args)
    from .cli import run as run_action

    return run_action(args)
