"""What an image file should say about its colour: the OCIO space's name, its Color Interop ID, chromaticities.

EXR and DPX outputs carry these so that a reader knows what the code values mean without the render sidecar
(``frames.sequence`` writes them). The Color Interop Forum ID comes from the config (OCIO 2.5+ configs give
one per space, ``lin_ap0_scene``, ``ocio:arrilogc3_awg3_scene``). Chromaticities are the published ones of the
ID's primaries when OpenImageIO's interop table knows them (AP0, AP1, Rec.709, P3-D65, Rec.2020, Adobe RGB);
for other gamuts (camera wide gamuts) they are measured through the config: the space's primaries and white
taken into ACES2065-1 and from there to CIE xy, so they describe the space as the config maps it into ACES
(chromatic adaptation included, white = the ACES white).
"""
from __future__ import annotations

import functools

import numpy as np

from ..frames.media import SpaceTags
from .config import load_config, resolve_space
from .processor import ColorProcessor

#: The space whose primaries measured chromaticities go through.
_ACES_INTERCHANGE = "ACES2065-1"


def _tokens(interop_id: str | None) -> tuple[str, str]:
    """(transfer, primaries) of ``g24_rec709_scene`` / ``ocio:arrilogc3_awg3_scene``; empty when not of that form."""
    parts = (interop_id or "").split(":")[-1].split("_")
    return (parts[0], parts[1]) if len(parts) == 3 else ("", "")


@functools.lru_cache(maxsize=64)
def _published_chromaticities(primaries: str) -> tuple[float, ...] | None:
    """OpenImageIO's interop table entry for linear ``primaries`` (``ap0``, ``rec709``...), None if unknown."""
    import OpenImageIO as oiio

    values = oiio.ColorConfig().get_chromaticities(f"lin_{primaries}_scene") if primaries else None
    return tuple(float(v) for v in values) if values else None


def _rgb_to_xyz(chromaticities: tuple[float, ...]) -> np.ndarray:
    """The RGB → XYZ matrix of primaries and white given as CIE xy (white Y = 1): the textbook derivation."""
    xy = np.asarray(chromaticities, np.float64).reshape(4, 2)
    xyz = np.column_stack([xy[:, 0] / xy[:, 1], np.ones(4), (1 - xy[:, 0] - xy[:, 1]) / xy[:, 1]])
    primaries, white = xyz[:3].T, xyz[3]
    return primaries * np.linalg.solve(primaries, white)


def _measured_chromaticities(space: str, config: str | None) -> tuple[float, ...] | None:
    """Primaries and white of ``space`` measured through the config (see module docstring).

    A space is a per-channel curve then a matrix into ACES2065-1, so the difference between code values
    (0.6, 0.3, 0.3) and (0.3, 0.3, 0.3) points along the red primary whatever the curve, and equal steps
    on all channels along the white.
    """
    ap0 = _published_chromaticities("ap0")
    if ap0 is None:
        return None
    low, high = 0.3, 0.6
    probes = np.full((5, 3), low, np.float32)
    probes[0:3][np.arange(3), np.arange(3)] = high
    probes[3] = high
    to_aces = ColorProcessor(space, _ACES_INTERCHANGE, config, threads=1)
    try:
        aces = to_aces(probes[None])[0].astype(np.float64)
    finally:
        to_aces.close()
    directions = aces[:4] - aces[4]
    xyz = directions @ _rgb_to_xyz(ap0).T
    sums = xyz.sum(axis=1)
    if not np.all(np.isfinite(xyz)) or np.any(np.abs(sums) < 1e-9):
        return None
    return tuple(float(v) for point in xyz / sums[:, None] for v in point[:2])


@functools.lru_cache(maxsize=64)
def describe_space(space: str, config: str | None = None) -> SpaceTags:
    """The ``SpaceTags`` of OCIO colour space ``space`` (a name, alias or role).

    Raises
    ------
    ColorError
        When the space is unknown or the config cannot be loaded.
    """
    ocio_config = load_config(config)
    name = resolve_space(ocio_config, space)
    colour_space = ocio_config.getColorSpace(name)
    interop_id = colour_space.getInteropID() or None
    transfer, primaries = _tokens(interop_id)
    chromaticities = None
    if not colour_space.isData():
        chromaticities = _published_chromaticities(primaries) or _measured_chromaticities(name, config)
    return SpaceTags(name, interop_id, chromaticities, colour_space.getEncoding() or "", transfer, primaries)
