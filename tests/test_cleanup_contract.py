"""One contract between cleanup training and apply: what the pack records is exactly what the render reads.

A tiny pack is trained on three EXR dailies of camera A (reel names ``A001...``) whose sensor has dead, hot
and stuck photosites. Then the pack is edited and re-signed with the production's key, as a careless or
newer exporter might have written it, and each edit must change what apply does, or be refused in one line
(exit 6).
"""
from __future__ import annotations

import json
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import onnx
import OpenImageIO as oiio
import pytest
from conftest import photo_frames

from answerprint.core.cli import main
from answerprint.core.effects import EffectContext, get_effect
from answerprint.core.effects.cleanup.flow import MotionEstimator
from answerprint.core.frames import open_media, probe
from answerprint.core.packs import (
    MANIFEST_KEY,
    create_production_key,
    init_production,
    key_id,
    load_private_key,
    onnx_wire,
    open_pack_for_job,
    read_manifest,
    write_pack,
)
from answerprint.core.packs.signing import SIGNATURE_KEY, append_signature
from answerprint.core.render.preview import PreviewSession
from answerprint.core.runtime import clear_session_cache
from answerprint.models.cleanup.train import train_cleanup

WIDTH, HEIGHT, FRAMES = 160, 96, 8
#: (x, y, channel, kind) on camera A's sensor; a dead photosite reads black in all three channels.
PLANTED = [(30, 20, 0, "stuck"), (121, 70, 2, "stuck"), (52, 61, 1, "hot"), (98, 33, 0, "hot"),
           (75, 45, 1, "dead"), (140, 15, 0, "dead")]
SPACE = "ACES2065-1"  # what EXR files are read as unless the user says otherwise


def _plant(frame: np.ndarray) -> np.ndarray:
    frame = frame.copy()
    for x, y, channel, kind in PLANTED:
        if kind == "stuck":
            frame[y, x, channel] = 1.0
        elif kind == "hot":
            frame[y, x, channel] = min(1.0, frame[y, x, channel] + 0.4)
        else:
            frame[y, x, :] = 0.0
    return frame


def _planted_cells() -> set[tuple[int, int, int]]:
    return {(x, y, c) for x, y, channel, kind in PLANTED for c in (range(3) if kind == "dead" else [channel])}


def write_exr_clip(folder: Path, name: str, frames: list[np.ndarray], reel: str) -> str:
    """A half-float EXR sequence whose headers carry the reel name, as camera-original conversions do."""
    folder.mkdir(parents=True, exist_ok=True)
    for number, frame in enumerate(frames, start=1001):
        path = str(folder / f"{name}.{number}.exr")
        spec = oiio.ImageSpec(WIDTH, HEIGHT, 3, "half")
        spec.attribute("reelName", reel)
        spec.attribute("compression", "piz")
        out = oiio.ImageOutput.create(path)
        out.open(path, spec)
        out.write_image(np.ascontiguousarray(frame, np.float32))
        out.close()
    return str(folder / f"{name}.%04d.exr")


def noisy_pan(name: str, seed: int, pan_px: float, defective: bool) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    frames = [np.clip(f * 0.7 + 0.15 + rng.normal(0, 0.01, f.shape), 0, 1).astype(np.float32)
              for f in photo_frames(WIDTH, HEIGHT, FRAMES, name, pan_px)]
    return [_plant(f) for f in frames] if defective else frames


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    """Production cobalt, a tiny pack trained on camera A's dailies, and shots from cameras A and B."""
    root = tmp_path_factory.mktemp("cleanup_contract")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ANSWERPRINT_HOME", str(root / "home"))
        patch.delenv("ANSWERPRINT_SHARED_LIBRARY", raising=False)
        patch.delenv("ANSWERPRINT_DEVELOPER_SKIP_VERIFY", raising=False)
        dailies = root / "dailies"
        clips = [write_exr_clip(dailies / f"A00{i}", f"A00{i}C001", noisy_pan(name, i, pan, True), f"A00{i}R1AB")
                 for i, (name, pan) in enumerate((("astronaut", 2.0), ("coffee", 1.5), ("chelsea", 3.0)), start=1)]
        create_production_key(init_production("cobalt", "Cobalt Feature", (str(dailies),)))
        pack = root / "grain.onnx"
        result = train_cleanup(clips, "cobalt", "tiny", pack, steps=60, seconds=30)
        shot_a = write_exr_clip(root / "shots", "A004C007", noisy_pan("rocket", 4, 1.0, True), "A004R1AB")
        shot_b = write_exr_clip(root / "shots", "B001C002", noisy_pan("rocket", 5, 1.0, True), "B001R7QX")
        yield {"root": root, "pack": pack, "trained": result.trained, "notices": result.notices,
               "shot_a": shot_a, "shot_b": shot_b}
        clear_session_cache()


