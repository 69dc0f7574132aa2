"""Dust and scratches: one-frame blemishes found against motion-compensated neighbours, repaired from them.

A speck of dust or a scratch on film is in one frame only; the scene is in the frames around it. The centre
frame of a window of ``2·radius + 1`` frames is compared with its neighbours warped onto it
(:func:`~answerprint.core.effects.cleanup.flow.align_neighbours`, nearest-neighbour, with occlusion masks). All
comparisons use the grey signal ``g`` (mean of R, G, B) and the difference scale ``σ_d``: the noise σ of
one frame's grey times √2, from ``sigma_map`` when given, otherwise the robust scale (1.4826 · median) of
the difference of two neighbours over 32×32 tiles, never below ``min_scale``.

Detection rules, in order (``k``, set by ``sensitivity``, runs geometrically from 12 at 0 to 2 at 1; 4.9 at
the default 0.5):

1. **Departure from every neighbour.** A pixel departs *darker* by ``D = min_n (erode3×3(g_n) − g_c)`` and
   *brighter* by ``D = min_n (g_c − dilate3×3(g_n))`` over the usable neighbours ``n``; the 3×3 range absorbs
   the half-pixel jitter of nearest-neighbour warps. Neighbours identical to the centre (clip edges) are not
   usable; with fewer than two usable neighbours nothing is flagged.
2. **Guard (b), neighbours agree.** ``D`` counts only where the spread ``max_n g_n − min_n g_n`` at the pixel
   is at most ``agreement · D``: where the neighbours disagree (motion, flicker) the centre is not judged.
3. **Blobs.** A *strong* pixel has ``D > max(k·σ_d, min_contrast)``, a *weak* one ``D`` above half of that;
   8-connected blobs of weak pixels that hold a strong one are kept (the soft edge of a speck joins it).
4. **Size.** A blob of at most ``max_area`` pixels is *dust*. A larger blob that is thin (area / longest
   side ≤ :data:`SCRATCH_WIDTH` px and longest side ≥ 4 × that) is a *scratch*. Any other is *too large*
   (an object, a flash, a big spark) and kept.
5. **Guard (a), motion compensation.** In the ring 2 to :data:`RING_RADIUS` px around the blob, each usable
   neighbour must be *trusted* on at least :data:`MIN_TRUST` of the pixels, else the blob is *occluded* and
   kept. A pixel is trusted where ``flow.occlusion_mask`` says the warp is valid, or where the centre lies
   within ``max(MATCH_K · median σ_d, min_contrast)`` of that neighbour's 3×3 range (flat and plain areas,
   where the forward/backward check often fails but the warp still lands on the same picture). The blob's
   own pixels are not asked: dust pulls the flow there.
6. **Guard (c), glints.** A brighter blob whose ring 2 to :data:`RING_RADIUS` px around its core (pixels at
   ≥ half its peak ``D``) is brighter than the neighbours' median by at least ``glow_ratio`` of the peak has
   a glow, which dust never has: a spark, glint or light. It is kept.
7. **Guard (c), crowded frames.** When the frame has more than ``max_blobs_per_mp`` blobs per megapixel
   or more than ``max_fraction`` of its pixels are in blobs (rain, snow, a flash, a cut), nothing in it is
   repaired.

Repair replaces the pixels of the *dust* and *scratch* blobs, dilated by 1 px, by the per-channel median of
the usable aligned neighbours whose warp is valid there (of all usable neighbours where none is); the mask
of repaired pixels is returned for review.

Frames are float32 H×W×3 code values in the source encoding; ``sigma_map`` is in the same code values.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import cv2
import numpy as np

from ...bands import for_each_small_band
from ...errors import ParamError
from .flow import AlignedNeighbour, FlowEstimator, align_neighbours

#: Thickest blob (pixels, area / longest side) still read as a scratch.
SCRATCH_WIDTH = 3.0
#: Outer radius (pixels) of the ring around a blob that is checked for trust (guard a) and glow (guard c).
RING_RADIUS = 6
#: Side (pixels) of the tiles over which the noise scale is estimated.
NOISE_TILE = 32
#: Around a blob, a warp is trusted where the centre is within this many median ``σ_d`` of its 3×3 range.
MATCH_K = 3.0
_KERNEL = np.ones((3, 3), np.uint8)
#: Verdicts of blobs that are repaired.
REPAIRED = ("dust", "scratch")
#: Fraction of the ring around a blob each usable neighbour must be trusted on (guard a).
MIN_TRUST = 0.75
_K_AT_ZERO, _K_AT_ONE = 12.0, 2.0
_MEDIAN_TO_SIGMA = 1.4826


@dataclass(frozen=True)
class DustBlob:
    """One connected group of candidate pixels and what was decided about it.

    Attributes
    ----------
    x, y, width, height : int
        Bounding box in pixels from the top-left corner.
    area : int
        Pixels in the blob.
    polarity : int
        +1 brighter than the neighbours, −1 darker.
    contrast : float
        Median departure ``D`` over the blob, in code values.
    verdict : str
        ``"dust"`` or ``"scratch"`` (repaired); ``"too large"``, ``"occluded"``, ``"glint"`` or
        ``"crowded frame"`` (kept).
    """

    x: int
    y: int
    width: int
    height: int
    area: int
    polarity: int
    contrast: float
    verdict: str


@dataclass(frozen=True)
class DustReport:
    """What :meth:`DustDetector.detect` found in the centre frame of a window.

    Attributes
    ----------
    mask : ndarray
        bool H×W, the pixels of the blobs to repair (before the 1 px dilation of the repair).
    candidates : ndarray
        bool H×W, every blob pixel whatever its verdict.
    blobs : tuple of DustBlob
        Every blob with its verdict.
    """

    mask: np.ndarray
    candidates: np.ndarray
    blobs: tuple[DustBlob, ...]

    @property
    def repaired(self) -> tuple[DustBlob, ...]:
        """The blobs that are repaired (verdict ``dust`` or ``scratch``)."""
        return tuple(blob for blob in self.blobs if blob.verdict in REPAIRED)


class _Departure:
    """Per-pixel evidence for the centre frame: H×W ``amount``, ``polarity`` and ``threshold``, and the
    ``strong`` and ``weak`` candidate pixels of rule 3, over the whole frame; the glow and trust of guards (a)
    and (c) only inside the boxes of blobs that get that far.

    The whole-frame evidence is made in small bands of rows on the shared pool (``bands.small_bands``), each
    neighbour's 3×3 range over its band grown by one row: the same values as over the whole frame (minima,
    maxima and element-wise arithmetic), without whole-frame temporaries. Only running minima and maxima over
    the neighbours are kept per band; a neighbour's grey and its 3×3 range are made again inside a box when a
    blob asks.
    """

    def __init__(self, centre: np.ndarray, usable: list[AlignedNeighbour], sigma_map: np.ndarray | None,
                 detector: "DustDetector"):
        self._usable, self._min_contrast = usable, detector.min_contrast
        height = centre.shape[0]
        self._sigma_d = _sigma_d(usable, sigma_map, centre.shape[:2], detector.min_scale)
        self._centre_grey = np.empty(centre.shape[:2], np.float32)
        self.amount, self.threshold = np.empty_like(self._centre_grey), np.empty_like(self._centre_grey)
        self.polarity = np.empty(centre.shape[:2], np.int8)
        self.strong, self.weak = np.empty(centre.shape[:2], bool), np.empty(centre.shape[:2], bool)

        def band(rows: slice) -> None:
            grown = slice(max(rows.start - 1, 0), min(rows.stop + 1, height))
            inner = slice(rows.start - grown.start, rows.stop - grown.start)
            self._centre_grey[rows] = centre_grey = _grey(centre[rows])
            lowest = highest = darkest = brightest = np.empty(0, np.float32)
            for index, item in enumerate(usable):
                grown_grey = _grey(item.pixels[grown])
                low, high = cv2.erode(grown_grey, _KERNEL)[inner], cv2.dilate(grown_grey, _KERNEL)[inner]
                grey = grown_grey[inner]
                if index == 0:
                    lowest, highest, darkest, brightest = grey, grey.copy(), low, high
                    continue
                np.minimum(lowest, grey, out=lowest)
                np.maximum(highest, grey, out=highest)
                np.minimum(darkest, low, out=darkest)
                np.maximum(brightest, high, out=brightest)
            darker = darkest - centre_grey
            brighter = centre_grey - brightest
            self.polarity[rows] = np.where(brighter > darker, 1, -1)
            amount = np.maximum(darker, brighter)
            spread = highest - lowest
            self.amount[rows] = amount = np.where(spread <= detector.agreement * amount, amount, 0.0)
            self.threshold[rows] = threshold = np.maximum(detector.k * self._sigma_d[rows], detector.min_contrast)
            self.strong[rows] = amount > threshold
            self.weak[rows] = amount > 0.5 * threshold

        for_each_small_band(height, band)

    @functools.cached_property
    def match_limit(self) -> float:
        """Largest distance of the centre from a neighbour's 3×3 range that still trusts its warp (code values)."""
        return max(MATCH_K * float(np.median(self._sigma_d)), self._min_contrast)

    def trust(self, box: tuple[slice, slice]) -> np.ndarray:
        """Bool N×h×w inside ``box``: each usable neighbour's warp is valid or lands on the same picture."""
        centre = self._centre_grey[box]
        grown, inner = _grown(box, centre.shape, self._centre_grey.shape)
        trusted = []
        for item in self._usable:
            grey = _grey(item.pixels[grown])
            low, high = cv2.erode(grey, _KERNEL)[inner], cv2.dilate(grey, _KERNEL)[inner]
            trusted.append(item.valid[box] | (np.maximum(low - centre, centre - high) <= self.match_limit))
        return np.stack(trusted)

    def glow(self, box: tuple[slice, slice]) -> np.ndarray:
        """h×w inside ``box``: how much brighter the centre is than the neighbours' median (code values)."""
        return self._centre_grey[box] - np.median([_grey(item.pixels[box]) for item in self._usable], axis=0)


