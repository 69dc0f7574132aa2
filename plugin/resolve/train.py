"""Train from bin: a media-pool bin's clips, checked against the production's approved media, as dailies.

The bin is the media pool's current folder, or one named by its path from the root (``Dailies/Day 03``).
Clips without a source file (timelines, compound clips), offline clips and answerprint's own renders (a
pack trained on them would learn answerprint's output, not the production's footage) are left out with a
message; a clip outside the production's approved media roots stops the job unless the colorist gives an
explicit reason, which ``answerprint train`` records in the pack. Training itself is ``answerprint train`` in this process.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from answerprint.core.errors import UnapprovedMediaError
from answerprint.core.packs import load_production

from .connect import ResolveError, ResolveSession
from .records import read_record
from .timeline import core_source_path, media_present


@dataclass
class Dailies:
    """The clips of a bin that can train, and what was left out and why."""

    paths: list[str] = field(default_factory=list)
    left_out: list[str] = field(default_factory=list)


def find_bin(session: ResolveSession, bin_path: str | None) -> Any:
    """The media-pool folder ``bin_path`` (``/``-separated from the root), or the current folder when None.

    Raises
    ------
    ResolveError
        When a folder on the path does not exist.
    """
    if not bin_path:
        return session.media_pool.GetCurrentFolder()
    folder = session.media_pool.GetRootFolder()
    for name in [part for part in bin_path.split("/") if part]:
        matches = [sub for sub in folder.GetSubFolderList() or [] if sub.GetName() == name]
        if not matches:
            raise ResolveError(f"the media pool has no bin {name!r} here", bin_path)
        folder = matches[0]
    return folder


def collect_dailies(session: ResolveSession, production: str, bin_path: str | None = None,
                    override_reason: str | None = None, library: str | None = None) -> Dailies:
    """The bin's source files that may train ``production``'s models.

    Parameters
    ----------
    override_reason : str, optional
        Permission to use clips outside the approved media roots (recorded in the pack by training).

    Raises
    ------
    UnapprovedMediaError
        When clips lie outside every approved root and no override reason is given; lists them.
    ResolveError
        When the bin does not exist or holds no usable clip.
    """
    folder = find_bin(session, bin_path)
    approved = load_production(production, library)
    dailies, unapproved = Dailies(), []
    for clip in folder.GetClipList() or []:
        file_path = clip.GetClipProperty("File Path") or ""
        path, first_frame = core_source_path(file_path)
        if not file_path:
            dailies.left_out.append(f"{clip.GetName()}: no source file (timeline or compound clip)")
        elif not media_present(path, first_frame):
            dailies.left_out.append(f"{clip.GetName()}: media offline ({file_path})")
        elif read_record(clip) is not None:
            dailies.left_out.append(f"{clip.GetName()}: an answerprint render, not footage")
        else:
            try:
                approved.check_approved(path)
            except UnapprovedMediaError:
                if override_reason is None:
                    unapproved.append(file_path)
            dailies.paths.append(path)
    if unapproved:
        shown = ", ".join(unapproved[:3]) + (f" and {len(unapproved) - 3} more" if len(unapproved) > 3 else "")
        raise UnapprovedMediaError(f"{len(unapproved)} clip(s) lie outside production {production}'s approved "
                                   f"media roots: {shown}; add the roots to the production or give a reason "
                                   "to train on them anyway", folder.GetName())
    if not dailies.paths:
        raise ResolveError("the bin holds no clip with source media to train on", folder.GetName())
    return dailies


def train_arguments(effect: str, production: str, dailies: Dailies, profile: str = "quick",
                    override_reason: str | None = None, library: str | None = None) -> list[str]:
    """The ``answerprint train`` command line for these dailies."""
    arguments = ["train", effect, "--production", production, "--profile", profile, "--dailies", *dailies.paths]
    if override_reason:
        arguments += ["--allow-unapproved-media", override_reason]
    if library:
        arguments += ["--library", library]
    return arguments