def frames_of(path: str) -> list[np.ndarray]:
    with open_media(path) as reader:
        return [pixels for _, pixels in reader.read()]


def resigned(studio, name: str, edit, model: bytes | None = None) -> str:
    """The pack with its manifest edited as plain JSON (no upgrade, no validation) and signed again with the
    production's key, as another exporter could have written it."""
    model = model or Path(studio["pack"]).read_bytes()
    data = read_manifest(model).to_dict()
    edit(data)
    private = load_private_key("cobalt")
    data["signing"] = {"algorithm": "ed25519", "key_id": key_id(private.public_key())}
    stripped = onnx_wire.without_metadata(model, frozenset({SIGNATURE_KEY}))
    packed = onnx_wire.with_metadata(stripped, {MANIFEST_KEY: json.dumps(data)})
    return str(write_pack(append_signature(packed, private), studio["root"] / "edited" / f"{name}.onnx"))


def compiled(studio, pack: str, shot: str, **given):
    effect = get_effect("cleanup")
    context = EffectContext(probe(shot), SPACE, threads=1, production="cobalt")
    params = effect.params.resolve({"dust_sensitivity": 0, "detail": 0, "dead_pixels": False, **given})
    return effect.compile(params, open_pack_for_job(pack, "cleanup", "cobalt"), context)


def centre_window(shot: str, radius: int) -> list[np.ndarray]:
    frames = frames_of(shot)
    return frames[4 - radius:4 + radius + 1]


# --- the recorded motion estimator and bindings drive apply -----------------------------------------------

def test_apply_aligns_neighbours_with_the_motion_settings_the_pack_records(studio):
    trained = studio["trained"]
    recorded = read_manifest(Path(studio["pack"]).read_bytes()).effect_data["motion"]
    assert recorded == {"preset": "fast", "scale": 0.5, "blur_sigma": 1.0} == trained.motion.to_json()
    quarter = resigned(studio, "quarter", lambda d: d["effect_data"]["motion"].update(scale=0.25))
    as_trained = compiled(studio, str(studio["pack"]), studio["shot_a"])
    window = centre_window(studio["shot_a"], as_trained.temporal_radius)
    at_half, at_quarter = as_trained(window), compiled(studio, quarter, studio["shot_a"])(window)
    assert float(np.abs(at_quarter - at_half).max()) > 1e-3, "the recorded scale must change the alignment"
    # Fresh estimators on both sides: OpenCV's DIS keeps state between calls on frames as tiny as 80x48.
    for output, motion in ((at_half, recorded), (at_quarter, dict(recorded, scale=0.25))):
        graph = replace(trained, motion=MotionEstimator.from_json(motion))
        assert float(np.abs(output - graph.denoise(window, backend="torch")).max()) < 1e-4, motion


def _renamed_strength(model: bytes, name: str) -> bytes:
    proto = onnx.load_from_string(model)
    for tensor in proto.graph.input:
        if tensor.name == "strength":
            tensor.name = name
    for node in proto.graph.node:
        node.input[:] = [name if value == "strength" else value for value in node.input]
    return proto.SerializeToString()


def _bind_strength_to(data: dict, name: str) -> None:
    for tensor in data["io"]["inputs"]:
        if tensor["name"] == "strength":
            tensor["name"] = name
    data["parameters"]["bindings"] = [dict(b, tensor=name) if b["param"] == "strength" else b
                                      for b in data["parameters"]["bindings"]]


