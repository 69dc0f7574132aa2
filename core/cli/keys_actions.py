"""The work behind ``answerprint keys`` (its parser is ``keys_cmd``): imported only when the command runs."""
from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from ..errors import OutputError, UsageError
from ..packs import init_production, list_productions, load_private_key, load_production, production_public_keys
from ..packs.signing import create_production_key, key_id, private_key_path, public_key_pem


def _out() -> Console:
    return Console(soft_wrap=True, highlight=False)


def _run_init(args: argparse.Namespace) -> int:
    existing = private_key_path(args.production)
    if existing.exists():
        raise UsageError("this user already has a signing key for the production; it is never overwritten "
                         "(move it away first if you really mean to replace it)", existing)
    production = init_production(args.production, args.name, tuple(args.approved_root), args.library)
    identifier = create_production_key(production)
    out = _out()
    out.print(f"production {escape(production.id)} ({escape(production.name)}): signing key {identifier} created")
    out.print(f"  private key (keep it here, never share): {escape(str(private_key_path(production.id)))}")
    out.print(f"  public key (travels with the library):   "
              f"{escape(str(production.public_keys_folder / (identifier + '.pem')))}")
    roots = ", ".join(production.approved_media_roots) or "none yet (training will refuse every clip)"
    out.print(f"  approved media roots: {escape(roots)}")
    return 0


def _run_list(args: argparse.Namespace) -> int:
    productions = [load_production(args.production, args.library)] if args.production else \
        list_productions(args.library)
    out = _out()
    if not productions:
        out.print("no productions in the library; run: answerprint keys init --production ID")
    for production in productions:
        mine = private_key_path(production.id)
        local = key_id(load_private_key(production.id).public_key()) if mine.exists() else None
        out.print(f"[bold]{escape(production.id)}[/] ({escape(production.name)}), created {production.created}")
        for identifier in production_public_keys(production):
            out.print(f"  key {identifier}" + ("  (this user's private key is here)" if identifier == local else ""))
        out.print("  approved media roots: " + (escape(", ".join(production.approved_media_roots)) or "none"))
    return 0


def _run_export(args: argparse.Namespace) -> int:
    pem = public_key_pem(load_private_key(args.production).public_key())
    if args.output is None:
        print(pem, end="")
        return 0
    try:
        Path(args.output).write_text(pem, encoding="ascii")
    except OSError as error:
        raise OutputError(f"cannot write the public key: {error.strerror or error}", args.output) from None
    _out().print(f"wrote the public key of production {escape(args.production)} to {escape(args.output)}")
    return 0


def run(args: argparse.Namespace) -> int:
    handlers = {"init": _run_init, "list": _run_list, "export-public": _run_export}
    return handlers[args.keys_action](args)
