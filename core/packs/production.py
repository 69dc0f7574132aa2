"""Productions: who a pack belongs to, whose keys may sign it, and which footage may train it.

A production is a folder in the model library::

    <library>/<production id>/production.json     schema answerprint.production/1: id, name,
                                                   approved_media_roots, created
    <library>/<production id>/public_keys/*.pem    the production's Ed25519 public keys (travel with it)
    <library>/<production id>/packs/...            its model packs (see ``library``)

Private keys never live here (see ``signing``). The approved media roots make "no footage without
permission" concrete: training refuses a source outside them unless an explicit, recorded override is given.
"""
from __future__ import annotations

import getpass
import json
import os
import re
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from ..atomic import write_atomically
from ..errors import PackError, UnapprovedMediaError, UnknownProductionError, UsageError
from ..paths import library_root
from .manifest import utc_now

PRODUCTION_SCHEMA = "answerprint.production/1"
PRODUCTION_FILE = "production.json"
PUBLIC_KEYS_FOLDER = "public_keys"
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


@dataclass(frozen=True)
class MediaOverride:
    """An explicit decision to train on footage outside the approved roots; recorded in every pack it touches.

    Attributes
    ----------
    reason : str
        Why, in words a production lawyer can read ("producer approved by e-mail 2026-11-20, ref 4411").
    by : str
        Who decided; defaults to the current user when empty.
    """

    reason: str
    by: str = ""

    def __post_init__(self) -> None:
        if not self.reason.strip():
            raise UsageError("an approved-media override needs a reason", "--approve-media-override")
        if not self.by:
            object.__setattr__(self, "by", _current_user())


def _current_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def current_user_and_host() -> tuple[str, str]:
    """The login name and host name of this process, for provenance records."""
    return _current_user(), socket.gethostname() or "unknown"


def check_production_id(production_id: str) -> str:
    """Return ``production_id`` if it is usable as a folder name (letters, digits, ``_``, ``-``; ≤ 64).

    Raises
    ------
    UsageError
        When it is not.
    """
    if not isinstance(production_id, str) or not _ID.match(production_id):
        raise UsageError("a production id is 1-64 letters, digits, '_' or '-', starting with a letter or digit",
                         repr(production_id))
    return production_id


def production_folder(production_id: str, library: str | os.PathLike | None = None) -> Path:
    """``<library>/<production id>`` (not created).

    Raises
    ------
    UsageError
        When the id is not a valid production id.
    """
    return library_root(library) / check_production_id(production_id)


@dataclass(frozen=True)
class Production:
    """One production as the library records it.

    Attributes
    ----------
    id, name : str
        Short id (folder name, manifests) and human name.
    approved_media_roots : tuple of str
        Absolute, resolved folders whose footage may train this production's models.
    created : str
        ISO 8601 UTC time the production was set up.
    folder : Path
        The production's folder in the library.
    """

    id: str
    name: str
    approved_media_roots: tuple[str, ...]
    created: str
    folder: Path

    @property
    def public_keys_folder(self) -> Path:
        return self.folder / PUBLIC_KEYS_FOLDER

    def check_approved(self, path: str | os.PathLike, override: MediaOverride | None = None) -> str | None:
        """The approved root that holds ``path`` (symbolic links resolved), or None under an override.

        Parameters
        ----------
        path : path
            A source clip (movie file, or image-sequence pattern such as ``shot.%04d.exr``).
        override : MediaOverride, optional
            The explicit permission to use footage outside the roots; the caller records it in the manifest.

        Raises
        ------
        UnapprovedMediaError
            When ``path`` is outside every approved root and no override is given.
        """
        resolved = Path(path).expanduser().resolve()
        for root in self.approved_media_roots:
            if resolved.is_relative_to(root):
                return root
        if override is not None:
            return None
        roots = ", ".join(self.approved_media_roots) or "none set"
        raise UnapprovedMediaError(f"not under an approved media root of production {self.id} ({roots}); "
                                   "add the root to the production or give an explicit, recorded override",
                                   os.fspath(path))

    def to_json(self) -> dict[str, object]:
        return {"schema": PRODUCTION_SCHEMA, "id": self.id, "name": self.name,
                "approved_media_roots": list(self.approved_media_roots), "created": self.created}


def _write(production: Production) -> None:
    production.folder.mkdir(parents=True, exist_ok=True)
    production.public_keys_folder.mkdir(exist_ok=True)
    write_atomically(production.folder / PRODUCTION_FILE, json.dumps(production.to_json(), indent=2) + "\n")


