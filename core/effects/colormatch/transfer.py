"""Shot match: bring a shot's colour to a reference frame's, or hold back when that would make it worse.

Two routes, tried in order, both in ACEScct, both ending in one 3D LUT applied to every frame:

1. **Common view.** When the reference shows the same scene (another framing, a reframe, a wider take),
   ``register.find_common_view`` pairs the pixels both show, and the match is *fitted* to those pairs like a
   look (``look_fit``, with more smoothing and a trimmed refit against misregistered pixels). A common view
   is strong evidence (a RANSAC homography with ≥ 20 inliers does not happen by chance): confidence starts
   at 0.75 and grows with the inliers.
2. **Statistics.** Otherwise an MKL transfer (Pitié & Kokaram 2007: the linear map taking the shot's colour
   Gaussian onto the reference's), optionally refined per channel by histogram matching (``mkl_hist``).
   Statistics cannot tell a grade from content: across different content such transfers are measured
   three times *worse* than doing nothing. Confidence is therefore the share of the colour distributions
   that agree once MKL has aligned them (3D histogram intersection), cut when the map is implausible for a
   grade (stretching or squeezing a colour axis more than 2×).

Below ``HOLD_BACK_BELOW`` confidence the match holds back (identity) and says why, unless told not to.
Masks exclude reference regions (a car, a sky) from every statistic and every pixel pair.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ...color.lut import Lut3D, apply_lut, lattice_points
from ...color.spaces import FULL_DOMAIN
from ...errors import MediaError, UsageError
from ..look.fit import fit_global_look
from .register import find_common_view

HOLD_BACK_BELOW = 0.7
METHODS = ("mkl", "mkl_hist")
_LUT_SIZE = 33
_MATCH_SMOOTHNESS = 1e-6
_HISTOGRAM_BINS = 8
_MAX_STATISTIC_PIXELS = 300_000
#: ACEScct of scene-linear 0.002 (black) and the plateau width counted as clipping.
_BLACK_ACESCCT = 0.094
_CLIP_BAND = 0.005


@dataclass(frozen=True)
class ShotMatch:
    """A computed shot match.

    Attributes
    ----------
    lut : Lut3D or None
        ACEScct → ACEScct; None when held back (the shot passes through untouched).
    route : str
        ``common view``, ``mkl``, ``mkl_hist`` or ``held back``.
    confidence : float
        0..1: how sure the match is to improve the shot.
    held_back : bool
        True when the shot is left unchanged because confidence was low.
    message : str
        One line for the colorist: what was done and why.
    """

    lut: Lut3D | None
    route: str
    confidence: float
    held_back: bool
    message: str


def check_reference(reference: np.ndarray, where: str) -> None:
    """Refuse a reference frame (ACEScct) that cannot be matched to.

    Raises
    ------
    MediaError
        When it holds NaN/Inf, is black (99% of pixels below scene-linear 0.002), flat, or clipped (more than
        40% of its pixels on one plateau at its brightest value).
    """
    if not np.isfinite(reference).all():
        raise MediaError("the reference frame holds NaN or infinite values", where)
    brightness = reference.max(axis=2)
    if np.percentile(brightness, 99) < _BLACK_ACESCCT:
        raise MediaError("the reference frame is black; there is no colour to match to", where)
    if float(np.std(reference.mean(axis=2))) < 2e-3:
        raise MediaError("the reference frame is flat (one colour); there is no picture to match to", where)
    clipped = float(np.mean(brightness >= brightness.max() - _CLIP_BAND))
    if clipped > 0.4:
        raise MediaError(f"the reference frame is clipped ({clipped:.0%} of it sits at its brightest value); "
                         "pick a frame with detail in the highlights", where)


def mkl_map(source: np.ndarray, reference: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The MKL colour transfer ``x ↦ T (x − μ_s) + μ_r`` from ``source`` to ``reference`` pixels (``(P, 3)``).

    Returns
    -------
    (T, offset)
        ``(3, 3)`` and ``(3,)`` with ``mapped = x @ T.T + offset``.
    """
    mean_s, mean_r = source.mean(axis=0), reference.mean(axis=0)
    eye = np.eye(3) * 1e-6
    cov_s, cov_r = np.cov(source, rowvar=False) + eye, np.cov(reference, rowvar=False) + eye
    root_s = _sqrtm(cov_s)
    inverse_root_s = np.linalg.inv(root_s)
    transform = inverse_root_s @ _sqrtm(root_s @ cov_r @ root_s) @ inverse_root_s
    return transform, mean_r - transform @ mean_s


