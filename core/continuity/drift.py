"""Registration of a shot pair and its colour drift: exposure (EV), white balance (ΔE00, CCT, Duv), levels.

The second shot's key frame is registered onto the first's and warped there: from dense optical flow (DIS) when the
camera barely moved (takes of one set-up), else from SIFT features (``colormatch.register``); either way a RANSAC
homography, kept only when most of the registered frames agree (``_agrees``). *Static* pixels are those both frames
show, away from people (either shot's moving regions), from content changes, from edges (where a sub-pixel
misregistration bites), and neither clipped nor in the noise near black.

On them the drift is fitted as gains on the Bradford cone responses (a von Kries model): exposure and white
balance (the camera's gain and white balance, a change of the light's colour) scale each cone response, so
three gains hold both, ``D = K⁻¹ diag(g) K`` maps the first shot's scene-linear ACEScg to the second's
(``second ≈ first @ D.T``), and its inverse is the correction. Three numbers are pinned down even by a scene of
few colours, where a free 3×3 fit goes astray. The fit weighs relative errors (a stop is a stop in shadows
and highlights) and drops the worst 20 % of pixels, three times (misregistration, small content changes).

Frames: scene-linear ACEScg proxies ``(h, w, 3)`` float32.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ..effects.colormatch.register import find_registration
from .colorimetry import acescg_to_cones, acescg_to_lab, acescg_to_xyz, cct_duv, delta_e00_acescg, xyz_to_acescg
from .measures import Measurement, not_compared

#: Scene-linear luminance below which pixels are in the noise (about 7.6 stops under mid grey).
DARK = 0.001
#: Pixels within this factor of a frame's brightest are treated as clipped.
CLIP_SHARE = 0.98
#: Least share of the frame that must be static for the drift to be measured.
MIN_STATIC = 0.03
#: Share of flow vectors a homography must explain for the flow registration to be tried.
FLOW_INLIERS = 0.2
#: Share of overlapping pixels that must agree (``_agrees``) for a registration to hold.
AGREEMENT = 0.5
_LUMINANCE = np.float32([0.2722287, 0.6740818, 0.0536895])  # Y of AP1 primaries (ACEScg)
_BLUR = 1.5
_SAMPLES = 60_000
_NEUTRAL_CHROMA = 8.0
_MIN_NEUTRALS = 0.005


@dataclass(frozen=True)
class Registered:
    """The second shot's key frame warped onto the first's.

    Attributes
    ----------
    homography : ndarray
        ``(3, 3)`` second → first, proxy pixels.
    warped : ndarray
        The second frame in the first's geometry (scene-linear).
    valid : ndarray
        bool: pixels the warped frame covers (eroded away from its edges).
    inliers : int
        RANSAC inliers of the homography.
    """

    homography: np.ndarray
    warped: np.ndarray
    valid: np.ndarray
    inliers: int

    @property
    def overlap(self) -> float:
        return float(self.valid.mean())


def luminance(frame_linear: np.ndarray) -> np.ndarray:
    """Scene-linear luminance Y of ACEScg pixels."""
    return frame_linear @ _LUMINANCE


def log_view(frame_linear: np.ndarray) -> np.ndarray:
    """log2 of scene-linear values (floored at 2⁻¹²): grade-insensitive input for registration."""
    return np.log2(np.maximum(frame_linear, 2.0 ** -12)).astype(np.float32)


def _flow_homography(first_log: np.ndarray, second_log: np.ndarray) -> tuple[np.ndarray, float] | None:
    """Homography second → first from dense flow (takes of one set-up: the camera barely moved) and the share
    of flow vectors it explains; None when RANSAC finds none."""
    low, high = np.percentile(first_log, (1, 99))
    greys = [(np.clip((image - low) / max(float(high - low), 1e-6), 0, 1) * 255 + 0.5).astype(np.uint8)
             for image in (first_log, second_log)]
    flow = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_FAST).calc(greys[0], greys[1], None)
    height, width = flow.shape[:2]
    ys, xs = np.mgrid[4:height:8, 4:width:8]
    on_first = np.stack([xs.ravel(), ys.ravel()], axis=1).astype(np.float32)
    on_second = on_first + flow[ys.ravel(), xs.ravel()]
    homography, inliers = cv2.findHomography(on_second, on_first, cv2.RANSAC, 0.75)
    if homography is None:
        return None
    return homography, float(inliers.mean())


def _smooth_log(frame_linear: np.ndarray) -> np.ndarray:
    blurred = cv2.GaussianBlur(luminance(frame_linear), (0, 0), _BLUR)
    return np.log2(np.maximum(blurred, 2.0 ** -7)).astype(np.float32)


def _agrees(first: np.ndarray, warped: np.ndarray, covered: np.ndarray) -> bool:
    """Whether a registration holds: where covered, at least ``AGREEMENT`` of the pixels have the same smoothed log
    luminance within 0.2 stops, once the median difference (an exposure change) is taken out. An actor who
    moved, or a changed object, is a minority; a wrong registration leaves few pixels in agreement."""
    a, b = _smooth_log(first)[covered], _smooth_log(warped)[covered]
    if a.size < 0.2 * first.shape[0] * first.shape[1]:
        return False
    difference = a - b
    return float(np.mean(np.abs(difference - np.median(difference)) < 0.2)) >= AGREEMENT


def register(first: np.ndarray, second: np.ndarray) -> Registered | None:
    """Register ``second`` onto ``first`` (scene-linear proxies); None when they show no common view.

    Takes of one set-up are registered from dense optical flow (fast, sub-pixel); when that does not hold (another
    framing), from SIFT features (``colormatch.register``).
    """
    first_log, second_log = log_view(luminance(first)), log_view(luminance(second))
    height, width = first.shape[:2]
    candidates = []
    found_flow = _flow_homography(first_log, second_log) if first.shape == second.shape else None
    if found_flow is not None and found_flow[1] >= FLOW_INLIERS:
        candidates.append((found_flow[0], int(found_flow[1] * first_log.size / 64)))
    for candidate in candidates + [None]:
        if candidate is not None:
            homography, inliers = candidate
        else:
            found = find_registration(log_view(first), log_view(second))
            if found is None:
                return None
            homography, inliers = found.homography, found.inliers
        warped = cv2.warpPerspective(second, homography, (width, height), flags=cv2.INTER_LINEAR)
        covered = cv2.warpPerspective(np.ones(second.shape[:2], np.uint8), homography, (width, height),
                                      flags=cv2.INTER_NEAREST)
        valid = cv2.erode(covered, np.ones((9, 9), np.uint8)) > 0
        if _agrees(first, warped, valid):
            return Registered(homography, warped, valid, inliers)
    return None


def warp_mask(mask: np.ndarray, registered: Registered) -> np.ndarray:
    """A bool mask of the second frame in the first's geometry."""
    height, width = registered.valid.shape
    return cv2.warpPerspective(mask.astype(np.uint8), registered.homography, (width, height),
                               flags=cv2.INTER_NEAREST) > 0


