"""Where the people are: regions that move within a shot, so that acting is not flagged as a continuity error.

No detector trained outside the production is used (house rule: no outside weights; OpenCV 5's headless wheel no
longer ships cascade classifiers either). A shot shows its own actors by moving. Two frames of the shot a few frames
apart are compared at 240 lines in log luminance: the camera's own motion (a homography fitted by RANSAC to dense
DIS optical flow) is taken out, and pixels lying more than ``MOTION_STOPS`` outside the other frame's 3×3 min–max
envelope, both ways, are moving (noise and a sub-pixel camera error stay inside it; flow vectors alone are
unreliable on flat, noisy surfaces). Moving pixels are joined (a moving edge is a thin line), cleared of specks and
grown by ``GROW`` of the frame height, since a person's still parts sit beside the moving ones.

Limits: an actor who stays perfectly still through a shot is not found; a prop that moves *during* a shot
(a door, a curtain) is treated as acting. ``bench/bench_continuity.py`` measures the effect of the mask on
false alarms.

Frames: scene-linear ACEScg ``(H, W, 3)`` float32 proxies; masks bool ``(H, W)``.
"""
from __future__ import annotations

import cv2
import numpy as np

#: Change (stops of luminance) between the two frames, the camera's motion taken out, that counts as moving.
MOTION_STOPS = 0.2
#: Moving regions are grown by this share of the frame height.
GROW = 0.04
#: Moving regions smaller than this share of the frame are noise.
MIN_AREA = 0.002
_SIDE = 240
_GRID = 8
_FLOOR = 2.0 ** -7


def _log_luminance(frame_linear: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    luminance = frame_linear @ np.float32([0.2722, 0.6741, 0.0537])
    small = cv2.resize(luminance, size, interpolation=cv2.INTER_AREA)
    return cv2.GaussianBlur(np.log2(np.maximum(small, _FLOOR)).astype(np.float32), (0, 0), 1.0)


def _stretched(log: np.ndarray) -> np.ndarray:
    low, high = np.percentile(log, (1, 99))
    return (np.clip((log - low) / max(float(high - low), 1e-6), 0, 1) * 255 + 0.5).astype(np.uint8)


def camera_homography(log_a: np.ndarray, log_b: np.ndarray) -> np.ndarray:
    """The homography taking ``log_a`` pixels to where the camera put them in ``log_b`` (dense flow, RANSAC)."""
    flow = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_FAST).calc(_stretched(log_a), _stretched(log_b), None)
    height, width = flow.shape[:2]
    ys, xs = np.mgrid[_GRID // 2:height:_GRID, _GRID // 2:width:_GRID]
    source = np.stack([xs.ravel(), ys.ravel()], axis=1).astype(np.float32)
    target = source + flow[ys.ravel(), xs.ravel()]
    homography, _ = cv2.findHomography(source, target, cv2.RANSAC, 0.5)
    return np.eye(3) if homography is None else homography


def moving_mask(frame_a: np.ndarray, frame_b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pixels of ``frame_a`` that change between two frames of one shot once the camera's motion is taken out:
    the regions grown as the module docstring says, and the changing pixels themselves (the people's own
    pixels, what is matched to find them again in another shot)."""
    height, width = frame_a.shape[:2]
    scale = min(1.0, _SIDE / height)
    size = (max(16, round(width * scale)), max(16, round(height * scale)))
    log_a, log_b = _log_luminance(frame_a, size), _log_luminance(frame_b, size)
    homography = camera_homography(log_a, log_b)
    back = cv2.warpPerspective(log_b, homography, size, flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                               borderMode=cv2.BORDER_REPLICATE)
    kernel = np.ones((3, 3), np.uint8)
    outside = np.minimum(np.maximum(np.maximum(log_a - cv2.dilate(back, kernel), cv2.erode(back, kernel) - log_a), 0),
                         np.maximum(np.maximum(back - cv2.dilate(log_a, kernel), cv2.erode(log_a, kernel) - back), 0))
    moving = cv2.dilate((outside > MOTION_STOPS).astype(np.uint8), np.ones((5, 5), np.uint8))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(moving)
    keep = np.zeros(count, bool)
    keep[1:] = stats[1:, cv2.CC_STAT_AREA] >= MIN_AREA * size[0] * size[1]
    core = (keep[labels] & (outside > MOTION_STOPS)).astype(np.uint8)
    grow = max(1, int(GROW * size[1]))
    moving = cv2.dilate(keep[labels].astype(np.uint8),
                        cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1)))
    return tuple(cv2.resize(mask, (width, height), interpolation=cv2.INTER_NEAREST) > 0 for mask in (moving, core))
