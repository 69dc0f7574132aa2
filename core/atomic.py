"""Files that appear under their final name complete or not at all.

Every small file answerprint writes (render sidecars, farm plans and job bundles, production records, `.cube`
LUTs, reports, host settings) goes through ``write_atomically``: the bytes go to a hidden temporary beside the
target, unique to the writing process and thread (farm tasks may write one sidecar at the same moment), then
``os.replace`` puts it in place. Frames and movies have their own writers (``frames``), on the same principle.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path


def write_atomically(path: str | os.PathLike, content: str | bytes) -> Path:
    """Write ``content`` (text as UTF-8) to ``path`` through a temporary in the same folder; returns the path.

    The folder must exist. A failure leaves the target as it was and removes the temporary.

    Raises
    ------
    OSError
        When the folder is not writable or the disk is full; callers turn it into their own ``OutputError``.
    """
    target = Path(path)
    partial = target.with_name(f".{target.name}.{os.getpid()}-{threading.get_ident()}.partial")
    data = content.encode("utf-8") if isinstance(content, str) else content
    try:
        with open(partial, "wb") as handle:
            handle.write(data)
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return target
