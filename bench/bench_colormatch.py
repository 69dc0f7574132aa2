"""Colour-match benchmark: learned looks, shot match, LUT speed and .cube agreement (issue 5, points 5-6).

Run: ``.venv/bin/python bench/bench_colormatch.py [--quick]``; results go to ``bench/out/colormatch.json`` and
``bench/out/colormatch.md``. About 10 minutes on 2 shared CPU cores (``--quick``: one grade per table).

1. **Learned look from 3 pairs.** Three photographs (``colormatch_data.TRAIN_PHOTOS``) and their graded versions
   teach the look; it is scored on photographs it never saw (``TEST_PHOTOS``). Rows: the global LUT, the image-
   adaptive model, and the model ``train look`` chooses on a held-out training pair.
2. **Shot match.** Same scene framed differently: the shot is a 70% crop from one corner of an ungraded
   photograph, the reference the opposite-corner 70% crop of its graded version. Different content: the
   reference is another photograph with the same grade. Scores are against the truly graded shot.
3. **Speed.** A 65³ LUT on a UHD float frame: the core's ``LutProcessor`` against OpenColorIO's CPU processor
   reading the same ``.cube`` (both tetrahedral, the core's default), best of five.
4. **Agreement.** OpenColorIO's reading of the written ``.cube`` files against the core's, max |difference|.

Not the path users run: quality of the fits, and the speed of the core's LUT processor alone (no decode,
engine or encode).
"""
from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import colormatch_data as data
import numpy as np
import PyOpenColorIO as ocio
import torch

from answerprint.core.color import ColorProcessor
from answerprint.core.color.cube import read_cube, write_cube
from answerprint.core.color.lut import Lut3D, LutProcessor, apply_lut
from answerprint.core.color.spaces import look_domain
from answerprint.core.effects.colormatch.transfer import match_shot, mkl_map
from answerprint.core.effects.look.delivery import bake_cube
from answerprint.core.effects.look.fit import fit_global_look
from answerprint.models.look.choose import choose_model
from answerprint.models.look.train_adaptive import AdaptiveSettings, apply_model, train_adaptive

OUT = Path(__file__).parent / "out"
WIDTH = 384
SHOT_WIDTH = 512
SHOT_PHOTOS = ("astronaut", "coffee", "chelsea", "rocket", "motorcycle_left")
SHOT_GRADES = ("teal_orange", "bleach_bypass", "fade")
ADAPTIVE = AdaptiveSettings(steps=150, max_side=256, threads=data.bench_threads())

to_working = ColorProcessor(data.DISPLAY_SPACE, "ACEScct")
to_display = ColorProcessor("ACEScct", data.DISPLAY_SPACE)


def learned_looks(grades: dict) -> list[dict]:
    """Table 1: global LUT, adaptive model and the chosen one, each learned from 3 pairs, on unseen photos."""
    train = [data.photo(n, WIDTH) for n in data.TRAIN_PHOTOS]
    test = [data.photo(n, WIDTH) for n in data.TEST_PHOTOS]
    domain = look_domain(data.DISPLAY_SPACE)
    rows = []
    for name, grade in grades.items():
        ungraded = [to_working(f) for f in train]
        graded = [to_working(grade(f)) for f in train]
        truth = [grade(f) for f in test]
        started = time.monotonic()
        fit = fit_global_look(ungraded, graded, domain_min=domain[0], domain_max=domain[1])
        fit_seconds = time.monotonic() - started
        started = time.monotonic()
        model, _ = train_adaptive(ungraded, graded, fit.lut, ADAPTIVE)
        adaptive_seconds = time.monotonic() - started
        choice = choose_model(ungraded, graded, domain, ADAPTIVE)
        results = {
            "none": data.scores(test, truth),
            "global_lut": data.scores([to_display(apply_lut(to_working(f), fit.lut)) for f in test], truth),
            "adaptive": data.scores([to_display(apply_model(model, to_working(f))) for f in test], truth),
        }
        rows.append({"grade": name, **results, "chosen": choice.chosen, "chosen_scores": results[choice.chosen],
                     "held_out": choice.scores, "fit_seconds": round(fit_seconds, 2),
                     "adaptive_seconds": round(adaptive_seconds, 1)})
        print(f"look {name}: none {results['none']['mean_de00']:.2f}, global {results['global_lut']['mean_de00']:.2f}"
              f"/{results['global_lut']['p95_de00']:.2f}, adaptive {results['adaptive']['mean_de00']:.2f}"
              f"/{results['adaptive']['p95_de00']:.2f}, chosen {choice.chosen}", flush=True)
    return rows


