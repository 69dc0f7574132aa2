"""The ``answerprint`` command line: one entry point, one small module per subcommand.

A subcommand is any object with ``NAME``, ``HELP``, ``add_arguments(parser)`` and ``run(args) -> int``.
Core's own live in this package; ``train`` (torch) and ``panel`` (Qt) are advertised by ``models`` and ``ui``
through the ``answerprint.commands`` entry-point group, so core never imports torch or Qt.
Errors become one line on stderr and the exit code of their ``AnswerprintError`` class.
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys
from importlib.metadata import entry_points
from types import ModuleType

from .. import __version__
from ..errors import AnswerprintError

_CORE_COMMANDS = ("probe", "apply", "packs", "keys", "render", "continuity", "demo")


def _core_command(name: str) -> ModuleType:
    return importlib.import_module(f"answerprint.core.cli.{name}_cmd")


def _plugin_commands() -> dict[str, object]:
    """Commands other parts advertise (``train`` from models, ``panel`` from ui); they import lazily."""
    return {ep.name: ep for ep in entry_points(group="answerprint.commands")}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="answerprint",
        description="Per-production AI effects for colorists and assistant editors: cleanup, color match, relight.",
    )
    parser.add_argument("--version", action="version", version=f"answerprint {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    commands = {name: _core_command(name) for name in _CORE_COMMANDS}
    for name, ep in _plugin_commands().items():
        commands[name] = ep.load()  # type: ignore[attr-defined]
    order = ["probe", "apply", "train", "packs", "keys", "render", "continuity", "panel", "demo"]
    for name in sorted(commands, key=lambda n: order.index(n) if n in order else len(order)):
        command = commands[name]
        cmd_parser = sub.add_parser(name, help=command.HELP, description=command.HELP)
        command.add_arguments(cmd_parser)
        cmd_parser.set_defaults(_run=command.run)
    return parser


def import_extra(module: str, extra: str) -> ModuleType:
    """Import a module of an optional part (torch for ``train``, PySide6 for ``panel``) or say how to get it.

    Raises
    ------
    AnswerprintError
        When the module is not installed, naming the ``pip install`` that brings it.
    """
    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise AnswerprintError(f"{error.name or module} is not installed; run: pip install 'answerprint[{extra}]'") from None


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args._run(args) or 0)
    except AnswerprintError as error:
        print(f"answerprint {args.command}: error: {error.one_line()}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print(f"answerprint {args.command}: cancelled", file=sys.stderr)
        return 130
    except Exception as error:  # an unexpected failure still gets one line; the traceback on request
        if os.environ.get("ANSWERPRINT_DEBUG"):
            raise
        print(f"answerprint {args.command}: internal error: {type(error).__name__}: {error} "
              "(set ANSWERPRINT_DEBUG=1 for the traceback)", file=sys.stderr)
        return 70


