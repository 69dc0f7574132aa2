"""The parametric part of a fitted look: per-channel tone curves, then a 3×3 matrix and an offset.

    y = M · (f_r(x_r), f_g(x_g), f_b(x_b)) + o

Most grades are largely of this form (a show LUT's tone curve followed by a colour-space or saturation
matrix), and unlike a lattice it extends sensibly to colours the training pairs never showed. The global
look LUT (``look_fit``) is this prior plus a smooth lattice residual, so colours far from the data fall
back to the prior rather than to whatever a smoothness penalty extrapolates.

Fitting alternates two linear least-squares steps: the curves' knot values with the matrix fixed, then the
matrix and offset with the curves fixed. The curves are piecewise linear on evenly spaced knots over the
look's ACEScct input domain, lightly smoothed (second differences) and extended linearly outside it.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sparse

KNOTS = 17
_CURVE_SMOOTHNESS = 1e-4
_ROUNDS = 6


@dataclass(frozen=True)
class CurvesMatrix:
    """``y = matrix @ curves(x) + offset`` in ACEScct.

    Attributes
    ----------
    knots : ndarray
        float64 ``(3, K)``: input value of each curve knot per channel (evenly spaced over the domain).
    curves : ndarray
        float64 ``(3, K)``: curve value at each knot per channel.
    matrix : ndarray
        float64 ``(3, 3)``: output channel by curve.
    offset : ndarray
        float64 ``(3,)``.
    """

    knots: np.ndarray
    curves: np.ndarray
    matrix: np.ndarray
    offset: np.ndarray

    def shaped(self, points: np.ndarray) -> np.ndarray:
        """The curves applied to ``points`` (``(P, 3)``), linear beyond the end knots."""
        out = np.empty(points.shape, dtype=np.float64)
        for channel in range(3):
            out[:, channel] = _interpolate(points[:, channel], self.knots[channel], self.curves[channel])
        return out

    def __call__(self, points: np.ndarray) -> np.ndarray:
        """The prior's output for ``points`` (float ``(P, 3)`` ACEScct), float64 ``(P, 3)``."""
        return self.shaped(points) @ self.matrix.T + self.offset


def _interpolate(values: np.ndarray, knots: np.ndarray, curve: np.ndarray) -> np.ndarray:
    inside = np.interp(values, knots, curve)
    below_slope = (curve[1] - curve[0]) / (knots[1] - knots[0])
    above_slope = (curve[-1] - curve[-2]) / (knots[-1] - knots[-2])
    inside = np.where(values < knots[0], curve[0] + (values - knots[0]) * below_slope, inside)
    return np.where(values > knots[-1], curve[-1] + (values - knots[-1]) * above_slope, inside)


def _hat_basis(values: np.ndarray, knots: np.ndarray) -> sparse.csr_matrix:
    """``(P, K)`` piecewise-linear interpolation weights (linear extension beyond the end knots)."""
    spacing = knots[1] - knots[0]
    position = (values - knots[0]) / spacing
    base = np.clip(np.floor(position).astype(np.int64), 0, knots.size - 2)
    fraction = position - base
    rows = np.arange(values.size)
    return sparse.csr_matrix((np.concatenate([1.0 - fraction, fraction]),
                              (np.concatenate([rows, rows]), np.concatenate([base, base + 1]))),
                             shape=(values.size, knots.size))


def fit_curves_matrix(source: np.ndarray, target: np.ndarray, domain_min: np.ndarray, domain_max: np.ndarray,
                      knots: int = KNOTS) -> CurvesMatrix:
    """Fit the prior to corresponding pixels.

    Parameters
    ----------
    source, target : ndarray
        float64 ``(P, 3)`` ACEScct values before and after the grade.
    domain_min, domain_max : ndarray
        ``(3,)`` span of the curves' knots per channel.
    knots : int
        Knots per curve.
    """
    positions = np.stack([np.linspace(domain_min[c], domain_max[c], knots) for c in range(3)])
    bases = [_hat_basis(source[:, c], positions[c]) for c in range(3)]
    second = sparse.eye(knots - 2, knots) - 2 * sparse.eye(knots - 2, knots, 1) + sparse.eye(knots - 2, knots, 2)
    smooth = sparse.block_diag([second] * 3).tocsr() * np.sqrt(_CURVE_SMOOTHNESS * source.shape[0])
    curves = positions.copy()
    matrix, offset = _fit_matrix(source, target)
    for _ in range(_ROUNDS):
        curves = _fit_curves(bases, target - offset, matrix, smooth, curves)
        shaped = np.column_stack([bases[c] @ curves[c] for c in range(3)])
        matrix, offset = _fit_matrix(shaped, target)
    return CurvesMatrix(positions, curves, matrix, offset)


def _fit_matrix(shaped: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    design = np.column_stack([shaped, np.ones(shaped.shape[0])])
    solution, *_ = np.linalg.lstsq(design, target, rcond=None)
    return solution[:3].T, solution[3]


def _fit_curves(bases: list[sparse.csr_matrix], target: np.ndarray, matrix: np.ndarray,
                smooth: sparse.csr_matrix, previous: np.ndarray) -> np.ndarray:
    """Knot values minimising |M · curves(x) − target|² + smoothness, with ``matrix`` fixed."""
    design = sparse.vstack([sparse.hstack([matrix[c, j] * bases[j] for j in range(3)]) for c in range(3)]).tocsr()
    normal = (design.T @ design + smooth.T @ smooth).toarray()
    right = design.T @ target.T.reshape(-1)
    try:
        solution = np.linalg.solve(normal, right)
    except np.linalg.LinAlgError:
        return previous
    return solution.reshape(3, -1)