def static_mask(first: np.ndarray, warped: np.ndarray, usable: np.ndarray) -> np.ndarray:
    """Pixels of ``usable`` where both frames are neither dark nor clipped and the first is not on an edge."""
    y_first, y_second = luminance(first), luminance(warped)
    bright = (y_first > DARK) & (y_second > DARK)
    unclipped = (first.max(axis=2) < CLIP_SHARE * first.max()) & (warped.max(axis=2) < CLIP_SHARE * warped.max())
    grey = log_view(y_first)
    gradient = cv2.magnitude(cv2.Sobel(grey, cv2.CV_32F, 1, 0), cv2.Sobel(grey, cv2.CV_32F, 0, 1))
    candidates = usable & bright & unclipped
    if not candidates.any():
        return candidates
    flat = gradient <= np.percentile(gradient[candidates], 75)
    return candidates & flat


def fit_drift(first: np.ndarray, warped: np.ndarray, static: np.ndarray, seed: int = 0) -> np.ndarray:
    """The 3×3 scene-linear drift ``D`` with ``warped ≈ first @ D.T`` over ``static`` pixels (see module)."""
    blurred_first = cv2.GaussianBlur(first, (0, 0), _BLUR)
    blurred_second = cv2.GaussianBlur(warped, (0, 0), _BLUR)
    chosen = np.flatnonzero(static)
    if chosen.size > _SAMPLES:
        chosen = np.random.default_rng(seed).choice(chosen, _SAMPLES, replace=False)
    cones = acescg_to_cones()
    source = blurred_first.reshape(-1, 3)[chosen].astype(np.float64) @ cones.T
    target = blurred_second.reshape(-1, 3)[chosen].astype(np.float64) @ cones.T
    weights = 1.0 / np.maximum(np.abs(source), DARK) ** 2
    keep = np.ones(len(chosen), bool)
    for _ in range(3):
        gains = (weights * source * target)[keep].sum(0) / np.maximum((weights * source ** 2)[keep].sum(0), 1e-12)
        relative = np.linalg.norm((target - source * gains) * np.sqrt(weights), axis=1)
        keep = relative <= np.percentile(relative, 80)
    return np.linalg.inv(cones) @ np.diag(gains) @ cones


