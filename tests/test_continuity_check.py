"""``answerprint train continuity`` and ``answerprint continuity`` end to end: the production's calibration as a
signed pack, the report, the markers, the colour fix that removes a white-balance drift, and bad input."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest import file_digest
from continuity_makers import SPACE, setup, to_linear, write

from answerprint.core.cli import main
from answerprint.core.color.cube import read_cube
from answerprint.core.color.lut import LutProcessor
from answerprint.core.continuity.colorimetry import delta_e00_acescg
from answerprint.core.continuity.measures import MEASURE_NAMES
from answerprint.core.continuity.thresholds import MARGIN, calibrate, from_pack
from answerprint.core.demo.takes import take_state
from answerprint.core.errors import PackError, UsageError
from answerprint.core.frames import open_media
from answerprint.core.packs import create_production_key, init_production, load_pack
from answerprint.core.runtime import clear_session_cache

PRODUCTION = "cobalt"
#: Scene 1: three takes of one set-up, the second shot with the camera balanced 300 K too warm.
CHANGED = "SC01A_T2"


@pytest.fixture(scope="module")
def show(tmp_path_factory):
    """Production 'cobalt': a continuity pack calibrated on three good takes, and a scene to check."""
    root = tmp_path_factory.mktemp("continuity")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ANSWERPRINT_HOME", str(root / "home"))
        patch.delenv("ANSWERPRINT_SHARED_LIBRARY", raising=False)
        from answerprint.models.continuity.train import train_continuity

        create_production_key(init_production(PRODUCTION, "Cobalt Feature", (str(root),)))
        dailies = [write(root / "dailies", f"SC09A_T{take}", setup(), 900 + take) for take in (1, 2, 3)]
        calibration = train_continuity([str(p) for p in dailies], PRODUCTION, out=root / "continuity.onnx",
                                       input_space=SPACE)
        scene = [write(root / "scene", f"SC01A_T{take}", setup(), 10 + take, "warmer" if take == 2 else None,
                       timecode=f"11:0{take}:00:00") for take in (1, 2, 3)]
        yield {"root": root, "pack": str(calibration.pack_path), "calibration": calibration, "scene": scene,
               "dailies": dailies}
        clear_session_cache()


def check(show, out: Path, *inputs, options=()) -> int:
    return main(["continuity", *map(str, inputs), "--out", str(out), "--input-space", SPACE, *options])


def test_calibration_signs_the_production_thresholds_and_its_graph_scores_with_them(show, monkeypatch):
    monkeypatch.setenv("ANSWERPRINT_HOME", str(show["root"] / "home"))
    calibration = show["calibration"]
    assert len(calibration.variation.pairs) == 3 and list(calibration.variation.setups) == ["9A"]
    thresholds = from_pack(load_pack(show["pack"], PRODUCTION))
    assert thresholds.calibrated and "calibrated on 3 take pairs of 1 set-up" in thresholds.source
    for name in MEASURE_NAMES:
        seen = thresholds.observed[name]
        expected = calibration.thresholds.thresholds[name]
        assert thresholds.thresholds[name] == pytest.approx(expected, rel=1e-6)
        if seen.get("pairs"):
            assert expected >= MARGIN * seen["p95"] - 1e-9
    values = np.random.default_rng(0).normal(0, 1, (5, len(MEASURE_NAMES))).astype(np.float32)
    centres = np.array([thresholds.centres[n] for n in MEASURE_NAMES])
    scales = np.array([thresholds.thresholds[n] for n in MEASURE_NAMES])
    assert np.allclose(thresholds.scores(values), np.abs(values - centres) / scales, atol=1e-5)
    assert Path(calibration.report_path).read_text().count("<tr>") >= len(MEASURE_NAMES) + 3


def test_thresholds_are_the_floor_or_one_and_a_half_times_the_95th_percentile():
    values = np.zeros((20, len(MEASURE_NAMES)))
    values[:, 0] = np.linspace(-0.2, 0.2, 20)            # exposure wobble of ±0.2 EV
    values[:, 1] = np.nan                                # white balance never compared
    thresholds = calibrate(values, setups=2)
    assert thresholds.thresholds["exposure"] == pytest.approx(1.5 * np.percentile(np.abs(values[:, 0]), 95))
    assert thresholds.thresholds["black_level"] == 0.25  # no variation: its floor
    assert thresholds.observed["white_balance"] == {"pairs": 0}


def test_a_pack_whose_graph_disagrees_with_its_thresholds_is_refused(show, tmp_path, monkeypatch):
    monkeypatch.setenv("ANSWERPRINT_HOME", str(show["root"] / "home"))
    from answerprint.core.packs import Manifest, embed_manifest, load_private_key, sign_model, write_pack
    from answerprint.core.packs.production import load_production
    from answerprint.models.continuity.pack import OPSET, continuity_pack_spec, scores_graph

    stated = show["calibration"].thresholds
    other = calibrate(np.full((3, len(MEASURE_NAMES)), 5.0), 1)        # a graph holding other thresholds
    production = load_production(PRODUCTION)
    manifest = Manifest.create(continuity_pack_spec(stated, "lying", "1", "graph and manifest disagree"),
                               production_id=PRODUCTION, production_name=production.name,
                               provenance=show_provenance(production), opset=OPSET,
                               parity={"max_abs_diff": 0.0, "tolerance": 1e-5, "inputs": ["none"], "reference": "t",
                                       "runtime": "t"},
                               software={"answerprint": "t", "torch": "not used", "onnx": "t", "onnxruntime": "t"})
    lying = write_pack(sign_model(embed_manifest(scores_graph(other), manifest), load_private_key(PRODUCTION)),
                       tmp_path / "lying.onnx")
    with pytest.raises(PackError, match="does not score with the thresholds"):
        from_pack(load_pack(lying, PRODUCTION))


def show_provenance(production):
    from answerprint.core.packs import build_provenance

    return build_provenance(production, [], training_config={}, validation_metrics={})


def test_the_check_flags_the_drifted_take_marks_it_and_writes_a_fix_that_removes_the_drift(show, tmp_path,
                                                                                         monkeypatch):
    monkeypatch.setenv("ANSWERPRINT_HOME", str(show["root"] / "home"))
    digests = [file_digest(p) for p in show["scene"]]
    out = tmp_path / "check"
    assert check(show, out, *show["scene"], options=("--pack", show["pack"], "--production", PRODUCTION)) == 0
    report = json.loads((out / "continuity.json").read_text())
    assert report["thresholds"]["calibrated"] is True
    pairs = {(p["first"], p["second"]): p for p in report["scenes"][0]["pairs"]}
    assert set(pairs) == {("SC01A_T1", "SC01A_T2"), ("SC01A_T2", "SC01A_T3"), ("SC01A_T1", "SC01A_T3")}
    for (first, second), pair in pairs.items():
        assert ("white_balance" in pair["flags"]) == (CHANGED in (first, second))
        assert pair["flags"] in ([], ["white_balance"])
    page = (out / "scene_1.html").read_text()
    assert "white balance" in page and "11:02:00:" in page and 'type="range"' in page
    assert (out / "report.html").is_file() and list((out / "images").glob("*_difference.jpg"))

    fix, = report["scenes"][0]["fixes"]
    assert fix["shot"] == CHANGED and fix["after_de00"] < fix["before_de00"] / 2
    with open_media(show["scene"][1]) as reader:
        _, code = next(iter(reader.read([4])))
    linear = to_linear()
    frame, fixed = linear(code), linear(LutProcessor(read_cube(fix["cube"]), threads=1)(code))
    reference_colour = take_state(setup(), 10 + int(fix["reference"][-1])).colour
    exact = frame @ (reference_colour @ np.linalg.inv(take_state(setup(), 12, "warmer").colour)).T
    drift = delta_e00_acescg(exact.reshape(-1, 3), frame.reshape(-1, 3)).mean()
    residual = delta_e00_acescg(exact.reshape(-1, 3), fixed.reshape(-1, 3)).mean()
    assert drift > 0.7 and residual < min(0.5, drift / 3)        # the drift was there, and the fix removes it

    import opentimelineio as otio
    marked = otio.adapters.read_from_file(str(out / "continuity.otio"))
    markers = {clip.name: [m.name for m in clip.markers] for clip in marked.find_clips()}
    assert all("white balance" in name for name in markers[CHANGED]) and markers[CHANGED]
    assert markers["SC01A_T1"] == []
    assert [file_digest(p) for p in show["scene"]] == digests                       # sources untouched


def test_one_shot_scenes_offline_media_and_mixed_resolutions_get_a_sensible_result(show, tmp_path):
    lone = write(tmp_path, "SC05A_T1", setup("chelsea", 4), 1, frames=6)
    big = tmp_path / "SC01A_T4.mov"
    from dataclasses import replace

    from answerprint.core.demo.takes import render_take, write_take
    wide = replace(setup(), width=852, height=480, plate=np.repeat(np.repeat(setup().plate, 2, 0), 2, 1))
    write_take(big, render_take(replace(wide, prop_box=tuple(2 * v for v in setup().prop_box),
                                        clone_from=tuple(2 * v for v in setup().clone_from),
                                        move_to=tuple(2 * v for v in setup().move_to),
                                        lamp=tuple(2 * v for v in setup().lamp)), 14, 10), SPACE)
    missing = tmp_path / "SC01A_T9.mov"
    out = tmp_path / "check"
    assert check(show, out, show["scene"][0], big, missing, lone) == 0
    report = json.loads((out / "continuity.json").read_text())
    scenes = {s["name"]: s for s in report["scenes"]}
    assert "nothing to compare" in scenes["5"]["note"]
    assert [s["name"] for s in scenes["1"]["offline"]] == ["SC01A_T9"]
    pair, = scenes["1"]["pairs"]
    measured = {m["measure"]: m for m in pair["measurements"]}
    assert measured["noise"]["value"] is None and "resolution" in measured["noise"]["why_not"]
    assert abs(measured["exposure"]["value"]) < 0.1                                 # registered across sizes
    assert report["thresholds"]["calibrated"] is False


@pytest.mark.parametrize("inputs, options, code, message", [
    (["SC01A_T1.mov"], (), 2, "give two or more"),
    (["A001C001.mov", "A001C002.mov"], (), 2, "no scene information"),
    (["SC01A_T1.mov", "reel.otio"], (), 2, "one timeline, or several shots"),
    (["SC01A_T1.mov", "SC01A_T2.mov"], ("--workers", "0"), 2, "--workers"),
    (["SC01A_T1.mov", "SC01A_T2.mov"], ("--rate", "fast"), 2, "not a frame rate"),
])
def test_bad_input_is_one_line_and_an_exit_code(show, tmp_path, capsys, inputs, options, code, message):
    for name in inputs:
        if name.endswith(".mov"):
            shutil.copy(show["scene"][0], tmp_path / name)
    # --progress none: the lines saying what each shot was read as are progress, not part of the error
    assert check(show, tmp_path / "out", *[tmp_path / n for n in inputs], options=(*options, "--progress", "none")) \
        == code
    error = capsys.readouterr().err.strip()
    assert message in error and len(error.splitlines()) == 1
    assert not (tmp_path / "out" / "continuity.json").exists()


def test_an_earlier_check_is_kept_unless_overwritten(show, tmp_path, capsys):
    out = tmp_path / "check"
    out.mkdir()
    (out / "continuity.json").write_text("{}")
    assert check(show, out, *show["scene"][:2]) == 4
    assert "--overwrite" in capsys.readouterr().err and (out / "continuity.json").read_text() == "{}"


def test_calibration_needs_two_takes_of_a_set_up(show, monkeypatch):
    monkeypatch.setenv("ANSWERPRINT_HOME", str(show["root"] / "home"))
    from answerprint.models.continuity.train import train_continuity

    with pytest.raises(UsageError, match="two takes or more of one set-up"):
        train_continuity([str(show["dailies"][0])], PRODUCTION, out=show["root"] / "one.onnx", input_space=SPACE)
