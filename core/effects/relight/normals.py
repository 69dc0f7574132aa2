"""Surface normals for directional lighting: from the decomposed shading, or from a depth or disparity pass.

Normals are unit vectors per pixel, ``H×W×3`` float32, x right, y up, z towards the camera.

- ``normals_from_shading``: a single-image estimate (the "dark is deep" bas-relief heuristic): the smoothed
  log-shading is taken as a height field. It gives lights some sense of shape on curved, evenly lit
  surfaces; it cannot recover true geometry and is wrong where shadows are cast.
- ``normals_from_disparity``: real geometry where the camera moved (a stereo pair, or two frames of a
  sideways move): depth = focal × baseline / disparity, normals from its gradient;
- ``normals_from_depth``: real geometry from a depth pass (LiDAR, a VFX depth AOV), through its inverse.
- ``disparity_from_pair``: the disparity of a rectified pair by OpenCV's semi-global block matching.
"""
from __future__ import annotations

import cv2
import numpy as np

#: Height of the bas-relief per stop of shading, in pixels of the analysed frame per stop.
RELIEF_PX_PER_STOP = 6.0
#: Gaussian σ of the shading smoothed before its gradient is taken, as a fraction of the frame width.
RELIEF_SMOOTHING = 0.01


def flat_normals(height: int, width: int) -> np.ndarray:
    """Normals of a flat picture facing the camera: (0, 0, 1) everywhere."""
    normals = np.zeros((height, width, 3), np.float32)
    normals[..., 2] = 1.0
    return normals


def _from_gradients(dz_dx: np.ndarray, dz_dy_up: np.ndarray) -> np.ndarray:
    normals = np.stack([-dz_dx, -dz_dy_up, np.ones_like(dz_dx)], axis=-1).astype(np.float32)
    return normals / np.linalg.norm(normals, axis=-1, keepdims=True)


def normals_from_shading(shading_luminance: np.ndarray) -> np.ndarray:
    """Bas-relief normals from scene-linear shading luminance (``H×W``, > 0), see the module docstring."""
    height, width = shading_luminance.shape
    log_shading = np.log2(np.maximum(shading_luminance, 1e-6)).astype(np.float32)
    smooth = cv2.GaussianBlur(log_shading, (0, 0), max(RELIEF_SMOOTHING * width, 0.5))
    relief = smooth * RELIEF_PX_PER_STOP
    dz_dx = cv2.Sobel(relief, cv2.CV_32F, 1, 0, ksize=3) / 8.0
    dz_dy_down = cv2.Sobel(relief, cv2.CV_32F, 0, 1, ksize=3) / 8.0
    return _from_gradients(dz_dx, -dz_dy_down)


def fill_invalid(values: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """``values`` (H×W float32) with the pixels outside ``valid`` inpainted from their neighbours (OpenCV Telea).

    The inpainting runs on the valid range mapped to 0..255 (the range it is made for) and is mapped back,
    so it does not depend on the values' unit; valid pixels are returned unchanged.
    """
    if valid.all() or not valid.any():
        return values.copy()
    low, high = float(values[valid].min()), float(values[valid].max())
    span = max(high - low, 1e-12)
    scaled = np.where(valid, (values - low) * np.float32(255.0 / span), 0.0).astype(np.float32)
    inpainted = cv2.inpaint(scaled, (~valid).astype(np.uint8), 5, cv2.INPAINT_TELEA)
    return np.where(valid, values, low + inpainted * np.float32(span / 255.0)).astype(np.float32)


def normals_from_disparity(disparity_px: np.ndarray, focal_px: float, smoothing_px: float = 1.5) -> np.ndarray:
    """Normals of the surface seen with ``disparity_px`` (H×W, pixels, > 0 where valid).

    With depth Z = f·B/d, a one-pixel step spans Z/f in the scene, so the depth slope per scene unit is
    −(f/d)·∂d/∂u (the baseline B cancels). Invalid disparities (≤ 0 or not finite) are filled from their
    neighbours first (``fill_invalid``), so the result does not depend on the disparity's unit.

    Parameters
    ----------
    disparity_px : ndarray
        Disparity in pixels of this image's width.
    focal_px : float
        Focal length in the same pixels.
    smoothing_px : float
        Gaussian σ applied to the disparity before differentiating, pixels (0 = none).
    """
    valid = np.isfinite(disparity_px) & (disparity_px > 0)
    filled = fill_invalid(disparity_px.astype(np.float32), valid)
    if smoothing_px > 0:
        filled = cv2.GaussianBlur(filled, (0, 0), smoothing_px)
    filled = np.maximum(filled, 1e-3 * float(np.median(filled)))
    dd_du = cv2.Sobel(filled, cv2.CV_32F, 1, 0, ksize=3) / 8.0
    dd_dv_down = cv2.Sobel(filled, cv2.CV_32F, 0, 1, ksize=3) / 8.0
    scale = focal_px / filled
    return _from_gradients(scale * dd_du, -scale * dd_dv_down)


def normals_from_depth(depth: np.ndarray, focal_px: float, smoothing_px: float = 1.5) -> np.ndarray:
    """Normals of the surface at distance ``depth`` (H×W, any unit, along the camera axis, > 0 where valid).

    Disparity is proportional to 1 / depth and the normals do not depend on the proportion (see
    ``normals_from_disparity``), so the depth is inverted and handled as a disparity: its unit never matters,
    and invalid depths (≤ 0, infinite as for sky, or NaN) are filled from their neighbours.

    Parameters
    ----------
    depth : ndarray
        Distance from the camera plane, any unit.
    focal_px : float
        Focal length in pixels of this image's width.
    smoothing_px : float
        Gaussian σ applied to the inverse depth before differentiating, pixels (0 = none).
    """
    depth = np.asarray(depth, np.float32)
    valid = np.isfinite(depth) & (depth > 0)
    inverse = np.zeros_like(depth)
    inverse[valid] = 1.0 / depth[valid]
    return normals_from_disparity(inverse, focal_px, smoothing_px)


def disparity_from_pair(left: np.ndarray, right: np.ndarray, max_disparity: int = 128) -> np.ndarray:
    """Disparity (pixels, of ``left``) of a rectified pair of float RGB frames, by semi-global matching.

    Returns float32 H×W; pixels without a match are 0.
    """
    def grey(frame: np.ndarray) -> np.ndarray:
        luma = frame[..., 0] * 0.2126 + frame[..., 1] * 0.7152 + frame[..., 2] * 0.0722
        return np.clip(luma * 255.0, 0, 255).astype(np.uint8)

    blocks = 5
    matcher = cv2.StereoSGBM_create(minDisparity=0, numDisparities=int(np.ceil(max_disparity / 16) * 16),
                                    blockSize=blocks, P1=8 * blocks * blocks, P2=32 * blocks * blocks,
                                    uniquenessRatio=5, speckleWindowSize=100, speckleRange=2,
                                    mode=cv2.STEREO_SGBM_MODE_HH)
    disparity = matcher.compute(grey(left), grey(right)).astype(np.float32) / 16.0
    disparity[disparity <= 0] = 0.0
    return disparity
