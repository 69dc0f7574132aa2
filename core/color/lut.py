"""3D LUTs (with an optional 1D shaper) and their fast application to float frames.

A ``Lut3D`` holds a lattice of output RGB values over an input cube and how it is interpolated between
lattice points: tetrahedral by default (what Resolve and OpenColorIO offer for accuracy), or trilinear (the
interpolation ONNX ``GridSample`` computes and the look models are fitted with). Application goes through
OpenColorIO's own CPU LUT renderer: the LUT is turned into an in-memory OCIO transform once
(``LutProcessor``, the config → processor pattern), then applied to row bands of each frame on the shared
pool, through OCIO's packed-RGBA path (``color.processor.apply_in_bands``): OCIO's arithmetic on the written
``.cube`` file, bit for bit, at about 62 ms of CPU (32 ms wall on two cores, 3.7x a numpy copy of the frame)
for 65³ tetrahedral on a UHD float frame (``bench/bench_rebind.py --lut-only``). OCIO's kernel is about 60 %
of that (the rest is the frame's memory traffic), so there is no kernel of our own.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import PyOpenColorIO as ocio

from ..errors import UsageError
from .processor import apply_in_bands

#: Largest lattice accepted (Resolve writes up to 65; 256 bounds memory at 200 MB).
MAX_3D_SIZE = 256
#: Largest 1D shaper accepted.
MAX_1D_SIZE = 65536
#: How a 3D LUT may be interpolated between lattice points, by name, with OCIO's enum for it.
INTERPOLATIONS = {"tetrahedral": ocio.INTERP_TETRAHEDRAL, "trilinear": ocio.INTERP_LINEAR}
#: The interpolation a LUT gets unless told otherwise.
DEFAULT_INTERPOLATION = "tetrahedral"


def _domain(value: float | tuple[float, float, float] | np.ndarray, name: str) -> np.ndarray:
    array = np.broadcast_to(np.asarray(value, dtype=np.float64), (3,)).copy()
    if not np.isfinite(array).all():
        raise UsageError(f"the LUT {name} must be finite, not {array.tolist()}")
    return array


def _check_domain(domain_min: np.ndarray, domain_max: np.ndarray) -> None:
    if not (domain_max > domain_min).all():
        raise UsageError(f"the LUT domain is empty: min {domain_min.tolist()} max {domain_max.tolist()}")


@dataclass(frozen=True, eq=False)
class Lut1D:
    """A per-channel 1D LUT used as a shaper in front of a 3D LUT.

    Attributes
    ----------
    table : ndarray
        float32 ``(M, 3)``: output value of each channel at M evenly spaced inputs across the domain.
    domain_min, domain_max : ndarray
        float64 ``(3,)``: the input values of the first and last entries, per channel.
    """

    table: np.ndarray
    domain_min: np.ndarray
    domain_max: np.ndarray

    def __init__(self, table: np.ndarray, domain_min: float | np.ndarray = 0.0, domain_max: float | np.ndarray = 1.0):
        table = np.ascontiguousarray(table, dtype=np.float32)
        if table.ndim != 2 or table.shape[1] != 3 or not 2 <= table.shape[0] <= MAX_1D_SIZE:
            raise UsageError(f"a 1D LUT table is (M, 3) with 2 <= M <= {MAX_1D_SIZE}, not {table.shape}")
        if not np.isfinite(table).all():
            raise UsageError("the 1D LUT holds NaN or infinite values")
        object.__setattr__(self, "table", table)
        object.__setattr__(self, "domain_min", _domain(domain_min, "1D domain minimum"))
        object.__setattr__(self, "domain_max", _domain(domain_max, "1D domain maximum"))
        _check_domain(self.domain_min, self.domain_max)

    @property
    def size(self) -> int:
        return self.table.shape[0]

    def ocio_transforms(self) -> list[ocio.Transform]:
        """The OCIO transforms applying this shaper: a domain rescale to 0..1, then the 1D LUT."""
        lut = ocio.Lut1DTransform(self.size, False)
        lut.setInterpolation(ocio.INTERP_LINEAR)
        lut.setData(self.table.reshape(-1))
        return [*_rescale_to_unit(self.domain_min, self.domain_max), lut]


@dataclass(frozen=True, eq=False)
class Lut3D:
    """A 3D LUT: output RGB on an N×N×N lattice, interpolated between, optionally behind a 1D shaper.

    Attributes
    ----------
    table : ndarray
        float32 ``(N, N, N, 3)`` indexed ``[r, g, b]``: the output at input
        ``domain_min + (i, j, k) / (N - 1) * (domain_max - domain_min)`` (after the shaper, when there is one).
    domain_min, domain_max : ndarray
        float64 ``(3,)``: the input cube the lattice spans, per channel. Inputs outside are clamped to it.
    shaper : Lut1D or None
        Applied to the input first; its outputs are then the 3D LUT's inputs.
    interpolation : str
        ``tetrahedral`` (default) or ``trilinear`` (``INTERPOLATIONS``): how every apply of this LUT reads
        between lattice points. A ``.cube`` file does not record it (the grading application's setting does).

    Raises
    ------
    UsageError
        When the table is not ``(N, N, N, 3)`` with 2 ≤ N ≤ ``MAX_3D_SIZE``, holds NaN/Inf, a domain is empty
        or the interpolation is unknown.
    """

    table: np.ndarray
    domain_min: np.ndarray
    domain_max: np.ndarray
    shaper: Lut1D | None = None
    interpolation: str = DEFAULT_INTERPOLATION

    def __init__(self, table: np.ndarray, domain_min: float | np.ndarray = 0.0, domain_max: float | np.ndarray = 1.0,
                 shaper: Lut1D | None = None, interpolation: str = DEFAULT_INTERPOLATION):
        table = np.ascontiguousarray(table, dtype=np.float32)
        size = table.shape[0] if table.ndim == 4 else 0
        if table.shape != (size, size, size, 3) or not 2 <= size <= MAX_3D_SIZE:
            raise UsageError(f"a 3D LUT table is (N, N, N, 3) with 2 <= N <= {MAX_3D_SIZE}, not {table.shape}")
        if not np.isfinite(table).all():
            raise UsageError("the 3D LUT holds NaN or infinite values")
        object.__setattr__(self, "table", table)
        object.__setattr__(self, "domain_min", _domain(domain_min, "3D domain minimum"))
        object.__setattr__(self, "domain_max", _domain(domain_max, "3D domain maximum"))
        object.__setattr__(self, "shaper", shaper)
        if interpolation not in INTERPOLATIONS:
            raise UsageError(f"a 3D LUT is interpolated {' or '.join(INTERPOLATIONS)}, not {interpolation!r}")
        object.__setattr__(self, "interpolation", interpolation)
        _check_domain(self.domain_min, self.domain_max)

    @property
    def size(self) -> int:
        """Lattice points per axis (33, 65...)."""
        return self.table.shape[0]

    @classmethod
    def identity(cls, size: int, domain_min: float = 0.0, domain_max: float = 1.0) -> "Lut3D":
        """The LUT that returns its (clamped) input."""
        return cls(lattice_points(size, domain_min, domain_max), domain_min, domain_max)

    @classmethod
    def from_function(cls, function: Callable[[np.ndarray], np.ndarray], size: int, domain_min: float = 0.0,
                      domain_max: float = 1.0, shaper: Lut1D | None = None,
                      interpolation: str = DEFAULT_INTERPOLATION) -> "Lut3D":
        """Bake ``function`` (float32 ``(M, 3)`` → ``(M, 3)``) into a LUT by sampling it on the lattice.

        With a shaper, ``function`` receives the *shaper's* inputs: the lattice is mapped back through the
        shaper's inverse (the shaper must be increasing on every channel).
        """
        points = lattice_points(size, domain_min, domain_max).reshape(-1, 3)
        if shaper is not None:
            points = _invert_shaper(shaper, points)
        values = np.asarray(function(points.astype(np.float32)), dtype=np.float32)
        return cls(values.reshape(size, size, size, 3), domain_min, domain_max, shaper, interpolation)

    def resampled(self, size: int) -> "Lut3D":
        """The same LUT on an ``size``-point lattice (exact when ``size - 1`` is a multiple of ``self.size - 1``,
        e.g. 17 → 33 → 65, since either interpolation is then reproduced exactly)."""
        plain = Lut3D(self.table, self.domain_min, self.domain_max, interpolation=self.interpolation)
        points = lattice_points(size, self.domain_min, self.domain_max)
        return Lut3D(LutProcessor(plain, threads=1)(points), self.domain_min, self.domain_max, self.shaper,
                     self.interpolation)

    def interpolated(self, interpolation: str) -> "Lut3D":
        """The same lattice read with ``interpolation`` (``tetrahedral`` or ``trilinear``)."""
        return Lut3D(self.table, self.domain_min, self.domain_max, self.shaper, interpolation)

    def ocio_transform(self) -> ocio.GroupTransform:
        """This LUT as OCIO transforms: [shaper rescale, 1D LUT,] domain rescale, 3D LUT (its interpolation).

        It is what OCIO builds when it reads the ``.cube`` file ``cube.write_cube`` writes for this LUT with
        that interpolation.
        """
        lut = ocio.Lut3DTransform(self.size)
        lut.setInterpolation(INTERPOLATIONS[self.interpolation])
        lut.setData(self.table.reshape(-1))
        steps = self.shaper.ocio_transforms() if self.shaper is not None else []
        steps += [*_rescale_to_unit(self.domain_min, self.domain_max), lut]
        return ocio.GroupTransform(steps)


def lattice_points(size: int, domain_min: float | np.ndarray = 0.0, domain_max: float | np.ndarray = 1.0) -> np.ndarray:
    """The input RGB of every lattice point, float64 ``(size, size, size, 3)`` indexed ``[r, g, b]``."""
    if not 2 <= size <= MAX_3D_SIZE:
        raise UsageError(f"a LUT size is 2..{MAX_3D_SIZE}, not {size}")
    low, high = _domain(domain_min, "minimum"), _domain(domain_max, "maximum")
    steps = np.linspace(0.0, 1.0, size)
    r, g, b = np.meshgrid(steps, steps, steps, indexing="ij")
    return low + np.stack([r, g, b], axis=-1) * (high - low)


def _rescale_to_unit(domain_min: np.ndarray, domain_max: np.ndarray) -> list[ocio.Transform]:
    if np.array_equal(domain_min, np.zeros(3)) and np.array_equal(domain_max, np.ones(3)):
        return []
    scale = 1.0 / (domain_max - domain_min)
    matrix = [scale[0], 0, 0, 0, 0, scale[1], 0, 0, 0, 0, scale[2], 0, 0, 0, 0, 1]
    offset = [*(-domain_min * scale), 0.0]
    return [ocio.MatrixTransform(matrix, offset)]


def _invert_shaper(shaper: Lut1D, values: np.ndarray) -> np.ndarray:
    """The shaper inputs giving ``values`` (per channel, by linear interpolation of the inverse).

    Raises
    ------
    UsageError
        When a shaper channel is not strictly increasing (it could not be inverted).
    """
    inputs = np.linspace(0.0, 1.0, shaper.size)
    out = np.empty_like(values, dtype=np.float64)
    for channel in range(3):
        curve = shaper.table[:, channel].astype(np.float64)
        if not (np.diff(curve) > 0).all():
            raise UsageError("a shaper must increase strictly on every channel to bake a LUT behind it")
        unit = np.interp(values[:, channel], curve, inputs)
        out[:, channel] = shaper.domain_min[channel] + unit * (shaper.domain_max[channel] - shaper.domain_min[channel])
    return out


class LutProcessor:
    """Apply a ``Lut3D`` (with its interpolation) to float32 RGB frames, compiled once, in row bands.

    Parameters
    ----------
    lut : Lut3D
        The LUT (and its shaper).
    threads : int, optional
        Row bands processed at once on the shared pool; default the number of CPU cores. OCIO releases the GIL
        while it works.
    """

    def __init__(self, lut: Lut3D, threads: int | None = None):
        self.lut = lut
        processor = ocio.Config.CreateRaw().getProcessor(lut.ocio_transform())
        self._cpu = processor.getOptimizedCPUProcessor(ocio.BIT_DEPTH_F32, ocio.BIT_DEPTH_F32,
                                                       ocio.OPTIMIZATION_LOSSLESS)
        self._threads = threads

    def __call__(self, pixels: np.ndarray) -> np.ndarray:
        """``pixels`` (float ``(..., 3)`` RGB in the LUT's input space) through the LUT, as a new float32 array."""
        if pixels.shape[-1:] != (3,):
            raise UsageError(f"a LUT applies to (..., 3) RGB arrays, not {pixels.shape}")
        return apply_in_bands(self._cpu, pixels, self._threads)

    def close(self) -> None:
        """Nothing to release (the bands run on the shared pool); kept so owners close every processor alike."""


def apply_lut(pixels: np.ndarray, lut: Lut3D, threads: int | None = None) -> np.ndarray:
    """``pixels`` (float ``(..., 3)``) through ``lut``; for many frames build one ``LutProcessor`` instead."""
    processor = LutProcessor(lut, threads)
    try:
        return processor(pixels)
    finally:
        processor.close()
