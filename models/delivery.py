"""Where a trained pack goes: installed in the production's library, and a copy where ``--out`` asks.

Every trainer installs what it makes in the production's library, as the next version of its name
(``<library>/<production>/packs/<effect>/<name>/<version>/``), where every machine of the production finds it
by reference (``effect/name[@version]``); nothing is written in the current folder. ``--out`` exports a copy
as well: for a pack file, the pack, the variants its manifest lists (beside it, under the names recorded) and
its report; for a look, every file of its delivery folder (pack, Gather twin, ``.cube`` files, CDL, report).
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Iterator

from answerprint.core.atomic import write_atomically
from answerprint.core.errors import OutputError, PackError, UsageError
from answerprint.core.packs import Production, read_manifest
from answerprint.core.packs.library import next_version
from answerprint.core.packs.production import production_folder

def check_pack_out(out: str | os.PathLike | None) -> None:
    """Refuse, before training, an ``--out`` that cannot take a pack copy (not an ``.onnx`` name).

    Raises
    ------
    UsageError
        When ``out`` does not end in ``.onnx`` or names a folder.
    """
    if out is None:
        return
    if Path(out).suffix.lower() != ".onnx" or os.path.isdir(out):
        raise UsageError("--out names the .onnx file the pack's copy is written to", os.fspath(out))


def _copy(source: Path, target: Path) -> Path:
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        return write_atomically(target, source.read_bytes())
    except OSError as error:
        raise OutputError(f"cannot write the copy ({error.strerror or error})", target) from None


def export_copy(pack: Path, report: Path | None, out: str | os.PathLike) -> list[Path]:
    """Copy an installed pack, its listed variants and its report to ``out``; returns the files written.

    The report goes beside ``out`` as ``<out stem>.report.html``.

    Raises
    ------
    OutputError
        When a copy cannot be written.
    PackError
        When the installed pack's manifest cannot be read.
    """
    target = Path(out)
    written = [_copy(pack, target)]
    for variant in read_manifest(pack.read_bytes(), str(pack)).variants.values():
        written.append(_copy(pack.parent / variant["file"], target.with_name(variant["file"])))
    if report is not None:
        written.append(_copy(report, target.with_name(target.stem + ".report.html")))
    return written


def install_folder(production: Production, effect: str, name: str, version: str | None,
                   library: str | os.PathLike | None = None) -> "_Installer":
    """A context manager staging a delivery folder and installing it as ``effect/name/<version>`` when the block
    ends without error (next version when ``version`` is None); on error nothing is installed.

    Raises
    ------
    PackError
        When that version is installed already (installed packs never change).
    """
    folder = production_folder(production.id, library) / "packs" / effect / name
    chosen = version or next_version(production.id, effect, name, library)
    if (folder / chosen).exists():
        raise PackError(f"{effect}/{name}@{chosen} is already installed; installed packs never change: train it "
                        "as a new version (leave --version out)", folder / chosen)
    return _Installer(folder, chosen)


class _Installer:
    """Stages files in ``<folder>/.<version>.partial-<pid>`` and renames it to ``<folder>/<version>``."""

    def __init__(self, folder: Path, version: str):
        self.folder, self.version = folder, version
        self.staging = folder / f".{version}.partial-{os.getpid()}"
        self.target = folder / version

    def __enter__(self) -> "_Installer":
        self.staging.mkdir(parents=True, exist_ok=False)
        return self

    def __exit__(self, kind: object, error: object, trace: object) -> None:
        if kind is None:
            try:
                os.rename(self.staging, self.target)
                return
            except OSError as problem:
                shutil.rmtree(self.staging, ignore_errors=True)
                raise OutputError(f"cannot install the delivery ({problem.strerror or problem})",
                                  self.target) from None
        shutil.rmtree(self.staging, ignore_errors=True)

    def installed(self, path: Path) -> Path:
        """Where a file staged at ``path`` lies once installed."""
        return self.target / Path(path).relative_to(self.staging)


def copy_folder(folder: Path, out: str | os.PathLike) -> list[Path]:
    """Copy every file of an installed delivery folder into ``out`` (created); returns the files written.

    Raises
    ------
    OutputError
        When ``out`` is a file, or a copy cannot be written.
    """
    target = Path(out)
    if target.exists() and not target.is_dir():
        raise OutputError("--out names a folder for the copy, and this is a file", target)
    return [_copy(path, target / path.name) for path in _files(folder)]


def _files(folder: Path) -> Iterator[Path]:
    return (path for path in sorted(folder.iterdir()) if path.is_file())
