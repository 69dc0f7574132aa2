"""Fit a production's global look as a smooth, monotonic 3D LUT from a few ungraded/graded pairs.

The LUT maps ACEScct to ACEScct over a box of input colours (``spaces.look_domain``: ACEScct 0..1, tightened
to what the source encoding can hold). It is a parametric prior ``p`` (``look_prior``: per-channel curves, then
a 3×3 matrix) plus a lattice residual ``r``, the solution of one sparse regularised least-squares problem per
output channel:

    minimise  mean_k |W_k (p + r) − y_k|²     data: trilinear interpolation of the lattice at each sampled
                                               pixel x_k must give its graded value y_k
            + λ_s · (N−1) · |D r|²            thin-plate smoothness of the residual: squared second
                                               differences, pure and mixed
            + λ_0 / (N−1)³ · |r|²              a faint pull of the residual to zero, so colours far from the
                                               training pairs follow the prior

(the N-dependent factors make λ_s and λ_0 mean the same at any lattice size). Monotonicity — each output
channel non-decreasing along its own input axis — is enforced by an active set: differences that come out
negative are penalised heavily and the system solved again. The lattice is fitted for trilinear reading and
says so (``Lut3D.interpolation``): read tetrahedrally, the demo's LogC3 look strays from its grade to a mean
ΔE00 of 0.57 (99th percentile 9.2) instead of 0.14 (1.5) (``bench/bench_cube_interpolation.py``). The three channels share one sparse matrix,
factorised once with SuperLU. The default 17³ solve from 200,000 pixels takes a few seconds on one core and
resamples exactly to the 33³ and 65³ of delivery; on the benchmark's held-out photographs it generalises
better than a 33³ solve of the full ACEScct cube.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import scipy.sparse as sparse
from scipy.sparse.linalg import splu

from ...color.lut import Lut3D, lattice_points
from ...errors import UsageError
from .prior import fit_curves_matrix

#: Default smoothness λ_s and prior pull λ_0 (chosen on the synthetic grades of bench/bench_colormatch.py).
SMOOTHNESS = 3e-8
PRIOR_PULL = 1e-3
_MONOTONIC_WEIGHT = 1e3
_MONOTONIC_ROUNDS = 4


@dataclass(frozen=True)
class GlobalLookFit:
    """A fitted global look.

    Attributes
    ----------
    lut : Lut3D
        ACEScct → ACEScct, domain 0..1, at the solve size.
    training_rms : float
        Root-mean-square ACEScct error over the sampled training pixels.
    samples : int
        Pixels used.
    monotonic_fixes : int
        Lattice differences that had to be held at zero to keep the LUT monotonic.
    seconds : float
        Wall time of the fit.
    """

    lut: Lut3D
    training_rms: float
    samples: int
    monotonic_fixes: int
    seconds: float


def sample_pairs(ungraded: Sequence[np.ndarray], graded: Sequence[np.ndarray], samples: int,
                 seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Up to ``samples`` corresponding pixels drawn evenly from every pair, as two float64 ``(P, 3)`` arrays.

    Raises
    ------
    UsageError
        When there are no pairs, a pair's frames differ in shape, or a frame holds NaN/Inf.
    """
    if not ungraded or len(ungraded) != len(graded):
        raise UsageError(f"a look needs pairs: got {len(ungraded)} ungraded and {len(graded)} graded frames")
    rng = np.random.default_rng(seed)
    per_pair = max(1, samples // len(ungraded))
    sources, targets = [], []
    for index, (before, after) in enumerate(zip(ungraded, graded)):
        if before.shape != after.shape or before.ndim != 3 or before.shape[2] != 3:
            raise UsageError(f"pair {index + 1}: frames of shapes {before.shape} and {after.shape} do not pair")
        flat_before, flat_after = before.reshape(-1, 3), after.reshape(-1, 3)
        pick = rng.choice(flat_before.shape[0], min(per_pair, flat_before.shape[0]), replace=False)
        sources.append(flat_before[pick])
        targets.append(flat_after[pick])
    source, target = np.concatenate(sources).astype(np.float64), np.concatenate(targets).astype(np.float64)
    if not (np.isfinite(source).all() and np.isfinite(target).all()):
        raise UsageError("a training frame holds NaN or infinite values")
    return source, target


def trilinear_weights(points: np.ndarray, size: int) -> sparse.csr_matrix:
    """The ``(P, size³)`` sparse matrix whose product with a lattice (flattened ``[r, g, b]``) interpolates it
    trilinearly at ``points`` (``(P, 3)`` in lattice units 0..1, clamped)."""
    scaled = np.clip(points, 0.0, 1.0) * (size - 1)
    base = np.minimum(np.floor(scaled).astype(np.int64), size - 2)
    fraction = scaled - base
    rows, columns, weights = [], [], []
    row_index = np.arange(points.shape[0])
    for corner in range(8):
        offset = np.array([(corner >> 2) & 1, (corner >> 1) & 1, corner & 1])
        index = base + offset
        weight = np.prod(np.where(offset == 1, fraction, 1.0 - fraction), axis=1)
        rows.append(row_index)
        columns.append((index[:, 0] * size + index[:, 1]) * size + index[:, 2])
        weights.append(weight)
    return sparse.csr_matrix((np.concatenate(weights), (np.concatenate(rows), np.concatenate(columns))),
                             shape=(points.shape[0], size ** 3))


def _difference(size: int, order: int) -> sparse.csr_matrix:
    """The 1D first (``order`` 1) or second (``order`` 2) difference operator on ``size`` points."""
    if order == 1:
        return (sparse.eye(size - 1, size, 1) - sparse.eye(size - 1, size)).tocsr()
    return (sparse.eye(size - 2, size) - 2 * sparse.eye(size - 2, size, 1) + sparse.eye(size - 2, size, 2)).tocsr()


def thin_plate_operator(size: int) -> sparse.csr_matrix:
    """Stacked second-difference operators (rr, gg, bb, and √2-weighted rg, rb, gb) on a ``size``³ lattice."""
    eye = sparse.identity(size, format="csr")
    second, first = _difference(size, 2), _difference(size, 1)
    blocks = [sparse.kron(sparse.kron(second, eye), eye), sparse.kron(sparse.kron(eye, second), eye),
              sparse.kron(sparse.kron(eye, eye), second)]
    root_two = np.sqrt(2.0)
    blocks += [root_two * sparse.kron(sparse.kron(first, first), eye),
               root_two * sparse.kron(sparse.kron(first, eye), first),
               root_two * sparse.kron(sparse.kron(eye, first), first)]
    return sparse.vstack(blocks).tocsr()


def own_axis_difference(size: int, channel: int) -> sparse.csr_matrix:
    """First differences of a ``size``³ lattice along input axis ``channel`` (0 = r, 1 = g, 2 = b)."""
    eye = sparse.identity(size, format="csr")
    factors = [eye, eye, eye]
    factors[channel] = _difference(size, 1)
    return sparse.kron(sparse.kron(factors[0], factors[1]), factors[2]).tocsr()


def fit_global_look(ungraded: Sequence[np.ndarray], graded: Sequence[np.ndarray], *, size: int = 17,
                    smoothness: float = SMOOTHNESS, prior_pull: float = PRIOR_PULL, samples: int = 200_000,
                    monotonic: bool = True, seed: int = 0, domain_min: float | np.ndarray = 0.0,
                    domain_max: float | np.ndarray = 1.0) -> GlobalLookFit:
    """Fit the global look LUT (see the module docstring) from pairs of frames.

    Parameters
    ----------
    ungraded, graded : sequence of ndarray
        Matching float32 ``(H, W, 3)`` frames in ACEScct, pixel-aligned (``pairs.check_pair``).
    size : int
        Lattice points per axis of the solve; 17 (the default) resamples exactly to the 33 and 65 of delivery.
    smoothness, prior_pull : float
        λ_s and λ_0 of the module docstring.
    samples : int
        Pixels drawn (evenly over the pairs) for the data term.
    monotonic : bool
        Enforce each output channel non-decreasing along its own input axis.
    seed : int
        Seed of the pixel sampling.
    domain_min, domain_max : float or ndarray
        ACEScct input box the lattice spans (``spaces.look_domain``); inputs outside are clamped to it.

    Raises
    ------
    UsageError
        When the pairs are unusable (see ``sample_pairs``) or ``size`` is out of 5..65.
    """
    if not 5 <= size <= 65:
        raise UsageError(f"the look is solved on a 5..65-point lattice, not {size}")
    started = time.monotonic()
    source, target = sample_pairs(ungraded, graded, samples, seed)
    low = np.broadcast_to(np.asarray(domain_min, np.float64), (3,))
    high = np.broadcast_to(np.asarray(domain_max, np.float64), (3,))
    source = np.clip(source, low, high)
    weights = trilinear_weights((source - low) / (high - low), size)
    count = source.shape[0]
    spacing = size - 1
    prior = fit_curves_matrix(source, target, low, high)
    nodes = lattice_points(size, low, high).reshape(-1, 3)
    at_nodes = prior(nodes)
    smooth = thin_plate_operator(size)
    pull = prior_pull / spacing ** 3
    system = ((weights.T @ weights) / count + smoothness * spacing * (smooth.T @ smooth)
              + pull * sparse.identity(size ** 3, format="csr"))
    residual_right = (weights.T @ (target - prior(source))) / count
    solver = splu(system.tocsc())
    table = at_nodes + np.column_stack([solver.solve(residual_right[:, c]) for c in range(3)])
    right = residual_right + system @ at_nodes  # the same problem written for the lattice p + r itself
    fixes = 0
    if monotonic:
        for channel in range(3):
            table[:, channel], fixed = _make_monotonic(system, right[:, channel], table[:, channel], size, channel)
            fixes += fixed
    residual = weights @ table - target
    lut = Lut3D(table.reshape(size, size, size, 3).astype(np.float32), low, high, interpolation="trilinear")
    return GlobalLookFit(lut, float(np.sqrt(np.mean(residual ** 2))), count, fixes, time.monotonic() - started)


def _make_monotonic(system: sparse.csr_matrix, right: np.ndarray, values: np.ndarray, size: int,
                    channel: int) -> tuple[np.ndarray, int]:
    """``values`` re-solved with every negative own-axis difference penalised; returns (values, fixed count)."""
    difference = own_axis_difference(size, channel)
    active = np.zeros(difference.shape[0], dtype=bool)
    for _ in range(_MONOTONIC_ROUNDS):
        violated = (difference @ values) < -1e-6
        if not violated[~active].any():
            break
        active |= violated
        rows = difference[active]
        values = splu((system + _MONOTONIC_WEIGHT * (rows.T @ rows)).tocsc()).solve(right)
    return values, int(active.sum())
