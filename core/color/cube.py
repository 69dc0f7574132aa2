"""``.cube`` LUT files: a strict reader and a writer DaVinci Resolve and OpenColorIO both read.

Written files follow Resolve's ``.cube`` dialect: ``LUT_3D_SIZE``, ``LUT_3D_INPUT_RANGE`` when the domain is
not 0..1, and for a shaper ``LUT_1D_SIZE`` + ``LUT_1D_INPUT_RANGE`` with the 1D rows before the 3D rows
(Resolve applies the 1D LUT first). Red varies fastest in the 3D rows. Descriptive text goes in ``#``
comments: OpenColorIO's Resolve reader refuses a ``TITLE`` line next to a shaper, so none is written.

The reader accepts Resolve's and Adobe/Iridas's keywords (``TITLE``, ``DOMAIN_MIN``/``DOMAIN_MAX`` with
per-channel values) and refuses everything else with a one-line ``CubeError`` naming the file and line: an
unknown or repeated keyword, a size out of range, a row that is not three finite numbers, too few or too
many rows, a 1D-only file (not a 3D LUT).
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..atomic import write_atomically
from ..errors import ColorError, UsageError
from .lut import MAX_1D_SIZE, MAX_3D_SIZE, Lut1D, Lut3D

_SIZE_KEYWORDS = {"LUT_3D_SIZE": (2, MAX_3D_SIZE), "LUT_1D_SIZE": (2, MAX_1D_SIZE)}
_RANGE_KEYWORDS = ("LUT_3D_INPUT_RANGE", "LUT_1D_INPUT_RANGE", "DOMAIN_MIN", "DOMAIN_MAX")
#: Largest file read (a 256³ LUT at 3 × 10 characters a row is ~500 MB; real files are far smaller).
MAX_FILE_BYTES = 1 << 30


class CubeError(ColorError):
    """A ``.cube`` file that cannot be read; ``where`` is ``file:line`` when a line is at fault."""


def _where(path: str, line: int | None) -> str:
    return f"{path}:{line}" if line else path


def _parse_header(path: str, lines: list[str]) -> tuple[dict[str, tuple[int, list[str]]], list[tuple[int, str]]]:
    """Keywords (with their line numbers and arguments) and the data rows (line number, text), in order."""
    keywords: dict[str, tuple[int, list[str]]] = {}
    rows: list[tuple[int, str]] = []
    for number, raw in enumerate(lines, start=1):
        text = raw.strip()
        if not text or text.startswith("#"):
            continue
        first = text.split(None, 1)[0]
        if first[0].isalpha() and first.upper() == first and first.isidentifier():
            if rows:
                raise CubeError(f"keyword {first} after the data rows began", _where(path, number))
            if first in keywords:
                raise CubeError(f"{first} given twice (first on line {keywords[first][0]})", _where(path, number))
            if first not in _SIZE_KEYWORDS and first not in _RANGE_KEYWORDS and first != "TITLE":
                raise CubeError(f"unknown keyword {first}", _where(path, number))
            keywords[first] = (number, text.split()[1:] if first != "TITLE" else [text[len(first):].strip()])
        else:
            rows.append((number, text))
    return keywords, rows


def _size(path: str, keywords: dict[str, tuple[int, list[str]]], name: str) -> int | None:
    if name not in keywords:
        return None
    line, args = keywords[name]
    low, high = _SIZE_KEYWORDS[name]
    if len(args) != 1 or not args[0].isdigit() or not low <= int(args[0]) <= high:
        raise CubeError(f"{name} must be one whole number in {low}..{high}, got {' '.join(args)!r}",
                        _where(path, line))
    return int(args[0])


def _numbers(path: str, keywords: dict[str, tuple[int, list[str]]], name: str, count: int) -> np.ndarray | None:
    if name not in keywords:
        return None
    line, args = keywords[name]
    try:
        values = np.array([float(a) for a in args], dtype=np.float64)
    except ValueError:
        values = np.array([])
    if values.size != count or not np.isfinite(values).all():
        raise CubeError(f"{name} takes {count} finite numbers, got {' '.join(args)!r}", _where(path, line))
    return values


def _domain(path: str, keywords: dict[str, tuple[int, list[str]]], range_name: str,
            use_iridas: bool) -> tuple[np.ndarray, np.ndarray, int | None]:
    """(min, max, line) of a LUT's input domain from Resolve's INPUT_RANGE or Iridas's DOMAIN_MIN/MAX."""
    if use_iridas and (range_name in keywords) and ("DOMAIN_MIN" in keywords or "DOMAIN_MAX" in keywords):
        raise CubeError(f"both {range_name} and DOMAIN_MIN/MAX given", _where(path, keywords[range_name][0]))
    pair = _numbers(path, keywords, range_name, 2)
    if pair is not None:
        return np.full(3, pair[0]), np.full(3, pair[1]), keywords[range_name][0]
    if use_iridas:
        low = _numbers(path, keywords, "DOMAIN_MIN", 3)
        high = _numbers(path, keywords, "DOMAIN_MAX", 3)
        line = keywords.get("DOMAIN_MAX", keywords.get("DOMAIN_MIN", (None, None)))[0]
        return (np.zeros(3) if low is None else low), (np.ones(3) if high is None else high), line
    return np.zeros(3), np.ones(3), None


