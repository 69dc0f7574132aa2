"""A production's measured noise: level as a function of intensity, spatial grain structure, re-synthesis.

The model lives in the footage's own code values (e.g. LogC3 10-bit decoded to 0..1), the space the cleanup
network works in, so training and the apply effect read the same numbers.

Fitting, temporal (the main route): two frames of one scene carry independent noise, so after nearest-neighbour
motion compensation the difference ``d = f_t − warp(f_t+k)`` is ``n_t − n_t+k`` and ``var(d) = 2σ²``. Only
trusted (unoccluded), low-gradient, unclipped pixels are used, and each intensity bin is estimated robustly
(median absolute deviation), so misaligned edges do not inflate the level.

Fitting, spatial (fallback for single frames): a second-difference filter with unit gain on white noise,
again in the flattest pixels, corrected for the measured spatial correlation (correlated grain has less energy
in the second difference than white noise of the same σ).

Grain structure: the normalised autocorrelation of the noise at lags −2..2 px (5×5) and the 3×3 correlation
between channels. ``synthesize`` draws grain with that structure and the measured σ(intensity).

Units: intensities and σ in code values (0..1 of the source encoding); lags in pixels.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping

import cv2
import numpy as np

from ...bands import for_each_small_band

#: Intensity bins the level is tabulated in (equal width over 0..1 code values).
DEFAULT_BINS = 32
#: Autocorrelation is measured at lags −MAX_LAG..MAX_LAG pixels in x and y.
MAX_LAG = 2
#: Footage with more than this share of its pixels exactly at code 0 (or 1) counts as clipped there.
CLIPPED_SHARE = 1e-3
#: Below this σ (half a 10-bit code value) the footage counts as already clean.
NEGLIGIBLE_SIGMA = 0.5 / 1023
#: A bin needs this many pixel samples to be trusted; others are interpolated from their neighbours.
MIN_BIN_SAMPLES = 400
#: Fraction of the flattest pixels (by local gradient) that fitting uses.
FLAT_FRACTION = 0.35
#: Pixels exactly at these code values are clipped and carry no measurable noise.
CLIP_LOW, CLIP_HIGH = 0.0, 1.0
#: Gaussian blur (pixels) used to read a pixel's intensity without its own noise.
INTENSITY_BLUR = 1.5
#: Gaussian blur (pixels) before judging flatness in single frames, coarse enough that the noise itself
#: does not decide which pixels look flat.
SPATIAL_FLATNESS_BLUR = 3.0
#: Gaussian blur (pixels) whose residual gives the grain's correlation in single frames.
SPATIAL_RESIDUAL_BLUR = 3.0
#: Fraction of the flattest pixels single-frame fitting uses (stricter: texture would read as noise).
SPATIAL_FLAT_FRACTION = 0.15
_MAD_TO_SIGMA = 1.4826
#: Rows the INTENSITY_BLUR Gaussian reaches on each side: OpenCV's float32 kernel for σ has round(8σ + 1) | 1
#: taps (13 for σ = 1.5: 6 rows).
_BLUR_REACH = (round(8 * INTENSITY_BLUR + 1) | 1) // 2
_SAMPLES_PER_IMAGE = 200_000
_SECOND_DIFFERENCE = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], np.float32) / 6.0


def _blur(frame: np.ndarray, sigma: float) -> np.ndarray:
    return cv2.GaussianBlur(np.ascontiguousarray(frame, np.float32), (0, 0), sigma)


def _luma(frame: np.ndarray) -> np.ndarray:
    return frame[..., 0] * 0.2126 + frame[..., 1] * 0.7152 + frame[..., 2] * 0.0722


def _flat_pixels(reference: np.ndarray, usable: np.ndarray, blur: float = INTENSITY_BLUR,
                 fraction: float = FLAT_FRACTION) -> np.ndarray:
    """The ``fraction`` of ``usable`` pixels with the smallest gradient of the luma blurred by ``blur`` px."""
    luma = _blur(_luma(reference), blur)
    gradient = np.hypot(cv2.Sobel(luma, cv2.CV_32F, 1, 0), cv2.Sobel(luma, cv2.CV_32F, 0, 1))
    if not usable.any():
        return usable
    threshold = np.quantile(gradient[usable], fraction)
    return usable & (gradient <= threshold)


def _lag_products(field: np.ndarray, selected: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sums of ``field(p)·field(p+δ)`` over pixels where both ends are selected, and the pair counts (5×5)."""
    size = 2 * MAX_LAG + 1
    sums, counts = np.zeros((size, size)), np.zeros((size, size))
    height, width = field.shape[:2]
    core = (slice(MAX_LAG, height - MAX_LAG), slice(MAX_LAG, width - MAX_LAG))
    base, base_mask = field[core], selected[core]
    for dy in range(-MAX_LAG, MAX_LAG + 1):
        for dx in range(-MAX_LAG, MAX_LAG + 1):
            shifted = (slice(MAX_LAG + dy, height - MAX_LAG + dy), slice(MAX_LAG + dx, width - MAX_LAG + dx))
            both = base_mask & selected[shifted]
            product = base * field[shifted]
            sums[dy + MAX_LAG, dx + MAX_LAG] = product[both].sum()
            counts[dy + MAX_LAG, dx + MAX_LAG] = both.sum() * (field.shape[2] if field.ndim == 3 else 1)
    return sums, counts


