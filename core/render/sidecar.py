"""The render sidecar: a JSON file beside every output from which the render can be reproduced.

Schema ``answerprint.render/1``: the job (effect, parameters, frame range, colour spaces), the model pack's
id and hash, the source's path and content hash, software versions, host and timing. While a sequence
render runs the sidecar says ``"status": "in progress"``; a render that fails says ``"failed"`` or
``"cancelled"`` with the reason, or is removed with its frames; resume trusts only frames of the same job.
"""
from __future__ import annotations

import getpass
import hashlib
import json
import os
import platform
import socket
import sys
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version
from typing import Any, Iterable

from ..atomic import write_atomically
from ..errors import OutputError
from ..frames import is_sequence_path
from ..frames.patterns import parse_sequence_path

SCHEMA = "answerprint.render/1"
_CHUNK = 8 * 1024 * 1024


def sidecar_path(output: str) -> str:
    """``out.mov`` → ``out.mov.answerprint.json``; ``shot.%04d.exr`` → ``shot.answerprint.json``."""
    if not is_sequence_path(output):
        return f"{output}.answerprint.json"
    pattern = parse_sequence_path(output)
    stem = pattern.prefix.rstrip("._") or "frames"
    return os.path.join(pattern.directory, f"{stem}.answerprint.json")


def files_digest(paths: Iterable[str]) -> str:
    """SHA-256 over the bytes of ``paths`` in order (each file's name length and name included)."""
    digest = hashlib.sha256()
    for path in paths:
        name = os.path.basename(path).encode()
        digest.update(len(name).to_bytes(4, "little") + name)
        with open(path, "rb") as handle:
            while chunk := handle.read(_CHUNK):
                digest.update(chunk)
    return "sha256:" + digest.hexdigest()


def software_versions() -> dict[str, str]:
    """Versions of everything that shapes the pixels."""
    versions = {"python": platform.python_version()}
    for dist in ("answerprint", "numpy", "av", "OpenImageIO", "opencolorio", "onnxruntime"):
        try:
            versions[dist] = version(dist)
        except PackageNotFoundError:
            versions[dist] = "not installed"
    try:
        import av

        versions["ffmpeg"] = ".".join(map(str, av.library_versions.get("libavcodec", ())))
    except ImportError:
        pass
    return versions


def job_key(record: dict[str, Any]) -> str:
    """A hash of what decides the output's pixels: two renders with the same key write the same frames."""
    decisive = {k: record.get(k) for k in ("effect", "params", "pack", "colour", "output_codec")}
    decisive["source"] = {k: record["source"].get(k) for k in ("path", "size", "mtime_ns")}
    frames = record.get("frames") or {}
    decisive["output_offset"] = frames.get("output_first", 0) - frames.get("first", 0)
    return hashlib.sha256(json.dumps(decisive, sort_keys=True, default=str).encode()).hexdigest()[:16]


def base_record() -> dict[str, Any]:
    """The fields every sidecar starts with."""
    return {
        "schema": SCHEMA,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "host": socket.gethostname(),
        "user": getpass.getuser(),
        "command": " ".join(sys.argv),
        "software": software_versions(),
    }


def write_sidecar(path: str, record: dict[str, Any]) -> None:
    """Write ``record`` as JSON atomically (``atomic.write_atomically``: a temporary of this process and thread).

    Farm tasks rendering chunks of one sequence write its sidecar concurrently: each uses its own temporary.

    Raises
    ------
    OutputError
        When the file cannot be written.
    """
    try:
        write_atomically(path, json.dumps(record, indent=2, sort_keys=False, default=str) + "\n")
    except OSError as error:
        raise OutputError(f"cannot write the render sidecar ({error.strerror})", path) from None


def read_sidecar(path: str) -> dict[str, Any] | None:
    """The sidecar at ``path``, or None when it is absent or unreadable."""
    try:
        with open(path, encoding="utf-8") as handle:
            record = json.load(handle)
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) and record.get("schema") == SCHEMA else None