def _crop(image: np.ndarray, corner: str) -> np.ndarray:
    height, width = int(image.shape[0] * 0.7), int(image.shape[1] * 0.7)
    return image[:height, :width] if corner == "top-left" else image[-height:, -width:]


def shot_match(grades: tuple[str, ...]) -> dict:
    """Table 2: same scene reframed, and different content, for doing nothing, MKL alone and the robust match."""
    tasks: dict[str, dict[str, list[float]]] = {}
    for task in ("same_scene", "different_content"):
        scores = {"none": [], "mkl": [], "robust": [], "held_back": []}
        for grade_name in grades:
            grade = data.GLOBAL_GRADES[grade_name]
            for index, name in enumerate(SHOT_PHOTOS):
                picture = data.photo(name, SHOT_WIDTH)
                if task == "same_scene":
                    shot, reference = _crop(picture, "top-left"), _crop(grade(picture), "bottom-right")
                else:
                    other = data.photo(SHOT_PHOTOS[(index + 1) % len(SHOT_PHOTOS)], SHOT_WIDTH)
                    shot, reference = picture, grade(other)
                truth = grade(shot)
                shot_working, reference_working = to_working(shot), to_working(reference)
                transform, offset = mkl_map(shot_working.reshape(-1, 3).astype(float),
                                            reference_working.reshape(-1, 3).astype(float))
                mapped = shot_working.reshape(-1, 3) @ transform.T + offset
                mkl = to_display(mapped.reshape(shot.shape).astype(np.float32))
                result = match_shot([shot_working], reference_working, domain=look_domain(data.DISPLAY_SPACE))
                robust = shot if result.lut is None else to_display(apply_lut(shot_working, result.lut))
                for key, image in (("none", shot), ("mkl", mkl), ("robust", robust)):
                    scores[key].append(float(data.delta_e_2000(image, truth).mean()))
                scores["held_back"].append(float(result.held_back))
        never_worse = all(r <= n + 1e-6 for r, n in zip(scores["robust"], scores["none"]))
        tasks[task] = {**{k: float(np.mean(v)) for k, v in scores.items() if k != "held_back"},
                       "cases": len(scores["none"]), "held_back": int(sum(scores["held_back"])),
                       "robust_never_worse_per_case": never_worse,
                       "per_case": {k: [round(x, 3) for x in v] for k, v in scores.items()}}
        print(f"shot match {task}: none {tasks[task]['none']:.2f}, mkl {tasks[task]['mkl']:.2f}, "
              f"robust {tasks[task]['robust']:.2f} (held back {tasks[task]['held_back']}/{len(scores['none'])}, "
              f"never worse per case: {never_worse})", flush=True)
    return tasks


