"""The command line of the Resolve adapter, shared by ``python -m answerprint.plugin.resolve`` and
``answerprint resolve``: its actions and their arguments.

Standard library only, so that ``answerprint resolve install`` runs in an environment holding nothing but
answerprint (building the parser must not import what the actions need).
"""
from __future__ import annotations

import argparse

from .install import add_arguments as add_install_arguments
from .settings import DEFAULT_HANDLES

PROGRAM = "answerprint resolve"
#: Actions that neither connect to Resolve nor need more than the standard library.
INSTALL_ACTIONS = ("install", "uninstall")


def add_actions(parser: argparse.ArgumentParser) -> None:
    """Every action's arguments on ``parser`` (``python -m answerprint.plugin.resolve`` or ``answerprint
    resolve``)."""
    parser.add_argument("--settings", help="resolve.json to use (default: the per-user one, else all users')")
    parser.add_argument("--status", metavar="FILE", help="the job's status file (written for the menu scripts)")
    parser.add_argument("--log", metavar="FILE", help="the log the job's output goes to (named in messages)")
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

    def items_option(action: argparse.ArgumentParser) -> None:
        action.add_argument("--whole-timeline", action="store_true",
                            help="every clip of every video track instead of the selected clips")

    apply = sub.add_parser("apply", help="render the selected clips through an effect, back as new takes")
    apply.add_argument("effect", metavar="EFFECT", help="cleanup, relight, exposure, ...")
    apply.add_argument("--param", action="append", default=[], metavar="NAME=VALUE", help="effect parameter")
    apply.add_argument("--pack", help="model pack: library reference effect/name[@version] or .onnx path")
    apply.add_argument("--production", help="the production the job belongs to")
    apply.add_argument("--handles", type=int, help=f"extra frames each side (default {DEFAULT_HANDLES})")
    apply.add_argument("--input-space", help="OCIO colour space of the sources (default from each file)")
    apply.add_argument("--render-folder", help="where rendered takes are written")
    items_option(apply)

    rerender = sub.add_parser("rerender", help="render selected answerprint takes again, as new versions")
    rerender.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                          help="change a recorded parameter")
    rerender.add_argument("--render-folder", help="where rendered takes are written")
    items_option(rerender)

    match = sub.add_parser("colormatch", help="apply a .cube (and CDL) to the selected clips as a native LUT")
    match.add_argument("--cube", help="the .cube the color match produced")
    match.add_argument("--cdl", help="an ASC CDL file (.cc/.cdl/.ccc) fitted with it")
    match.add_argument("--node", type=int, help="node index on the clip's grade (default 1)")
    match.add_argument("--production", help="the production (names the LUT's subfolder)")
    match.add_argument("--lut-folder", help="Resolve's master LUT folder (default per OS)")
    items_option(match)

    check = sub.add_parser("continuity", help="check the current timeline's continuity and mark flagged items")
    check.add_argument("--pack", help="the production's continuity pack (continuity/NAME or .onnx)")
    check.add_argument("--production", help="the production (verifies the pack, names the fixes' LUT folder)")
    check.add_argument("--scene-from", choices=("timeline", "markers", "names", "metadata"),
                       help="where scenes come from (default: metadata, else markers, else names)")
    check.add_argument("--scenes", help="grouping file (JSON or CSV: name, scene, setup, take)")
    check.add_argument("--input-space", help="OCIO colour space of the sources (default from each file)")
    check.add_argument("--out", help="folder for the report (default: <render folder>/continuity/<timeline>)")
    check.add_argument("--render-folder", help="where answerprint writes (the report goes under it)")
    check.add_argument("--fix", action="store_true", help="also put each colour fix on its item's grade")
    check.add_argument("--node", type=int, help="node index for the fix LUT (default 1)")
    check.add_argument("--lut-folder", help="Resolve's master LUT folder (default per OS)")

    train = sub.add_parser("train", help="train a pack from a bin's clips as dailies")
    train.add_argument("--effect", help="effect to train (default cleanup)")
    train.add_argument("--production", help="the production the pack is for")
    train.add_argument("--bin", help="bin path from the media pool root, e.g. 'Dailies/Day 03' (default: current)")
    train.add_argument("--profile", choices=("quick", "full"), help="training profile (default quick)")
    train.add_argument("--allow-unapproved-media", metavar="REASON", help="train on clips outside the approved "
                                                                          "media roots; the reason is recorded")
    train.add_argument("--library", help="model library folder")

    sub.add_parser("panel", help="open the answerprint panel")

    configure = sub.add_parser("configure", help="set the defaults the menu items use")
    configure.add_argument("--production", help="the production jobs belong to")
    configure.add_argument("--render-folder", help="where rendered takes are written")
    configure.add_argument("--job", help="the job whose defaults follow: an effect name, colormatch, continuity or "
                                         "train")
    for option in ("--pack", "--input-space", "--cube", "--cdl", "--effect"):
        configure.add_argument(option)
    configure.add_argument("--param", action="append", default=[], metavar="NAME=VALUE")
    configure.add_argument("--handles", type=int)
    configure.add_argument("--node", type=int)
    configure.add_argument("--profile", choices=("quick", "full"))

    for name, summary in (("install", "put the answerprint menu into Resolve (Workspace › Scripts), registering "
                                      "this environment"),
                          ("uninstall", "take the answerprint menu and its configuration out of Resolve")):
        add_install_arguments(sub.add_parser(name, help=summary, description=summary))
