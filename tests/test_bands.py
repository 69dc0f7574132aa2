"""Row bands: every row worked on exactly once, results identical to one pass over the whole frame."""
from __future__ import annotations

import numpy as np
import pytest

from answerprint.core import bands
from answerprint.core.bands import MIN_BAND_ROWS, band_slices, for_each_band


@pytest.mark.parametrize("rows, wanted", [(2160, 16), (1080, 7), (100, 16), (5, 4)])
def test_bands_cover_every_row_once_and_are_never_thinner_than_the_minimum(rows, wanted):
    slices = band_slices(rows, wanted)
    covered = np.concatenate([np.arange(rows)[s] for s in slices])
    assert np.array_equal(covered, np.arange(rows))
    assert len(slices) == 1 or min(s.stop - s.start for s in slices) >= MIN_BAND_ROWS


def test_work_in_bands_gives_the_same_bytes_as_one_pass(monkeypatch):
    monkeypatch.setattr(bands, "cores", lambda: 8)
    frame = np.random.default_rng(0).random((1080, 1920, 3), dtype=np.float32)
    out = np.empty_like(frame)
    for_each_band(frame.shape[0], lambda rows: np.sqrt(frame[rows] * 1.7, out=out[rows]))
    assert len(band_slices(1080)) == 8 and np.array_equal(out, np.sqrt(frame * 1.7))


def test_an_error_in_a_band_reaches_the_caller(monkeypatch):
    monkeypatch.setattr(bands, "cores", lambda: 4)

    def fail_on_the_last_band(rows: slice) -> None:
        if rows.stop == 1080:
            raise ValueError("band failed")

    with pytest.raises(ValueError, match="band failed"):
        for_each_band(1080, fail_on_the_last_band)
