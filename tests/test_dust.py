"""Dust and scratches: one-frame blemishes found against motion-compensated neighbours, and one-frame events
(glints, flashes, occlusions) left alone."""
from __future__ import annotations

import cv2
import numpy as np
import pytest
from conftest import photo

from answerprint.core.effects.cleanup.dust import DustDetector
from answerprint.core.effects.cleanup.flow import AlignedNeighbour
from answerprint.core.errors import ParamError


def _pan(name: str, velocity: tuple[float, float], grain: float = 3 / 255, seed: int = 0) -> list[np.ndarray]:
    """Five frames of a sub-pixel camera pan over a photograph (bicubic), with film-like grain."""
    image = photo(name)
    rng = np.random.default_rng(seed)
    frames = []
    for step in range(-2, 3):
        shift = np.float32([[1, 0, -step * velocity[0]], [0, 1, -step * velocity[1]]])
        moved = cv2.warpAffine(image, shift, image.shape[1::-1], flags=cv2.INTER_CUBIC,
                               borderMode=cv2.BORDER_REFLECT_101)
        frames.append(np.clip(moved + rng.normal(0, grain, moved.shape), 0, 1).astype(np.float32))
    return frames


def _plant_dust(frame: np.ndarray, seed: int, count: int = 24) -> tuple[np.ndarray, list[np.ndarray]]:
    """Soft-edged dark and bright specks (1–30 px) and two thin scratches; returns the frame and their masks."""
    rng = np.random.default_rng(seed)
    height, width = frame.shape[:2]
    yy, xx = np.mgrid[:height, :width]
    out, masks, taken = frame.copy(), [], np.zeros((height, width), np.uint8)
    while len(masks) < count:
        radius = max(np.sqrt(rng.uniform(1, 30) / np.pi), 0.6)
        cy, cx = rng.uniform(12, height - 12), rng.uniform(12, width - 12)
        alpha = np.clip((radius + 0.75 - np.hypot(yy - cy, xx - cx)) / 1.5, 0, 1).astype(np.float32)
        core = alpha >= 0.5
        target = rng.uniform(0.02, 0.12) if rng.random() < 0.5 else rng.uniform(0.85, 1.0)
        if (cv2.dilate(core.astype(np.uint8), np.ones((9, 9), np.uint8)) & taken).any() \
                or abs(target - frame[core].mean()) < 0.15:
            continue
        out = out * (1 - alpha[..., None]) + target * alpha[..., None]
        taken |= core
        masks.append(core)
    for x, top, shade in ((width * 0.3, 40, 0.08), (width * 0.7, 120, 0.95)):
        alpha = np.clip(1.25 - np.abs(xx - x), 0, 1) * ((yy >= top) & (yy < top + 90))
        out = out * (1 - 0.8 * alpha[..., None]) + shade * 0.8 * alpha[..., None]
        masks.append(alpha >= 0.5)
    return np.clip(out, 0, 1).astype(np.float32), masks


def _blob_scores(found: np.ndarray, planted: list[np.ndarray]) -> tuple[int, int, int]:
    """(blemishes found — ≥ 50 % of their pixels flagged —, flagged blobs, flagged blobs touching none)."""
    hits = sum(found[mask].mean() >= 0.5 for mask in planted)
    union = np.logical_or.reduce(planted)
    count, labels = cv2.connectedComponents(found.astype(np.uint8), connectivity=8)
    false = sum(not union[labels == label].any() for label in range(1, count))
    return int(hits), count - 1, int(false)


@pytest.fixture(scope="module")
def dusty_windows():
    """Two windows of real photographs under camera motion, dust planted in the centre frame."""
    windows = []
    for seed, (name, velocity) in enumerate((("astronaut", (0.8, 0.4)), ("coffee", (1.3, -0.5)))):
        frames = _pan(name, velocity, seed=seed)
        dusty, masks = _plant_dust(frames[2], seed)
        windows.append((frames, frames[:2] + [dusty] + frames[3:], masks))
    return windows


def test_dust_and_scratches_are_found_with_precision_and_recall_above_090(dusty_windows):
    hits = planted = flagged = false = 0
    for _, window, masks in dusty_windows:
        found = DustDetector().detect(window).mask
        window_hits, window_flagged, window_false = _blob_scores(found, masks)
        hits, planted = hits + window_hits, planted + len(masks)
        flagged, false = flagged + window_flagged, false + window_false
    assert hits / planted >= 0.9, f"recall {hits}/{planted}"
    assert (flagged - false) / flagged >= 0.9, f"precision {flagged - false}/{flagged}"


