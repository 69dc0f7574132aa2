"""The relight benchmark's scene: Middlebury's motorcycle (scikit-image's bundled stereo pair) with real geometry.

Normals come from the ground-truth disparity (Middlebury 2014, quarter size: focal 994.978 px); the left
photograph, converted to scene-linear ACEScg, is the albedo. ``render`` lights it as a Lambertian surface
by an even ambient plus one sun (``Sun``), or plus a point light, with signal-dependent sensor noise for the
frames of a locked-off shot.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from skimage import data

from answerprint.core.color import ColorProcessor
from answerprint.core.effects.relight.light_color import light_gains_acescg
from answerprint.core.effects.relight.lights import Light
from answerprint.core.effects.relight.normals import normals_from_disparity

FOCAL_PX = 994.978
#: Level of the albedo the ambient light gives, relative to a sun facing the surface.
AMBIENT = 0.3


@dataclass(frozen=True)
class Sun:
    """A directional light: where it comes from, its colour, its strength relative to the ambient's unit."""

    azimuth_deg: float
    elevation_deg: float
    kelvin: float = 6500.0
    strength: float = 1.0

    @property
    def direction(self) -> np.ndarray:
        return Light("directional", azimuth_deg=self.azimuth_deg, elevation_deg=self.elevation_deg).direction

    @property
    def gains(self) -> np.ndarray:
        return self.strength * np.asarray(light_gains_acescg(self.kelvin, 0.0), np.float32)


@dataclass(frozen=True)
class Scene:
    """Albedo (scene-linear ACEScg), ground-truth disparity (px) and normals, the right view's albedo for stereo."""

    albedo: np.ndarray
    normals: np.ndarray
    right_albedo: np.ndarray
    disparity: np.ndarray
    valid: np.ndarray


def load_scene(exposure: float = 0.8) -> Scene:
    """The motorcycle scene (see the module docstring); ``exposure`` scales the albedo."""
    left, right, disparity = data.stereo_motorcycle()
    to_linear = ColorProcessor("sRGB Encoded Rec.709 (sRGB)", "ACEScg", threads=1)
    albedo = to_linear(left.astype(np.float32) / 255.0) * exposure
    right_albedo = to_linear(right.astype(np.float32) / 255.0) * exposure
    disparity = np.asarray(disparity, np.float32)
    valid = np.isfinite(disparity) & (disparity > 0)
    normals = normals_from_disparity(np.where(valid, disparity, 0.0), FOCAL_PX, smoothing_px=1.0)
    return Scene(albedo, normals, right_albedo, disparity, valid)


def sun_shading(normals: np.ndarray, sun: Sun) -> np.ndarray:
    """Ambient + sun on Lambertian surfaces: H×W×3 scene-linear shading."""
    cosine = np.maximum(np.sum(normals * sun.direction, axis=-1), 0.0)[..., None]
    return (AMBIENT + cosine * sun.gains).astype(np.float32)


def with_noise(image: np.ndarray, seed: int, read: float = 0.002, shot: float = 0.0004) -> np.ndarray:
    """``image`` with signal-dependent sensor noise (scene-linear), redrawn per ``seed``."""
    rng = np.random.default_rng(seed)
    sigma = np.sqrt(read ** 2 + shot * np.maximum(image, 0.0))
    return (image + rng.normal(0.0, 1.0, image.shape) * sigma).astype(np.float32)
