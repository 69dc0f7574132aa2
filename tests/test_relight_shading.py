"""The relight controls on a known shading (no network): each changes the light the way a gaffer would."""
from __future__ import annotations

import numpy as np
import pytest

from answerprint.core.effects.relight.light_color import light_gains_acescg
from answerprint.core.effects.relight.lights import Light, light_weight
from answerprint.core.effects.relight.normals import flat_normals, normals_from_depth, normals_from_disparity
from answerprint.core.effects.relight.shading_ops import (
    ShadingStats,
    add_light,
    change_key_fill,
    lift_shadows,
    luminance,
    match_lighting,
    roll_off_highlights,
    swap_directional_light,
)


def gradient_shading(low: float = 0.05, high: float = 2.0, height: int = 64, width: int = 96) -> np.ndarray:
    """A grey shading rising from ``low`` on the left to ``high`` on the right (scene-linear)."""
    ramp = np.geomspace(low, high, width, dtype=np.float32)[None, :, None]
    return np.repeat(np.repeat(ramp, height, axis=0), 3, axis=2)


def test_6500k_is_neutral_and_tungsten_is_warm_at_the_same_intensity():
    assert np.allclose(light_gains_acescg(6500.0), 1.0)
    tungsten = np.array(light_gains_acescg(3200.0))
    assert tungsten[0] > 1.2 and tungsten[2] < 0.6
    assert luminance(tungsten[None])[0] == pytest.approx(1.0, abs=1e-5)
    magenta, green = np.array(light_gains_acescg(6500.0, 1.0)), np.array(light_gains_acescg(6500.0, -1.0))
    assert magenta[1] < 1.0 < green[1]


def test_an_added_light_lifts_shadows_more_than_highlights_and_stays_in_its_pool():
    shading = gradient_shading()
    stats = ShadingStats.measure(shading)
    weight = light_weight(Light("spot", x=0.5, y=0.5, radius=0.4, falloff=0.0), flat_normals(*shading.shape[:2]))
    lit = add_light(shading, stats, weight, 1.0, (1.0, 1.0, 1.0))
    gain = lit[..., 0] / shading[..., 0]
    row = shading.shape[0] // 2
    assert gain[row, 25] > gain[row, 70] > 1.0, "a real light adds more, relatively, where there was less"
    assert np.allclose(gain[0, :2], 1.0) and np.allclose(gain[0, -2:], 1.0), "outside the pool nothing changes"
    flagged = add_light(shading, stats, weight, -1.0, (1.0, 1.0, 1.0))
    assert flagged[row, 48, 0] == pytest.approx(shading[row, 48, 0] * 0.5, rel=1e-4)


def test_lift_rolloff_and_key_fill_act_where_they_should():
    shading = gradient_shading()
    stats = ShadingStats.measure(shading)
    lifted = lift_shadows(shading, stats, 0.5)
    assert lifted[0, 0, 0] / shading[0, 0, 0] > 2.0 and lifted[0, -1, 0] / shading[0, -1, 0] < 1.2
    rolled = roll_off_highlights(shading, stats, 1.0)
    knee = stats.median * 4.0
    below = shading[0, :, 0] < knee
    assert np.allclose(rolled[0, below, 0], shading[0, below, 0])
    assert rolled[0, -1, 0] < shading[0, -1, 0] and np.all(np.diff(rolled[0, :, 0]) > 0), "monotonic roll-off"
    wider = ShadingStats.measure(change_key_fill(shading, stats, 1.0))
    assert (wider.key_stops - wider.fill_stops) == pytest.approx(stats.key_stops - stats.fill_stops + 1.0, abs=0.05)


def test_match_lighting_takes_the_reference_level_contrast_and_colour():
    shading = gradient_shading(0.1, 1.0)
    reference = gradient_shading(0.2, 4.0) * np.array([1.2, 1.0, 0.7], np.float32)
    stats, wanted = ShadingStats.measure(shading), ShadingStats.measure(reference)
    matched = ShadingStats.measure(match_lighting(shading, stats, wanted, 1.0))
    assert matched.mean_stops == pytest.approx(wanted.mean_stops, abs=0.02)
    assert matched.spread_stops == pytest.approx(wanted.spread_stops, abs=0.02)
    assert np.allclose(matched.chroma, wanted.chroma, atol=0.01)
    untouched = match_lighting(shading, stats, wanted, 0.0)
    assert np.allclose(untouched, shading, rtol=1e-5)


def test_swapping_a_sun_on_known_geometry_gives_the_other_render():
    """A hemisphere lit by sun A, re-lit to sun B, equals the hemisphere rendered under sun B."""
    size = 65
    ys, xs = np.mgrid[-1:1:size * 1j, -1:1:size * 1j]
    depth = np.sqrt(np.clip(1.5 - xs ** 2 - ys ** 2, 0.1, None))
    disparity = (20.0 + 10.0 * depth).astype(np.float32)
    normals = normals_from_disparity(disparity, focal_px=40.0, smoothing_px=0.5)
    a, b = Light("directional", azimuth_deg=150, elevation_deg=30).direction, Light("directional", azimuth_deg=20).direction

    def render(direction):
        return (0.3 + np.maximum(np.sum(normals * direction, -1), 0))[..., None].repeat(3, -1).astype(np.float32)

    assert np.allclose(swap_directional_light(render(a), normals, a, b, 0.3), render(b), atol=1e-5)
    assert not np.allclose(render(a), render(b), atol=0.05)


def test_a_depth_pass_of_a_tilted_wall_gives_its_normal_in_any_unit():
    """A wall turned away to the right (depth Z = Z0 + a·X) faces right: normal (a, 0, 1)/√(1 + a²)."""
    width, height, focal_px, slope = 96, 64, 80.0, 0.5
    u = np.arange(width, dtype=np.float64) - (width - 1) / 2
    depth = np.repeat((3.0 / (1.0 - slope * u / focal_px))[None, :], height, axis=0)
    wanted = np.array([slope, 0.0, 1.0]) / np.hypot(slope, 1.0)
    for unit in (1.0, 1000.0):  # metres or millimetres
        normals = normals_from_depth(depth * unit, focal_px, smoothing_px=0.0)
        assert np.allclose(normals[height // 2, width // 2], wanted, atol=0.01)
    sky = depth.copy()
    sky[:8] = np.inf
    assert np.all(np.isfinite(normals_from_depth(sky, focal_px))), "depth without a surface is filled, not NaN"