def exposure_change(first: np.ndarray, warped: np.ndarray, static: np.ndarray) -> float:
    """Median log2(second / first) of blurred scene-linear luminance over ``static`` pixels (EV)."""
    y_first = luminance(cv2.GaussianBlur(first, (0, 0), _BLUR))[static]
    y_second = luminance(cv2.GaussianBlur(warped, (0, 0), _BLUR))[static]
    return float(np.median(np.log2(np.maximum(y_second, 1e-6) / np.maximum(y_first, 1e-6))))


def scene_neutral(first: np.ndarray, static: np.ndarray) -> tuple[np.ndarray, str]:
    """The scene's neutral in the first frame: the mean of its near-neutral static pixels (chroma under 8 in
    CIELAB, L* 20..95) when they cover 0.5 % of the frame, else a D65 grey; and which one it is."""
    pixels = cv2.GaussianBlur(first, (0, 0), _BLUR)[static]
    if len(pixels):
        lab = acescg_to_lab(pixels)
        neutral = (np.hypot(lab[:, 1], lab[:, 2]) < _NEUTRAL_CHROMA) & (lab[:, 0] > 20) & (lab[:, 0] < 95)
        if neutral.sum() >= _MIN_NEUTRALS * static.size:
            colour = pixels[neutral].astype(np.float64).mean(axis=0)
            return colour / max(float(colour @ _LUMINANCE), 1e-6) * 0.18, "the scene's neutrals"
    grey = xyz_to_acescg(np.array([0.95047, 1.0, 1.08883]) * 0.18)
    return grey, "a D65 grey (the scene has too few neutrals)"


def white_balance(drift: np.ndarray, neutral: np.ndarray, source: str) -> Measurement:
    """ΔE00 of ``neutral`` through ``drift`` at equal luminance, with CCT and Duv before and after.

    The CCT is the neutral's as recorded (a well balanced neutral reads near ACES's white, about 6000 K), so the
    shift is also given in mired, which does not depend on where on the locus it happens: 300 K on a 4300 K light
    is 15 mired, the same 15 mired moves a 5800 K neutral by about 480 K."""
    shifted = drift @ neutral
    shifted = shifted * float(neutral @ _LUMINANCE) / max(float(shifted @ _LUMINANCE), 1e-9)
    difference = float(delta_e00_acescg(neutral[None], shifted[None])[0])
    cct_first, duv_first = cct_duv(acescg_to_xyz(neutral[None])[0])
    cct_second, duv_second = cct_duv(acescg_to_xyz(shifted[None])[0])
    direction = "warmer" if cct_second < cct_first else "cooler"
    mired = 1e6 / cct_second - 1e6 / cct_first
    return Measurement("white_balance", difference,
                       f"ΔE00 {difference:.2f} on {source}: {cct_first:.0f} K → {cct_second:.0f} K "
                       f"({abs(mired):.1f} mired {direction}), Duv {duv_first:+.4f} → {duv_second:+.4f}",
                       figures={"cct_first": round(cct_first, 1), "cct_second": round(cct_second, 1),
                                "duv_first": round(duv_first, 5), "duv_second": round(duv_second, 5),
                                "delta_kelvin": round(cct_second - cct_first, 1), "delta_mired": round(mired, 2)})


def levels(first: np.ndarray, warped: np.ndarray, usable: np.ndarray, exposure_ev: float) -> list[Measurement]:
    """Black and white levels: 1st and 99th percentiles of luminance over ``usable``, change beyond exposure."""
    y_first = luminance(cv2.GaussianBlur(first, (0, 0), _BLUR))[usable]
    y_second = luminance(cv2.GaussianBlur(warped, (0, 0), _BLUR))[usable]
    results = []
    for name, percent in (("black_level", 1.0), ("white_level", 99.0)):
        low_first, low_second = np.percentile(y_first, percent), np.percentile(y_second, percent)
        if low_first <= DARK / 4 or low_second <= DARK / 4:
            results.append(not_compared(name, "the percentile sits in the noise floor (below 2⁻¹² linear)"))
            continue
        change = float(np.log2(low_second / low_first) - exposure_ev)
        results.append(Measurement(name, change, f"{percent:g}th percentile {low_first:.4f} → {low_second:.4f} "
                                                 f"linear: {change:+.2f} EV beyond the exposure change",
                                   figures={"first": float(low_first), "second": float(low_second)}))
    return results


def correction(drift: np.ndarray) -> np.ndarray:
    """The 3×3 scene-linear correction (``pixels @ C.T``) that takes the second shot back to the first."""
    return np.linalg.inv(drift)