def _sqrtm(matrix: np.ndarray) -> np.ndarray:
    values, vectors = np.linalg.eigh((matrix + matrix.T) / 2)
    return (vectors * np.sqrt(np.clip(values, 0.0, None))) @ vectors.T


def histogram_curves(mapped: np.ndarray, reference: np.ndarray, levels: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel quantile matching of ``mapped`` onto ``reference``: (inputs, outputs), each ``(3, levels)``."""
    quantiles = np.linspace(0.5, 99.5, levels)
    inputs = np.percentile(mapped, quantiles, axis=0).T
    outputs = np.percentile(reference, quantiles, axis=0).T
    inputs = np.maximum.accumulate(inputs + np.arange(levels) * 1e-7, axis=1)
    return inputs, outputs


def _histogram_agreement(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection (0..1) of the two pixel sets' 3D colour histograms over their common range."""
    low = np.minimum(np.percentile(a, 1, axis=0), np.percentile(b, 1, axis=0))
    high = np.maximum(np.percentile(a, 99, axis=0), np.percentile(b, 99, axis=0))
    edges = [np.linspace(low[c], high[c] + 1e-9, _HISTOGRAM_BINS + 1) for c in range(3)]
    ha, _ = np.histogramdd(a, bins=edges)
    hb, _ = np.histogramdd(b, bins=edges)
    return float(np.minimum(ha / max(ha.sum(), 1), hb / max(hb.sum(), 1)).sum())


def _sample(pixels: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    flat = pixels.reshape(-1, 3)
    return flat if flat.shape[0] <= count else flat[rng.choice(flat.shape[0], count, replace=False)]


def _statistical(shot: np.ndarray, reference: np.ndarray, method: str) -> tuple[Lut3D, float, str]:
    transform, offset = mkl_map(shot, reference)
    mapped = shot @ transform.T + offset
    curves = histogram_curves(mapped, reference) if method == "mkl_hist" else None
    if curves is not None:
        mapped = np.column_stack([np.interp(mapped[:, c], curves[0][c], curves[1][c]) for c in range(3)])
    agreement = _histogram_agreement(mapped, reference)
    stretch = np.linalg.svd(transform, compute_uv=False)
    plausible = 1.0 if stretch.max() <= 2.0 and stretch.min() >= 0.5 else 0.5

    def mapping(points: np.ndarray) -> np.ndarray:
        out = points.astype(np.float64) @ transform.T + offset
        if curves is None:
            return out
        return np.column_stack([np.interp(out[:, c], curves[0][c], curves[1][c]) for c in range(3)])

    return Lut3D.from_function(mapping, _LUT_SIZE), agreement * plausible, (
        f"no common view with the reference; {method} statistics agree on {agreement:.0%} of the colours"
        + ("" if plausible == 1.0 else ", and the map stretches a colour axis more than 2x"))


def _from_common_view(shot_pixels: np.ndarray, reference_pixels: np.ndarray,
                      domain: tuple[np.ndarray, np.ndarray]) -> Lut3D:
    """A smooth LUT fitted to corresponding pixels, refitted without the worst 10% (misregistered) pairs."""
    shot_pairs, reference_pairs = shot_pixels[:, None, :], reference_pixels[:, None, :]
    fit = fit_global_look([shot_pairs], [reference_pairs], size=17, smoothness=_MATCH_SMOOTHNESS,
                          domain_min=domain[0], domain_max=domain[1], monotonic=True)
    residual = np.abs(apply_lut(shot_pixels, fit.lut) - reference_pixels).max(axis=1)
    keep = residual <= np.percentile(residual, 90)
    fit = fit_global_look([shot_pairs[keep]], [reference_pairs[keep]], size=17, smoothness=_MATCH_SMOOTHNESS,
                          domain_min=domain[0], domain_max=domain[1], monotonic=True)
    return fit.lut


def _with_strength(lut: Lut3D, strength: float) -> Lut3D:
    identity = lattice_points(lut.size, lut.domain_min, lut.domain_max)
    return Lut3D(identity + strength * (lut.table - identity), lut.domain_min, lut.domain_max,
                 interpolation=lut.interpolation)


def match_shot(shot_frames: Sequence[np.ndarray], reference: np.ndarray, *, method: str = "mkl",
               reference_mask: np.ndarray | None = None, strength: float = 1.0, hold_back: bool = True,
               domain: tuple[np.ndarray, np.ndarray] | None = None, seed: int = 0) -> ShotMatch:
    """Compute the match of a shot to a reference (see the module docstring).

    Parameters
    ----------
    shot_frames : sequence of ndarray
        A few frames of the shot (ACEScct ``(H, W, 3)``); the middle one is registered against the reference,
        all of them feed the statistics.
    reference : ndarray
        The reference frame (ACEScct ``(H, W, 3)``), checked by ``check_reference``.
    method : str
        Statistical route: ``mkl`` or ``mkl_hist``.
    reference_mask : ndarray, optional
        bool ``(H, W)`` of the reference: False excludes a region.
    strength : float
        0..1: blend from the shot (0) to the full match (1), in ACEScct.
    hold_back : bool
        Leave the shot unchanged when confidence is below ``HOLD_BACK_BELOW``.
    domain : (ndarray, ndarray), optional
        ACEScct box of the common-view LUT (``spaces.look_domain`` of the shot's space); default ACEScct 0..1.

    Raises
    ------
    UsageError
        When ``method`` or ``strength`` is out of range, or the mask does not fit the reference.
    MediaError
        When the reference is unusable (``check_reference``).
    """
    if method not in METHODS:
        raise UsageError(f"unknown shot-match method {method!r}; use {' or '.join(METHODS)}", "method")
    if not 0.0 <= strength <= 1.0:
        raise UsageError(f"strength must be within 0..1, not {strength}", "strength")
    if reference_mask is not None and reference_mask.shape != reference.shape[:2]:
        raise UsageError(f"the mask is {reference_mask.shape[1]}x{reference_mask.shape[0]} but the reference is "
                         f"{reference.shape[1]}x{reference.shape[0]}", "mask")
    check_reference(reference, "reference")
    rng = np.random.default_rng(seed)
    view = find_common_view(shot_frames[len(shot_frames) // 2], reference, reference_mask, seed=seed)
    if view is not None:
        box = domain if domain is not None else (np.full(3, FULL_DOMAIN[0]), np.full(3, FULL_DOMAIN[1]))
        lut = _from_common_view(view.shot_pixels.astype(np.float64), view.reference_pixels.astype(np.float64), box)
        confidence = 0.75 + 0.25 * min(1.0, view.inliers / 200)
        route, why = "common view", (f"matched through the view the shot shares with the reference "
                                     f"({view.inliers} features, {view.overlap:.0%} of the frame)")
    else:
        usable = reference.reshape(-1, 3) if reference_mask is None else reference[reference_mask]
        shot = _sample(np.concatenate([f.reshape(-1, 3) for f in shot_frames]), _MAX_STATISTIC_PIXELS, rng)
        lut, confidence, why = _statistical(shot.astype(np.float64),
                                            _sample(usable, _MAX_STATISTIC_PIXELS, rng).astype(np.float64), method)
        route = method
    if hold_back and confidence < HOLD_BACK_BELOW:
        return ShotMatch(None, "held back", confidence, True,
                         f"held back, the shot is unchanged: {why} (confidence {confidence:.2f} < {HOLD_BACK_BELOW}); "
                         "a statistical match across different content makes shots worse. "
                         "Pick a reference of the same scene, or set hold_back=false to force it")
    return ShotMatch(_with_strength(lut, strength), route, confidence, False,
                     f"{route} match at strength {strength:g}: {why} (confidence {confidence:.2f})")
