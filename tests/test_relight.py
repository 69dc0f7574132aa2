"""Relight as a colorist uses it: a pack learned from the production's takes, a light placed on the shot.

The dailies are two takes of a slow pan across a photograph, lit from the left and from the right; a tiny
pack is trained on them, signed, and applied through ``answerprint apply relight``.
"""
from __future__ import annotations

import json
from fractions import Fraction

import numpy as np
import OpenImageIO as oiio
import pytest
from conftest import file_digest, photo_frames

from answerprint.core.cli import main
from answerprint.core.color import ColorProcessor
from answerprint.core.effects import EffectContext, get_effect
from answerprint.core.effects.relight.light_color import light_gains_acescg
from answerprint.core.effects.relight.lights import Light
from answerprint.core.effects.relight.normals import normals_from_depth
from answerprint.core.errors import MediaError, ParamError, UsageError
from answerprint.core.frames import BT709, OutputSpec, open_media, open_writer, probe
from answerprint.core.packs import create_production_key, init_production, load_pack
from answerprint.core.render.preview import PreviewSession
from answerprint.core.runtime import clear_session_cache
from answerprint.models.relight.train import train_relight, train_relight_on_frames

WIDTH, HEIGHT = 192, 112
SPACE = "Gamma 2.4 Encoded Rec.709"


def lit_take(direction: float, count: int = 6, name: str = "coffee") -> list[np.ndarray]:
    """Frames of a pan across a photograph under a soft light from the left (−1) or the right (+1)."""
    x = np.linspace(-1.0, 1.0, WIDTH, dtype=np.float32)[None, :, None]
    light = 0.35 + 0.65 * (0.5 + 0.5 * direction * x)
    return [np.clip(f * light, 0, 1).astype(np.float32) for f in photo_frames(WIDTH, HEIGHT, count, name, 1.0)]


def write_prores(path, frames) -> str:
    writer = open_writer(OutputSpec(str(path), "prores_422hq", WIDTH, HEIGHT, Fraction(24), color_tags=BT709))
    for number, frame in enumerate(frames):
        writer.write(number, frame)
    writer.finish()
    return str(path)


def frames_of(path) -> list[np.ndarray]:
    with open_media(path) as reader:
        return [pixels for _, pixels in reader.read()]


def linear(frames):
    to_linear = ColorProcessor(SPACE, "ACEScg")
    return [to_linear(f) for f in frames]


@pytest.fixture(scope="module")
def production(tmp_path_factory):
    """Production 'lumen' with a tiny relight pack trained on two takes, and a shot to relight."""
    root = tmp_path_factory.mktemp("relight")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ANSWERPRINT_HOME", str(root / "home"))
        patch.delenv("ANSWERPRINT_SHARED_LIBRARY", raising=False)
        dailies = root / "dailies"
        dailies.mkdir()
        takes = [write_prores(dailies / f"A001C00{i}.mov", lit_take(d)) for i, d in ((1, -1.0), (2, 1.0))]
        create_production_key(init_production("lumen", "Lumen Feature", (str(dailies),)))
        pack = root / "relight.onnx"
        result = train_relight(takes, "lumen", "tiny", pack, input_space=SPACE, steps=80, seconds=600)
        shot = write_prores(root / "B001C003.mov", lit_take(0.0, 5, "chelsea"))
        yield {"root": root, "pack": str(pack), "shot": shot, "result": result}
        clear_session_cache()


def apply(production, out, *params, options=()) -> int:
    args = ["apply", "relight", production["shot"], str(out), "--pack", production["pack"], "--production", "lumen",
            "--input-space", SPACE, *options]
    for param in params:
        args += ["--param", param]
    return main(args)


def test_training_installs_a_signed_pack_exports_a_copy_and_writes_a_report(production):
    installed = production["result"].pack_path
    assert installed.parts[-6:] == ("lumen", "packs", "relight", "relight", "1", "relight.onnx")
    assert installed.read_bytes() == open(production["pack"], "rb").read(), "--out holds a copy of the installed pack"
    pack = load_pack(production["pack"], "lumen")
    assert pack.manifest.effect == "relight" and pack.verified and pack.signed_by
    assert pack.manifest.effect_data["relight"]["analysis_side"] == 96
    assert pack.manifest.params.names == get_effect("relight").params.names
    report = production["result"].report_path.read_text()
    assert "Relight training report" in report and "data:image/png;base64," in report
    metrics = production["result"].metrics
    assert metrics["reflectance_consistency_stops"] < metrics["input_difference_stops"]


