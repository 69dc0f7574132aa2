"""Benchmark: cleanup quality and speed — denoising against OpenCV NLM and CBM3D, dust detection, defect maps.

Run by hand (not a test), on the machine the figures are for::

    .venv/bin/python bench/bench_cleanup.py                         # baselines ≈ 7 min on 2 cores, plus the
                                                                    # learned denoiser's training runs
    .venv/bin/python bench/bench_cleanup.py --learned-seconds 240   # time-box each training run
    .venv/bin/python bench/bench_cleanup.py --skip-cbm3d            # without the slow baseline

Material (``bench/cleanup_data.py``): 9-frame sequences panning sub-pixel over scikit-image's astronaut
(512×512), coffee (400×600) and chelsea (300×451); the centre frame is the untouched photograph. Noise:
Gaussian σ = 10, 25, 50 (/255) on the sRGB code values, clipped to 0..1; and Poisson-Gaussian in linear
light (sRGB EOTF, 400 photons at code 1, read noise 3 photons) encoded to ARRI LogC3 (linear sRGB passed
as ACEScg, gamut ignored) and quantised to 10-bit, where PSNR is measured on the LogC3 code values.

Baselines, side by side in one run, all on ``THREADS`` threads:

* *noisy input* — the do-nothing row;
* *OpenCV NLM* — ``cv2.fastNlMeansDenoisingColored`` (templateWindowSize 7, searchWindowSize 21) on the
  frame rounded to 8 bits, as OpenCV requires; ``h``/``hColor`` grid-searched per noise level on the
  astronaut centre frame itself (the astronaut figures are therefore slightly flattering to NLM);
* *CBM3D* — ``bm3d.bm3d_rgb(noisy, sigma_psd=σ)`` (benchmark-only dependency, non-commercial licence: never a
  dependency of the package), given the true σ (the measured RMS noise for Poisson-Gaussian); on the astronaut
  only, and timed on that 512² frame then extrapolated per 1080p frame by pixel count (whole 1080p frames
  take minutes);
* *answerprint (learned)* — ``answerprint.models.cleanup.train.train_cleanup_on_frames`` with the quick
  profile, trained self-supervised on each noisy sequence itself (the per-production setting), on the
  sequences named by ``--learned-on`` (default the astronaut); the headline case (astronaut, σ = 25) always
  gets the profile's own budget (up to 14 min), the others ``--learned-seconds`` each when given (default
  the profile's budget too); the locked-off plate, the moving-disc sequence and the
  1080p timing reuse the astronaut model of the same noise level. ``denoise`` runs the exported graph
  through onnxruntime, alignment included. The row is added only when that module is importable.

Metrics: PSNR/SSIM of the centre frame against the clean one (``skimage.metrics``, data range 1);
temporal flicker and ghosting (see :func:`flicker` and :func:`ghosting`); seconds per 1080p frame (astronaut
upscaled to 1920×1080, σ = 25). Dust: blob-level precision/recall of :class:`DustDetector` on planted dust
(``cleanup_data.plant_dust``) in four photographs under camera motion, at three sensitivities. Defects:
:func:`learn_defect_map` on three 1920×1080 pans and one locked-off plate with planted stuck, hot and dead
photosites. Prints markdown tables and writes every number to ``bench/out/bench_cleanup.json``.

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

import cv2
import numpy as np
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

import cleanup_data as data
from answerprint.core.cleanup.defects import learn_defect_map
from answerprint.core.cleanup.dust import DustDetector
from nlm_apply import nlm

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

    ``seconds`` time-boxes every run but the headline one (astronaut, σ = 25), which keeps the quick
    profile's own budget.
    """

    def __init__(self, sequences: list[str], seconds: float | None):
        self.sequences, self.seconds = sequences, seconds
        self.models: dict[tuple[str, str], tuple[object, float]] = {}
        self.train = None
        if importlib.util.find_spec("answerprint.models.cleanup") is not None:
            from answerprint.models.cleanup.train import train_cleanup_on_frames

            self.train = train_cleanup_on_frames

    def model(self, sequence: str, noise: str, noisy: list[np.ndarray]) -> tuple[object, float] | None:
        """(trained model, training seconds) for ``sequence`` at ``noise``, training it on ``noisy`` once."""
        if self.train is None or sequence not in self.sequences:
            return None
        if (sequence, noise) not in self.models:
            start = time.perf_counter()
            budget = None if (sequence, noise) == HEADLINE else self.seconds
            trained = self.train([noisy], profile="quick", seconds=budget)
            self.models[(sequence, noise)] = (trained, time.perf_counter() - start)
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-cbm3d", action="store_true", help="leave out CBM3D (minutes per noise level)")
    parser.add_argument("--learned-on", nargs="+", default=["astronaut"], choices=list(SEQUENCES),
                        help="sequences the learned denoiser is trained and measured on")
    parser.add_argument("--learned-seconds", type=float, default=None,
                        help="wall-clock budget per training run except astronaut σ=25 (default: the profile's)")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "out" / "bench_cleanup.json")
    args = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", str(THREADS))
    cv2.setNumThreads(THREADS)
    encode, learned = data.LogEncoder(), Learned(args.learned_on, args.learned_seconds)
    print(f"learned denoiser: {'found' if learned.train else 'not installed — baselines only'}")
    conditions = tune(encode)
    print(table([{"noise": c.name, "σ (code values)": c.sigma, "NLM h": c.nlm[0], "NLM hColor": c.nlm[1]}
                 for c in conditions.values()], ["noise", "σ (code values)", "NLM h", "NLM hColor"]))
    results: dict = {"threads": THREADS, "conditions": {k: vars(v) for k, v in conditions.items()}}
    results["quality"] = quality(conditions, learned, args.skip_cbm3d, encode)
    print(table(results["quality"], ["sequence", "noise", "method", "psnr", "ssim", "seconds", "train_s"]))
    results["temporal"] = temporal(conditions, learned, args.skip_cbm3d, encode)
    plate = [row for row in results["temporal"] if row["stage"] == "plate"]
    print(table(plate, ["noise", "method", "flicker", "flicker_ratio"]))
    motion = [row for row in results["temporal"] if row["stage"] == "motion"]
    print(table(motion, ["noise", "method", "psnr_motion", "psnr_static", "motion_loss_db"]))
    cbm3d_s = next((r["seconds"] for r in results["quality"] if r["method"] == "CBM3D"
                    and r["noise"] == "gauss25"), None)
    results["speed_1080p"] = speed(conditions["gauss25"], learned, cbm3d_s)
    print(table([{"method": k, "seconds per 1080p frame": v} for k, v in results["speed_1080p"].items()],
                ["method", "seconds per 1080p frame"]))
    results["dust"] = dust()
    print(table(results["dust"]["rows"], ["grain_255", "sensitivity", "precision", "recall", "planted", "flagged"]))
    print(f"dust at 1080p: {results['dust']['seconds_1080p']}")
    results["defects"] = defects()
    print(json.dumps(results["defects"], indent=1))
    results["learned"] = {f"{sequence}/{noise}": {"train_s": seconds, "config": model.config,
                                                  "stage_seconds": model.seconds, "metrics": model.metrics}
                          for (sequence, noise), (model, seconds) in learned.models.items()}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
