"""``answerprint packs list | inspect PACK | verify PACK | install PACK | export PACK``: a production's model library.

``inspect`` prints what a production lawyer asks about a model: whose it is, whether its signature holds,
which footage trained it (every clip with its content hash and frame ranges), under which approved roots or
override, who trained it where and when, how, and how well it matches torch; and what apply reads from it
(the effect's pack contract, e.g. cleanup's motion settings and defect maps). ``verify`` exits non-zero with
the one-line reason when a pack would be refused, including by this answerprint's effect (a parameter or
contract field that differs: exit 6). ``export --for HOST`` writes the pack's effect as files Flame, Nuke, Houdini
or onnxruntime run (``models.hosts.export``, which needs torch and onnx).
"""
from __future__ import annotations

import argparse

NAME = "packs"
HELP = "List, inspect, verify, install and export the model packs of a production's library."
#: Hosts ``packs export --for`` writes for (``answerprint.models.hosts.export``).
HOSTS = ("flame", "nuke", "houdini", "onnx")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="packs_action", metavar="ACTION", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--library", help="model library folder (default: $ANSWERPRINT_SHARED_LIBRARY or the "
                                          "user's)")
    common.add_argument("--json", action="store_true", help="machine-readable output")
    listing = actions.add_parser("list", parents=[common], help="installed packs, each verified")
    listing.add_argument("--production", help="only this production (default: every production)")
    for name, summary in (("inspect", "identity, signature, I/O, parameters and full training provenance"),
                          ("verify", "check a pack as a render would; exit non-zero with the reason if refused"),
                          ("install", "verify a pack and copy it into its production's library")):
        action = actions.add_parser(name, parents=[common], help=summary)
        action.add_argument("pack", metavar="PACK", help="a .onnx pack or a library reference "
                                                         "[production/]effect/name[@version]")
        action.add_argument("--production", required=name == "install",
                            help="the production the pack must belong to")
    actions.choices["verify"].add_argument(
        "--developer-skip-verify", action="store_true",
        help="DEVELOPERS ONLY: load even if unsigned, tampered or foreign, warning about each skipped check")
    export = actions.add_parser("export", parents=[common], help="the pack's effect as a single-frame model another "
                                "host runs (needs answerprint[train]; see docs/hosts.md)")
    export.add_argument("pack", metavar="PACK", help="a .onnx pack or a library reference "
                                                     "[production/]effect/name[@version]")
    export.add_argument("--for", dest="host", required=True, choices=HOSTS,
                        help="flame: ONNX + Flame JSON sidecars; nuke: TorchScript for CatFileCreator; houdini, "
                             "onnx: ONNX (fp32 and fp16)")
    export.add_argument("--out", required=True, metavar="DIR", help="folder the files are written to")
    export.add_argument("--production", help="the production the pack must belong to")
    export.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                        help="effect parameter to bake (repeatable), e.g. --param strength=0.8")


def run(args: argparse.Namespace) -> int:
    from .packs_actions import run as run_action

    return run_action(args)
