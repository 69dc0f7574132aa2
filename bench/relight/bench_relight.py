"""Relight quality against ground truth: real geometry (Middlebury motorcycle), real texture, known lights.

Run by hand: ``.venv/bin/python bench/relight/bench_relight.py [--seconds 90]``. Prints markdown tables and
writes ``bench/out/relight.json`` and side-by-side stills ``bench/out/relight_*.png``.

Protocol (``scene.py``): the left photograph is the albedo of a Lambertian scene whose normals come from the
ground-truth disparity. The production's "dailies" are that set lit by four suns (never light B), three
noisy frames each; a relight pack is trained on them (quick profile, ``--seconds``). The shot is eight noisy
frames of a locked-off camera under light A. Two tasks, each against the true render:

1. **A → B**: replace sun A (warm, from the upper left) by sun B (neutral, from the upper right), from the
   light parameters, **through the effect** as a colorist runs it: the pack is trained by ``train_relight``
   on the dailies written as EXR sequences (a throw-away production under ``bench/out/relight_work``), the
   shot is an EXR sequence, and ``get_effect("relight").compile`` with ``light_mode=replace_key`` (sun A as
   the current key, sun B as the light) and ``normals=depth_map`` (a one-channel EXR depth pass: the scene's
   ground-truth disparity, the same smoothed by 2 px, or the stereo pair's SGBM disparity) or
   ``normals=from_shading`` is applied by its Processor over the shot's frame windows. The rows of the core
   swap with estimated normals (stereo SGBM, the shading alone) are kept for comparison.
2. **Add a light**: add a point light of +1.5 stops, 3200 K relative to the shot's light (the effect's
   convention), to A (answerprint: the ``relight`` controls on the
   decomposed shading, with geometry normals or normals from the shading; and, as an ablation, the same
   light on a flat shading, i.e. without the learned decomposition).

Baseline, side by side in the same run: what a colorist does without answerprint, a soft window with gain
(a soft gradient across the frame for the sun, a soft circle for the point light), with the inside and
outside gains per channel fitted by least squares against the truth — the best any window with gain can do.

Measures (frame 1; a row of the truth shot with the same sensor noise gives the noise floor): PSNR
(sRGB-encoded, clipped to 0..1) and mean CIEDE2000 against the true, noiseless render; SSIM of the
reflectance (result ÷ true target shading vs the albedo) where the light changed by more than a quarter
stop; flicker over the eight frames: the standard deviation of the per-frame mean level (stops) and the
mean absolute frame-to-frame change relative to the mean level, beside the input's.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import time
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
import OpenImageIO as oiio
from skimage.color import deltaE_ciede2000, rgb2lab
from skimage.metrics import structural_similarity

from answerprint.core.color import ColorProcessor
from answerprint.core.effects import get_effect
from answerprint.core.effects.base import EffectContext
from answerprint.core.effects.relight.decompose import decompose
from answerprint.core.effects.relight.lights import edge_window, light_weight, screen_grid
from answerprint.core.effects.relight.normals import disparity_from_pair, normals_from_disparity, normals_from_shading
from answerprint.core.effects.relight.params import relight_params
from answerprint.core.effects.relight.processor import RelightSettings, relight_shading
from answerprint.core.effects.relight.shading_ops import ShadingStats, luminance, swap_directional_light
from answerprint.core.frames import OutputSpec, open_media, open_writer
from answerprint.core.packs import create_production_key, init_production, load_pack
from answerprint.models.relight.train import train_relight

sys.path.insert(0, str(Path(__file__).parent))
from scene import AMBIENT, FOCAL_PX, Sun, load_scene, sun_shading, with_noise  # noqa: E402

OUT = Path(__file__).resolve().parents[1] / "out"
SUN_A = Sun(150.0, 35.0, 4300.0)
SUN_B = Sun(30.0, 45.0, 6500.0)
TRAINING_SUNS = (Sun(90.0, 60.0, 5600.0), Sun(200.0, 30.0, 3200.0), Sun(-30.0, 50.0, 7500.0), Sun(120.0, 70.0, 6500.0))
POINT = {"light_type": "point", "light_x": 0.62, "light_y": 0.45, "light_radius": 0.3, "light_stops": 1.5,
         "light_kelvin": 3200.0, "temporal_radius": 2}
FRAMES = 8
CHANGED_STOPS = 0.25
PRODUCTION = "relightbench"
#: Task 1 as effect parameters: sun A is the shot's current key, sun B the light that replaces it.
REPLACE_A_BY_B = {"light_mode": "replace_key", "key_azimuth": SUN_A.azimuth_deg, "key_elevation": SUN_A.elevation_deg,
                  "key_kelvin": SUN_A.kelvin, "ambient_share": AMBIENT, "light_azimuth": SUN_B.azimuth_deg,
                  "light_elevation": SUN_B.elevation_deg, "light_kelvin": SUN_B.kelvin, "light_stops": 0.0,
                  "temporal_radius": 2}


def slug(label: str) -> str:
    """A file-name-safe short form of a method label."""
    return re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")[:48]


def to_display(linear_acescg: np.ndarray) -> np.ndarray:
    return np.clip(ColorProcessor("ACEScg", "sRGB Encoded Rec.709 (sRGB)", threads=1)(linear_acescg), 0, 1)


def psnr(test: np.ndarray, truth: np.ndarray) -> float:
    error = np.mean((to_display(test).astype(np.float64) - to_display(truth)) ** 2)
    return float(10 * np.log10(1.0 / max(error, 1e-12)))


def delta_e(test: np.ndarray, truth: np.ndarray) -> float:
    return float(np.mean(deltaE_ciede2000(rgb2lab(to_display(test)), rgb2lab(to_display(truth)))))


def reflectance_ssim(result: np.ndarray, target_shading: np.ndarray, albedo: np.ndarray, changed: np.ndarray) -> float:
    recovered = result / target_shading
    _, similarity = structural_similarity(recovered, albedo, channel_axis=-1, data_range=float(albedo.max()),
                                          full=True)
    return float(similarity.mean(axis=-1)[changed].mean())


def flicker(frames: list[np.ndarray]) -> tuple[float, float]:
    levels = np.log2([float(luminance(f).mean()) for f in frames])
    steps = [float(np.abs(b - a).mean()) for a, b in zip(frames, frames[1:])]
    return float(np.std(levels)), float(np.mean(steps) / np.mean([f.mean() for f in frames]))


def fit_window_gain(source: np.ndarray, truth: np.ndarray, window: np.ndarray) -> np.ndarray:
    """Per-channel (outside, inside) gains of a soft window minimising the squared error to the truth."""
    gains = np.zeros((2, 3))
    for c in range(3):
        design = np.stack([source[..., c].ravel(), (source[..., c] * window).ravel()], axis=1)
        gains[:, c] = np.linalg.lstsq(design, truth[..., c].ravel(), rcond=None)[0]
    return gains


def apply_window_gain(frame: np.ndarray, window: np.ndarray, gains: np.ndarray) -> np.ndarray:
    return (frame * (gains[0] + gains[1] * window[..., None])).astype(np.float32)


def gradient_window(height: int, width: int, old: Sun, new: Sun) -> np.ndarray:
    """A soft gradient across the frame towards where the new sun comes from (what a colorist would draw)."""
    gx, gy = screen_grid(height, width)
    towards = new.direction[:2] - old.direction[:2]
    towards = towards / max(np.linalg.norm(towards), 1e-6)
    along = (gx - gx.mean()) * towards[0] - (gy - gy.mean()) * towards[1]
    t = np.clip(0.5 + along / (np.abs(along).max() * 1.2), 0, 1)
    return (t * t * (3 - 2 * t)).astype(np.float32)


def write_exr_sequence(pattern: Path, frames: list[np.ndarray]) -> str:
    """Frames (scene-linear ACEScg) as a full-float EXR sequence ``pattern`` (``name.%04d.exr``), numbered from 1."""
    height, width = frames[0].shape[:2]
    writer = open_writer(OutputSpec(str(pattern), "exr", width, height, Fraction(24), 1, exr_half=False))
    for number, frame in enumerate(frames, 1):
        writer.write(number, frame)
    writer.finish()
    return str(pattern)


def write_pass(path: Path, values: np.ndarray) -> str:
    """A one-channel float EXR pass (channel Z), as a depth AOV or a stereo tool's disparity is delivered."""
    spec = oiio.ImageSpec(values.shape[1], values.shape[0], 1, "float")
    spec.channelnames = ("Z",)
    out = oiio.ImageOutput.create(str(path))
    out.open(str(path), spec)
    out.write_image(np.ascontiguousarray(values[..., None], np.float32))
    out.close()
    return str(path)


