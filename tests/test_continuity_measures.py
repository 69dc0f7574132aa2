"""Each continuity measure finds the change it is for, in its unit and at its place, on takes of real photographs
(and leaves a pair of good takes alone)."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from continuity_makers import HEIGHT, WIDTH, setup, shot

from answerprint.core.continuity.colorimetry import cct_duv, delta_e00_acescg, planck_xyz, white_balance_error_matrix
from answerprint.core.continuity.compare import compare_shots
from answerprint.core.continuity.measures import MEASURE_NAMES
from answerprint.core.continuity.shot_frames import from_frames, frame_plan
from answerprint.core.continuity.thresholds import generic
from answerprint.core.demo.takes import EXPOSURE_STEP_EV, render_take


@pytest.fixture(scope="module")
def base():
    """Take 1 of a coffee set-up with an actor, a lamp and a prop."""
    return shot(setup(), 1)


def flags(analysis) -> list[str]:
    scores = generic().scores(analysis.values()[None])[0]
    return [name for name, score in zip(MEASURE_NAMES, scores) if np.isfinite(score) and score > 1]


def inside(box, point) -> bool:
    x, y, w, h = box
    return x <= point[0] <= x + w and y <= point[1] <= y + h


def test_two_good_takes_raise_no_flag(base):
    analysis = compare_shots(base, "middle", shot(setup(), 2), "middle")
    assert flags(analysis) == []
    assert abs(analysis.measurements["exposure"].value) < 0.05
    assert analysis.measurements["content"].value == 0.0          # the actor moved, and is not counted
    assert analysis.measurements["content"].figures["people_regions"] >= 1


def test_a_third_of_a_stop_is_measured_in_ev(base):
    analysis = compare_shots(base, "middle", shot(setup(), 2, "exposure_up"), "middle")
    assert analysis.measurements["exposure"].value == pytest.approx(EXPOSURE_STEP_EV, abs=0.04)
    assert analysis.measurements["exposure"].unit == "EV"
    assert flags(analysis) == ["exposure"]


def test_300_kelvin_off_is_a_white_balance_flag_with_cct_and_duv(base):
    analysis = compare_shots(base, "middle", shot(setup(), 2, "warmer"), "middle")
    balance = analysis.measurements["white_balance"]
    assert balance.value > 2.0 and balance.unit == "ΔE00"
    assert balance.figures["cct_second"] < balance.figures["cct_first"] - 150      # warmer: lower CCT
    assert abs(balance.figures["duv_second"]) < 0.02
    assert flags(analysis) == ["white_balance"]


def test_lifted_blacks_are_a_black_level_change(base):
    plan = frame_plan(0, 9)
    rendered = render_take(setup(), 2, 10, only=set(plan.values()))
    lifted = {key: rendered[number] + np.float32(0.004) for key, number in plan.items()}      # flare, veiling glare
    analysis = compare_shots(base, "middle", from_frames(lifted, None, plan, (WIDTH, HEIGHT)), "middle")
    assert analysis.measurements["black_level"].value > 0.3
    assert abs(analysis.measurements["white_level"].value) < 0.05
    assert "black_level" in flags(analysis)


def test_twice_the_noise_is_six_decibels(base):
    plan = frame_plan(0, 9)
    rendered = render_take(setup(), 2, 10, only=set(plan.values()))
    noiseless = replace(setup(), variation=replace(setup().variation, read_noise=0.0, shot_noise=0.0))
    clean = render_take(noiseless, 2, 10, only=set(plan.values()))
    noisier = {key: clean[n] + 2 * (rendered[n] - clean[n]) for key, n in plan.items()}
    analysis = compare_shots(base, "middle", from_frames(noisier, None, plan, (WIDTH, HEIGHT)), "middle")
    assert analysis.measurements["noise"].value == pytest.approx(6.0, abs=1.5)
    assert "noise" in flags(analysis)


def test_a_focus_pull_off_the_actor_is_found_on_her(base):
    analysis = compare_shots(base, "middle", shot(setup(), 2, "focus"), "middle")
    focus = analysis.measurements["focus"]
    assert focus.value < -0.3 and focus.figures["subject"] == "the people"
    assert "focus" in flags(analysis)


def test_a_switched_lamp_is_a_practical_change_at_the_lamp(base):
    analysis = compare_shots(base, "middle", shot(setup(), 2, "lamp_switched"), "middle")
    practical = analysis.measurements["practical"]
    assert abs(practical.value) > 2.0
    lamp = setup().lamp
    assert inside(practical.box, (lamp[0] / WIDTH, lamp[1] / HEIGHT))
    assert "practical" in flags(analysis) and "content" not in flags(analysis)   # the light, not an object


@pytest.mark.parametrize("change", ["prop_moved", "prop_removed"])
def test_a_prop_moved_or_removed_is_a_content_change_where_it_was(base, change):
    analysis = compare_shots(base, "middle", shot(setup(), 2, change), "middle")
    content = analysis.measurements["content"]
    assert content.value > 0.3 and content.unit == "% frame"
    x, y, w, h = setup().prop_box
    assert inside(content.box, ((x + w / 2) / WIDTH, (y + h / 2) / HEIGHT)) or \
        any(inside(r["box"], ((x + w / 2) / WIDTH, (y + h / 2) / HEIGHT)) for r in content.figures["all"])
    assert content.figures["kind"] in ("moved", "appeared", "disappeared")      # a best-effort reading
    assert flags(analysis) == ["content"]


def test_a_wardrobe_shift_is_measured_on_the_actor_wherever_she_stands(base):
    analysis = compare_shots(base, "middle", shot(setup(), 2, "wardrobe"), "middle")
    assert analysis.measurements["wardrobe"].value > 2.0
    assert flags(analysis) == ["wardrobe"]


def test_without_the_people_mask_acting_reads_as_content_change(base):
    from answerprint.core.continuity.check import without_people

    analysis = compare_shots(without_people(base), "middle", without_people(shot(setup(), 2)), "middle")
    assert analysis.measurements["content"].value > 1.0        # the actor counted as an object that moved


def test_shots_without_a_common_view_are_compared_only_shot_by_shot(base):
    other = shot(setup("rocket", 5, with_actor=False), 1)
    analysis = compare_shots(base, "middle", other, "middle")
    assert analysis.measurements["exposure"].value is None
    assert "no common view" in analysis.measurements["exposure"].why_not
    assert analysis.measurements["focus"].value is not None and analysis.measurements["noise"].value is not None


def test_cct_and_duv_agree_with_colour_science():
    colour = pytest.importorskip("colour")
    for kelvin, duv in ((2700.0, 0.0), (4300.0, 0.004), (6500.0, -0.003), (9000.0, 0.0)):
        uv = colour.temperature.CCT_to_uv_Ohno2013(np.array([kelvin, duv]))
        xyz = colour.xy_to_XYZ(colour.UCS_uv_to_xy(uv))
        measured_kelvin, measured_duv = cct_duv(xyz)
        assert measured_kelvin == pytest.approx(kelvin, rel=0.003)
        assert measured_duv == pytest.approx(duv, abs=3e-4)
    assert cct_duv(planck_xyz(3200.0))[0] == pytest.approx(3200.0, rel=0.001)


def test_a_white_balance_error_keeps_neutral_luminance_and_shifts_the_neutral():
    drift = white_balance_error_matrix(5600.0, 5300.0)          # balanced too warm for the light: cooler picture
    grey = np.full(3, 0.18)
    assert delta_e00_acescg(grey[None], (drift @ grey)[None])[0] > 1.0