class DustDetector:
    """Find and repair dust and scratches in the centre frame of a window of ``2·radius + 1`` frames.

    Parameters
    ----------
    sensitivity : float
        0 (only the most obvious specks) to 1 (faint ones too); sets ``k`` (module docstring).
    radius : int
        1 (±1 frame) or 2 (±2 frames, the default, as restorers' tools use).
    estimator : FlowEstimator, optional
        Motion estimator for the alignment (:meth:`align`); a default DIS estimator when omitted.
    max_area : int
        Largest speck, in pixels.
    agreement : float
        Largest neighbour spread, as a fraction of the departure (guard b).
    min_contrast : float
        Smallest departure flagged, in code values.
    glow_ratio : float
        Ring brightening, as a fraction of the blob's peak departure, that makes a bright blob a glint.
    max_blobs_per_mp, max_fraction : float
        Crowded-frame limits: blobs per megapixel, fraction of the frame's pixels in blobs.
    min_scale : float
        Floor of ``σ_d`` in code values.

    Raises
    ------
    ParamError
        When a parameter is out of range.
    """

    def __init__(self, sensitivity: float = 0.5, radius: int = 2, *, estimator: FlowEstimator | None = None,
                 max_area: int = 80, agreement: float = 0.5, min_contrast: float = 0.02, glow_ratio: float = 0.05,
                 max_blobs_per_mp: float = 500.0, max_fraction: float = 0.02, min_scale: float = 1 / 1023):
        if not 0.0 <= sensitivity <= 1.0:
            raise ParamError(f"sensitivity must be within 0..1, got {sensitivity}", "sensitivity")
        if radius not in (1, 2):
            raise ParamError(f"radius must be 1 or 2 frames, got {radius}", "radius")
        if max_area < 1:
            raise ParamError(f"max_area must be at least 1 pixel, got {max_area}", "max_area")
        self.sensitivity, self.radius = sensitivity, radius
        self.estimator = FlowEstimator() if estimator is None else estimator
        self.max_area, self.agreement, self.min_contrast = max_area, agreement, min_contrast
        self.glow_ratio, self.max_blobs_per_mp, self.max_fraction = glow_ratio, max_blobs_per_mp, max_fraction
        self.min_scale = min_scale

    @property
    def k(self) -> float:
        """Threshold in units of ``σ_d`` for strong candidates (geometric from 12 at 0 to 2 at 1)."""
        return _K_AT_ZERO * (_K_AT_ONE / _K_AT_ZERO) ** self.sensitivity

    def detect(self, window: list[np.ndarray], sigma_map: np.ndarray | None = None,
               aligned: list[AlignedNeighbour] | None = None) -> DustReport:
        """Find dust and scratches in the centre frame of ``window``.

        Parameters
        ----------
        window : list of ndarray
            ``2·radius + 1`` float32 H×W×3 frames, the one to clean in the middle. At clip edges repeat the
            centre frame object; repeated frames are not used as evidence.
        sigma_map : ndarray, optional
            Noise σ of the centre frame in code values: H×W (of the grey, the mean of R, G, B) or H×W×3
            (per channel, combined assuming independent channels).
        aligned : list of AlignedNeighbour, optional
            :meth:`align` of this window when the caller already has it (it is computed otherwise).

        Raises
        ------
        ParamError
            A window of the wrong length, frames of different sizes or not H×W×3, a ``sigma_map`` or
            ``aligned`` that does not match.
        """
        aligned = self._aligned(window, aligned)
        centre = window[len(window) // 2]
        usable = [item for item in aligned if item.offset != 0 and item.pixels is not centre]
        empty = np.zeros(centre.shape[:2], bool)
        if len(usable) < 2:
            return DustReport(empty, empty, ())
        departure = _Departure(centre, usable, sigma_map, self)
        if not departure.strong.any():  # no blob holds a strong pixel: what the steps below would find
            return DustReport(empty, empty, ())
        labels, count, stats = _hysteresis_blobs(departure.weak, departure.strong)
        blobs = [self._judge(labels, index, stats[index], departure) for index in range(1, count)]
        blob_pixels = labels > 0
        limit = self.max_blobs_per_mp * centre.shape[0] * centre.shape[1] / 1e6
        if len(blobs) > limit or blob_pixels.mean() > self.max_fraction:
            blobs = [_with_verdict(blob, "crowded frame") for blob in blobs]
        keep = np.zeros(count, bool)
        keep[1:] = [blob.verdict in REPAIRED for blob in blobs]
        return DustReport(keep[labels], blob_pixels, tuple(blobs))

    def repair(self, window: list[np.ndarray], sigma_map: np.ndarray | None = None,
               aligned: list[AlignedNeighbour] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The centre frame with its dust and scratches repaired (the centre frame itself when nothing was found),
        and the bool H×W mask of changed pixels.

        Arguments and errors as :meth:`detect`. Flagged blobs are dilated by 1 px and replaced by the
        per-channel median of the usable aligned neighbours valid at each pixel, or of all usable
        neighbours where none is valid (the blob passed guard (a); dust itself can unsettle the flow).
        """
        aligned = self._aligned(window, aligned)
        report = self.detect(window, sigma_map, aligned)
        centre = window[len(window) // 2]
        if not report.mask.any():
            return centre, report.mask
        mask = cv2.dilate(report.mask.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
        usable = [item for item in aligned if item.offset != 0 and item.pixels is not centre]
        ys, xs = np.nonzero(mask)
        samples = np.stack([item.pixels[ys, xs] for item in usable])
        valid = np.stack([item.valid[ys, xs] for item in usable])[..., None]
        fill = np.median(samples, axis=0)
        some_valid = valid.any(axis=0)[:, 0]
        fill[some_valid] = np.nanmedian(np.where(valid, samples, np.nan)[:, some_valid], axis=0)
        out = centre.copy()
        out[ys, xs] = fill
        return out, mask

    def align(self, window: list[np.ndarray]) -> list[AlignedNeighbour]:
        """``flow.align_neighbours`` of the window with this detector's estimator (checked first).

        Raises
        ------
        ParamError
            A window of the wrong length or frames of different sizes.
        """
        _check_window(window, self.radius)
        return align_neighbours(window, self.estimator)

    def _aligned(self, window: list[np.ndarray], aligned: list[AlignedNeighbour] | None) -> list[AlignedNeighbour]:
        if aligned is None:
            return self.align(window)
        _check_window(window, self.radius)
        if len(aligned) != len(window) or any(item.pixels.shape != window[0].shape for item in aligned):
            raise ParamError(f"aligned neighbours ({len(aligned)}) do not match the window ({len(window)} frames "
                             f"of {window[0].shape[1]}x{window[0].shape[0]})", "aligned")
        return aligned

    def _judge(self, labels: np.ndarray, index: int, stat: np.ndarray, departure: _Departure) -> DustBlob:
        """Rules 4 to 6 of the module docstring for blob ``index``; ``stat`` is its (x, y, w, h, area) row."""
        x, y, width, height, area = (int(v) for v in stat)
        around = _around(labels.shape, y, x, height, width)
        inside = labels[around] == index
        amount = np.where(inside, departure.amount[around], 0.0)
        polarity = 1 if np.mean(departure.polarity[around][inside]) > 0 else -1
        blob = DustBlob(x, y, width, height, area, polarity, float(np.median(amount[inside])), "dust")
        if area > self.max_area:
            thickness = area / max(width, height)
            if thickness > SCRATCH_WIDTH or max(width, height) < 4 * thickness:
                return _with_verdict(blob, "too large")
            blob = _with_verdict(blob, "scratch")
        ring = _ring(inside)
        if not ring.any() or departure.trust(around)[:, ring].mean(axis=1).min() < MIN_TRUST:
            return _with_verdict(blob, "occluded")
        peak = float(amount.max())
        glow_ring = _ring(amount >= 0.5 * peak)
        if polarity > 0 and glow_ring.any():
            if np.mean(departure.glow(around)[glow_ring]) >= self.glow_ratio * peak:
                return _with_verdict(blob, "glint")
        return blob


def _grey(frame: np.ndarray) -> np.ndarray:
    """The mean of R, G and B (H×W float32), as ``frame.mean(axis=2)`` gives it bit for bit, several times faster."""
    return (frame[..., 0] + frame[..., 1] + frame[..., 2]) / np.float32(3)


def _grown(box: tuple[slice, slice], size: tuple[int, int], frame: tuple[int, ...]) -> tuple[tuple[slice, slice],
                                                                                         tuple[slice, slice]]:
    """``box`` (of ``size`` pixels) grown by one pixel on every side within ``frame``, and ``box`` inside it."""
    top, left = max(box[0].start - 1, 0), max(box[1].start - 1, 0)
    bottom, right = min(box[0].start + size[0] + 1, frame[0]), min(box[1].start + size[1] + 1, frame[1])
    rows, cols = box[0].start - top, box[1].start - left
    return ((slice(top, bottom), slice(left, right)),
            (slice(rows, rows + size[0]), slice(cols, cols + size[1])))


def _around(shape: tuple[int, ...], y: int, x: int, height: int, width: int) -> tuple[slice, slice]:
    """The bounding box grown by :data:`RING_RADIUS` px on every side, clipped to the frame."""
    return (slice(max(y - RING_RADIUS, 0), min(y + height + RING_RADIUS, shape[0])),
            slice(max(x - RING_RADIUS, 0), min(x + width + RING_RADIUS, shape[1])))


def _ring(mask: np.ndarray) -> np.ndarray:
    """Pixels 2 to :data:`RING_RADIUS` px from ``mask`` (bool, a window from :func:`_around`)."""
    inside = mask.astype(np.uint8)
    near = cv2.dilate(inside, np.ones((3, 3), np.uint8))
    far = cv2.dilate(inside, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * RING_RADIUS + 1,) * 2))
    return (far > 0) & (near == 0)


def _with_verdict(blob: DustBlob, verdict: str) -> DustBlob:
    return DustBlob(blob.x, blob.y, blob.width, blob.height, blob.area, blob.polarity, blob.contrast, verdict)


def _hysteresis_blobs(weak: np.ndarray, strong: np.ndarray) -> tuple[np.ndarray, int, np.ndarray]:
    """8-connected blobs of ``weak`` that hold a ``strong`` pixel.

    Returns labels (0 = no blob, 1..count−1), count, and stats rows ``(x, y, width, height, area)`` per label.
    """
    count, labels, stats, _ = cv2.connectedComponentsWithStats((weak | strong).astype(np.uint8), connectivity=8)
    seeded = np.zeros(count, bool)
    seeded[labels[strong]] = True
    seeded[0] = False
    keep = np.flatnonzero(seeded)
    relabel = np.zeros(count, np.int32)
    relabel[keep] = np.arange(1, len(keep) + 1)
    return relabel[labels], len(keep) + 1, np.vstack([stats[:1], stats[keep]])


def _sigma_d(usable: list[AlignedNeighbour], sigma_map: np.ndarray | None, shape: tuple[int, int],
             min_scale: float) -> np.ndarray:
    """Per-pixel σ of a difference of two frames' grey, in code values."""
    if sigma_map is not None:
        sigma = np.asarray(sigma_map, np.float32)
        if sigma.shape[:2] != shape or sigma.ndim not in (2, 3) or (sigma.ndim == 3 and sigma.shape[2] != 3):
            raise ParamError(f"sigma_map has shape {sigma.shape}; expected {shape} or {shape + (3,)}", "sigma_map")
        grey = sigma if sigma.ndim == 2 else np.sqrt(np.sum(sigma ** 2, axis=2)) / 3
        return np.maximum(grey * math.sqrt(2), min_scale)
    order = sorted(range(len(usable)), key=lambda i: abs(usable[i].offset))
    first, second = order[0], order[1]
    difference = np.where(usable[first].valid & usable[second].valid,
                          _grey(usable[first].pixels) - _grey(usable[second].pixels), np.nan)
    return np.maximum(_tile_scale(difference), min_scale)


def _tile_scale(difference: np.ndarray) -> np.ndarray:
    """1.4826 · median |difference| over :data:`NOISE_TILE` tiles, interpolated back to full size."""
    height, width = difference.shape
    rows, cols = -(-height // NOISE_TILE), -(-width // NOISE_TILE)
    padded = np.full((rows * NOISE_TILE, cols * NOISE_TILE), np.nan, np.float32)
    padded[:height, :width] = np.abs(difference)
    tiles = padded.reshape(rows, NOISE_TILE, cols, NOISE_TILE).transpose(0, 2, 1, 3).reshape(rows, cols, -1)
    finite = np.isfinite(tiles).any(axis=2)
    scale = np.full((rows, cols), np.nan, np.float32)
    scale[finite] = np.nanmedian(tiles[finite], axis=1)
    fallback = np.nanmedian(scale) if finite.any() else 0.0
    scale = np.where(np.isfinite(scale), scale, fallback) * _MEDIAN_TO_SIGMA
    return cv2.resize(scale.astype(np.float32), (width, height), interpolation=cv2.INTER_LINEAR)


def _check_window(window: list[np.ndarray], radius: int) -> None:
    expected = 2 * radius + 1
    if len(window) != expected:
        kind = "an even" if len(window) % 2 == 0 else "a"
        raise ParamError(f"{kind} window of {len(window)} frames; dust detection with radius {radius} needs "
                         f"{expected} (the frame to clean ± {radius})", "window")
    shape = np.shape(window[0])
    for index, frame in enumerate(window):
        if np.ndim(frame) != 3 or np.shape(frame)[2] != 3:
            raise ParamError(f"expected H×W×3 RGB frames, got shape {np.shape(frame)}", f"window frame {index}")
        if np.shape(frame) != shape:
            raise ParamError(f"frame is {np.shape(frame)[1]}x{np.shape(frame)[0]}, the window's first frame is "
                             f"{shape[1]}x{shape[0]}", f"window frame {index}")
