"""Where to look in a frame: the part with the most fine detail, where denoising, grain and relighting are judged.

The panel opens cleanup at 1:1 there; the demo report crops its 1:1 before/after/difference there.
"""
from __future__ import annotations

import cv2
import numpy as np


def busiest_region(rgb: np.ndarray, window_px: int = 192) -> tuple[float, float]:
    """Centre, as fractions of width and height, of the square (``window_px``, at most a quarter of the frame)
    holding the most fine detail.

    Detail is the local energy of the Laplacian of the luma, averaged over the window: textured, in-focus parts
    of the picture, where denoising and grain are judged, rather than flat sky or defocused background.
    """
    luma = np.ascontiguousarray(np.asarray(rgb, np.float32) @ np.float32([0.2126, 0.7152, 0.0722]))
    energy = np.abs(cv2.Laplacian(luma, cv2.CV_32F, ksize=3))
    height, width = luma.shape
    size = max(1, min(window_px, height // 4, width // 4))
    averaged = cv2.blur(energy, (size, size), borderType=cv2.BORDER_REFLECT)
    half = size // 2
    inner = averaged[half:height - size + half + 1, half:width - size + half + 1]   # windows inside the frame
    row, column = np.unravel_index(int(np.argmax(inner)), inner.shape)
    return (column + half + 0.5) / width, (row + half + 0.5) / height

