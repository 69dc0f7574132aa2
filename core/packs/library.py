"""The per-production model library: installed packs, versions side by side.

Layout (the library root is ``paths.library_root()``: per user, or a facility-wide shared folder)::

    <library>/<production>/packs/<effect>/<name>/<version>/<name>.onnx        the pack
    <library>/<production>/packs/<effect>/<name>/<version>/<name>.fp16.onnx   its fp16 variant, if any

Installed packs are immutable: installing different bytes under an installed version is refused.
A library reference is ``[production/]effect/name[@version]``; without a version the highest one wins.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import PackError, UsageError
from .manifest import Manifest, version_key
from .pack import Pack, load_pack, read_manifest, read_model_bytes, write_pack
from .production import list_productions, load_production, production_folder

PACKS_FOLDER = "packs"
_VERSION = re.compile(r"^[0-9]{1,9}(?:\.[0-9]{1,9}){0,2}$")
_REFERENCE = re.compile(r"^(?:(?P<production>[A-Za-z0-9][A-Za-z0-9_-]{0,63})/)?(?P<effect>[a-z][a-z0-9_]{0,63})/"
                        r"(?P<name>[A-Za-z0-9][A-Za-z0-9_-]{0,63})(?:@(?P<version>[0-9]{1,9}(?:\.[0-9]{1,9}){0,2}))?$")


@dataclass(frozen=True)
class LibraryEntry:
    """One installed pack as ``packs list`` shows it.

    Attributes
    ----------
    path : Path
        The pack file.
    manifest : Manifest or None
        Its manifest, when readable.
    problem : str or None
        Why the pack would be refused, in one line; None when it verifies.
    """

    path: Path
    manifest: Manifest | None
    problem: str | None

    @property
    def verified(self) -> bool:
        return self.problem is None


def pack_folder(manifest: Manifest, library: str | os.PathLike | None = None) -> Path:
    """Where a pack with ``manifest`` is installed: ``.../packs/<effect>/<name>/<version>``."""
    return (production_folder(manifest.production_id, library) / PACKS_FOLDER / manifest.effect / manifest.name
            / manifest.version)


def _install_file(pack: Pack, target: Path) -> None:
    if target.exists():
        if read_model_bytes(target) == pack.model_bytes:
            return
        raise PackError(f"{pack.pack_id} is already installed with different content; installed packs never "
                        "change: export it under a new version", target)
    write_pack(pack.model_bytes, target)


def install_pack(path: str | os.PathLike, production: str, library: str | os.PathLike | None = None) -> Pack:
    """Verify a pack (and its fp16 variant, if it lists one) and copy it into the production's library.

    Installing the same bytes again is a no-op.

    Parameters
    ----------
    path : path
        The exported ``.onnx`` pack; a listed fp16 variant must sit beside it.
    production : str
        The production whose library receives it; the pack must be made and signed for it.

    Returns
    -------
    Pack
        The installed copy, verified.

    Raises
    ------
    PackError
        Any refusal of ``load_pack``, a variant that is missing or does not match the hash its main pack
        records, or an installed version with different content.
    """
    pack = load_pack(path, production, allow_unsigned=False, library=library)
    folder = pack_folder(pack.manifest, library)
    for variant in pack.manifest.variants.values():
        source = Path(pack.path).parent / variant["file"]
        variant_pack = load_pack(source, production, allow_unsigned=False, library=library)
        if variant_pack.sha256 != variant["sha256"]:
            raise PackError(f"the variant does not match the hash {pack.pack_id} records for it", source)
        _install_file(variant_pack, folder / variant["file"])
    suffix = ".onnx" if pack.manifest.precision == "fp32" else f".{pack.manifest.precision}.onnx"
    target = folder / f"{pack.manifest.name}{suffix}"
    _install_file(pack, target)
    return load_pack(target, production, allow_unsigned=False, library=library)


def next_version(production: str, effect: str, name: str, library: str | os.PathLike | None = None) -> str:
    """One more than the highest installed whole-number version of ``effect/name`` (``"1"`` for the first)."""
    folder = production_folder(production, library) / PACKS_FOLDER / effect / name
    versions = [int(p.name) for p in folder.glob("*") if p.is_dir() and p.name.isdigit()] if folder.is_dir() else []
    return str(max(versions, default=0) + 1)


def _main_pack_files(production_id: str, library: str | os.PathLike | None) -> list[Path]:
    root = production_folder(production_id, library) / PACKS_FOLDER
    if not root.is_dir():
        return []
    return sorted((p for p in root.glob("*/*/*/*.onnx")
                   if p.name == f"{p.parent.parent.name}.onnx" and _VERSION.match(p.parent.name)),
                  key=lambda p: (p.parent.parent.parent.name, p.parent.parent.name, version_key(p.parent.name)))


def list_packs(production: str | None = None, library: str | os.PathLike | None = None) -> list[LibraryEntry]:
    """Every installed pack of ``production`` (or of every production), each verified.

    Raises
    ------
    UnknownProductionError
        When ``production`` is given but not in the library.
    """
    productions = [load_production(production, library)] if production else list_productions(library)
    entries = []
    for prod in productions:
        for path in _main_pack_files(prod.id, library):
            try:
                pack = load_pack(path, prod.id, allow_unsigned=False, library=library)
                entries.append(LibraryEntry(path, pack.manifest, None))
            except PackError as error:
                try:
                    manifest: Manifest | None = read_manifest(read_model_bytes(path), str(path))
                except PackError:
                    manifest = None
                entries.append(LibraryEntry(path, manifest, error.what))
    return entries


def find_pack(spec: str | os.PathLike, production: str | None = None,
              library: str | os.PathLike | None = None) -> Path:
    """Resolve a pack path or library reference ``[production/]effect/name[@version]`` to a pack file.

    Parameters
    ----------
    spec : str or path
        An existing ``.onnx`` file, or a library reference (latest version when none is given).
    production : str, optional
        Where to look up a reference without a production part; None searches every production.

    Raises
    ------
    UsageError
        When ``spec`` is neither an existing file nor a well-formed reference, or a reference without a
        production matches packs of several productions.
    PackError
        When the reference names no installed pack or version.
    """
    text = os.fspath(spec)
    if os.path.isfile(text):
        return Path(text).absolute()
    match = _REFERENCE.match(text)
    if match is None:
        raise UsageError("no such pack file, and not a library reference [production/]effect/name[@version]",
                         text)
    production_id = match["production"] or production
    candidates = [production_id] if production_id else [p.id for p in list_productions(library)]
    found = [(pid, folder) for pid in candidates
             if (folder := production_folder(pid, library) / PACKS_FOLDER / match["effect"] / match["name"]).is_dir()]
    if not found:
        where = f"production {production_id}" if production_id else "any production"
        raise PackError(f"no pack {match['effect']}/{match['name']} is installed for {where}", text)
    if len(found) > 1:
        raise UsageError(f"several productions have {match['effect']}/{match['name']}: "
                         f"{', '.join(pid for pid, _ in found)}; pass --production", text)
    folder = found[0][1]
    versions = sorted((p.name for p in folder.iterdir()
                       if _VERSION.match(p.name) and (p / f"{match['name']}.onnx").is_file()), key=version_key)
    if not versions:
        raise PackError("no version of this pack is installed", folder)
    version = match["version"] or versions[-1]
    if version not in versions:
        raise PackError(f"version {version} is not installed; installed: {', '.join(versions)}", text)
    return folder / version / f"{match['name']}.onnx"


def open_pack_for_job(spec: str | os.PathLike, effect: str, production: str | None,
                      library: str | os.PathLike | None = None) -> Pack:
    """Resolve, load and verify the pack a render job names, and check it serves the job's effect.

    The developer override is read from ``ANSWERPRINT_DEVELOPER_SKIP_VERIFY`` (see ``load_pack``).

    Raises
    ------
    PackError
        Any refusal of ``find_pack`` or ``load_pack``, or a pack made for another effect.
    """
    pack = load_pack(find_pack(spec, production, library), production, library=library)
    if pack.manifest.effect != effect:
        raise PackError(f"this pack is for the {pack.manifest.effect} effect, not {effect}", pack.path)
    return pack
