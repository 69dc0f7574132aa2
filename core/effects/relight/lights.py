"""Virtual lights as fields of added irradiance over the frame: where a light falls and how strongly.

Geometry: the picture is a surface in the plane z = 0 seen from +z; screen coordinates are in frame widths,
x to the right and y downwards from the top-left corner (``light_x``, ``light_y`` × aspect), and normals are
unit vectors (x right, y up, z towards the camera). A flat picture has normals (0, 0, 1).

Every light returns a weight field ``H×W`` (unitless, 1 = the light's full strength on a surface facing it
the way the picture plane faces the camera):

- ``point``: a bulb at height ``radius`` above its screen position; Lambert's cosine towards the bulb and
  inverse-square distance (normalised to 1 straight below it), faded to 0 by the edge window at 2 × radius;
- ``spot``: the edge window of ``radius`` and ``falloff`` (a pool of light), shaded by Lambert's cosine to
  the light's azimuth and elevation;
- ``area``: a soft source: the edge window with at least half the radius fading, wrapped Lambert
  ((1 + n·l) / 2), so it wraps around shapes without hard terminators;
- ``directional``: Lambert's cosine to the azimuth and elevation over the whole frame (a sun).

Lambert terms are divided by the cosine a flat picture would get (at least ``MIN_FLAT_COSINE``), so on flat
normals a light brightens by its stated intensity and only the shape of surfaces changes that.
"""
from __future__ import annotations

from dataclasses import KW_ONLY, dataclass

import numpy as np

#: Smallest flat-picture cosine a Lambert term is normalised by (limits gain at grazing elevations).
MIN_FLAT_COSINE = 0.25


@dataclass(frozen=True)
class Light:
    """One virtual light.

    Attributes
    ----------
    kind : str
        ``point``, ``spot``, ``area`` or ``directional``.
    x, y : float
        Screen position, fractions of frame width and height from the top-left (0..1).
    radius : float
        Reach in frame widths (a point light's height above the picture too).
    falloff : float
        Fraction of the radius over which the edge fades (0 hard … 1 from the centre).
    azimuth_deg, elevation_deg : float
        Direction the light comes from: azimuth counter-clockwise from screen right, elevation above the
        picture plane (degrees).
    """

    kind: str
    _: KW_ONLY
    x: float = 0.5
    y: float = 0.5
    radius: float = 0.3
    falloff: float = 0.5
    azimuth_deg: float = 135.0
    elevation_deg: float = 45.0

    @property
    def direction(self) -> np.ndarray:
        """Unit vector towards the light (x right, y up, z towards the camera)."""
        azimuth, elevation = np.radians(self.azimuth_deg), np.radians(self.elevation_deg)
        return np.array([np.cos(elevation) * np.cos(azimuth), np.cos(elevation) * np.sin(azimuth),
                         np.sin(elevation)], np.float32)


def screen_grid(height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixel centres in frame widths: x (right) and y (down), each ``H×W`` float32."""
    xs = (np.arange(width, dtype=np.float32) + 0.5) / width
    ys = (np.arange(height, dtype=np.float32) + 0.5) / width
    return np.meshgrid(xs, ys)


def edge_window(distance: np.ndarray, radius: float, falloff: float) -> np.ndarray:
    """1 inside ``radius × (1 − falloff)``, smoothstep down to 0 at ``radius``."""
    inner = radius * (1.0 - falloff)
    t = np.clip((radius - distance) / max(radius - inner, 1e-6), 0.0, 1.0)
    return (t * t * (3.0 - 2.0 * t)).astype(np.float32)


def lambert(normals: np.ndarray, direction: np.ndarray, wrap: bool = False) -> np.ndarray:
    """Cosine between ``normals`` (H×W×3) and a light ``direction`` (3 or H×W×3), normalised to a flat picture.

    ``wrap`` uses the wrapped cosine (1 + n·l) / 2 of a soft source instead of max(n·l, 0).
    """
    cosine = np.sum(normals * direction, axis=-1)
    flat = direction[..., 2]
    if wrap:
        return ((1.0 + cosine) / np.maximum(1.0 + flat, 2 * MIN_FLAT_COSINE)).astype(np.float32)
    return (np.maximum(cosine, 0.0) / np.maximum(flat, MIN_FLAT_COSINE)).astype(np.float32)


def light_weight(light: Light, normals: np.ndarray) -> np.ndarray:
    """The light's weight field on surfaces of ``normals`` (H×W×3), see the module docstring."""
    height, width = normals.shape[:2]
    if light.kind == "directional":
        return lambert(normals, light.direction)
    gx, gy = screen_grid(height, width)
    cx, cy = light.x, light.y * height / width
    distance = np.hypot(gx - cx, gy - cy)
    if light.kind == "point":
        lift = max(light.radius, 1e-3)
        towards = np.stack([cx - gx, gy - cy, np.full_like(gx, lift)], axis=-1)
        length = np.linalg.norm(towards, axis=-1, keepdims=True)
        towards = towards / length
        inverse_square = (lift / length[..., 0]) ** 2
        return lambert(normals, towards) * inverse_square * edge_window(distance, 2 * light.radius, 1.0)
    if light.kind == "spot":
        return lambert(normals, light.direction) * edge_window(distance, light.radius, light.falloff)
    if light.kind == "area":
        return (lambert(normals, light.direction, wrap=True)
                * edge_window(distance, light.radius, max(light.falloff, 0.5)))
    raise ValueError(f"unknown light kind {light.kind!r}")