def _best_of(function, frame: np.ndarray, runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        pixels = frame.copy()
        started = time.perf_counter()
        function(pixels)
        times.append(time.perf_counter() - started)
    return min(times)


def speed(folder: Path) -> dict:
    """Table 3: 65³ LUT on a UHD float frame, core vs OpenColorIO reading the same .cube."""
    lut = Lut3D.from_function(lambda p: np.stack([p[:, 0] ** 1.2, p[:, 1] * 0.9 + 0.05 * p[:, 2],
                                                  np.sqrt(p[:, 2])], axis=-1), 65)
    path = write_cube(folder / "speed_65.cube", lut)
    frame = np.random.default_rng(0).uniform(0, 1, (2160, 3840, 3)).astype(np.float32)
    transform = ocio.FileTransform(str(path))
    transform.setInterpolation(ocio.INTERP_TETRAHEDRAL)
    ocio_cpu = ocio.Config.CreateRaw().getProcessor(transform).getDefaultCPUProcessor()
    core = LutProcessor(read_cube(path), threads=data.bench_threads())
    core_one = LutProcessor(read_cube(path), threads=1)
    result = {"ocio_cpu_processor_s": _best_of(ocio_cpu.applyRGB, frame), "core_s": _best_of(core, frame),
              "core_one_thread_s": _best_of(core_one, frame), "threads": data.bench_threads()}
    through_ocio = frame[:256].copy()
    ocio_cpu.applyRGB(through_ocio)
    result["same_pixels_max_abs_diff"] = float(np.abs(core(frame[:256]) - through_ocio).max())
    print(f"speed: core {result['core_s']:.3f} s ({result['threads']} threads; {result['core_one_thread_s']:.3f} s "
          f"on one), OCIO CPU processor {result['ocio_cpu_processor_s']:.3f} s", flush=True)
    return result


def agreement(folder: Path) -> dict:
    """Table 4: OCIO vs core on written .cube files of a learned look, for a video and a scene-linear input."""
    train = [data.photo(n, 256) for n in data.TRAIN_PHOTOS]
    domain = look_domain(data.DISPLAY_SPACE)
    fit = fit_global_look([to_working(f) for f in train], [to_working(data.teal_orange(f)) for f in train],
                          domain_min=domain[0], domain_max=domain[1])
    rng = np.random.default_rng(1)
    out = {}
    for label, input_space, points in (("srgb_input", data.DISPLAY_SPACE, rng.uniform(0, 1, (200_000, 3))),
                                       ("acescg_input_with_shaper", "ACEScg", rng.uniform(0, 16, (200_000, 3)))):
        for size in (33, 65):
            cube = bake_cube(fit.lut, input_space, data.DISPLAY_SPACE, size)
            path = write_cube(folder / f"{label}_{size}.cube", cube)
            transform = ocio.FileTransform(str(path))
            transform.setInterpolation(ocio.INTERP_TETRAHEDRAL)
            through_ocio = points.astype(np.float32)
            ocio.Config.CreateRaw().getProcessor(transform).getDefaultCPUProcessor().applyRGB(through_ocio)
            through_core = apply_lut(points.astype(np.float32), read_cube(path))
            out[f"{label}_{size}"] = float(np.abs(through_core - through_ocio).max())
    print(f"agreement OCIO vs core: {out}", flush=True)
    return out


def _cell(scores: dict) -> str:
    return f"{scores['mean_de00']:.2f} / {scores['p95_de00']:.2f} / {scores['psnr_db']:.1f}"


def markdown(results: dict) -> str:
    lines = ["| grade | none | global LUT | adaptive | chosen |", "|---|---|---|---|---|"]
    for row in results["learned_look"]:
        lines.append(f"| {row['grade']} | {_cell(row['none'])} | {_cell(row['global_lut'])} | "
                     f"{_cell(row['adaptive'])} | {row['chosen']}: {_cell(row['chosen_scores'])} |")
    lines += ["", "Cells: mean ΔE00 / p95 ΔE00 / PSNR dB.", "",
              "| shot match | none | MKL alone | robust match (hold-back) | held back | never worse per case |",
              "|---|---|---|---|---|---|"]
    for task, row in results["shot_match"].items():
        lines.append(f"| {task} ({row['cases']} cases) | {row['none']:.2f} | {row['mkl']:.2f} | {row['robust']:.2f} | "
                     f"{row['held_back']} | {row['robust_never_worse_per_case']} |")
    speed_row = results["speed"]
    lines += ["", f"65³ LUT on UHD float: core {speed_row['core_s']:.3f} s ({speed_row['threads']} threads), OCIO CPU "
              f"processor {speed_row['ocio_cpu_processor_s']:.3f} s; max |core − OCIO| "
              f"{speed_row['same_pixels_max_abs_diff']:.1e}",
              "", "OCIO vs core on written .cube files (max abs diff): "
              + ", ".join(f"{k} {v:.1e}" for k, v in results["agreement"].items())]
    return "\n".join(lines) + "\n"


def run(quick: bool) -> dict:
    torch.set_num_threads(data.bench_threads())
    grades = {**data.GLOBAL_GRADES, **data.SPATIAL_GRADES}
    if quick:
        grades = {k: grades[k] for k in ("teal_orange", "vignette_window")}
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as folder:
        results = {"learned_look": learned_looks(grades),
                   "shot_match": shot_match(SHOT_GRADES[:1] if quick else SHOT_GRADES),
                   "speed": speed(Path(folder)), "agreement": agreement(Path(folder))}
    results["seconds"] = round(time.monotonic() - started, 1)
    OUT.mkdir(exist_ok=True)
    (OUT / "colormatch.json").write_text(json.dumps(results, indent=2))
    (OUT / "colormatch.md").write_text(markdown(results))
    print(markdown(results))
    print(f"total {results['seconds']} s")
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one global and the spatial grade, one shot grade")
    run(parser.parse_args().quick)
