"""Row bands of a frame worked on by every core at once.

numpy's element-wise operations (and OpenCV, OpenColorIO) release the GIL, so a frame split into bands of rows
is converted on all cores in parallel: one float32 pass over a 3840x2160 RGB frame takes about 20 ms on one
core. The movie reader and writer use this for their pixel conversions, which would otherwise cap a UHD
render at a few frames per second on a many-core machine whatever the effect costs.

Work done per band must touch only its own rows, and must not itself call ``for_each_band`` or ``in_parallel``
(the shared pool is not re-entrant).
"""
from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Iterable, TypeVar

T = TypeVar("T")
R = TypeVar("R")

#: Bands are never thinner than this (rows): thin bands cost more in hand-over than they save.
MIN_BAND_ROWS = 64
#: Rows of the bands ``small_bands`` makes. A UHD float32 plane of 128 rows is 2 MB: the temporaries of work
#: done per band stay in cache and in the heap, where whole-frame ones (33 MB) are page-faulted in afresh each
#: time (cleanup's occlusion masks took ~4× more CPU in a UHD render made whole).
SMALL_BAND_ROWS = 128

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def cores() -> int:
    """CPU cores this process may use (its affinity mask where the OS has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def _shared_pool() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(cores(), thread_name_prefix="answerprint-bands")
        return _pool


def band_slices(rows: int, bands: int | None = None) -> list[slice]:
    """``rows`` split into ``bands`` contiguous slices (default: one per core, each ≥ ``MIN_BAND_ROWS``)."""
    count = max(1, min(bands or cores(), rows // MIN_BAND_ROWS))
    edges = [round(i * rows / count) for i in range(count + 1)]
    return [slice(start, stop) for start, stop in zip(edges[:-1], edges[1:])]


def small_bands(rows: int) -> list[slice]:
    """``rows`` split into bands of about ``SMALL_BAND_ROWS`` rows (many more than cores: for work whose
    temporaries should stay small)."""
    return band_slices(rows, _small_band_count(rows))


def for_each_small_band(rows: int, work: Callable[[slice], None]) -> None:
    """``for_each_band`` over ``small_bands(rows)``."""
    for_each_band(rows, work, _small_band_count(rows))


def _small_band_count(rows: int) -> int:
    return max(1, rows // SMALL_BAND_ROWS)


def for_each_band(rows: int, work: Callable[[slice], None], bands: int | None = None) -> None:
    """Call ``work(rows_slice)`` for every band of ``rows`` rows (``band_slices(rows, bands)``), in parallel;
    re-raises the first error."""
    slices = band_slices(rows, bands)
    if len(slices) == 1:
        work(slices[0])
        return
    futures = [_shared_pool().submit(work, band) for band in slices]
    for future in futures:
        future.result()


def in_parallel(work: Callable[[T], R], items: Iterable[T]) -> list[R]:
    """``[work(item) for item in items]``, the items worked on at once by the shared pool (same rules as bands)."""
    items = list(items)
    if len(items) < 2:
        return [work(item) for item in items]
    return list(_shared_pool().map(work, items))
