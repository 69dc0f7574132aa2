"""The ``answerprint`` command line: one entry point, one small module per subcommand.

A subcommand is any object with ``NAME``, ``HELP``, ``add_arguments(parser)`` and ``run(args) -> int``.
Core's own live in this package; ``train`` (torch) and ``panel`` (Qt) are advertised by ``models`` and ``ui``
through the ``answerprint.commands`` entry-point group, so core never imports torch or Qt.
Errors become one line on stderr and the exit code of their ``AnswerprintError`` class.

Start-up is kept to a blink (``bench/bench_startup.py``): command modules import only ``argparse`` at module
level and their real dependencies inside ``run``, and only the command being run gets its arguments built,
so ``answerprint --help`` imports no numpy, and ``probe`` only what reading a file needs.
"""
from __future__ import annotations

import argparse
import ctypes
import importlib
import os
import sys
from types import ModuleType

from ..errors import AnswerprintError

_CORE_COMMANDS = ("probe", "apply", "packs", "keys", "render", "continuity", "demo")
_ORDER = ["probe", "apply", "train", "packs", "keys", "render", "continuity", "panel", "demo"]
_M_ARENA_MAX = -8  # glibc's mallopt parameter number


def _share_one_malloc_arena() -> None:
    """Ask glibc to serve every thread from one malloc arena (as ``MALLOC_ARENA_MAX=1``); nothing elsewhere.

    A render's decode, process and encode threads (and onnxruntime's, OpenCV's, FFmpeg's) allocate
    frame-sized buffers, often freed by another thread than the one that made them. With an arena per thread
    each keeps its own high-water of freed buffers: ``apply cleanup`` on 1080p ProRes peaked at 1.04 GB
    resident with them and 0.93 GB with one, for the same CPU time (the buffers are few and large, so the
    lock is not busy). It must come before any thread allocates, hence here, first.
    """
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL("libc.so.6").mallopt(_M_ARENA_MAX, 1)
        except (OSError, AttributeError):  # not glibc
            pass


def _core_command(name: str) -> ModuleType:
    return importlib.import_module(f"answerprint.core.cli.{name}_cmd")


def _plugin_commands() -> dict[str, object]:
    """Commands other parts advertise (``train`` from models, ``panel`` from ui); they import lazily."""
    from importlib.metadata import entry_points

    return {ep.name: ep for ep in entry_points(group="answerprint.commands")}


def _version() -> str:
    from .. import __version__

    return f"answerprint {__version__}"


class _VersionAction(argparse.Action):
    """``--version``, read from the installed metadata only when asked."""

    def __init__(self, option_strings: list[str], dest: str = argparse.SUPPRESS, **kwargs: object):
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, help="show the version and exit")

    def __call__(self, parser: argparse.ArgumentParser, *args: object) -> None:
        print(_version())
        parser.exit()


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The parser; only the command named in ``argv`` (every command when None) gets its arguments."""
    parser = argparse.ArgumentParser(
        prog="answerprint",
        description="Per-production AI effects for colorists and assistant editors: cleanup, color match, relight.",
    )
    parser.add_argument("--version", action=_VersionAction)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    commands: dict[str, object] = {name: _core_command(name) for name in _CORE_COMMANDS}
    for name, ep in _plugin_commands().items():
        commands[name] = ep
    chosen = None if argv is None else next((a for a in argv if not a.startswith("-")), "")
    for name in sorted(commands, key=lambda n: _ORDER.index(n) if n in _ORDER else len(_ORDER)):
        command = commands[name]
        if not isinstance(command, ModuleType):
            command = commands[name] = command.load()  # type: ignore[attr-defined]
        cmd_parser = sub.add_parser(name, help=command.HELP, description=command.HELP)
        if chosen is None or chosen == name:
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
    _share_one_malloc_arena()
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(argv)
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