def test_graph_inputs_are_fed_through_the_recorded_bindings(studio):
    original = Path(studio["pack"]).read_bytes()
    renamed = resigned(studio, "amount", lambda d: _bind_strength_to(d, "amount"),
                       model=_renamed_strength(original, "amount"))
    window = centre_window(studio["shot_a"], 1)
    expected = compiled(studio, str(studio["pack"]), studio["shot_a"], strength=0.5)(window)
    assert np.array_equal(compiled(studio, renamed, studio["shot_a"], strength=0.5)(window), expected)
    stronger = compiled(studio, renamed, studio["shot_a"], strength=1.5)(window)
    assert float(np.abs(stronger - expected).max()) > 1e-3, "the value reaches the renamed tensor"


def test_a_binding_the_graph_does_not_have_is_refused_in_one_line(studio, tmp_path, capsys):
    orphan = resigned(studio, "orphan", lambda d: _bind_strength_to(d, "amount"))
    code = main(["apply", "cleanup", studio["shot_a"], str(tmp_path / "out.%04d.exr"), "--pack", orphan,
                 "--production", "cobalt"])
    err = capsys.readouterr().err
    assert code == 6 and err.count("\n") == 1 and "do not match the manifest's frames, noise_sigma, amount" in err
    assert not list(tmp_path.iterdir())


# --- the pack's schema against this answerprint's ---------------------------------------------------------

def _widen_strength(data: dict) -> None:
    for param in data["parameters"]["schema"]:
        if param["name"] == "strength":
            param["maximum"] = 3.0


def _add_parameter(data: dict) -> None:
    data["parameters"]["schema"].append({"name": "sharpen", "kind": "float", "default": 0.0})
    data["parameters"]["bindings"].append({"param": "sharpen", "via": "effect"})


def _forget_motion(data: dict) -> None:
    del data["effect_data"]["motion"]


def _newer_cleanup_data(data: dict) -> None:
    data["effect_data"]["schema"] = "answerprint.cleanup/3"


@pytest.mark.parametrize("edit, message", [
    (_widen_strength, "parameter 'strength' is float in [0.0, 3.0] in the pack but float in [0.0, 2.0] in this "
                      "answerprint's cleanup effect"),
    (_add_parameter, "the pack binds parameter 'sharpen', which the cleanup effect of this answerprint no longer has"),
    (_forget_motion, "the pack's cleanup data lack 'motion'"),
    (_newer_cleanup_data, "cleanup data are 'answerprint.cleanup/3'; this answerprint reads 'answerprint.cleanup/2'"),
])
def test_a_pack_that_differs_from_this_answerprint_is_refused_with_exit_6(studio, tmp_path, capsys, edit, message):
    edited = resigned(studio, edit.__name__, edit)
    code = main(["apply", "cleanup", studio["shot_a"], str(tmp_path / "out.%04d.exr"), "--pack", edited,
                 "--production", "cobalt"])
    err = capsys.readouterr().err
    assert code == 6 and err.count("\n") == 1 and message in err, err
    assert not list(tmp_path.iterdir())
    assert main(["packs", "verify", edited, "--production", "cobalt"]) == 6


def _as_version_1(data: dict) -> None:
    """The manifest as answerprint wrote it before the contract: pack schema 1, cleanup data without a label."""
    data["schema"] = "answerprint.pack/1"
    data["parameters"]["bindings"] = [b if b["via"] == "input" else {"param": b["param"], "via": "baked", "value": None}
                                      for b in data["parameters"]["bindings"]]
    data["effect_data"] = {"noise_model": data["effect_data"]["noise_model"], "motion": data["effect_data"]["motion"]}


def test_a_pack_of_the_first_schema_is_upgraded_and_renders_as_before(studio, capsys):
    old = resigned(studio, "version1", _as_version_1)
    window = centre_window(studio["shot_a"], 1)
    before = compiled(studio, str(studio["pack"]), studio["shot_a"])(window)
    assert np.array_equal(compiled(studio, old, studio["shot_a"])(window), before)
    assert main(["packs", "inspect", old]) == 0
    out = capsys.readouterr().out
    assert "upgraded on read from answerprint.pack/1" in out and "stored as version 1, upgraded on read" in out
    assert "motion: DIS fast at 0.5x resolution" in out and "defect maps: none" in out