class _Accumulator:
    """Collects per-bin samples, lag products and channel products while frames are fed."""

    def __init__(self, bins: int, rng: np.random.Generator):
        self.bins = bins
        self.rng = rng
        self.values: list[list[np.ndarray]] = [[[] for _ in range(bins)] for _ in range(3)]
        self.lag_sums = np.zeros((2 * MAX_LAG + 1,) * 2)
        self.lag_counts = np.zeros_like(self.lag_sums)
        self.channel_products = np.zeros((3, 3))
        self.channel_count = 0
        self.clipped = np.zeros(2)
        self.pixels = 0

    def add_clipping(self, frame: np.ndarray) -> None:
        self.clipped += [np.any(frame == CLIP_LOW, axis=-1).sum(), np.any(frame == CLIP_HIGH, axis=-1).sum()]
        self.pixels += frame.shape[0] * frame.shape[1]

    def add_levels(self, intensity: np.ndarray, residual: np.ndarray, selected: np.ndarray) -> None:
        index = np.flatnonzero(selected.ravel())
        if index.size > _SAMPLES_PER_IMAGE:
            index = self.rng.choice(index, _SAMPLES_PER_IMAGE, replace=False)
        for channel in range(3):
            level = intensity[..., channel].ravel()[index]
            value = residual[..., channel].ravel()[index]
            bin_index = np.clip((level * self.bins).astype(int), 0, self.bins - 1)
            for b in np.unique(bin_index):
                self.values[channel][b].append(value[bin_index == b])

    def add_structure(self, normalised: np.ndarray, selected: np.ndarray) -> None:
        sums, counts = _lag_products(normalised, selected)
        self.lag_sums += sums
        self.lag_counts += counts
        flat = normalised[selected]
        self.channel_products += flat.T.astype(np.float64) @ flat
        self.channel_count += flat.shape[0]

    def robust_sigmas(self, scale: float) -> tuple[np.ndarray, np.ndarray]:
        """Per-channel, per-bin σ (MAD, times ``scale``; NaN where too few samples) and sample counts (3×bins)."""
        sigma = np.full((3, self.bins), np.nan)
        counts = np.zeros((3, self.bins), int)
        for channel in range(3):
            for b in range(self.bins):
                if not self.values[channel][b]:
                    continue
                values = np.concatenate(self.values[channel][b])
                counts[channel, b] = values.size
                if values.size >= MIN_BIN_SAMPLES:
                    sigma[channel, b] = _MAD_TO_SIGMA * np.median(np.abs(values - np.median(values))) * scale
        return sigma, counts