def train_pack(work: Path, dailies: list[list[np.ndarray]], seconds: float):
    """Train and sign a relight pack from the dailies written to disk, as ``answerprint train relight`` does."""
    os.environ["ANSWERPRINT_HOME"] = str(work / "home")
    os.environ.pop("ANSWERPRINT_SHARED_LIBRARY", None)
    folder = work / "dailies"
    folder.mkdir(parents=True)
    clips = [write_exr_sequence(folder / f"D{i + 1:03d}.%04d.exr", frames) for i, frames in enumerate(dailies)]
    create_production_key(init_production(PRODUCTION, "relight benchmark", (str(folder),)))
    result = train_relight(clips, PRODUCTION, "quick", work / "relight.onnx", input_space="ACEScg", seconds=seconds)
    return result, load_pack(result.pack_path, PRODUCTION)


def relight_through_effect(pack, shot_path: str, params: dict) -> tuple[list[np.ndarray], list[float]]:
    """The shot relit by the compiled relight effect's Processor (frame windows as the render engine builds
    them, edges repeated); returns the frames and the seconds each took."""
    effect = get_effect("relight")
    with open_media(shot_path) as reader:
        info = reader.info
        frames = [pixels for _, pixels in reader.read()]
    processor = effect.compile(effect.params.resolve(params), pack, EffectContext(info, "ACEScg"))
    radius, results, timing = processor.temporal_radius, [], []
    for index in range(len(frames)):
        window = [frames[min(max(j, 0), len(frames) - 1)] for j in range(index - radius, index + radius + 1)]
        tick = time.perf_counter()
        results.append(processor(window))
        timing.append(time.perf_counter() - tick)
    return results, timing