def _data(path: str, rows: list[tuple[int, str]], expected: int, last_line: int) -> np.ndarray:
    """The data rows as float64 ``(expected, 3)``, refusing the first bad row by its line number."""
    if len(rows) < expected:
        raise CubeError(f"{len(rows)} data rows, expected {expected} (missing rows)", _where(path, last_line))
    if len(rows) > expected:
        raise CubeError(f"more data rows than the {expected} expected", _where(path, rows[expected][0]))
    fields = [text.split() for _, text in rows]
    try:
        if any(len(f) != 3 for f in fields):
            raise ValueError
        values = np.array(fields, dtype=np.float64)
    except ValueError:
        values = None
    if values is None or not np.isfinite(values).all():
        for (number, text), parts in zip(rows, fields):
            try:
                ok = len(parts) == 3 and all(np.isfinite(float(p)) for p in parts)
            except ValueError:
                ok = False
            if not ok:
                raise CubeError(f"a data row is three finite numbers, got {text[:60]!r}", _where(path, number))
    return values


def read_cube(path: str | os.PathLike) -> Lut3D:
    """Read a 3D ``.cube`` file (Resolve or Adobe/Iridas dialect, with or without a 1D shaper).

    Returns
    -------
    Lut3D
        Its lattice, domain and shaper; output values as written (code values of the LUT's output space).

    Raises
    ------
    CubeError
        When the file cannot be read or breaks the format; one line naming the file and line.
    """
    where = os.fspath(path)
    try:
        if os.path.getsize(where) > MAX_FILE_BYTES:
            raise CubeError(f"the file is over the {MAX_FILE_BYTES}-byte limit for a .cube", where)
        text = Path(where).read_bytes().decode("utf-8")
    except OSError as error:
        raise CubeError(f"cannot read the .cube file: {error.strerror or error}", where) from None
    except UnicodeDecodeError as error:
        raise CubeError(f"not a text file (byte {error.start} is not UTF-8)", where) from None
    if "\x00" in text:
        raise CubeError("not a text file (it holds NUL bytes)", where)
    lines = text.splitlines()
    keywords, rows = _parse_header(where, lines)
    size_3d = _size(where, keywords, "LUT_3D_SIZE")
    size_1d = _size(where, keywords, "LUT_1D_SIZE")
    if size_3d is None:
        raise CubeError("no LUT_3D_SIZE line: not a 3D LUT (1D-only .cube files are not used as looks)"
                        if size_1d else "no LUT_3D_SIZE line: not a 3D .cube file", where)
    if size_1d is not None and ("DOMAIN_MIN" in keywords or "DOMAIN_MAX" in keywords):
        raise CubeError("DOMAIN_MIN/MAX cannot describe a shaper; use LUT_1D_INPUT_RANGE",
                        _where(where, keywords.get("DOMAIN_MIN", keywords.get("DOMAIN_MAX"))[0]))
    shaper_rows = size_1d or 0
    values = _data(where, rows, shaper_rows + size_3d ** 3, len(lines))
    shaper_domain = None
    if size_1d is not None:
        low_1d, high_1d, line_1d = _domain(where, keywords, "LUT_1D_INPUT_RANGE", use_iridas=False)
        if not (high_1d > low_1d).all():
            raise CubeError("LUT_1D_INPUT_RANGE is empty (maximum not above minimum)", _where(where, line_1d))
        shaper_domain = (low_1d, high_1d)
    low, high, line = _domain(where, keywords, "LUT_3D_INPUT_RANGE", use_iridas=size_1d is None)
    if not (high > low).all():
        raise CubeError("the 3D input range is empty (maximum not above minimum)", _where(where, line))
    table = values[shaper_rows:].reshape(size_3d, size_3d, size_3d, 3).transpose(2, 1, 0, 3)
    try:
        shaper = None if shaper_domain is None else Lut1D(values[:shaper_rows], *shaper_domain)
        return Lut3D(table, low, high, shaper)
    except UsageError as error:
        raise CubeError(error.what, where) from None


