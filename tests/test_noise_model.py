"""The production noise model: measured from motion-compensated dailies, it must read the truth back.

Noise is added to pans across real photographs (scikit-image), so the fitting sees real textures and edges.
"""
from __future__ import annotations

import cv2
import numpy as np
import pytest
from conftest import photo_frames

from answerprint.core.effects.cleanup.flow import align_neighbours
from answerprint.core.effects.cleanup.noise import (
    MIN_BIN_SAMPLES,
    NoiseModel,
    fit_noise_model,
    fit_noise_model_spatial,
    grain_kernel,
)


def temporal_pairs(noisy: list[np.ndarray]) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(frame, aligned neighbour, trusted) for the inner frames of a short clip."""
    pairs = []
    for centre in range(1, len(noisy) - 1):
        for item in align_neighbours(noisy[centre - 1:centre + 2]):
            if item.offset:
                pairs.append((noisy[centre], item.pixels, item.valid))
    return pairs


def measured(model: NoiseModel, channel: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """(intensities, σ) of the bins that had enough samples."""
    counts = np.asarray(model.counts[channel])
    keep = counts >= 4 * MIN_BIN_SAMPLES
    return np.asarray(model.intensities)[keep], np.asarray(model.sigma[channel])[keep]


def correlated(shape: tuple[int, ...], rng: np.random.Generator, blur: float) -> np.ndarray:
    """Unit-variance noise, blurred by ``blur`` px (0: white)."""
    white = rng.standard_normal(shape).astype(np.float32)
    if not blur:
        return white
    smooth = cv2.GaussianBlur(white, (0, 0), blur)
    return smooth / smooth.std()


@pytest.mark.parametrize("name,sigma", [("astronaut", 0.01), ("coffee", 0.03)])
def test_gaussian_noise_level_is_read_within_ten_percent_on_a_pan(name, sigma):
    rng = np.random.default_rng(1)
    clean = photo_frames(320, 240, 4, name, pan_px=1.5)
    noisy = [c + rng.normal(0, sigma, c.shape).astype(np.float32) for c in clean]
    model = fit_noise_model(temporal_pairs(noisy))
    _, levels = measured(model)
    assert model.method == "temporal" and len(levels) >= 5
    assert np.all(np.abs(levels / sigma - 1) < 0.10), f"σ read {levels} for a true {sigma}"
    assert abs(model.typical_sigma / sigma - 1) < 0.05


def test_poisson_gaussian_noise_curve_is_recovered_from_a_photograph():
    rng = np.random.default_rng(2)
    shot, floor = 0.002, 0.0001
    clean = photo_frames(320, 240, 4, "astronaut", pan_px=1.0)
    noisy = [c + rng.standard_normal(c.shape).astype(np.float32) * np.sqrt(shot * c + floor) for c in clean]
    model = fit_noise_model(temporal_pairs(noisy))
    for channel in range(3):
        intensities, levels = measured(model, channel)
        truth = np.sqrt(shot * intensities + floor)
        assert np.all(np.abs(levels / truth - 1) < 0.10), f"channel {channel}: {levels} vs {truth}"
    a, b = model.poisson_gaussian[1]
    assert abs(a / shot - 1) < 0.15 and abs(b / floor - 1) < 0.5


def test_grain_correlation_is_detected_and_white_noise_reads_white():
    rng = np.random.default_rng(3)
    clean = photo_frames(320, 240, 4, "chelsea", pan_px=1.0)
    white = fit_noise_model(temporal_pairs([c + 0.02 * correlated(c.shape, rng, 0) for c in clean]))
    grainy = fit_noise_model(temporal_pairs([c + 0.02 * correlated(c.shape, rng, 0.8) for c in clean]))
    assert abs(white.neighbour_correlation) < 0.05
    assert grainy.neighbour_correlation > 0.5, "blurred grain must read as spatially correlated"
    assert abs(grainy.typical_sigma / 0.02 - 1) < 0.10, "correlated grain does not hide its level"


def test_a_locked_off_plate_needs_no_motion_to_be_measured():
    rng = np.random.default_rng(4)
    plate = photo_frames(256, 192, 1, "rocket")[0]
    noisy = [plate + rng.normal(0, 0.015, plate.shape).astype(np.float32) for _ in range(3)]
    model = fit_noise_model(temporal_pairs(noisy))
    assert abs(model.typical_sigma / 0.015 - 1) < 0.05


def test_synthesised_grain_has_the_fitted_level_and_correlation():
    rng = np.random.default_rng(5)
    clean = photo_frames(320, 240, 4, "astronaut", pan_px=1.0)
    source = fit_noise_model(temporal_pairs([c + 0.02 * correlated(c.shape, rng, 0.7) for c in clean]))
    resynthesised = [c + source.synthesize(c.shape, c, rng) for c in clean]
    refit = fit_noise_model(temporal_pairs(resynthesised))
    assert abs(refit.typical_sigma / source.typical_sigma - 1) < 0.08
    assert abs(refit.neighbour_correlation - source.neighbour_correlation) < 0.08
    grain = source.synthesize((200, 200, 3), np.full((200, 200, 3), 0.5, np.float32), rng, amount=2.0)
    assert abs(grain.std() / (2 * source.sigma_at(np.array([0.5]), 1)[0]) - 1) < 0.08, "amount scales σ"


def test_the_grain_kernel_reproduces_its_autocorrelation():
    autocorrelation = np.zeros((5, 5))
    autocorrelation[2, 2], autocorrelation[2, 1], autocorrelation[2, 3] = 1.0, 0.4, 0.4
    kernel = grain_kernel(autocorrelation)
    noise = cv2.filter2D(np.random.default_rng(6).standard_normal((400, 400)).astype(np.float32), -1, kernel)
    assert abs(noise.std() - 1) < 0.03
    horizontal = np.mean(noise[:, 1:] * noise[:, :-1]) / noise.var()
    vertical = np.mean(noise[1:] * noise[:-1]) / noise.var()
    assert abs(horizontal - 0.4) < 0.03 and abs(vertical) < 0.03


def test_single_frames_fall_back_to_a_spatial_estimate():
    rng = np.random.default_rng(7)
    frames = [c + rng.normal(0, 0.03, c.shape).astype(np.float32) for c in photo_frames(320, 240, 2, "coffee")]
    model = fit_noise_model_spatial(frames)
    assert model.method == "spatial" and abs(model.typical_sigma / 0.03 - 1) < 0.15


def test_clean_footage_reads_as_clean_and_the_model_survives_json():
    clean = photo_frames(256, 192, 4, "astronaut", pan_px=2.0)
    quantised = [np.round(c * 1023) / 1023 for c in clean]
    model = fit_noise_model(temporal_pairs(quantised))
    assert model.is_clean, f"10-bit quantisation alone read as σ {model.peak_sigma * 1023:.2f} code values"
    restored = NoiseModel.from_json(model.to_json())
    assert restored.method == model.method and np.allclose(restored.sigma, model.sigma, rtol=1e-5, atol=1e-9)
    with pytest.raises(ValueError):
        NoiseModel.from_json({"schema": "something else"})
