"""ASC CDL: fit slope/offset/power/saturation to a grade, apply it, and read and write .cdl/.ccc files.

The ASC CDL v1.2 arithmetic as OpenColorIO applies a CDL file (its ``CDL_NO_CLAMP`` style, the default for
files), which is what the fit targets and what ``Cdl.apply`` computes::

    v = in · slope + offset;  out = v ** power where v ≥ 0, else v     per channel
    out = luma + saturation · (out − luma)                           luma with Rec.709 weights

Inside 0..1 this is the ASC's clamped arithmetic too; unlike it, log values above 1 survive.

A CDL works on whatever code values the node receives (the camera's log, or video), which makes it the
most portable form of a simple grade — every grading system reads it — but also a limited one: a fit states
its residual, and a look is delivered as a CDL only when that residual is small.
"""
from __future__ import annotations

import os
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import ColorError

NAMESPACE = "urn:ASC:CDL:v1.01"
_LUMA = np.array([0.2126, 0.7152, 0.0722])


class CdlError(ColorError):
    """A .cdl/.ccc/.cc file that cannot be read."""


@dataclass(frozen=True)
class Cdl:
    """One ASC colour decision.

    Attributes
    ----------
    slope, offset, power : tuple of float
        Per channel (R, G, B).
    saturation : float
    identifier : str
        The ColorCorrection id.
    description : str
        Free text carried in the file (what was fitted, the residual).
    """

    slope: tuple[float, float, float] = (1.0, 1.0, 1.0)
    offset: tuple[float, float, float] = (0.0, 0.0, 0.0)
    power: tuple[float, float, float] = (1.0, 1.0, 1.0)
    saturation: float = 1.0
    identifier: str = "look"
    description: str = ""

    def apply(self, rgb: np.ndarray) -> np.ndarray:
        """``rgb`` (float ``(..., 3)`` code values) through the CDL, float64."""
        linear = np.asarray(rgb, dtype=np.float64) * self.slope + self.offset
        graded = np.where(linear >= 0, np.maximum(linear, 0.0) ** np.asarray(self.power), linear)
        luma = graded @ _LUMA
        return luma[..., None] + self.saturation * (graded - luma[..., None])


@dataclass(frozen=True)
class CdlFit:
    """A fitted CDL and how well it reproduces the grade it was fitted to.

    Attributes
    ----------
    cdl : Cdl
    rms : float
        Root-mean-square code-value error over the fitted pixels.
    """

    cdl: Cdl
    rms: float


def fit_cdl(source: np.ndarray, target: np.ndarray, identifier: str = "look") -> CdlFit:
    """Least-squares CDL taking ``source`` to ``target`` pixels (``(P, 3)`` code values, P ≤ ~50,000).

    Slope is bounded to 0..10, offset to −1..1, power to 0.1..10, saturation to 0..4.
    """
    from scipy.optimize import least_squares  # 0.5 s to import: only when a CDL is fitted

    source, target = np.asarray(source, np.float64), np.asarray(target, np.float64)

    def residual(values: np.ndarray) -> np.ndarray:
        cdl = Cdl(tuple(values[0:3]), tuple(values[3:6]), tuple(values[6:9]), float(values[9]))
        return (cdl.apply(source) - target).ravel()

    start = np.array([1, 1, 1, 0, 0, 0, 1, 1, 1, 1], dtype=np.float64)
    low = np.array([0, 0, 0, -1, -1, -1, 0.1, 0.1, 0.1, 0])
    high = np.array([10, 10, 10, 1, 1, 1, 10, 10, 10, 4])
    solution = least_squares(residual, start, bounds=(low, high), x_scale="jac").x
    cdl = Cdl(tuple(map(float, solution[0:3])), tuple(map(float, solution[3:6])), tuple(map(float, solution[6:9])),
              float(solution[9]), identifier)
    return CdlFit(cdl, float(np.sqrt(np.mean(residual(solution) ** 2))))


def _numbers(values: tuple[float, ...]) -> str:
    return " ".join(f"{v:.6f}" for v in values)


def _correction(cdl: Cdl, parent: ElementTree.Element) -> None:
    correction = ElementTree.SubElement(parent, "ColorCorrection", id=cdl.identifier)
    if cdl.description:
        ElementTree.SubElement(correction, "Description").text = cdl.description
    sop = ElementTree.SubElement(correction, "SOPNode")
    for name, values in (("Slope", cdl.slope), ("Offset", cdl.offset), ("Power", cdl.power)):
        ElementTree.SubElement(sop, name).text = _numbers(values)
    sat = ElementTree.SubElement(correction, "SatNode")
    ElementTree.SubElement(sat, "Saturation").text = f"{cdl.saturation:.6f}"


def write_cdl(path: str | os.PathLike, cdl: Cdl) -> Path:
    """Write ``cdl`` as a ColorDecisionList (``.cdl``) or, for a ``.ccc`` path, a ColorCorrectionCollection."""
    target = Path(path)
    collection = target.suffix.lower() == ".ccc"
    root = ElementTree.Element("ColorCorrectionCollection" if collection else "ColorDecisionList", xmlns=NAMESPACE)
    _correction(cdl, root if collection else ElementTree.SubElement(root, "ColorDecision"))
    ElementTree.indent(root)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(ElementTree.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n")
    return target


def _three(node: ElementTree.Element | None, name: str, where: str) -> tuple[float, float, float]:
    try:
        values = tuple(float(v) for v in (node.text or "").split()) if node is not None else ()
    except ValueError:
        values = ()
    if len(values) != 3 or not np.isfinite(values).all():
        raise CdlError(f"{name} must be three finite numbers", where)
    return values  # type: ignore[return-value]


def _local(tag: str) -> str:
    """An XML tag without its namespace."""
    return tag.rsplit("}", 1)[-1]


def read_cdl(path: str | os.PathLike) -> Cdl:
    """The first ColorCorrection of a ``.cdl``, ``.ccc`` or ``.cc`` file.

    Raises
    ------
    CdlError
        When the file is unreadable, not ASC CDL XML, or a value is missing or not a number.
    """
    where = os.fspath(path)
    try:
        root = ElementTree.parse(where).getroot()
    except (OSError, ElementTree.ParseError) as error:
        raise CdlError(f"cannot read the CDL: {error}", where) from None
    correction = root if _local(root.tag) == "ColorCorrection" else next(
        (e for e in root.iter() if _local(e.tag) == "ColorCorrection"), None)
    if correction is None:
        raise CdlError("no ColorCorrection in the file", where)
    found = {_local(e.tag): e for e in correction.iter()}
    try:
        saturation = float(found["Saturation"].text) if "Saturation" in found else 1.0
    except (TypeError, ValueError):
        raise CdlError("Saturation must be a number", where) from None
    description = found["Description"].text if "Description" in found else ""
    return Cdl(_three(found.get("Slope"), "Slope", where), _three(found.get("Offset"), "Offset", where),
               _three(found.get("Power"), "Power", where), saturation, correction.get("id", "look"),
               description or "")