def _format_rows(values: np.ndarray) -> str:
    flat = np.asarray(values, dtype=np.float64).reshape(-1, 3)
    return ("%.7f %.7f %.7f\n" * flat.shape[0]) % tuple(flat.ravel().tolist())


def cube_text(lut: Lut3D, comments: tuple[str, ...] = ()) -> str:
    """The ``.cube`` text of ``lut`` (see the module docstring for the dialect).

    Raises
    ------
    UsageError
        When the LUT cannot be written in Resolve's dialect: a per-channel domain together with a shaper.
    """
    lines = [f"# {line}" for comment in comments for line in comment.splitlines()]
    same_domain = np.ptp(lut.domain_min) == 0 and np.ptp(lut.domain_max) == 0
    if lut.shaper is not None:
        shaper = lut.shaper
        if np.ptp(shaper.domain_min) or np.ptp(shaper.domain_max) or not same_domain:
            raise UsageError("a LUT with a shaper needs one input range for all channels to be written as .cube")
        lines += [f"LUT_1D_SIZE {shaper.size}",
                  f"LUT_1D_INPUT_RANGE {shaper.domain_min[0]:.7f} {shaper.domain_max[0]:.7f}"]
    lines.append(f"LUT_3D_SIZE {lut.size}")
    unit = np.array_equal(lut.domain_min, np.zeros(3)) and np.array_equal(lut.domain_max, np.ones(3))
    if not unit and same_domain:
        lines.append(f"LUT_3D_INPUT_RANGE {lut.domain_min[0]:.7f} {lut.domain_max[0]:.7f}")
    elif not unit:
        lines.append("DOMAIN_MIN " + " ".join(f"{v:.7f}" for v in lut.domain_min))
        lines.append("DOMAIN_MAX " + " ".join(f"{v:.7f}" for v in lut.domain_max))
    body = _format_rows(lut.shaper.table) if lut.shaper is not None else ""
    body += _format_rows(lut.table.transpose(2, 1, 0, 3))
    return "\n".join(lines) + "\n" + body


def write_cube(path: str | os.PathLike, lut: Lut3D, comments: tuple[str, ...] = ()) -> Path:
    """Write ``lut`` as a ``.cube`` file atomically (temporary file renamed into place); returns the path.

    Parameters
    ----------
    path : path
        Destination, conventionally ending in ``.cube``.
    lut : Lut3D
        The LUT; values are written with 7 decimals (error below 5e-8).
    comments : tuple of str
        Lines written as ``#`` comments at the top (what the LUT is, its spaces, how it was fitted).

    Raises
    ------
    UsageError
        See ``cube_text``.
    OSError
        When the folder is not writable.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    return write_atomically(target, cube_text(lut, comments))