def score(name: str, results: list[np.ndarray], truth: np.ndarray, target_shading: np.ndarray, albedo: np.ndarray,
          changed: np.ndarray) -> dict[str, float]:
    level_flicker, step_flicker = flicker(results)
    return {"method": name, "psnr_db": psnr(results[0], truth), "delta_e2000": delta_e(results[0], truth),
            "reflectance_ssim_changed": reflectance_ssim(results[0], target_shading, albedo, changed),
            "flicker_level_stops": level_flicker, "flicker_step_relative": step_flicker}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=90.0, help="training budget (quick profile)")
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    scene = load_scene()
    albedo, normals = scene.albedo, scene.normals
    height, width = albedo.shape[:2]

    work = OUT / "relight_work"
    shutil.rmtree(work, ignore_errors=True)
    start = time.perf_counter()
    dailies = [[with_noise(albedo * sun_shading(normals, sun), seed=10 * i + k) for k in range(3)]
               for i, sun in enumerate(TRAINING_SUNS)]
    training, pack = train_pack(work, dailies, args.seconds)
    train_seconds = time.perf_counter() - start
    model, side = training.trained.shading_model, training.trained.analysis_side

    shading_a, shading_b = sun_shading(normals, SUN_A), sun_shading(normals, SUN_B)
    shot = [with_noise(albedo * shading_a, seed=100 + k) for k in range(FRAMES)]
    shot_path = write_exr_sequence(work / "shot_A.%04d.exr", shot)
    truth_b = albedo * shading_b
    changed_b = np.abs(np.log2(luminance(shading_b) / luminance(shading_a))) > CHANGED_STOPS

    start = time.perf_counter()
    stereo_disparity = cv2.medianBlur(disparity_from_pair(to_display(scene.albedo), to_display(scene.right_albedo)), 5)
    stereo_seconds = time.perf_counter() - start
    true_disparity = write_pass(work / "disparity_true.exr", np.where(scene.valid, scene.disparity, 0.0))
    stereo_pass = write_pass(work / "disparity_sgbm.exr", stereo_disparity)
    rows_swap = [score("input A (nothing done)", shot, truth_b, shading_b, albedo, changed_b),
                 score("truth B shot with the same sensor noise (noise floor)",
                       [with_noise(truth_b, seed=100 + k) for k in range(FRAMES)], truth_b, shading_b, albedo,
                       changed_b)]
    window = gradient_window(height, width, SUN_A, SUN_B)
    gains = fit_window_gain(shot[0], truth_b, window)
    rows_swap.append(score("baseline: soft window with gain (fitted)",
                           [apply_window_gain(f, window, gains) for f in shot], truth_b, shading_b, albedo, changed_b))
    stills = {"A_input": shot[0], "B_truth": truth_b, "B_window_gain": apply_window_gain(shot[0], window, gains)}
    depth_pass = {"normals": "depth_map", "depth_kind": "disparity", "depth_focal_px": FOCAL_PX}
    effect_variants = {
        "depth pass: the scene's disparity (EXR, smoothing 1 px as rendered)":
            dict(depth_pass, depth_map=true_disparity, depth_smoothing_px=1.0),
        "depth pass: the scene's disparity, smoothing 2 px": dict(depth_pass, depth_map=true_disparity,
                                                                   depth_smoothing_px=2.0),
        "depth pass: stereo pair's SGBM disparity (EXR, smoothing 4 px)": dict(depth_pass, depth_map=stereo_pass,
                                                                               depth_smoothing_px=4.0),
        "normals from the shading (single image)": {"normals": "from_shading"},
    }
    timing = []
    for label, variant in effect_variants.items():
        results, seconds = relight_through_effect(pack, shot_path, dict(REPLACE_A_BY_B, **variant))
        timing += seconds
        rows_swap.append(score(f"answerprint effect (replace_key), {label}", results, truth_b, shading_b, albedo,
                               changed_b))
        stills[f"B_effect_{slug(label)}"] = results[0]
    core_sources = {"stereo pair, SGBM": normals_from_disparity(stereo_disparity, FOCAL_PX, 4.0),
                    "shading (single image)": None}
    for label, source_normals in core_sources.items():
        results = []
        for frame in shot:
            layers = decompose(frame, model, side)
            used = source_normals if source_normals is not None else normals_from_shading(luminance(layers.shading))
            new = swap_directional_light(layers.shading, used, SUN_A.direction, SUN_B.direction, AMBIENT,
                                         SUN_A.gains, SUN_B.gains)
            results.append(layers.reflectance * new)
        rows_swap.append(score(f"core swap (as before), normals from {label}", results, truth_b, shading_b, albedo,
                               changed_b))

    settings = RelightSettings.from_params(relight_params().resolve(POINT))
    stats_true = ShadingStats.measure(shading_a)
    weight_true = light_weight(settings.light, normals)
    colour = np.asarray(settings.light_gains) * np.asarray(stats_true.chroma)  # relative to the shot's light
    added = (2 ** POINT["light_stops"] - 1) * stats_true.median * weight_true[..., None] * colour
    shading_p = shading_a + added
    truth_p = albedo * shading_p
    changed_p = np.abs(np.log2(luminance(shading_p) / luminance(shading_a))) > CHANGED_STOPS
    rows_add = [score("input A (nothing done)", shot, truth_p, shading_p, albedo, changed_p),
                score("truth shot with the same sensor noise (noise floor)",
                      [with_noise(truth_p, seed=100 + k) for k in range(FRAMES)], truth_p, shading_p, albedo,
                      changed_p)]
    gx, gy = screen_grid(height, width)
    disc = edge_window(np.hypot(gx - POINT["light_x"], gy - POINT["light_y"] * height / width), 2 * POINT["light_radius"], 1.0)
    gains_p = fit_window_gain(shot[0], truth_p, disc)
    rows_add.append(score("baseline: soft circular window with gain (fitted)",
                          [apply_window_gain(f, disc, gains_p) for f in shot], truth_p, shading_p, albedo, changed_p))
    stills["P_truth"] = truth_p
    stills["P_window_gain"] = apply_window_gain(shot[0], disc, gains_p)
    def flat_model(images: np.ndarray) -> np.ndarray:
        return np.ones_like(images) * images.mean(axis=(1, 2, 3), keepdims=True)

    variants = (("geometry (ground-truth disparity)", normals, model),
                ("shading (single image)", None, model),
                ("geometry, ablation: no decomposition (flat shading)", normals, flat_model))
    for label, source_normals, shading_model in variants:
        layer_list = [decompose(f, shading_model, side) for f in shot]
        results = []
        for index, layers in enumerate(layer_list):
            window_stats = ShadingStats.pooled([ShadingStats.measure(layer_list[j].shading[::4, ::4])
                                                for j in range(max(0, index - 2), min(FRAMES, index + 3))])
            kind = "from_shading" if source_normals is None else "flat"
            used = RelightSettings.from_params(relight_params().resolve(dict(POINT, normals=kind)))
            new = relight_shading(layers.shading, window_stats, used, normals=source_normals)
            results.append(layers.reflectance * new)
        rows_add.append(score(f"answerprint, normals from {label}", results, truth_p, shading_p, albedo, changed_p))
        stills[f"P_answerprint_{slug(label)}"] = results[0]

    def table(title: str, rows: list[dict]) -> str:
        lines = [f"**{title}**", "", "| method | PSNR dB | ΔE2000 | reflectance SSIM (changed) | flicker level (stops) "
                 "| flicker step (rel.) |", "|---|---:|---:|---:|---:|---:|"]
        lines += [f"| {r['method']} | {r['psnr_db']:.2f} | {r['delta_e2000']:.2f} | {r['reflectance_ssim_changed']:.3f} "
                  f"| {r['flicker_level_stops']:.4f} | {r['flicker_step_relative']:.4f} |" for r in rows]
        return "\n".join(lines)

    print(table("Task 1 — sun A → sun B (8 noisy frames, locked off)", rows_swap))
    print()
    print(table("Task 2 — add a +1.5-stop 3200 K point light", rows_add))
    print()
    print(f"training + pack export {train_seconds:.0f} s ({training.metrics['train_steps']:.0f} steps), stereo "
          f"disparity {stereo_seconds:.1f} s, effect (replace_key) {1000 * np.median(timing):.0f} ms/frame at "
          f"{width}x{height}; "
          f"validation {json.dumps({k: round(v, 4) for k, v in training.metrics.items()})}")
    (OUT / "relight.json").write_text(json.dumps({"swap": rows_swap, "add_light": rows_add,
                                                  "training": training.metrics, "train_seconds": train_seconds,
                                                  "ms_per_frame": 1000 * float(np.median(timing))}, indent=2))
    for name, image in stills.items():
        pixels = np.ascontiguousarray((to_display(image) * 255 + 0.5).astype(np.uint8))
        oiio.ImageBuf(cv2.resize(pixels, (width // 2, height // 2), interpolation=cv2.INTER_AREA)).write(
            str(OUT / f"relight_{name}.png"))


if __name__ == "__main__":
    main()
