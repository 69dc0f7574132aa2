"""Frames for the screen: float RGB arrays to ``QImage``, and the review images the viewer overlays.

Inputs are float32 H×W×3 display code values 0..1 (``core.render.preview`` output).
"""
from __future__ import annotations

import cv2
import numpy as np
from PySide6.QtGui import QImage

#: Gain applied to |after − before| in the difference view (display code values).
DIFFERENCE_GAIN = 8.0
#: A pixel counts as changed in the mask view when a channel moved more than this (display code values).
MASK_THRESHOLD = 0.02
#: Colour painted over changed pixels in the mask view (display sRGB).
MASK_COLOUR = (1.0, 0.15, 0.1)


def to_qimage(rgb: np.ndarray) -> QImage:
    """An 8-bit RGB ``QImage`` holding its own copy of ``rgb`` (float 0..1, rounded).

    Scaled and rounded by OpenCV's threaded ``convertScaleAbs`` (the same codes as ``np.round``, three times
    sooner on a 1080p frame); clipped to 0..1 first, so nothing negative reaches its absolute value.
    """
    clipped = np.clip(np.asarray(rgb, dtype=np.float32), 0.0, 1.0)
    pixels = np.ascontiguousarray(cv2.convertScaleAbs(clipped, alpha=255.0))
    height, width = pixels.shape[:2]
    return QImage(pixels.data, width, height, 3 * width, QImage.Format.Format_RGB888).copy()


def difference_image(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """|after − before| per channel, amplified by ``DIFFERENCE_GAIN``: what the effect changed."""
    return np.clip(np.abs(after - before) * DIFFERENCE_GAIN, 0.0, 1.0)


def mask_image(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """``before`` dimmed, with the pixels the effect changed by more than ``MASK_THRESHOLD`` in ``MASK_COLOUR``."""
    changed = (np.abs(after - before) > MASK_THRESHOLD).any(axis=-1)
    shown = before * 0.6
    shown[changed] = MASK_COLOUR
    return shown