def _resolved_roots(roots: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    out: list[str] = []
    for root in roots:
        resolved = str(Path(root).expanduser().resolve())
        if resolved not in out:
            out.append(resolved)
    return tuple(out)


def load_production(production_id: str, library: str | os.PathLike | None = None) -> Production:
    """The production ``production_id`` from the library.

    Raises
    ------
    UnknownProductionError
        When the library has no such production.
    PackError
        When its ``production.json`` is unreadable or of another schema.
    """
    folder = production_folder(production_id, library)
    record = folder / PRODUCTION_FILE
    if not record.is_file():
        raise UnknownProductionError(f"production {production_id} is not in the model library at "
                                     f"{folder.parent}; run: answerprint keys init --production {production_id}, "
                                     "or point ANSWERPRINT_SHARED_LIBRARY at the facility library")
    try:
        data = json.loads(record.read_text(encoding="utf-8"))
        if data.get("schema") != PRODUCTION_SCHEMA or data.get("id") != production_id:
            raise ValueError(f"expected schema {PRODUCTION_SCHEMA} for production {production_id}")
        return Production(id=production_id, name=str(data["name"]),
                          approved_media_roots=tuple(str(r) for r in data.get("approved_media_roots", [])),
                          created=str(data.get("created", "")), folder=folder)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise PackError(f"unreadable production record: {error}", record) from None


def init_production(production_id: str, name: str | None = None, approved_media_roots: tuple[str, ...] = (),
                    library: str | os.PathLike | None = None) -> Production:
    """Create the production in the library, or return it when it exists (adding any new approved roots).

    Parameters
    ----------
    production_id : str
        Short id, used as a folder name.
    name : str, optional
        Human name; defaults to the id for a new production.
    approved_media_roots : tuple of str
        Folders whose footage may train this production's models.

    Raises
    ------
    UsageError
        When the id is invalid, or the production exists under another name.
    """
    folder = production_folder(production_id, library)
    if (folder / PRODUCTION_FILE).is_file():
        existing = load_production(production_id, library)
        if name is not None and name != existing.name:
            raise UsageError(f"production {production_id} already exists as {existing.name!r}", "--name")
        if not approved_media_roots:
            return existing
        return add_approved_media_roots(production_id, approved_media_roots, library)
    production = Production(id=production_id, name=name or production_id,
                            approved_media_roots=_resolved_roots(approved_media_roots), created=utc_now(),
                            folder=folder)
    _write(production)
    return production


def add_approved_media_roots(production_id: str, roots: tuple[str, ...] | list[str],
                             library: str | os.PathLike | None = None) -> Production:
    """Add folders to the production's approved media roots (resolved, duplicates ignored) and save.

    Raises
    ------
    UnknownProductionError
        When the production is not in the library.
    """
    production = load_production(production_id, library)
    updated = Production(id=production.id, name=production.name,
                         approved_media_roots=_resolved_roots(production.approved_media_roots + tuple(roots)),
                         created=production.created, folder=production.folder)
    _write(updated)
    return updated


def production_for_training(production: str | Production | None, clips: Sequence[str | os.PathLike],
                            override_reason: str | None = None, library: str | os.PathLike | None = None
                            ) -> tuple[Production | None, MediaOverride | None]:
    """The production a training run signs for, after checking every clip before any work starts.

    Parameters
    ----------
    production : str, Production or None
        The production's id or record; None trains without a pack (nothing is checked).
    clips : sequence of path
        The dailies to train on.
    override_reason : str, optional
        Train on footage outside the approved roots, recording this reason.

    Returns
    -------
    (Production or None, MediaOverride or None)

    Raises
    ------
    UnknownProductionError
        When the id is not in the library.
    UnapprovedMediaError
        A clip outside the approved roots, without an override.
    """
    override = MediaOverride(override_reason) if override_reason else None
    record = load_production(production, library) if isinstance(production, str) else production
    if record is not None:
        for path in clips:
            record.check_approved(path, override)
    return record, override


def list_productions(library: str | os.PathLike | None = None) -> list[Production]:
    """Every production in the library, by id."""
    root = library_root(library)
    if not root.is_dir():
        return []
    found = []
    for folder in sorted(root.iterdir()):
        if (folder / PRODUCTION_FILE).is_file() and _ID.match(folder.name):
            found.append(load_production(folder.name, library))
    return found
