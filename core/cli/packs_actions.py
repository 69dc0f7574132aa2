"""The work behind ``answerprint packs`` (its parser is ``packs_cmd``): imported only when the command runs."""
from __future__ import annotations

import argparse
import hashlib
import json
import warnings
from typing import Any

from rich.console import Console
from rich.markup import escape

from ..effects import available_effects
from ..errors import PackError
from ..packs import Manifest, Pack, find_pack, install_pack, list_packs, load_pack, read_manifest, read_model_bytes
from ..packs.pack import VerificationSkippedWarning


def _out() -> Console:
    return Console(soft_wrap=True, highlight=False)


def _verify(path: str, production: str | None, library: str | None, skip: bool) -> tuple[Pack, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", VerificationSkippedWarning)
        pack = load_pack(path, production, allow_unsigned=skip, library=library)
    _effect_contract(pack.manifest, pack.path)
    return pack, [str(w.message) for w in caught if issubclass(w.category, VerificationSkippedWarning)]


def _effect_contract(manifest: Manifest, where: str) -> Any:
    """What the installed effect reads from the pack (``Effect.pack_contract``), or None when it reads only the
    graph or is not installed here.

    Raises
    ------
    PackError
        When the effect refuses the pack.
    """
    effect = available_effects().get(manifest.effect)
    if effect is None or effect.pack_contract is None:
        return None
    return effect.pack_contract(manifest, where)


def _run_list(args: argparse.Namespace) -> int:
    entries = list_packs(args.production, args.library)
    if args.json:
        print(json.dumps([{"path": str(e.path), "pack_id": e.manifest.pack_id if e.manifest else None,
                           "created": e.manifest.created if e.manifest else None,
                           "variants": sorted(e.manifest.variants) if e.manifest else [],
                           "verified": e.verified, "problem": e.problem} for e in entries], indent=2))
        return 0
    out = _out()
    if not entries:
        out.print("no packs installed" + (f" for production {args.production}" if args.production else ""))
        return 0
    for entry in entries:
        label = entry.manifest.pack_id if entry.manifest else str(entry.path)
        extra = f"  created {entry.manifest.created}" if entry.manifest else ""
        extra += "  +fp16" if entry.manifest and entry.manifest.variants.get("fp16") else ""
        status = "[green]verified[/]" if entry.verified else f"[red]REFUSED: {escape(entry.problem or '')}[/]"
        out.print(f"{escape(label)}{extra}  {status}")
    return 0


def _signature_status(path: str, production: str | None, library: str | None) -> dict[str, Any]:
    try:
        pack = load_pack(path, production, allow_unsigned=False, library=library)
    except PackError as error:
        return {"valid": False, "refused_because": error.what, "error": type(error).__name__}
    return {"valid": True, "key_id": pack.signed_by, "production": pack.manifest.production_id}


def _print_manifest(out: Console, manifest: Manifest, path: str, sha256: str, status: dict[str, Any]) -> None:
    data = manifest.to_dict()
    identity, io, provenance, parity = data["identity"], data["io"], data["provenance"], data["parity"]
    out.print(f"[bold]Pack {escape(manifest.pack_id)}[/] ({manifest.precision})")
    out.print(f"  file      {escape(path)}")
    out.print(f"  sha256    {sha256}")
    if status["valid"]:
        out.print(f"  signature [green]VALID[/]: signed by key {status['key_id']}, a key of production "
                  f"{escape(manifest.production_id)} ({escape(manifest.production_name)})")
    else:
        out.print(f"  signature [red]REFUSED[/] ({status['error']}): {escape(status['refused_because'])}")
    out.print("[bold]Identity[/]")
    out.print(f"  production {escape(manifest.production_id)} ({escape(manifest.production_name)})")
    out.print(f"  effect {manifest.effect}, name {manifest.name}, version {manifest.version}, "
              f"created {manifest.created}")
    upgraded = f" (upgraded on read from {manifest.stored_schema})" if manifest.stored_schema != data["schema"] else ""
    out.print(f"  manifest schema {data['schema']}{upgraded}")
    if identity.get("description"):
        out.print(f"  {escape(identity['description'])}")
    out.print("  software " + ", ".join(f"{k} {v}" for k, v in sorted(identity["software"].items()))
              + f"; opset {identity['opset']}")
    out.print("[bold]I/O[/]")
    out.print(f"  working space {escape(io['working_space'])}, size multiple {io['size_multiple']}, temporal "
              f"window {io['temporal_window']} frame(s)"
              + (f", ~{io['bytes_per_pixel']:.0f} bytes/pixel" if io.get("bytes_per_pixel") else ""))
    for side in ("inputs", "outputs"):
        for t in io[side]:
            bounds = t.get("value_range")
            value_range = "unbounded" if bounds is None else f"{bounds[0]}..{bounds[1]}"
            out.print(f"  {side[:-1]:6} {escape(t['name'])}: {t['role']} {t['layout']} {t['dtype']}, "
                      f"channels {t.get('channels') or 'any'}, range {value_range}, "
                      f"colour space {escape(t.get('color_space') or io['working_space'])}")
    out.print("[bold]Parameters[/]")
    bindings = {b.param: b for b in manifest.bindings}
    if not data["parameters"]["schema"]:
        out.print("  none")
    for param in data["parameters"]["schema"]:
        how = bindings[param["name"]].describe()
        has_bounds = "minimum" in param or "maximum" in param
        bounds = f" [{param.get('minimum')}, {param.get('maximum')}]" if has_bounds else ""
        out.print(f"  {param['name']}: {param['kind']}, default {param['default']!r}{bounds} "
                  f"{param.get('unit', '')} -> {how}")
    _print_contract(out, manifest, path)
    out.print("[bold]Training provenance[/]")
    trained_by = provenance["trained_by"]
    out.print(f"  trained by {escape(trained_by['user'])} on host {escape(trained_by['host'])}, finished "
              f"{provenance['trained_at']}")
    out.print("  approved media roots: " + (escape(", ".join(provenance["approved_media_roots"])) or "none"))
    override = provenance["approved_media_override"]
    if override is None:
        out.print("  approved-media override: none (every source lies under an approved root)")
    else:
        out.print(f"  [red]approved-media OVERRIDE[/] by {escape(override['by'])} at {override['at']}: "
                  f"{escape(override['reason'])}")
        for overridden in override["paths"]:
            out.print(f"    outside the approved roots: {escape(overridden)}")
    out.print(f"  source clips ({len(provenance['sources'])}):")
    for clip in provenance["sources"]:
        ranges = ", ".join(f"{first}-{last}" for first, last in clip["frame_ranges"])
        root = f"under {escape(clip['approved_root'])}" if clip["approved_root"] else "[red]under override[/]"
        out.print(f"    {escape(clip['path'])}\n      sha256 {clip['sha256']}  frames {ranges}  {root}")
    out.print("  training config: " + escape(json.dumps(provenance["training_config"], sort_keys=True)))
    metrics = provenance["validation_metrics"]
    out.print("  validation metrics: " + (", ".join(f"{k} {v:g}" for k, v in sorted(metrics.items())) or "none"))
    out.print("[bold]Parity at export[/]")
    out.print(f"  max |torch - onnxruntime| = {parity['max_abs_diff']:.3g} (tolerance {parity['tolerance']:g}); "
              f"{escape(parity['reference'])} vs {escape(parity['runtime'])}")
    for described in parity["inputs"]:
        out.print(f"    on {escape(described)}")
    for name, variant in manifest.variants.items():
        out.print(f"[bold]Variant {name}[/]: {escape(variant['file'])} sha256 {variant['sha256']}")


def _print_contract(out: Console, manifest: Manifest, path: str) -> None:
    """What the effect reads from the pack, or why this answerprint's effect refuses it."""
    try:
        contract = _effect_contract(manifest, path)
    except PackError as error:
        out.print(f"[bold]What apply reads[/]\n  [red]REFUSED by this answerprint's {manifest.effect} effect[/]: "
                  f"{escape(error.what)}")
        return
    if contract is not None:
        out.print("[bold]What apply reads[/]")
        for line in contract.lines():
            out.print(escape(line))


def _run_inspect(args: argparse.Namespace) -> int:
    path = str(find_pack(args.pack, args.production, args.library))
    model = read_model_bytes(path)
    manifest = read_manifest(model, path)
    status = _signature_status(path, args.production, args.library)
    sha256 = hashlib.sha256(model).hexdigest()
    if args.json:
        print(json.dumps({"path": path, "sha256": sha256, "signature": status, "manifest": manifest.to_dict()},
                         indent=2))
    else:
        _print_manifest(_out(), manifest, path, sha256, status)
    return 0


def _run_verify(args: argparse.Namespace) -> int:
    path = str(find_pack(args.pack, args.production, args.library))
    pack, skipped = _verify(path, args.production, args.library, args.developer_skip_verify)
    for message in skipped:
        Console(stderr=True, soft_wrap=True).print(f"[bold red]WARNING: {escape(message)}[/]")
    if args.json:
        print(json.dumps({"path": pack.path, "pack_id": pack.pack_id, "sha256": pack.sha256,
                          "verified": pack.verified, "key_id": pack.signed_by,
                          "skipped_checks": list(pack.skipped_checks)}, indent=2))
    elif pack.verified:
        _out().print(f"OK {escape(pack.pack_id)}: signed by key {pack.signed_by} of production "
                     f"{escape(pack.manifest.production_id)}; graph matches its manifest")
    else:
        _out().print(f"LOADED WITHOUT VERIFICATION {escape(pack.pack_id)} (developer override)")
    return 0


def _run_install(args: argparse.Namespace) -> int:
    pack = install_pack(args.pack, args.production, args.library)
    if args.json:
        print(json.dumps({"path": pack.path, "pack_id": pack.pack_id, "sha256": pack.sha256}, indent=2))
    else:
        _out().print(f"installed {escape(pack.pack_id)} at {escape(pack.path)}")
    return 0


def _run_export(args: argparse.Namespace) -> int:
    from ..params import parse_assignments
    from . import import_extra

    hosts = import_extra("answerprint.models.hosts.export", "train")
    files = hosts.export_for_host(args.pack, args.host, args.out, production=args.production,
                                  params=parse_assignments(args.param), library=args.library)
    if args.json:
        print(json.dumps([{"path": str(f.path), "kind": f.kind, "max_abs_diff": f.max_abs_diff} for f in files],
                         indent=2))
        return 0
    out = _out()
    for exported in files:
        parity = "" if exported.max_abs_diff is None else f"  max |diff| vs answerprint {exported.max_abs_diff:.2g}"
        out.print(f"{escape(str(exported.path))}  ({exported.kind}){parity}")
    return 0


def run(args: argparse.Namespace) -> int:
    handlers = {"list": _run_list, "inspect": _run_inspect, "verify": _run_verify, "install": _run_install,
                "export": _run_export}
    return handlers[args.packs_action](args)
