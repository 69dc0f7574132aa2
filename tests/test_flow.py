"""Motion compensation: neighbours land on the reference, without mixing their noise."""
from __future__ import annotations

import numpy as np
from conftest import photo_frames

from answerprint.core.effects.cleanup.flow import align_neighbours, warp_nearest
from answerprint.core.effects.cleanup.motion_cache import MotionCache
from answerprint.core.effects.cleanup.flow import MotionEstimator
from answerprint.core.render.pipeline import windows


def test_a_panned_neighbour_is_warped_back_onto_the_reference():
    frames = photo_frames(256, 160, 3, pan_px=3.0)
    aligned = align_neighbours(frames)
    for item in aligned:
        inner = item.valid[8:-8, 8:-8]
        error = np.abs(item.pixels - frames[1])[8:-8, 8:-8][inner]
        assert inner.mean() > 0.8, "most pixels of a simple pan are trusted"
        assert np.median(error) < 0.01, f"offset {item.offset}: warped frame must match the reference"
    unaligned = np.abs(frames[0] - frames[1]).mean()
    assert np.abs(aligned[0].pixels - frames[1]).mean() < unaligned / 3


def test_nearest_neighbour_warp_only_copies_pixels_so_noise_stays_independent():
    rng = np.random.default_rng(0)
    noise = rng.standard_normal((64, 64, 3)).astype(np.float32)
    flow = np.full((64, 64, 2), 0.4, np.float32)  # a sub-pixel shift bilinear would blend
    warped = warp_nearest(noise, flow)
    assert np.isin(warped, noise).all(), "every warped value is one of the source's values"
    assert abs(warped.std() - noise.std()) < 0.05, "no averaging: the noise keeps its strength"


class CountingEstimator(MotionEstimator):
    """The pack's default estimator, counting the flows and lumas it is asked for."""

    def __init__(self):
        super().__init__()
        self.flows, self.lumas = 0, 0

    def luma(self, frame):
        self.lumas += 1
        return super().luma(frame)

    def coarse_flow(self, reference_luma, moving_luma):
        self.flows += 1
        return super().coarse_flow(reference_luma, moving_luma)


def test_a_render_estimates_each_pair_of_frames_once_and_aligns_exactly_as_afresh():
    clip = photo_frames(192, 128, 8, pan_px=2.5)
    counting = CountingEstimator()
    cache = MotionCache(counting)
    kept = []
    for _, window in windows(enumerate(clip), 2):
        cache.retain(window)
        cached = align_neighbours(window, cache)
        kept.append(len(cache))
        fresh = align_neighbours(window, MotionEstimator())
        for a, b in zip(cached, fresh):
            assert a.offset == b.offset and np.array_equal(a.pixels, b.pixels) and np.array_equal(a.valid, b.valid)
    distinct_pairs = (len(clip) - 1) + (len(clip) - 2)  # neighbours 1 and 2 frames apart
    assert counting.flows == cache.pairs_estimated == 2 * distinct_pairs, "each ordered pair estimated once"
    assert counting.lumas == len(clip), "each frame prepared once"
    assert max(kept) == 10, "flows between two frames that were both centres already are let go (14 otherwise)"


def test_the_motion_cache_forgets_frames_that_left_the_window():
    clip = photo_frames(96, 64, 7, pan_px=1.5)
    cache = MotionCache(MotionEstimator())
    for _, window in windows(enumerate(clip), 1):
        cache.retain(window)
        align_neighbours(window, cache)
        distinct = len({id(frame) for frame in window})
        assert len(cache) <= distinct * (distinct - 1), "only flows between frames of this window are kept"
    assert len(cache) == 2, "after the last window: its centre and its one earlier neighbour, both ways"
