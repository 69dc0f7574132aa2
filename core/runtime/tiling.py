"""Whole-frame or tiled inference within a memory budget, with seamless feathered blending.

Arrays are ``(..., H, W)``: ``N×C×H×W`` frames or ``N×T×C×H×W`` temporal windows; the model function maps a
batch to ``N×C_out×H×W`` of the same height and width. Frames are reflect-padded to the model's size
multiple and cropped back. Tiles start at multiples of that size multiple (so strided layers see the same
pixel grid as on the whole frame), overlap by at least ``overlap`` pixels, and are blended with weights that
are zero for ``margin`` pixels at each inner tile edge and ramp linearly to one across the rest of the
overlap. Weights are normalised so they sum to exactly one everywhere. A model whose receptive radius is at most
``margin`` therefore gives the same result tiled as whole (to float rounding).

An input can also be a ``LazyImage``, made one region at a time (a cleanup window's stacked frames): a tiled
run then holds one batch of tiles of it, not the whole input.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Union

import numpy as np

from ..errors import UsageError

ImageFunction = Callable[[np.ndarray], np.ndarray]
#: Working memory assumed per input pixel when a pack does not say (64 float32 feature channels).
DEFAULT_BYTES_PER_PIXEL = 64 * 4
#: Default overlap between neighbouring tiles, in pixels.
DEFAULT_OVERLAP = 32


@dataclass(frozen=True)
class LazyImage:
    """An ``N×C×H×W`` input made region by region, so that a tiled run never holds the whole of it.

    Attributes
    ----------
    shape : tuple of int
        ``(N, C, H, W)`` of the whole input.
    crop : callable
        ``crop(y0, y1, x0, x1)`` → float32 ``N×C×(y1−y0)×(x1−x0)``: that region (inside H×W) of the whole input.
    """

    shape: tuple[int, ...]
    crop: Callable[[int, int, int, int], np.ndarray]


Image = Union[np.ndarray, LazyImage]


@dataclass(frozen=True)
class TilePlan:
    """Where the tiles of one (padded) frame go.

    Attributes
    ----------
    height, width : int
        The padded frame size.
    tile_height, tile_width : int
        Every tile's size.
    ys, xs : tuple of int
        Tile origins along each axis (every combination is one tile).
    margin : int
        Pixels at each inner tile edge that get zero weight.
    """

    height: int
    width: int
    tile_height: int
    tile_width: int
    ys: tuple[int, ...]
    xs: tuple[int, ...]
    margin: int

    @property
    def count(self) -> int:
        return len(self.ys) * len(self.xs)

    @property
    def boxes(self) -> list[tuple[int, int]]:
        """Every tile origin (y, x), row by row."""
        return [(y, x) for y in self.ys for x in self.xs]


def _round_up(value: int, multiple: int) -> int:
    return -(-value // multiple) * multiple


def _axis_plan(length: int, max_tile: int, overlap: int, multiple: int) -> tuple[int, tuple[int, ...]]:
    """Tile size and origins along one axis: as few tiles as fit ``max_tile``, each as small as it can be."""
    if length <= max_tile:
        return length, (0,)
    slack = overlap + multiple
    count = max(2, math.ceil((length - overlap) / (max_tile - overlap)))
    while True:
        size = _round_up(math.ceil((length + (count - 1) * slack) / count), multiple)
        stride = _round_up(math.ceil((length - size) / (count - 1)), multiple)
        if (size <= max_tile and size - stride >= overlap) or size <= 2 * slack:
            break
        count += 1
    origins = sorted({min(i * stride, length - size) for i in range(count)})
    return size, tuple(origins)


def plan_tiles(height: int, width: int, *, max_tile: int, overlap: int = DEFAULT_OVERLAP, multiple: int = 1,
               margin: int | None = None) -> TilePlan:
    """Plan tiles no larger than ``max_tile`` covering a ``height`` × ``width`` frame (already padded).

    Parameters
    ----------
    height, width : int
        Frame size in pixels, multiples of ``multiple``.
    max_tile : int
        Largest tile side in pixels.
    overlap : int
        Minimum overlap between neighbouring tiles in pixels.
    multiple : int
        Tile sizes and origins are multiples of this.
    margin : int, optional
        Zero-weight pixels at inner tile edges; default ``overlap // 4``. Set it to at least the model's
        receptive radius for seamless output.

    Raises
    ------
    UsageError
        When the sizes are inconsistent (``max_tile`` too small for the overlap, margin too large).
    """
    margin = overlap // 4 if margin is None else margin
    if height % multiple or width % multiple:
        raise UsageError(f"frame {width}x{height} is not padded to a multiple of {multiple}")
    if overlap - 2 * margin < 1:
        raise UsageError(f"tile margin {margin} leaves no blending zone inside the {overlap}-pixel overlap")
    if max_tile < 2 * (overlap + multiple):
        raise UsageError(f"tiles of {max_tile} px are too small for a {overlap}-pixel overlap; raise the memory "
                         "budget or lower the overlap")
    tile_height, ys = _axis_plan(height, max_tile, overlap, multiple)
    tile_width, xs = _axis_plan(width, max_tile, overlap, multiple)
    return TilePlan(height, width, tile_height, tile_width, ys, xs, margin)


def max_tile_for_budget(budget_bytes: int, bytes_per_pixel: float, multiple: int = 1) -> int:
    """Side of the largest square tile whose working memory fits ``budget_bytes`` (a multiple of ``multiple``)."""
    side = int(math.sqrt(budget_bytes / bytes_per_pixel))
    return max(multiple, side // multiple * multiple)


def pad_to_multiple(image: np.ndarray, multiple: int) -> np.ndarray:
    """Reflect-pad the last two axes at the bottom/right up to multiples of ``multiple``."""
    height, width = image.shape[-2:]
    pad_y, pad_x = _round_up(height, multiple) - height, _round_up(width, multiple) - width
    if not pad_y and not pad_x:
        return image
    widths = [(0, 0)] * (image.ndim - 2) + [(0, pad_y), (0, pad_x)]
    mode = "reflect" if height > 1 and width > 1 else "edge"
    return np.pad(image, widths, mode=mode)


def _region(image: Image, y: int, x: int, height: int, width: int) -> np.ndarray:
    """Rows ``y:y+height`` and columns ``x:x+width`` of ``pad_to_multiple(image, ...)``, without padding the rest.

    The part inside the frame is cropped (or made, for a ``LazyImage``) and only that region is reflect-padded
    where it reaches past the bottom or right edge: the same values as cropping the padded whole frame, since a
    tile is always taller and wider than twice the padding.
    """
    full_height, full_width = image.shape[-2:]
    bottom, right = min(y + height, full_height), min(x + width, full_width)
    inside = image.crop(y, bottom, x, right) if isinstance(image, LazyImage) else image[..., y:bottom, x:right]
    if bottom - y == height and right - x == width:
        return inside
    widths = [(0, 0)] * (inside.ndim - 2) + [(0, y + height - bottom), (0, x + width - right)]
    return np.pad(inside, widths, mode="reflect" if full_height > 1 and full_width > 1 else "edge")


def _ramp(size: int, overlap: int, margin: int) -> np.ndarray:
    """Weights rising from 0 (first ``margin`` pixels) to 1 across an ``overlap`` at the start of a tile."""
    position = np.arange(size, dtype=np.float64) - margin + 0.5
    return np.clip(position / (overlap - 2 * margin), 0.0, 1.0)


def _axis_weights(origins: tuple[int, ...], size: int, length: int, margin: int) -> list[np.ndarray]:
    """Float32 blending weights of each tile along one axis, normalised so they sum to one at every pixel.

    Normalising each axis makes the 2-D weights (outer products) sum to one as well, so the blend needs no
    weight accumulation or division.
    """
    weights = []
    for i, start in enumerate(origins):
        weight = np.ones(size)
        if i > 0:
            weight = np.minimum(weight, _ramp(size, origins[i - 1] + size - start, margin))
        if i + 1 < len(origins):
            weight = np.minimum(weight, _ramp(size, start + size - origins[i + 1], margin)[::-1])
        weights.append(weight)
    total = np.zeros(length)
    for start, weight in zip(origins, weights):
        total[start:start + size] += weight
    return [(weight / total[start:start + size]).astype(np.float32) for start, weight in zip(origins, weights)]


def run_tiled(fn: ImageFunction, image: Image, *, tile: int, overlap: int = DEFAULT_OVERLAP,
              multiple: int = 1, margin: int | None = None, tiles_per_batch: int = 1) -> np.ndarray:
    """Run ``fn`` on overlapping tiles of ``image`` and blend the results seamlessly.

    Parameters
    ----------
    fn : callable
        Model function: ``(B, ..., h, w)`` float32 → ``(B, C_out, h, w)``, returning an array the caller may
        overwrite (an onnxruntime output is; results are weighted in place).
    image : ndarray or LazyImage
        ``N×C×H×W`` (or ``N×T×C×H×W``) float32, any H and W; a ``LazyImage`` is made one tile at a time.
    tile : int
        Largest tile side in pixels.
    overlap, multiple, margin : int
        See ``plan_tiles``.
    tiles_per_batch : int
        Tiles stacked along the batch axis per call of ``fn``.

    Returns
    -------
    ndarray
        ``N×C_out×H×W`` float32.
    """
    height, width = image.shape[-2:]
    plan = plan_tiles(_round_up(height, multiple), _round_up(width, multiple), max_tile=tile, overlap=overlap,
                      multiple=multiple, margin=margin)
    weights_y = dict(zip(plan.ys, _axis_weights(plan.ys, plan.tile_height, plan.height, plan.margin)))
    weights_x = dict(zip(plan.xs, _axis_weights(plan.xs, plan.tile_width, plan.width, plan.margin)))
    frames = image.shape[0]
    blended = np.empty(0, np.float32)
    boxes = plan.boxes
    step = max(1, tiles_per_batch)
    for first in range(0, len(boxes), step):
        chunk = boxes[first:first + step]
        crops = np.concatenate([_region(image, y, x, plan.tile_height, plan.tile_width) for y, x in chunk])
        out = np.array(fn(crops), dtype=np.float32, copy=None)
        if first == 0:
            blended = np.zeros((frames, out.shape[1], plan.height, plan.width), np.float32)
        for index, (y, x) in enumerate(chunk):
            part = out[index * frames:(index + 1) * frames]
            part *= weights_y[y][:, None] * weights_x[x][None, :]
            blended[..., y:y + plan.tile_height, x:x + plan.tile_width] += part
    return blended[..., :height, :width]


def run_frame(fn: ImageFunction, image: Image, *, multiple: int = 1, memory_budget_bytes: int | None = None,
              bytes_per_pixel: float = DEFAULT_BYTES_PER_PIXEL, overlap: int = DEFAULT_OVERLAP,
              margin: int | None = None) -> np.ndarray:
    """Run ``fn`` on the whole frame when it fits the memory budget, else tiled (as many tiles per call as fit).

    Parameters
    ----------
    fn : callable
        Model function, as for ``run_tiled``.
    image : ndarray or LazyImage
        ``N×C×H×W`` (or ``N×T×C×H×W``) float32; a ``LazyImage`` is made whole only when the frame is not tiled.
    multiple : int
        The model's required size multiple.
    memory_budget_bytes : int, optional
        Working memory the model may use per call; None for no limit (always whole frame).
    bytes_per_pixel : float
        Working memory per input pixel (a pack's ``io.bytes_per_pixel``), per batch item.
    overlap, margin : int
        See ``plan_tiles``.

    Returns
    -------
    ndarray
        ``N×C_out×H×W`` float32, cropped back to the input's height and width.
    """
    height, width = image.shape[-2:]
    padded_height, padded_width = _round_up(height, multiple), _round_up(width, multiple)
    per_frame = padded_height * padded_width * bytes_per_pixel * image.shape[0]
    if memory_budget_bytes is None or per_frame <= memory_budget_bytes:
        whole = _region(image, 0, 0, padded_height, padded_width)
        return np.asarray(fn(np.ascontiguousarray(whole)), np.float32)[..., :height, :width]
    tile = max_tile_for_budget(memory_budget_bytes // image.shape[0], bytes_per_pixel, multiple)
    plan = plan_tiles(padded_height, padded_width, max_tile=tile, overlap=overlap, multiple=multiple, margin=margin)
    tile_bytes = plan.tile_height * plan.tile_width * bytes_per_pixel * image.shape[0]
    return run_tiled(fn, image, tile=tile, overlap=overlap, multiple=multiple, margin=margin,
                     tiles_per_batch=max(1, int(memory_budget_bytes // tile_bytes)))
