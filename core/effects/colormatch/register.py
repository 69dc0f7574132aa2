"""Find the same scene in a shot and its reference, and the pixels that correspond.

When the reference is the same scene framed differently (a wider or tighter take, a reframe, a
punch-in), the pixels both frames show can be paired exactly: SIFT features on grade-insensitive images
(the mean channel, locally equalised), ratio-tested matches, and a RANSAC homography. Pixel pairs then teach
the colour match directly, the way graded pairs teach a look, instead of guessing from colour statistics.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

#: Fewer RANSAC inliers than this, or a smaller inlier share, means no common view was found.
MIN_INLIERS = 20
MIN_INLIER_RATIO = 0.4
#: The warped reference must cover at least this share of the shot.
MIN_OVERLAP = 0.15
_ANALYSIS_SIDE = 960
_RATIO = 0.75


@dataclass(frozen=True)
class CommonView:
    """Corresponding pixels of a shot and its reference.

    Attributes
    ----------
    shot_pixels, reference_pixels : ndarray
        float32 ``(P, 3)``: the same scene points, in the shot and in the reference (ACEScct).
    inliers : int
        RANSAC inliers of the homography.
    inlier_ratio : float
        Inliers over ratio-tested matches.
    overlap : float
        Share of the shot's pixels the reference covers.
    """

    shot_pixels: np.ndarray
    reference_pixels: np.ndarray
    inliers: int
    inlier_ratio: float
    overlap: float


def _grade_insensitive(frame: np.ndarray, scale: float) -> np.ndarray:
    """The mean channel, resized by ``scale``, stretched between its 1st and 99th percentiles to 8 bits and
    locally equalised (CLAHE): features then survive contrast, lift and colour changes of a grade."""
    grey = np.ascontiguousarray(frame.mean(axis=2), dtype=np.float32)
    if scale != 1.0:
        grey = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    low, high = np.percentile(grey, (1, 99))
    stretched = np.clip((grey - low) / max(float(high - low), 1e-6), 0.0, 1.0)
    return cv2.createCLAHE(clipLimit=2.0, tileGridSize=(8, 8)).apply((stretched * 255).astype(np.uint8))


@dataclass(frozen=True)
class Registration:
    """A homography taking reference pixel coordinates to the shot's, with its RANSAC support.

    Attributes
    ----------
    homography : ndarray
        float64 ``(3, 3)``: reference (x, y, 1) → shot, in full-resolution pixels.
    inliers : int
        RANSAC inliers.
    inlier_ratio : float
        Inliers over ratio-tested matches.
    """

    homography: np.ndarray
    inliers: int
    inlier_ratio: float


def find_registration(shot: np.ndarray, reference: np.ndarray,
                      reference_mask: np.ndarray | None = None) -> Registration | None:
    """The homography taking ``reference`` onto ``shot`` (both ``(H, W, 3)``, any encoding), or None when
    they do not show a common view (fewer than ``MIN_INLIERS`` inliers or an inlier share under
    ``MIN_INLIER_RATIO``).

    Parameters
    ----------
    reference_mask : ndarray, optional
        bool ``(H, W)`` of the reference: False excludes a region from the features.
    """
    shot_scale = min(1.0, _ANALYSIS_SIDE / max(shot.shape[:2]))
    reference_scale = min(1.0, _ANALYSIS_SIDE / max(reference.shape[:2]))
    shot_small, reference_small = _grade_insensitive(shot, shot_scale), _grade_insensitive(reference, reference_scale)
    sift = cv2.SIFT_create(nfeatures=4000)
    feature_mask = None
    if reference_mask is not None:
        feature_mask = cv2.resize(reference_mask.astype(np.uint8) * 255, reference_small.shape[::-1],
                                  interpolation=cv2.INTER_NEAREST)
    shot_points, shot_descriptors = sift.detectAndCompute(shot_small, None)
    reference_points, reference_descriptors = sift.detectAndCompute(reference_small, feature_mask)
    if shot_descriptors is None or reference_descriptors is None or len(reference_points) < 2 or len(shot_points) < 2:
        return None
    matches = cv2.BFMatcher(cv2.NORM_L2).knnMatch(reference_descriptors, shot_descriptors, k=2)
    good = [m[0] for m in matches if len(m) == 2 and m[0].distance < _RATIO * m[1].distance]
    if len(good) < MIN_INLIERS:
        return None
    source = np.float32([reference_points[m.queryIdx].pt for m in good]) / reference_scale
    target = np.float32([shot_points[m.trainIdx].pt for m in good]) / shot_scale
    homography, inlier_flags = cv2.findHomography(source, target, cv2.RANSAC, 3.0 / shot_scale)
    if homography is None:
        return None
    inliers = int(inlier_flags.sum())
    ratio = inliers / len(good)
    if inliers < MIN_INLIERS or ratio < MIN_INLIER_RATIO:
        return None
    return Registration(homography, inliers, ratio)


def find_common_view(shot: np.ndarray, reference: np.ndarray, reference_mask: np.ndarray | None = None,
                     max_pixels: int = 200_000, seed: int = 0) -> CommonView | None:
    """Corresponding pixels of ``shot`` and ``reference`` (ACEScct ``(H, W, 3)``), or None when they do not
    show a common view.

    Parameters
    ----------
    reference_mask : ndarray, optional
        bool ``(H, W)`` of the reference: False excludes a region (it is neither matched nor sampled).
    max_pixels : int
        Most pixel pairs returned (drawn at random from the overlap).
    """
    registration = find_registration(shot, reference, reference_mask)
    if registration is None:
        return None
    return _pairs_through(shot, reference, registration.homography, reference_mask, registration.inliers,
                          registration.inlier_ratio, max_pixels, seed)


def _pairs_through(shot: np.ndarray, reference: np.ndarray, homography: np.ndarray, reference_mask: np.ndarray | None,
                   inliers: int, ratio: float, max_pixels: int, seed: int) -> CommonView | None:
    """Pixel pairs where the warped reference covers the shot, away from edges (where misregistration bites)."""
    height, width = shot.shape[:2]
    warped = cv2.warpPerspective(reference, homography, (width, height), flags=cv2.INTER_LINEAR)
    coverage = np.ones(reference.shape[:2], np.uint8) if reference_mask is None else reference_mask.astype(np.uint8)
    covered = cv2.warpPerspective(coverage, homography, (width, height), flags=cv2.INTER_NEAREST)
    valid = cv2.erode(covered, np.ones((7, 7), np.uint8)) > 0
    overlap = float(valid.mean())
    if overlap < MIN_OVERLAP:
        return None
    grey = np.ascontiguousarray(shot.mean(axis=2), dtype=np.float32)
    gradient = cv2.magnitude(cv2.Sobel(grey, cv2.CV_32F, 1, 0), cv2.Sobel(grey, cv2.CV_32F, 0, 1))
    flat = gradient <= np.percentile(gradient[valid], 70)
    chosen = np.flatnonzero(valid & flat)
    if chosen.size > max_pixels:
        chosen = np.random.default_rng(seed).choice(chosen, max_pixels, replace=False)
    return CommonView(shot.reshape(-1, 3)[chosen], warped.reshape(-1, 3)[chosen], inliers, ratio, overlap)