def test_inspect_says_how_every_parameter_acts(studio, capsys):
    assert main(["packs", "inspect", str(studio["pack"])]) == 0
    out = capsys.readouterr().out
    assert "baked at None" not in out and "-> input tensor strength" in out
    assert out.count("applied by the effect outside the graph") == 7
    assert f"trained on code values of {SPACE}" in out and "defect map A at 160x96" in out


def test_a_clip_read_in_another_space_than_the_pack_was_trained_on_is_refused(studio, tmp_path, capsys):
    code = main(["apply", "cleanup", studio["shot_a"], str(tmp_path / "out.%04d.exr"), "--pack", str(studio["pack"]),
                 "--production", "cobalt", "--input-space", "ACEScg"])
    err = capsys.readouterr().err
    assert code == 6 and err.count("\n") == 1
    assert f"trained on code values of '{SPACE}' but the clip is read as 'ACEScg'" in err and "--input-space" in err


# --- defect maps learned from the dailies, per camera -----------------------------------------------------

def test_training_learns_camera_a_defect_map_from_its_dailies(studio):
    maps = read_manifest(Path(studio["pack"]).read_bytes()).effect_data["defect_maps"]
    assert [(m["camera"], m["width"], m["height"], m["clips"]) for m in maps] == [("A", WIDTH, HEIGHT, 3)]
    found = {(x, y, c) for x, y, c, _ in maps[0]["defects"]}
    assert _planted_cells() <= found, f"missed {sorted(_planted_cells() - found)}"
    assert len(found - _planted_cells()) <= 2
    assert any(n.startswith("camera A: ") and "in 3 clips" in n for n in studio["notices"])


def test_apply_repairs_camera_a_defects_and_nothing_else(studio, tmp_path):
    out = tmp_path / "repaired.%04d.exr"
    assert main(["apply", "cleanup", studio["shot_a"], str(out), "--pack", str(studio["pack"]),
                 "--production", "cobalt", "--param", "strength=0", "--param", "detail=0",
                 "--param", "dust_sensitivity=0"]) == 0
    source, repaired = frames_of(studio["shot_a"]), frames_of(str(out))
    cells = _planted_cells()
    for before, after in zip(source, repaired):
        for x, y, c in cells:
            assert abs(after[y, x, c] - before[y, x, c]) > 0.1, f"({x}, {y}, {c}) still reads {after[y, x, c]}"
            ring = [before[y + dy, x + dx, c] for dy in (-1, 0, 1) for dx in (-1, 0, 1)
                    if (dy or dx) and (x + dx, y + dy, c) not in cells]
            assert abs(after[y, x, c] - np.median(ring)) < 2e-3, "repaired from its neighbours"
        untouched = np.ones(before.shape, bool)
        untouched[tuple(np.array(sorted(cells)).T[[1, 0, 2]])] = False
        assert np.array_equal(after[untouched], before[untouched])


def test_a_clip_of_another_camera_is_left_alone_with_a_notice(studio):
    processor = compiled(studio, str(studio["pack"]), studio["shot_b"], strength=0, dead_pixels=True)
    assert processor.notes == ("dead-pixel repair is off: the pack has no defect map for camera B at 160x96 "
                               "(it has: A at 160x96)",)
    window = centre_window(studio["shot_b"], processor.temporal_radius)
    assert np.array_equal(processor(window), window[len(window) // 2])


def test_the_panel_disables_dead_pixels_where_the_pack_has_no_map_for_the_camera(studio):
    with PreviewSession(studio["shot_a"], "cleanup", pack=str(studio["pack"]), production="cobalt",
                        threads=1) as session:
        assert session.unavailable_params == {}
    with PreviewSession(studio["shot_b"], "cleanup", pack=str(studio["pack"]), production="cobalt",
                        threads=1) as session:
        frame = session.render(1003, {"strength": 0.0})
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            asked = session.render(1003, {"strength": 0.0, "dead_pixels": True})
            off = session.render(1003, {"strength": 0.0, "dead_pixels": False})
    assert set(frame.unavailable) == {"dead_pixels"} and "camera B" in frame.unavailable["dead_pixels"]
    assert off.notes == [] and len(asked.notes) == 1 and "no defect map for camera B" in asked.notes[0]
    assert not caught, "the preview is told in notes, never through process-wide warnings"

