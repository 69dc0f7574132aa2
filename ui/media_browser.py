"""What "open" finds: the clips of the chosen files and folders, each as answerprint reads it.

The panel lists what the input resolver decides (``core.inputs``), as every trainer does: movies, image
sequences (``A001.1001.exr`` ... → ``A001.%04d.exr``) and stills, numbered stills of different sizes staying
stills. Sub-folders are not entered. One line per clip says what it was read as; files that cannot be read
are left out with a line saying why, the others still open.
"""
from __future__ import annotations

from typing import Callable

from answerprint.core.errors import AnswerprintError
from answerprint.core.inputs import ResolvedClip, resolve_inputs


def clips_of(paths: list[str], notify: Callable[[str], None],
             on_error: Callable[[AnswerprintError], None]) -> list[ResolvedClip]:
    """The clips of ``paths`` (files, patterns, folders: the clips directly inside), one line each to ``notify``;
    a path or file that cannot be read goes to ``on_error`` and the others still open."""
    return resolve_inputs(paths, notify, recursive=False, on_error=on_error)
