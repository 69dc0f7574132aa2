"""Training provenance: which footage trained a pack, who trained it where, how, and how well.

Training code calls ``record_source`` for every clip it uses (this is where the approved-media rule is
enforced) and ``build_provenance`` once at the end; the result goes into the manifest's ``provenance``
section, which the signature covers and ``answerprint packs inspect`` prints for a production lawyer.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from ..errors import MediaError, UsageError
from .manifest import utc_now
from .production import MediaOverride, Production, current_user_and_host

_CHUNK = 8 * 1024 * 1024


@dataclass(frozen=True)
class SourceClip:
    """One clip that trained the pack.

    Attributes
    ----------
    path : str
        Absolute path (movie file, or image-sequence pattern).
    sha256 : str
        Hex SHA-256 of the clip's content (the file's bytes for a movie; for a sequence the digest the
        caller computed over the frames used).
    frame_ranges : tuple of (int, int)
        Inclusive first/last frame indices used, in the clip's own numbering.
    approved_root : str or None
        The approved media root holding the clip; None when it was used under an override.
    """

    path: str
    sha256: str
    frame_ranges: tuple[tuple[int, int], ...]
    approved_root: str | None

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "sha256": self.sha256, "frame_ranges": [list(r) for r in self.frame_ranges],
                "approved_root": self.approved_root}


def hash_file(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file's bytes, read in 8 MiB chunks.

    Raises
    ------
    MediaError
        When the file cannot be read.
    """
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            while chunk := handle.read(_CHUNK):
                digest.update(chunk)
    except OSError as error:
        raise MediaError(f"cannot read the clip to hash it: {error.strerror or error}", os.fspath(path)) from None
    return digest.hexdigest()


def record_source(production: Production, path: str | os.PathLike, frame_ranges: Sequence[tuple[int, int]], *,
                  content_sha256: str | None = None, override: MediaOverride | None = None) -> SourceClip:
    """Check that a training clip may be used and describe it for the manifest.

    Parameters
    ----------
    production : Production
        The production the model is trained for.
    path : path
        The clip (a movie file; or a sequence pattern together with ``content_sha256``).
    frame_ranges : sequence of (int, int)
        Inclusive frame ranges used for training.
    content_sha256 : str, optional
        The clip's content digest when the caller computed it (sequences); else the file is hashed.
    override : MediaOverride, optional
        Explicit permission to use a clip outside the approved roots (recorded by ``build_provenance``).

    Raises
    ------
    UnapprovedMediaError
        When the clip is outside the production's approved roots and no override is given.
    UsageError
        When a frame range is empty or negative.
    MediaError
        When the clip cannot be read for hashing.
    """
    root = production.check_approved(path, override)
    ranges = tuple((int(first), int(last)) for first, last in frame_ranges)
    if not ranges or any(first < 0 or last < first for first, last in ranges):
        raise UsageError(f"frame ranges must be non-empty, non-negative and first <= last: {list(ranges)}",
                         os.fspath(path))
    absolute = os.path.abspath(os.path.expanduser(path))  # normalised: no "..", whatever folder training ran in
    return SourceClip(absolute, content_sha256 or hash_file(path), ranges, root)


def build_provenance(production: Production, sources: Sequence[SourceClip], *,
                     training_config: Mapping[str, Any], validation_metrics: Mapping[str, float],
                     override: MediaOverride | None = None, trained_at: str | None = None,
                     trained_by: tuple[str, str] | None = None) -> dict[str, Any]:
    """The manifest's ``provenance`` section.

    Parameters
    ----------
    production : Production
        Supplies the approved media roots in force when training ran.
    sources : sequence of SourceClip
        Every clip used, from ``record_source``.
    training_config : mapping
        The training configuration (JSON data: epochs, patch size, learning rate, seed...).
    validation_metrics : mapping
        Metric name → value measured on held-out frames (e.g. ``{"psnr_db": 41.2}``).
    override : MediaOverride, optional
        The override used for sources outside the approved roots; required when there are any.
    trained_at : str, optional
        ISO 8601 UTC time training finished; default now.
    trained_by : (str, str), optional
        (user, host); default this process's.

    Raises
    ------
    UsageError
        When a source was used outside the approved roots but no override is given.
    """
    outside = [s.path for s in sources if s.approved_root is None]
    if outside and override is None:
        raise UsageError(f"{len(outside)} source(s) are outside the approved media roots but no override is "
                         "recorded", outside[0])
    user, host = trained_by or current_user_and_host()
    return {
        "sources": [s.to_json() for s in sources],
        "approved_media_roots": list(production.approved_media_roots),
        "approved_media_override": None if not outside else
        {"reason": override.reason, "by": override.by, "at": utc_now(), "paths": outside},
        "trained_by": {"user": user, "host": host},
        "trained_at": trained_at or utc_now(),
        "training_config": dict(training_config),
        "validation_metrics": {k: float(v) for k, v in validation_metrics.items()},
    }