def test_repair_brings_the_dusty_areas_back_to_the_clean_frame(dusty_windows):
    clean, window, masks = dusty_windows[0]
    repaired, changed = DustDetector().repair(window)
    dust = cv2.dilate(np.logical_or.reduce(masks).astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)

    def psnr(frame):
        return 10 * np.log10(1 / np.mean((frame[dust] - clean[2][dust]) ** 2))

    assert psnr(repaired) > psnr(window[2]) + 10
    assert np.array_equal(repaired[~changed], window[2][~changed]), "only the repair mask changes"
    assert changed[~dust].mean() < 0.001, "nothing far from the dust is repaired"


def test_a_glint_with_a_soft_halo_survives():
    frames = _pan("coffee", (1.0, 0.5))
    yy, xx = np.mgrid[:frames[2].shape[0], :frames[2].shape[1]]
    for core_px, halo_px in ((1.0, 2.0), (1.0, 3.0), (2.5, 6.0)):
        distance = np.hypot(yy - 150, xx - 300)
        glow = 0.4 * np.exp(-0.5 * (distance / halo_px) ** 2)[..., None]
        core = np.clip(core_px + 0.5 - distance, 0, 1)[..., None]
        glinting = np.clip(frames[2] + glow, 0, 1) * (1 - core) + core
        report = DustDetector().detect(frames[:2] + [glinting.astype(np.float32)] + frames[3:])
        assert not report.mask[130:170, 280:320].any(), f"a glint ({core_px}, {halo_px} px) was taken for dust"
        assert report.candidates[150, 300], "it was seen, and kept on purpose"


def test_a_full_frame_flash_is_not_touched():
    frames = _pan("astronaut", (0.8, 0.4))
    flash = np.clip(frames[2] * 1.2 + 0.03, 0, 1)
    report = DustDetector().detect(frames[:2] + [flash] + frames[3:])
    assert not report.mask.any() and {blob.verdict for blob in report.blobs} == {"crowded frame"}


def test_an_occluded_region_is_not_flagged():
    frames = _pan("astronaut", (0.8, 0.4))
    detector = DustDetector()
    aligned = detector.align(frames)
    region = (slice(200, 260), slice(100, 160))
    other = photo("coffee")[:60, :60]
    occluded = []
    for item in aligned:
        if item.offset == 0:
            occluded.append(item)
            continue
        pixels, valid = item.pixels.copy(), item.valid.copy()
        pixels[region], valid[region] = other, False
        occluded.append(AlignedNeighbour(item.offset, pixels, valid))
    centre = frames[2].copy()
    centre[228:232, 128:132] = 0.02
    window = frames[:2] + [centre] + frames[3:]
    assert not detector.detect(window, aligned=occluded).mask[region].any()
    assert detector.detect(window, aligned=aligned).mask[region].any(), "with a valid warp it is dust"


def test_a_clip_edge_window_never_uses_the_repeated_frame_as_evidence():
    frames = _pan("astronaut", (0.8, 0.4))
    dusty = frames[2].copy()
    dusty[100:104, 100:104] = 0.02
    assert not DustDetector(radius=1).detect([frames[1], dusty, dusty]).mask.any(), "one neighbour is no proof"
    assert DustDetector().detect([dusty, dusty, dusty, frames[3], frames[4]]).mask[100:104, 100:104].all()


def test_a_noise_map_sets_the_threshold():
    frames = _pan("astronaut", (0.8, 0.4))
    dusty = frames[2].copy()
    dusty[100:104, 100:104] -= 0.1
    window = frames[:2] + [dusty] + frames[3:]
    height, width = dusty.shape[:2]
    assert DustDetector().detect(window, np.full((height, width), 0.004, np.float32)).mask.any()
    assert not DustDetector().detect(window, np.full((height, width, 3), 0.1, np.float32)).mask.any()


def test_bad_windows_and_settings_are_refused():
    frames = _pan("astronaut", (0.8, 0.4))
    with pytest.raises(ParamError, match="even"):
        DustDetector().detect(frames[:4])
    with pytest.raises(ParamError, match="needs 5"):
        DustDetector().detect(frames[:3])
    with pytest.raises(ParamError, match="window frame 3"):
        DustDetector().detect(frames[:3] + [frames[3][:100]] + frames[4:])
    with pytest.raises(ParamError, match="sigma_map"):
        DustDetector().detect(frames, np.ones((10, 10), np.float32))
    with pytest.raises(ParamError, match="sensitivity"):
        DustDetector(sensitivity=1.5)
    with pytest.raises(ParamError, match="radius"):
        DustDetector(radius=3)
