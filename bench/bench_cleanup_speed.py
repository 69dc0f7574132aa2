"""Benchmark: the command users run, ``answerprint apply cleanup``, against OpenCV NLM, as whole processes.

Run by hand (not a test)::

    .venv/bin/python bench/bench_cleanup_speed.py prepare        # material and a quick pack, once (≤ 15 min)
    .venv/bin/python bench/bench_cleanup_speed.py time --reps 3 --uhd  # 1080p interleaved; UHD memory

Material (``bench/out/cleanup_speed/``, made by ``prepare``): a production ``speedbench`` whose dailies are
two 24-frame 1920×1080 ProRes 422 HQ (10-bit) pans across scikit-image's coffee and chelsea photographs, and
the shots to clean, a 24-frame 1920×1080 pan and an 8-frame 3840×2160 pan across the astronaut. Every clip
has Poisson-Gaussian sensor noise in linear light encoded to ARRI LogC3 and quantised to 10-bit
(``cleanup_data.poisson_gaussian_log10``), the realistic case of a log camera original. The pack is trained
on the dailies with ``train_cleanup(..., profile="quick")``, as ``answerprint train cleanup`` does.

Timed, as whole processes under ``/usr/bin/time -v`` (user + system CPU of every thread, wall clock, peak
resident memory), one warm-up run of each first, then A B A B … for ``--reps`` rounds:

* **answerprint**: ``answerprint apply cleanup SHOT OUT.mov --pack PACK --production speedbench``, the
  effect's default parameters (strength 1, temporal radius 2, dust repair on): decode, render engine,
  alignment, dust repair, the network, ProRes encode, sidecar.
* **NLM**: ``bench/nlm_apply.py SHOT OUT.mov``: the same decoder, ``cv2.fastNlMeansDenoisingColored``
  (7/21, ``h``/``hColor`` tuned on the shot's centre frame against its clean original), the same encoder.

Both run on the same ``THREADS`` cores (``taskset`` where the machine has more). Per-frame figures are the
run's totals over the shot's frames, start-up included; medians are quoted, with the load average before
and after. PSNR of every output frame against the clean pan (LogC3 code values) checks that speed was not
bought with quality. ``--uhd`` adds one answerprint run on the UHD shot for its peak memory.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

import numpy as np

import cleanup_data as data

THREADS = 2
OUT = Path(__file__).parent / "out" / "cleanup_speed"
PRODUCTION = "speedbench"
DAILIES = {"A001C001": ("coffee", (1.6, 0.5), 11), "A002C001": ("chelsea", (-1.2, 0.8), 12)}
SHOT = ("astronaut", (2.0, 0.6), 21)
FRAMES = 24
UHD_FRAMES = 8
HD, UHD = (1920, 1080), (3840, 2160)
BIN = Path(sys.executable).parent


def clip(name: str, velocity: tuple[float, float], seed: int, size: tuple[int, int], count: int,
         encode: data.LogEncoder) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """(clean, noisy) LogC3 frames of a pan across photograph ``name`` scaled to cover ``size``."""
    frames = data.pan_sequence(data.upscaled(data.photo(name), *size), count, velocity)
    return data.poisson_gaussian_log10(frames, seed, encode)


def write_prores(path: Path, frames: list[np.ndarray]) -> None:
    from answerprint.core.frames import BT709, OutputSpec, open_writer

    height, width = frames[0].shape[:2]
    writer = open_writer(OutputSpec(str(path), "prores_422hq", width, height, Fraction(24), color_tags=BT709))
    for number, frame in enumerate(frames):
        writer.write(number, frame)
    writer.finish()


def decoded(path: Path) -> list[np.ndarray]:
    from answerprint.core.frames import open_media

    with open_media(str(path)) as reader:
        return [pixels for _, pixels in reader.read()]


def psnr(output: np.ndarray, reference: np.ndarray) -> float:
    error = np.mean((np.clip(output, 0, 1).astype(np.float64) - reference) ** 2)
    return float(10 * np.log10(1 / max(error, 1e-12)))


def prepare(out: Path) -> None:
    """Write the dailies and shots, tune NLM on the 1080p shot, train the quick pack (what is missing)."""
    from answerprint.core.packs import create_production_key, init_production
    from answerprint.models.cleanup.train import train_cleanup

    import bench_cleanup

    encode = data.LogEncoder()
    (out / "dailies").mkdir(parents=True, exist_ok=True)
    for stem, (name, velocity, seed) in DAILIES.items():
        path = out / "dailies" / f"{stem}.mov"
        if not path.exists():
            write_prores(path, clip(name, velocity, seed, HD, FRAMES, encode)[1])
            print(f"wrote {path}")
    for size, count, stem in ((HD, FRAMES, "shot_1080p"), (UHD, UHD_FRAMES, "shot_uhd")):
        path = out / f"{stem}.mov"
        if not path.exists():
            write_prores(path, clip(*SHOT, size, count, encode)[1])
            print(f"wrote {path}")
    settings = out / "nlm.json"
    if not settings.exists():
        clean, _ = clip(*SHOT, HD, FRAMES, encode)
        noisy = decoded(out / "shot_1080p.mov")
        centre = FRAMES // 2
        sigma_255 = float(np.std(noisy[centre] - clean[centre])) * 255
        h, h_color = bench_cleanup.tune_nlm(noisy[centre], clean[centre], sigma_255)
        settings.write_text(json.dumps({"h": h, "h_color": h_color, "sigma_255": sigma_255}))
        print(f"NLM tuned: h {h:.2f}, hColor {h_color:.2f} (noise σ {sigma_255:.2f}/255)")
    pack = out / "quick.onnx"
    if not pack.exists():
        os.environ["ANSWERPRINT_HOME"] = str(out / "home")
        create_production_key(init_production(PRODUCTION, "Speed bench", (str(out / "dailies"),)))
        start = time.perf_counter()
        result = train_cleanup(sorted(str(p) for p in (out / "dailies").glob("*.mov")), PRODUCTION, "quick", pack)
        print(f"trained {pack} in {time.perf_counter() - start:.0f} s: {result.metrics}")


def timed(command: list[str], env: dict[str, str], output: Path) -> dict[str, float]:
    """One whole-process run of ``command`` under ``/usr/bin/time -v``: CPU, wall and peak RSS."""
    output.unlink(missing_ok=True)
    pinned = ["taskset", "-c", ",".join(map(str, range(THREADS)))] if (os.cpu_count() or 1) > THREADS else []
    report = output.with_suffix(".time.txt")
    run = subprocess.run([*pinned, "/usr/bin/time", "-v", "-o", str(report), *command], env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if run.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{run.stderr[-2000:]}")
    fields = dict(line.strip().rsplit(": ", 1) for line in report.read_text().splitlines() if ": " in line)
    minutes, seconds = fields["Elapsed (wall clock) time (h:mm:ss or m:ss)"].rsplit(":", 1)
    wall = float(seconds) + 60 * sum(float(v) * 60 ** i for i, v in enumerate(reversed(minutes.split(":"))))
    return {"cpu_s": float(fields["User time (seconds)"]) + float(fields["System time (seconds)"]), "wall_s": wall,
            "peak_rss_mb": int(fields["Maximum resident set size (kbytes)"]) / 1024}


def commands(out: Path, shot: Path, tag: str) -> dict[str, tuple[list[str], Path]]:
    """The two whole processes compared: name → (command, output file)."""
    nlm_settings = json.loads((out / "nlm.json").read_text())
    ours, theirs = out / f"answerprint_{tag}.mov", out / f"nlm_{tag}.mov"
    return {"answerprint": ([str(BIN / "answerprint"), "apply", "cleanup", str(shot), str(ours), "--pack",
                             str(out / "quick.onnx"), "--production", PRODUCTION, "--overwrite"], ours),
            "NLM": ([sys.executable, str(Path(__file__).parent / "nlm_apply.py"), str(shot), str(theirs), "--h",
                     f"{nlm_settings['h']}", "--h-color", f"{nlm_settings['h_color']}", "--threads", str(THREADS)],
                    theirs)}


def median_row(name: str, runs: list[dict[str, float]], frames: int) -> dict[str, object]:
    return {"command": name, "runs": len(runs),
            "CPU s/frame": statistics.median(r["cpu_s"] for r in runs) / frames,
            "wall s/frame": statistics.median(r["wall_s"] for r in runs) / frames,
            "peak RSS MB": statistics.median(r["peak_rss_mb"] for r in runs),
            "CPU s/frame min-max": f"{min(r['cpu_s'] for r in runs) / frames:.2f}-"
                                   f"{max(r['cpu_s'] for r in runs) / frames:.2f}"}


def time_them(out: Path, reps: int, uhd: bool) -> dict[str, object]:
    """Warm-up, then ``reps`` interleaved rounds at 1080p; PSNR of the last outputs; optionally UHD."""
    env = {**os.environ, "ANSWERPRINT_HOME": str(out / "home")}
    runs: dict[str, list[dict[str, float]]] = {}
    load_before = os.getloadavg()
    for round_ in range(reps + 1):
        for name, (command, output) in commands(out, out / "shot_1080p.mov", "1080p").items():
            result = timed(command, env, output)
            print(f"{'warm-up' if round_ == 0 else f'round {round_}'} {name}: {result}", flush=True)
            if round_:
                runs.setdefault(name, []).append(result)
    load_after = os.getloadavg()
    rows = [median_row(name, results, FRAMES) for name, results in runs.items()]
    pairs = [a["cpu_s"] / b["cpu_s"] for a, b in zip(runs["answerprint"], runs["NLM"])]
    walls = [a["wall_s"] / b["wall_s"] for a, b in zip(runs["answerprint"], runs["NLM"])]
    result: dict[str, object] = {"rows": rows, "runs": runs, "cpu_ratio_median": statistics.median(pairs),
                                 "wall_ratio_median": statistics.median(walls),
                                 "load_before": load_before, "load_after": load_after}
    clean, _ = clip(*SHOT, HD, FRAMES, data.LogEncoder())
    result["psnr_db"] = {name: statistics.mean(psnr(f, c) for f, c in zip(decoded(output), clean))
                         for name, (_, output) in commands(out, out / "shot_1080p.mov", "1080p").items()}
    result["psnr_db"]["noisy input"] = statistics.mean(psnr(f, c) for f, c in
                                                       zip(decoded(out / "shot_1080p.mov"), clean))
    if uhd:
        command, output = commands(out, out / "shot_uhd.mov", "uhd")["answerprint"]
        result["uhd"] = {**timed(command, env, output), "frames": UHD_FRAMES}
    return result


def report(result: dict[str, object]) -> str:
    columns = ["command", "runs", "CPU s/frame", "wall s/frame", "peak RSS MB", "CPU s/frame min-max"]
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in result["rows"]:
        lines.append("| " + " | ".join(f"{row[c]:.2f}" if isinstance(row[c], float) else str(row[c])
                                       for c in columns) + " |")
    lines.append(f"\nanswerprint / NLM, median of the per-round ratios: CPU {result['cpu_ratio_median']:.2f}, "
                 f"wall {result['wall_ratio_median']:.2f}")
    lines.append("load average (1, 5, 15 min) before: {:.2f} {:.2f} {:.2f}, after: {:.2f} {:.2f} {:.2f}".format(
        *result["load_before"], *result["load_after"]))
    lines.append("PSNR dB (LogC3 code values, mean over the frames): " +
                 ", ".join(f"{k} {v:.2f}" for k, v in result["psnr_db"].items()))
    if "uhd" in result:
        uhd = result["uhd"]
        lines.append(f"UHD ({uhd['frames']} frames): answerprint peak RSS {uhd['peak_rss_mb']:.0f} MB, "
                     f"CPU {uhd['cpu_s'] / uhd['frames']:.2f} s/frame, "
                     f"wall {uhd['wall_s'] / uhd['frames']:.2f} s/frame")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=("prepare", "time"))
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--reps", type=int, default=3, help="counted rounds (each runs both commands)")
    parser.add_argument("--uhd", action="store_true", help="also one answerprint run at UHD (peak memory)")
    args = parser.parse_args()
    if args.action == "prepare":
        prepare(args.out)
        return
    result = time_them(args.out, args.reps, args.uhd)
    print(report(result))
    (args.out.parent / "bench_cleanup_speed.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