def _fill_missing(sigma: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """Bins without enough samples take the level of the nearest measured bins (flat beyond the ends)."""
    return np.stack([np.interp(centres, centres[np.isfinite(row)], row[np.isfinite(row)])
                     if np.isfinite(row).any() else np.zeros_like(row) for row in sigma])


def _smooth_bins(sigma: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """A light [1, 4, 1] smoothing along intensity, weighted by the square root of each bin's samples."""
    weights = np.sqrt(np.maximum(counts, 1)).astype(np.float64)
    kernel = np.array([1.0, 4.0, 1.0])
    out = np.empty_like(sigma)
    for channel in range(sigma.shape[0]):
        numerator = np.convolve(np.pad(sigma[channel] * weights[channel], 1, mode="edge"), kernel, "valid")
        denominator = np.convolve(np.pad(weights[channel], 1, mode="edge"), kernel, "valid")
        out[channel] = numerator / denominator
    return out


def _poisson_gaussian_fit(centres: np.ndarray, sigma: np.ndarray, counts: np.ndarray) -> list[tuple[float, float]]:
    """Per channel ``(a, b)`` with σ² ≈ a·x + b (least squares over measured bins, weighted by samples)."""
    fits = []
    for channel in range(sigma.shape[0]):
        known = np.isfinite(sigma[channel]) & (counts[channel] >= MIN_BIN_SAMPLES)
        if known.sum() < 2:
            level = float(np.nanmean(sigma[channel] ** 2)) if known.any() else 0.0
            fits.append((0.0, level))
            continue
        weights = np.sqrt(counts[channel, known])
        design = np.stack([centres[known], np.ones(known.sum())], axis=1) * weights[:, None]
        slope, offset = np.linalg.lstsq(design, sigma[channel, known] ** 2 * weights, rcond=None)[0]
        fits.append((float(slope), float(offset)))
    return fits


def _normalised_autocorrelation(sums: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Covariance at each lag over the centre's (symmetrised); white (1 at the centre only) when nothing was fed."""
    covariance = np.where(counts > 0, sums / np.maximum(counts, 1), 0.0)
    if covariance[MAX_LAG, MAX_LAG] <= 0:
        covariance = np.zeros_like(covariance)
        covariance[MAX_LAG, MAX_LAG] = 1.0
    correlation = covariance / covariance[MAX_LAG, MAX_LAG]
    return 0.5 * (correlation + correlation[::-1, ::-1])


def _channel_correlation(products: np.ndarray, count: int) -> np.ndarray:
    if count == 0:
        return np.eye(3)
    covariance = products / count
    scale = np.sqrt(np.maximum(np.diag(covariance), 1e-20))
    return np.clip(covariance / np.outer(scale, scale), -1.0, 1.0)


def grain_kernel(autocorrelation: np.ndarray, size: int = 7) -> np.ndarray:
    """A zero-phase filter whose output, fed white noise, has ``autocorrelation`` (5×5) and unit variance.

    The power spectrum is the Fourier transform of the autocorrelation (negative values from truncation are
    clipped); the kernel is the inverse transform of its square root, cropped to ``size``×``size`` and
    normalised to unit energy.
    """
    grid = 32
    padded = np.zeros((grid, grid))
    for dy in range(-MAX_LAG, MAX_LAG + 1):
        for dx in range(-MAX_LAG, MAX_LAG + 1):
            padded[dy % grid, dx % grid] = autocorrelation[dy + MAX_LAG, dx + MAX_LAG]
    spectrum = np.maximum(np.real(np.fft.fft2(padded)), 0.0)
    kernel = np.fft.fftshift(np.real(np.fft.ifft2(np.sqrt(spectrum))))
    half = size // 2
    kernel = kernel[grid // 2 - half:grid // 2 + half + 1, grid // 2 - half:grid // 2 + half + 1]
    energy = np.sqrt((kernel ** 2).sum())
    return (kernel / energy).astype(np.float32) if energy > 0 else np.pad([[1.0]], half).astype(np.float32)


@dataclass(frozen=True)
class NoiseModel:
    """Noise of one production, in its footage's code values.

    Attributes
    ----------
    intensities : tuple of float
        Bin centres (code values 0..1).
    sigma : tuple of 3 tuples of float
        Noise σ per channel (R, G, B) at each intensity, code values.
    counts : tuple of 3 tuples of int
        Pixel samples behind each bin, per channel (0: interpolated from neighbouring bins).
    poisson_gaussian : tuple of 3 (a, b)
        Per channel, σ² ≈ a·intensity + b: a summary of the table (shot noise a, floor b).
    autocorrelation : tuple of tuples of float
        5×5 normalised autocorrelation of the noise at lags −2..2 px (row = dy, column = dx); 1 at the centre.
    channel_correlation : tuple of tuples of float
        3×3 correlation of the noise between R, G and B.
    method : str
        ``temporal`` (motion-compensated frame differences) or ``spatial`` (single frames).
    samples : int
        Pixels measured.
    clipped : (float, float)
        Share of pixels exactly at code value 0 and at 1 in the measured frames (integer footage clips there).
    """

    intensities: tuple[float, ...]
    sigma: tuple[tuple[float, ...], ...]
    counts: tuple[tuple[int, ...], ...]
    poisson_gaussian: tuple[tuple[float, float], ...]
    autocorrelation: tuple[tuple[float, ...], ...]
    channel_correlation: tuple[tuple[float, ...], ...]
    method: str
    samples: int
    clipped: tuple[float, float] = (0.0, 0.0)

    @property
    def peak_sigma(self) -> float:
        """The largest σ over intensities and channels (code values)."""
        return float(np.max(self.sigma))

    @property
    def typical_sigma(self) -> float:
        """The sample-weighted mean σ over intensities and channels (code values)."""
        weights = np.asarray(self.counts, np.float64)
        table = np.asarray(self.sigma)
        return float((table * weights).sum() / weights.sum()) if weights.sum() else float(table.mean())

    @property
    def is_clean(self) -> bool:
        """True when every σ is below NEGLIGIBLE_SIGMA: the footage carries no noise worth removing."""
        return self.peak_sigma < NEGLIGIBLE_SIGMA

    @property
    def neighbour_correlation(self) -> float:
        """Mean correlation of the noise with its four direct neighbours (0 for white noise)."""
        table = np.asarray(self.autocorrelation)
        return float((table[MAX_LAG - 1, MAX_LAG] + table[MAX_LAG + 1, MAX_LAG]
                      + table[MAX_LAG, MAX_LAG - 1] + table[MAX_LAG, MAX_LAG + 1]) / 4)

    @property
    def clips(self) -> tuple[bool, bool]:
        """Whether the footage is clipped at code 0 and at code 1 (more than CLIPPED_SHARE of its pixels)."""
        return self.clipped[0] > CLIPPED_SHARE, self.clipped[1] > CLIPPED_SHARE

    def underlying_sigma_map(self, frame: np.ndarray) -> np.ndarray:
        """Like ``sigma_map`` (H×W×3), but near a clipped end each channel takes the level of its nearest bin
        that clipping leaves alone.

        Clipping hides part of the noise close to code 0 or 1, so the σ measured there is lower than that of
        the noise before it was clipped, which the clipping-aware training loss needs.
        """
        centres = np.asarray(self.intensities)
        clips_low, clips_high = self.clips
        intensity = _blur(frame, INTENSITY_BLUR)
        channels = []
        for channel, level in enumerate(np.asarray(self.sigma)):
            safe = ~((clips_low & (centres < 2.5 * level)) | (clips_high & (centres > 1 - 2.5 * level)))
            if safe.any():
                level = np.interp(centres, centres[safe], level[safe])
            channels.append(np.interp(intensity[..., channel], centres, level))
        return np.stack(channels, axis=-1).astype(np.float32)

    def sigma_at(self, intensity: np.ndarray, channel: int) -> np.ndarray:
        """σ (code values) of ``channel`` at the given intensities (code values), linear between bins."""
        return np.interp(intensity, self.intensities, self.sigma[channel]).astype(np.float32)

    def sigma_map(self, frame: np.ndarray) -> np.ndarray:
        """Per-pixel, per-channel σ (H×W×3, code values) for an H×W×3 frame of this footage.

        The intensity is read from the frame blurred by INTENSITY_BLUR px, so the frame's own noise does
        not jitter the map.
        """
        intensity = _blur(frame, INTENSITY_BLUR)
        return np.stack([self.sigma_at(intensity[..., c], c) for c in range(3)], axis=-1)

    def luma_sigma_map(self, frame: np.ndarray) -> np.ndarray:
        """σ averaged over the three channels (H×W float32, code values): the cleanup network's ``noise_sigma``.

        ``sigma_map(frame).mean(axis=-1)`` bit for bit, without the H×W×3 intermediates: made in small bands of
        rows on the shared pool (np.interp is one core's work: a UHD frame takes ~0.2 s on one), each band's
        intensity blurred from the band grown by ``_BLUR_REACH`` rows, so every row blurs the same pixels as in the
        whole frame (and the frame's own edges are its edges).
        """
        height = frame.shape[0]
        sigma = np.empty(frame.shape[:2], np.float32)

        def band(rows: slice) -> None:
            top, bottom = max(rows.start - _BLUR_REACH, 0), min(rows.stop + _BLUR_REACH, height)
            part = _blur(frame[top:bottom], INTENSITY_BLUR)[rows.start - top:rows.stop - top]
            red, green, blue = (self.sigma_at(part[..., c], c) for c in range(3))
            sigma[rows] = (red + green + blue) / np.float32(3)

        for_each_small_band(height, band)
        return sigma

    def synthesize(self, shape: tuple[int, int, int], reference_frame: np.ndarray, rng: np.random.Generator,
                   amount: float = 1.0) -> np.ndarray:
        """Grain with this model's σ(intensity), spatial and channel correlation, to add to a frame.

        Parameters
        ----------
        shape : (H, W, 3)
            Shape of the grain, equal to the reference frame's.
        reference_frame : ndarray
            The (clean) frame the grain goes on: its intensities set the local σ.
        rng : numpy.random.Generator
            Source of randomness (a fresh draw per frame, as real grain).
        amount : float
            Multiplier of σ (1 = the measured amount).

        Returns
        -------
        ndarray
            float32 H×W×3 grain in code values, mean 0.
        """
        height, width, channels = shape
        white = rng.standard_normal((height, width, channels)).astype(np.float32)
        mixing = np.linalg.cholesky(np.asarray(self.channel_correlation) + 1e-6 * np.eye(3)).astype(np.float32)
        mixed = white @ mixing.T
        kernel = grain_kernel(np.asarray(self.autocorrelation))
        grain = cv2.filter2D(mixed, -1, kernel, borderType=cv2.BORDER_REFLECT)
        return (grain * self.sigma_map(reference_frame) * amount).astype(np.float32)

    def to_json(self) -> dict[str, Any]:
        """Plain JSON data (the pack manifest's ``effect_data.noise_model``)."""
        return {
            "schema": "answerprint.noise_model/1", "method": self.method, "samples": self.samples,
            "intensities": [round(v, 6) for v in self.intensities],
            "sigma": [[float(f"{v:.6g}") for v in row] for row in self.sigma],
            "counts": [list(row) for row in self.counts],
            "poisson_gaussian": [[float(f"{v:.6g}") for v in pair] for pair in self.poisson_gaussian],
            "autocorrelation": [[round(v, 5) for v in row] for row in self.autocorrelation],
            "channel_correlation": [[round(v, 5) for v in row] for row in self.channel_correlation],
            "clipped": [float(f"{v:.6g}") for v in self.clipped],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "NoiseModel":
        """The model from ``to_json`` data.

        Raises
        ------
        ValueError
            When the data are not an ``answerprint.noise_model/1`` object of consistent sizes.
        """
        if data.get("schema") != "answerprint.noise_model/1":
            raise ValueError(f"not an answerprint noise model: schema {data.get('schema')!r}")
        intensities = tuple(float(v) for v in data["intensities"])
        sigma = tuple(tuple(float(v) for v in row) for row in data["sigma"])
        autocorrelation = tuple(tuple(float(v) for v in row) for row in data["autocorrelation"])
        if len(sigma) != 3 or any(len(row) != len(intensities) for row in sigma) or len(autocorrelation) != 5:
            raise ValueError("noise model tables of inconsistent sizes")
        return cls(intensities, sigma, tuple(tuple(int(v) for v in row) for row in data["counts"]),
                   tuple((float(a), float(b)) for a, b in data["poisson_gaussian"]), autocorrelation,
                   tuple(tuple(float(v) for v in row) for row in data["channel_correlation"]),
                   str(data["method"]), int(data["samples"]), (float(data["clipped"][0]), float(data["clipped"][1])))


def _finish(accumulator: _Accumulator, scale: float, method: str, correction: np.ndarray | None = None) -> NoiseModel:
    bins = accumulator.bins
    centres = (np.arange(bins) + 0.5) / bins
    raw, counts = accumulator.robust_sigmas(scale)
    if correction is not None:
        raw = raw * correction
    table = _smooth_bins(_fill_missing(raw, centres), counts)
    autocorrelation = _normalised_autocorrelation(accumulator.lag_sums, accumulator.lag_counts)
    return NoiseModel(
        intensities=tuple(float(c) for c in centres),
        sigma=tuple(tuple(float(v) for v in row) for row in table),
        counts=tuple(tuple(int(c) for c in row) for row in counts),
        poisson_gaussian=tuple(_poisson_gaussian_fit(centres, raw, counts)),
        autocorrelation=tuple(tuple(float(v) for v in row) for row in autocorrelation),
        channel_correlation=tuple(tuple(float(v) for v in row) for row in
                                  _channel_correlation(accumulator.channel_products, accumulator.channel_count)),
        method=method, samples=int(counts.sum()),
        clipped=tuple(float(v) for v in accumulator.clipped / max(accumulator.pixels, 1)))


def _unclipped(*frames: np.ndarray) -> np.ndarray:
    usable = np.ones(frames[0].shape[:2], bool)
    for frame in frames:
        usable &= np.all((frame != CLIP_LOW) & (frame != CLIP_HIGH), axis=-1)
    return usable


def fit_noise_model(pairs: Iterable[tuple[np.ndarray, np.ndarray, np.ndarray]], *, bins: int = DEFAULT_BINS,
                    seed: int = 0) -> NoiseModel:
    """Fit the noise model from motion-compensated frame pairs (the temporal route).

    Parameters
    ----------
    pairs : iterable of (reference, aligned, valid)
        ``reference`` a frame (H×W×3 code values), ``aligned`` a neighbouring frame of the same clip warped
        onto it with **nearest-neighbour** sampling (``flow.align_neighbours``), ``valid`` the H×W mask of
        pixels the warp can be trusted for. Frames of a locked-off plate need no warp (all valid).
    bins : int
        Intensity bins of the table.
    seed : int
        Seed for the pixel subsampling (results are reproducible).

    Returns
    -------
    NoiseModel
        With ``method == "temporal"``.

    Raises
    ------
    ValueError
        When no pair is given.
    """
    accumulator = _Accumulator(bins, np.random.default_rng(seed))
    fed = 0
    for reference, aligned, valid in pairs:
        difference = reference.astype(np.float32) - aligned.astype(np.float32)
        selected = _flat_pixels(reference, valid & _unclipped(reference, aligned))
        intensity = _blur(0.5 * (reference + aligned), INTENSITY_BLUR)
        accumulator.add_levels(intensity, difference, selected)
        accumulator.add_clipping(reference)
        fed += 1
        _add_structure(accumulator, intensity, difference, selected, bins)
    if not fed:
        raise ValueError("fit_noise_model needs at least one frame pair")
    return _finish(accumulator, 1 / np.sqrt(2), "temporal")


def _add_structure(accumulator: _Accumulator, intensity: np.ndarray, residual: np.ndarray, selected: np.ndarray,
                   bins: int) -> None:
    """Residuals divided by their bin's rough σ, so bright and dark pixels weigh alike in the correlations."""
    scale = np.ones_like(residual)
    for channel in range(3):
        index = np.clip((intensity[..., channel] * bins).astype(int), 0, bins - 1)
        values = residual[..., channel][selected]
        spread = np.zeros(bins)
        for b in np.unique(index[selected]):
            in_bin = values[index[selected] == b]
            spread[b] = _MAD_TO_SIGMA * np.median(np.abs(in_bin - np.median(in_bin)))
        scale[..., channel] = np.where(spread[index] > 0, spread[index], 1.0)
    accumulator.add_structure(residual / scale, selected)


def fit_noise_model_spatial(frames: Iterable[np.ndarray], *, bins: int = DEFAULT_BINS, seed: int = 0) -> NoiseModel:
    """Fit the noise model from single frames (the fallback when no clip has motion-compensable neighbours).

    The level comes from a second-difference filter (unit gain on white noise) in the flattest pixels; the
    correlation from the residual of a wide Gaussian blur there; the level is then corrected for that
    correlation. Texture leaks into both, so this reads somewhat high on busy frames and is less reliable
    than the temporal route.

    Raises
    ------
    ValueError
        When no frame is given.
    """
    accumulator = _Accumulator(bins, np.random.default_rng(seed))
    structure = _Accumulator(bins, np.random.default_rng(seed))
    fed = 0
    for frame in frames:
        frame = np.ascontiguousarray(frame, np.float32)
        selected = _flat_pixels(frame, _unclipped(frame), SPATIAL_FLATNESS_BLUR, SPATIAL_FLAT_FRACTION)
        intensity = _blur(frame, INTENSITY_BLUR)
        accumulator.add_levels(intensity, cv2.filter2D(frame, -1, _SECOND_DIFFERENCE), selected)
        accumulator.add_clipping(frame)
        _add_structure(structure, intensity, frame - _blur(frame, SPATIAL_RESIDUAL_BLUR), selected, bins)
        fed += 1
    if not fed:
        raise ValueError("fit_noise_model_spatial needs at least one frame")
    autocorrelation = _normalised_autocorrelation(structure.lag_sums, structure.lag_counts)
    kernel = _SECOND_DIFFERENCE.astype(np.float64)
    gain = sum(kernel[y1, x1] * kernel[y2, x2] * autocorrelation[y1 - y2 + MAX_LAG, x1 - x2 + MAX_LAG]
               for y1 in range(3) for x1 in range(3) for y2 in range(3) for x2 in range(3))
    accumulator.lag_sums, accumulator.lag_counts = structure.lag_sums, structure.lag_counts
    accumulator.channel_products, accumulator.channel_count = structure.channel_products, structure.channel_count
    return _finish(accumulator, 1.0, "spatial", correction=np.full((3, 1), 1 / np.sqrt(max(gain, 1e-3))))
