"""The typed errors answerprint raises.

Every error says *what* went wrong and *where* (a file, a frame, a parameter) in one line. The CLI turns
them into exit codes (``exit_code``), the panel into dialogs, the hosts into messages.
"""
from __future__ import annotations

import os


class AnswerprintError(Exception):
    """Base of all answerprint errors.

    Parameters
    ----------
    what : str
        The problem, in one sentence a colorist understands.
    where : str or os.PathLike, optional
        The file, frame or parameter concerned.
    """

    exit_code = 1

    def __init__(self, what: str, where: str | os.PathLike | None = None):
        self.what = what
        self.where = None if where is None else os.fspath(where)
        super().__init__(self.one_line())

    def one_line(self) -> str:
        return f"{self.where}: {self.what}" if self.where else self.what


class UsageError(AnswerprintError):
    """A command line or API call that does not make sense (unknown effect, bad range, ...)."""

    exit_code = 2


class ParamError(UsageError):
    """A parameter value that is missing, of the wrong type or out of range."""


class MediaError(AnswerprintError):
    """Media that cannot be read: missing, truncated, corrupt, unsupported codec, missing frames, NaN pixels."""

    exit_code = 3


class OutputError(AnswerprintError):
    """An output that cannot or must not be written: not writable, disk full, would overwrite the source."""

    exit_code = 4


class ColorError(AnswerprintError):
    """A colour space or OCIO config that cannot be found or used."""

    exit_code = 5


class PackError(AnswerprintError):
    """A model pack that cannot be used."""

    exit_code = 6


class UnsignedPackError(PackError):
    """The pack carries no signature."""


class TamperedPackError(PackError):
    """The pack's bytes or manifest do not match its signature."""


class ForeignPackError(PackError):
    """The pack was signed by, or made for, another production."""


class UnsafePackError(PackError):
    """The ONNX file is unsafe to load (external data, absurd sizes, graph not matching its manifest)."""


class ManifestVersionError(PackError):
    """The manifest is of a pack schema major version this answerprint does not read."""


class UnknownProductionError(PackError):
    """The production is not in the model library, so its packs cannot be verified."""


class UnapprovedMediaError(PackError):
    """A training source lies outside the production's approved media roots."""


class RuntimeBackendError(AnswerprintError):
    """onnxruntime could not create or run a session."""

    exit_code = 7


class Cancelled(AnswerprintError):
    """The user cancelled long-running work; partial outputs were removed."""

    exit_code = 130

    def __init__(self, what: str = "cancelled", where: str | os.PathLike | None = None):
        super().__init__(what, where)
