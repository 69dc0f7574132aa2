"""``answerprint keys init | list | export-public``: a production's signing keys.

``keys init --production P`` sets the production up in the model library (name, approved media roots) and
makes this user's Ed25519 key for it: the private key stays in the user's config folder (mode 0600), the
public key goes into the library, where every machine verifying P's packs reads it. An existing private key
is never overwritten.
"""
from __future__ import annotations

import argparse

NAME = "keys"
HELP = "Create and list the per-production signing keys that model packs are signed with."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="keys_action", metavar="ACTION", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--library", help="model library folder (default: $ANSWERPRINT_SHARED_LIBRARY or the "
                                          "user's)")
    init = actions.add_parser("init", parents=[common], help="set up a production and make this user's key for it")
    init.add_argument("--production", required=True, help="production id (letters, digits, '_' or '-')")
    init.add_argument("--name", help="the production's full name (default: its id)")
    init.add_argument("--approved-root", action="append", default=[], metavar="DIR",
                      help="a folder whose footage may train this production's models (repeatable)")
    listing = actions.add_parser("list", parents=[common], help="productions, their public keys and approved roots")
    listing.add_argument("--production", help="only this production")
    export = actions.add_parser("export-public", parents=[common],
                                help="print this user's public key for a production (PEM), to send to others")
    export.add_argument("--production", required=True)
    export.add_argument("--output", help="write the PEM to this file instead of printing it")


def run(args: argparse.Namespace) -> int:
    from .keys_actions import run as run_action

    return run_action(args)
