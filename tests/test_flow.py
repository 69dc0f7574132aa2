"""Motion compensation: neighbours land on the reference, without mixing their noise."""
from __future__ import annotations

import numpy as np

from answerprint.core.cleanup.flow import align_neighbours, warp_nearest

from conftest import photo_frames


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