def test_a_light_brightens_only_where_it_is_placed_and_keeps_10_bit_prores(production):
    out = production["root"] / "lit.mov"
    digest = file_digest(production["shot"])
    assert apply(production, out, "light_type=spot", "light_x=0.25", "light_y=0.5", "light_radius=0.2",
                 "light_falloff=0.3", "light_stops=1.5", "normals=flat") == 0
    info = probe(out)
    assert info.codec == "prores" and info.bit_depth == 10
    before, after = linear(frames_of(production["shot"]))[2], linear(frames_of(out))[2]
    ratio = after.mean(axis=-1) / np.maximum(before.mean(axis=-1), 1e-4)
    lit = ratio[HEIGHT // 2 - 8:HEIGHT // 2 + 8, WIDTH // 4 - 8:WIDTH // 4 + 8]
    far = ratio[:, -WIDTH // 4:]
    assert np.median(lit) > 1.6, f"the spot must brighten its pool by more than 0.7 stop, got ×{np.median(lit):.2f}"
    assert abs(np.median(far) - 1.0) < 0.03, f"away from the light nothing changes, got ×{np.median(far):.3f}"
    assert file_digest(production["shot"]) == digest
    record = json.loads(out.with_name("lit.mov.answerprint.json").read_text())
    assert record["pack"]["id"].startswith("lumen/relight/")


def test_the_light_changes_shading_not_surfaces(production):
    """Reflectance stays: the relit frame decomposed again has the reflectance of the original."""
    from skimage.metrics import structural_similarity

    relit_out = production["root"] / "relit_reflectance.%04d.exr"
    source_out = production["root"] / "source_reflectance.%04d.exr"
    relit_frames = production["root"] / "relit.%04d.exr"
    assert apply(production, relit_frames, "light_type=area", "light_x=0.6", "light_radius=0.5", "light_stops=1",
                 "normals=flat", options=("--output-space", "ACEScg")) == 0
    assert main(["apply", "relight", str(relit_frames), str(relit_out), "--pack", production["pack"], "--production",
                 "lumen", "--input-space", "ACEScg", "--output-space", "ACEScg", "--param", "review=reflectance",
                 "--frames", "2-2"]) == 0
    assert apply(production, source_out, "review=reflectance",
                 options=("--output-space", "ACEScg", "--frames", "2-2")) == 0
    relit, source = frames_of(relit_out)[0], frames_of(source_out)[0]
    scale = float(np.median(source))
    similarity = structural_similarity(relit / scale, source / scale, channel_axis=-1, data_range=2.0)
    assert similarity > 0.95, f"reflectance must survive a relight, SSIM {similarity:.3f}"


def test_neutral_settings_give_back_the_shot_and_warm_light_warms(production):
    neutral = production["root"] / "neutral.mov"
    assert apply(production, neutral) == 0
    before, after = linear(frames_of(production["shot"])), linear(frames_of(neutral))
    assert max(float(np.abs(a - b).max()) for a, b in zip(after, before)) < 0.01
    centre = (slice(HEIGHT // 2 - 6, HEIGHT // 2 + 6), slice(WIDTH // 2 - 6, WIDTH // 2 + 6))
    lit = {}
    for kelvin in (3200, 6500):
        out = production["root"] / f"spot_{kelvin}.mov"
        assert apply(production, out, "light_type=spot", "light_x=0.5", "light_radius=0.3", "light_stops=1",
                     f"light_kelvin={kelvin}", "normals=flat") == 0
        lit[kelvin] = linear(frames_of(out))[2][centre].mean((0, 1))
    red, _, blue = lit[3200] / lit[6500]
    assert red > 1.05 and blue < 0.9, f"a 3200 K light adds more red and less blue than a neutral one: {red}, {blue}"


def test_relight_does_not_flicker(production):
    """Frame-to-frame change of the relit shot is no larger than the source's."""
    out = production["root"] / "steady.mov"
    assert apply(production, out, "light_type=point", "light_x=0.4", "light_stops=1", "shadow_lift=0.2",
                 "key_fill_stops=0.5") == 0
    before, after = linear(frames_of(production["shot"])), linear(frames_of(out))
    gain = [float(a.mean() / b.mean()) for a, b in zip(after, before)]
    assert np.std(gain) < 0.01 * np.mean(gain), f"overall gain per frame must not flicker: {gain}"


def test_matching_a_brighter_warmer_take_moves_the_shot_towards_its_lighting(production):
    warm = np.array([1.0, 0.85, 0.6], np.float32)
    reference = write_prores(production["root"] / "REF_C001.mov",
                             [np.clip(f * 1.5 * warm, 0, 1) for f in lit_take(0.0, 3, "chelsea")])
    out = production["root"] / "matched.mov"
    assert apply(production, out, f"reference={reference}", "match_amount=1") == 0
    level = [float(np.mean(f)) for f in (linear(frames_of(production["shot"]))[2], linear(frames_of(out))[2],
                                         linear(frames_of(reference))[1])]
    source, matched, wanted = level
    assert abs(np.log2(matched / wanted)) < 0.5 * abs(np.log2(source / wanted)), level
    balance = [linear(frames_of(p))[1 if p == reference else 2].mean((0, 1)) for p in (production["shot"], str(out))]
    assert balance[1][2] / balance[1][0] < balance[0][2] / balance[0][0], "the reference's warmth is taken"


def test_dragging_a_light_analyses_nothing_again_and_gives_what_a_render_compiles(production):
    """The panel's path (one prepared relight, a bind per slider move) against a render's compile."""
    reference = write_prores(production["root"] / "REF_C002.mov", [np.clip(f * 1.3, 0, 1)
                                                                   for f in lit_take(0.0, 3, "chelsea")])
    effect = get_effect("relight")
    pack = load_pack(production["pack"], "lumen")
    context = EffectContext(probe(production["shot"]), SPACE, threads=1)
    window = linear(frames_of(production["shot"]))[:5]
    prepared = effect.prepare_for(pack, context)
    given = {"reference": reference, "match_amount": 0.5, "light_stops": 1.5, "light_x": 0.2}
    first = prepared.bind(effect.params.resolve(given))(window, 2)
    analysed = prepared.shadings.analysed
    assert analysed == len(window)
    dragged = effect.params.resolve({**given, "light_x": 0.7})
    moved = prepared.bind(dragged)(window, 2)
    assert prepared.shadings.analysed == analysed, "a dragged light re-runs no network"
    assert np.array_equal(moved, effect.compile(dragged, pack, context)(window, 2))
    assert np.abs(moved - first).mean() > 1e-3


def test_the_effect_is_refused_without_a_pack_or_with_a_tampered_one(production, tmp_path):
    assert main(["apply", "relight", production["shot"], str(tmp_path / "none.mov")]) == UsageError.exit_code
    tampered = tmp_path / "tampered.onnx"
    data = bytearray(open(production["pack"], "rb").read())
    data[len(data) // 2] ^= 0xFF
    tampered.write_bytes(bytes(data))
    code = main(["apply", "relight", production["shot"], str(tmp_path / "x.mov"), "--pack", str(tampered),
                 "--production", "lumen"])
    assert code == 6
    assert not [p for p in tmp_path.iterdir() if p.suffix == ".mov"]


def test_training_refuses_blank_takes():
    with pytest.raises(UsageError, match="blank"):
        train_relight_on_frames([[np.zeros((HEIGHT, WIDTH, 3), np.float32)] * 3], "tiny")


DEPTH_FOCAL_PX = 150.0
#: The shot's current key (from the left, 4300 K) and the key that replaces it (from the right, 6500 K).
OLD_KEY = {"key_azimuth": 180.0, "key_elevation": 30.0, "key_kelvin": 4300.0, "ambient_share": 0.3}
NEW_KEY = {"light_azimuth": 0.0, "light_elevation": 30.0, "light_kelvin": 6500.0}


def write_depth_exr(path, depth: np.ndarray) -> str:
    """A one-channel float EXR depth pass (channel Z), as a VFX depth AOV is delivered."""
    spec = oiio.ImageSpec(depth.shape[1], depth.shape[0], 1, "float")
    spec.channelnames = ("Z",)
    out = oiio.ImageOutput.create(str(path))
    out.open(str(path), spec)
    out.write_image(np.ascontiguousarray(depth[..., None], np.float32))
    out.close()
    return str(path)


def domes_depth(width: int, height: int, pan_px: float = 0.0) -> np.ndarray:
    """Depth (metres) of a wall 4 m from the camera with three smooth domes standing 0.5 m out of it.

    ``pan_px``: the camera has panned that many pixels to the right, so the domes sit that much further left.
    """
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    xs, ys = (xs + pan_px) / width, ys / width
    depth = np.full((height, width), 4.0, np.float32)
    for cx in (0.2, 0.5, 0.8):
        depth -= 0.5 * np.exp(-((xs - cx) ** 2 + (ys - 0.3) ** 2) / (2 * 0.06 ** 2))
    return depth


def key_render(albedo: np.ndarray, normals: np.ndarray, azimuth: float, elevation: float, kelvin: float) -> np.ndarray:
    """Lambertian render: albedo × (ambient 0.3 + one key of ``kelvin`` from ``azimuth``/``elevation``)."""
    direction = Light("directional", azimuth_deg=azimuth, elevation_deg=elevation).direction
    cosine = np.maximum(np.sum(normals * direction, axis=-1), 0.0)[..., None]
    return albedo * (OLD_KEY["ambient_share"] + cosine * np.asarray(light_gains_acescg(kelvin), np.float32))


@pytest.fixture(scope="module")
def domes_shot(production):
    """A locked-off shot of a photograph on a wall with domes, lit by the old key, with its depth pass as EXR."""
    root = production["root"]
    depth = domes_depth(WIDTH, HEIGHT)
    normals = normals_from_depth(depth, DEPTH_FOCAL_PX, 1.0)
    albedo = linear(photo_frames(WIDTH, HEIGHT, 1, "chelsea", 0.0))[0] * 0.6 + 0.05
    lit = key_render(albedo, normals, OLD_KEY["key_azimuth"], OLD_KEY["key_elevation"], OLD_KEY["key_kelvin"])
    shot = root / "domes.%04d.exr"
    writer = open_writer(OutputSpec(str(shot), "exr", WIDTH, HEIGHT, Fraction(24)))
    for number in range(3):
        writer.write(number, lit)
    writer.finish()
    truth = key_render(albedo, normals, NEW_KEY["light_azimuth"], NEW_KEY["light_elevation"], NEW_KEY["light_kelvin"])
    return {"shot": str(shot), "depth": write_depth_exr(root / "domes_depth.exr", depth), "normals": normals,
            "truth": truth, "input": frames_of(shot)[1]}


def replace_key(production, domes_shot, out, depth_path, *extra) -> int:
    """``answerprint apply relight`` on ``domes_shot["shot"]``: the old key replaced by the new one on the pass."""
    params = {**OLD_KEY, **NEW_KEY, "light_mode": "replace_key", "normals": "depth_map", "depth_map": depth_path,
              "depth_kind": "depth", "depth_focal_px": DEPTH_FOCAL_PX, "depth_smoothing_px": 1.0}
    args = ["apply", "relight", domes_shot["shot"], str(out), "--pack", production["pack"], "--production", "lumen",
            "--input-space", "ACEScg", "--output-space", "ACEScg"]
    for name, value in params.items():
        args += ["--param", f"{name}={value}"]
    for param in extra:
        args += ["--param", param]
    return main(args)


def test_replacing_the_key_from_a_depth_pass_moves_the_light_to_the_other_side(production, domes_shot):
    """Key from the left (4300 K) replaced by one from the right (6500 K): the domes' right flanks light up."""
    out = production["root"] / "rekeyed.%04d.exr"
    assert replace_key(production, domes_shot, out, domes_shot["depth"]) == 0
    before, after, truth = domes_shot["input"], frames_of(out)[1], domes_shot["truth"]
    facing_x = domes_shot["normals"][..., 0]
    gain = after.mean(axis=-1) / before.mean(axis=-1)
    left_flanks, right_flanks = facing_x < -0.3, facing_x > 0.3
    assert left_flanks.sum() > 100 and right_flanks.sum() > 100
    assert np.median(gain[left_flanks]) < 0.6, "surfaces facing the old key lose its light"
    assert np.median(gain[right_flanks]) > 1.6, "surfaces facing the new key gain light"
    error, untouched = np.abs(after - truth).mean(), np.abs(before - truth).mean()
    assert error < 0.1 * untouched, f"the relit shot is the render under the new key: {error:.4f} vs {untouched:.4f}"
    warmth = [float(np.median(f[..., 0] / f[..., 2])) for f in (before, after, truth)]
    assert warmth[1] < warmth[0] and abs(warmth[1] - warmth[2]) < 0.02, f"the warm key is gone: R/B {warmth}"


def test_a_depth_pass_of_another_resolution_is_resized_to_the_shot(production, domes_shot):
    """A pass at twice the shot's size (its focal length in its own pixels doubles too) relights as well."""
    double = write_depth_exr(production["root"] / "domes_depth_2x.exr", domes_depth(2 * WIDTH, 2 * HEIGHT))
    out = production["root"] / "rekeyed_2x.%04d.exr"
    assert replace_key(production, domes_shot, out, double, f"depth_focal_px={2 * DEPTH_FOCAL_PX}",
                       "depth_smoothing_px=2") == 0
    error = np.abs(frames_of(out)[1] - domes_shot["truth"]).mean()
    assert error < 0.25 * np.abs(domes_shot["input"] - domes_shot["truth"]).mean()


def test_a_depth_pass_of_another_aspect_is_refused_in_one_line(production, domes_shot, tmp_path, capsys):
    square = write_depth_exr(tmp_path / "square_depth.exr", domes_depth(HEIGHT, HEIGHT))
    out = tmp_path / "never.%04d.exr"
    assert replace_key(production, domes_shot, out, square) == MediaError.exit_code
    message = capsys.readouterr().err.strip()
    assert "\n" not in message and "aspect" in message and "square_depth.exr" in message, message
    assert not list(tmp_path.glob("never*"))
    assert main(["apply", "relight", domes_shot["shot"], str(out), "--pack", production["pack"], "--production",
                 "lumen", "--param", "normals=depth_map"]) == ParamError.exit_code


def test_the_new_controls_change_nothing_until_asked_for(production):
    """Defaults add a light as before; key and depth controls are ignored in add mode."""
    defaults = get_effect("relight").params.defaults()
    assert (defaults["light_mode"], defaults["normals"], defaults["depth_map"]) == ("add", "from_shading", None)
    plain, explicit = production["root"] / "spot_plain.mov", production["root"] / "spot_explicit.mov"
    spot = ("light_type=spot", "light_x=0.3", "light_stops=1", "normals=flat")
    assert apply(production, plain, *spot) == 0
    assert apply(production, explicit, *spot, "light_mode=add", "key_azimuth=0", "ambient_share=2",
                 "depth_kind=disparity", "key_kelvin=3000") == 0
    assert all(np.array_equal(a, b) for a, b in zip(frames_of(plain), frames_of(explicit)))


#: The moving camera's pan between frames, in pixels of the shot; its frames are numbered from 1001.
PAN_PX = 12.0
PAN_FRAMES = (1001, 1002, 1003)


@pytest.fixture(scope="module")
def panning_shot(production):
    """The domes wall filmed by a panning camera (frames 1001-1003), with its per-frame depth AOV as EXRs."""
    root = production["root"]
    albedos = [a * 0.6 + 0.05 for a in linear(photo_frames(WIDTH, HEIGHT, len(PAN_FRAMES), "chelsea", PAN_PX))]
    shot = root / "pan.%04d.exr"
    writer = open_writer(OutputSpec(str(shot), "exr", WIDTH, HEIGHT, Fraction(24), first_frame=PAN_FRAMES[0]))
    truths = []
    for index, (number, albedo) in enumerate(zip(PAN_FRAMES, albedos)):
        depth = domes_depth(WIDTH, HEIGHT, index * PAN_PX)
        normals = normals_from_depth(depth, DEPTH_FOCAL_PX, 1.0)
        writer.write(number, key_render(albedo, normals, OLD_KEY["key_azimuth"], OLD_KEY["key_elevation"],
                                        OLD_KEY["key_kelvin"]))
        truths.append(key_render(albedo, normals, NEW_KEY["light_azimuth"], NEW_KEY["light_elevation"],
                                 NEW_KEY["light_kelvin"]))
        write_depth_exr(root / f"pan_depth.{number:04d}.exr", depth)
    writer.finish()
    still = write_depth_exr(root / "pan_depth_first_frame.exr", domes_depth(WIDTH, HEIGHT))
    return {"shot": str(shot), "depth": str(root / "pan_depth.%04d.exr"), "still": still, "truths": truths,
            "inputs": frames_of(shot)}


def test_a_moving_camera_relights_every_frame_on_its_own_depth_frame(production, panning_shot):
    """Frame N of the shot uses frame N of the AOV: the last frame is right with the sequence, wrong with a still."""
    per_frame, still = production["root"] / "pan_rekeyed.%04d.exr", production["root"] / "pan_still.%04d.exr"
    assert replace_key(production, panning_shot, per_frame, panning_shot["depth"]) == 0
    assert replace_key(production, panning_shot, still, panning_shot["still"]) == 0
    assert probe(str(per_frame)).frame_numbers == range(1001, 1004)
    relit, relit_on_still = frames_of(per_frame), frames_of(still)
    assert np.array_equal(relit[0], relit_on_still[0]), "frame 1001 uses pass frame 1001, the still's own frame"
    for number, after, on_still, before, truth in zip(PAN_FRAMES, relit, relit_on_still, panning_shot["inputs"],
                                                      panning_shot["truths"]):
        error, untouched = np.abs(after - truth).mean(), np.abs(before - truth).mean()
        assert error < 0.15 * untouched, f"frame {number} is the render under the new key: {error:.4f}, {untouched:.4f}"
    last_error = np.abs(relit[2] - panning_shot["truths"][2]).mean()
    last_error_on_still = np.abs(relit_on_still[2] - panning_shot["truths"][2]).mean()
    assert last_error < 0.5 * last_error_on_still, (
        f"frame 1003 on its own depth frame beats frame 1001's: {last_error:.4f} vs {last_error_on_still:.4f}")


def test_the_panel_preview_relights_the_frame_shown_on_its_own_depth_frame(production, panning_shot):
    params = {**OLD_KEY, **NEW_KEY, "light_mode": "replace_key", "normals": "depth_map",
              "depth_focal_px": DEPTH_FOCAL_PX, "depth_smoothing_px": 1.0}
    with PreviewSession(panning_shot["shot"], "relight", pack=production["pack"], production="lumen",
                        input_space="ACEScg", threads=1) as session:
        shown = {name: [session.render(n, {**params, "depth_map": panning_shot[name]}).after for n in (1001, 1003)]
                 for name in ("depth", "still")}
    assert np.array_equal(shown["depth"][0], shown["still"][0]), "frame 1001 shows pass frame 1001"
    assert np.abs(shown["depth"][1] - shown["still"][1]).mean() > 0.01, "frame 1003 shows pass frame 1003"


def test_a_depth_frame_missing_from_the_sequence_stops_the_render_in_one_line(production, panning_shot, tmp_path,
                                                                              capsys):
    for number in (1001, 1003):
        write_depth_exr(tmp_path / f"gap_depth.{number:04d}.exr", domes_depth(WIDTH, HEIGHT))
    movie, frames = tmp_path / "never.mov", tmp_path / "never.%04d.exr"
    for out in (movie, frames):
        assert replace_key(production, panning_shot, out, str(tmp_path / "gap_depth.%04d.exr")) == MediaError.exit_code
        errors = [line for line in capsys.readouterr().err.splitlines() if ": error: " in line]  # not progress
        assert len(errors) == 1 and "frame 1002" in errors[0] and "gap_depth.%04d.exr" in errors[0], errors
    assert not movie.exists(), "nothing under the movie's final name"
    assert not (tmp_path / "never.1002.exr").exists(), "the frame without depth is never written"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "no partial file left"


#: Light baked into the host exports: a point light, wider key/fill, roll-off (every shading-statistics step).
BAKED = {"light_x": 0.3, "light_y": 0.4, "light_stops": 1.5, "key_fill_stops": 0.5, "highlight_rolloff": 0.5}
#: |export − answerprint| accepted against the processor (the frame is scene-linear, up to ~0.45 relit).
EXPORT_FP32_TOLERANCE, EXPORT_FP16_TOLERANCE = 1e-5, 2e-3


def export(production, host, out, *params) -> int:
    args = ["packs", "export", production["pack"], "--for", host, "--out", str(out), "--production", "lumen"]
    for name, value in {**BAKED, **dict(p.split("=") for p in params)}.items():
        args += ["--param", f"{name}={value}"]
    return main(args)


@pytest.mark.filterwarnings("ignore:`torch.jit.load` is deprecated:DeprecationWarning")
def test_every_exported_relight_graph_matches_answerprints_render_of_the_frame(production, tmp_path):
    """fp32 and fp16 graphs for onnxruntime, Houdini and Flame, and Nuke's TorchScript, on two crops of a frame of
    the shot (the tiny pack analyses at 96 px: 173×101 is reduced on both axes, 90×60 reduced on one and enlarged
    on the other, OpenCV's two weightings), against the effect's processor, and the first crop against
    ``answerprint apply relight`` of it as a one-frame clip (float EXR in, half EXR out)."""
    import torch

    from answerprint.models.hosts.export import run_graph, run_module
    from answerprint.models.hosts.provenance import verify_onnx

    shot_frame = linear(frames_of(production["shot"]))[2]
    crops = [np.ascontiguousarray(shot_frame[:101, :173]), np.ascontiguousarray(shot_frame[:60, :90])]
    still = tmp_path / "still.exr"
    assert oiio.ImageBuf(crops[0]).write(str(still), oiio.FLOAT)
    rendered = tmp_path / "relit.exr"
    assert main(["apply", "relight", str(still), str(rendered), "--pack", production["pack"], "--production", "lumen",
                 "--input-space", "ACEScg", "--output-space", "ACEScg",
                 *(a for k, v in BAKED.items() for a in ("--param", f"{k}={v}"))]) == 0
    applied = frames_of(rendered)[0]
    params = get_effect("relight").params.resolve({**BAKED, "temporal_radius": 0})
    context = EffectContext(probe(str(still)), "ACEScg", threads=1)
    processor = get_effect("relight").compile(params, load_pack(production["pack"], "lumen"), context)
    expected = [processor([crop]) for crop in crops]
    assert all(np.abs(e - c).max() > 0.1 for e, c in zip(expected, crops)), "the baked light changes the frame"
    assert np.all(np.abs(expected[0] - applied) <= np.abs(applied) * 2.0 ** -10 + 1e-7), "apply = the processor"
    checked = []
    for host in ("onnx", "houdini", "flame"):
        assert export(production, host, tmp_path / host) == 0
        for graph in sorted((tmp_path / host).glob("*.onnx")):
            tolerance = EXPORT_FP16_TOLERANCE if graph.name.endswith(".fp16.onnx") else EXPORT_FP32_TOLERANCE
            results = [run_graph(graph.read_bytes(), crop) for crop in crops]
            worst = max(float(np.abs(r - e).max()) for r, e in zip(results, expected))
            assert worst <= tolerance, f"{graph.name}: {worst}"
            assert np.all(np.abs(results[0] - applied) <= np.abs(applied) * 2.0 ** -10 + 1e-7 + tolerance)
            checked.append(graph.name)
    assert len(checked) == 6
    assert export(production, "nuke", tmp_path / "nuke") == 0
    module = torch.jit.load(str(next((tmp_path / "nuke").glob("*.pt"))))
    for crop, wanted in zip(crops, expected):
        assert float(np.abs(run_module(module, crop) - wanted).max()) <= EXPORT_FP32_TOLERANCE
    record = verify_onnx(next((tmp_path / "onnx").glob("*_v1.onnx")).read_bytes(), "relight export")
    assert record["baked_params"]["light_stops"] == 1.5 and record["baked_params"]["temporal_radius"] == 0
    assert record["parity"]["max_abs_diff"] <= 1e-4 and record["key_id"] == load_pack(production["pack"],
                                                                                      "lumen").signed_by
    assert sorted(s.stem for s in (tmp_path / "flame").glob("*.json")) == sorted(
        p.stem for p in (tmp_path / "flame").glob("*.onnx"))
    readme = (tmp_path / "nuke" / "README.txt").read_text()
    assert "ACEScg" in readme and "pooled over neighbouring frames" in readme and "CatFileCreator" in readme


def test_what_a_single_frame_relight_cannot_do_is_refused_and_nothing_is_written(production, tmp_path):
    assert export(production, "onnx", tmp_path / "window", "temporal_radius=2") == 2
    assert export(production, "onnx", tmp_path / "depth", "normals=depth_map") == 2
    assert export(production, "flame", tmp_path / "review", "review=shading") == 2
    assert export(production, "nuke", tmp_path / "reference", f"reference={production['shot']}") == 2
    assert not list(tmp_path.iterdir())
