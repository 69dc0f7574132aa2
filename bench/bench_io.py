"""Benchmark the frame pipeline (issue 2): run by hand, prints markdown tables.

1. decode → float32 → encode throughput at 1080p and UHD for 10-bit ProRes 422 HQ, DNxHR HQX and half-float
   EXR (PIZ) sequences;
2. the render engine (identity effect, threaded pipeline, sidecar, hashing) against a bare single-threaded
   decode/encode loop over the same files (target: engine ≤ 10 % slower). Both are warmed up first (the
   engine's first call imports every effect module, a one-off cost per process that is printed separately),
   then run alternately ``--reps`` times; the fastest run of each is kept, the usual defence against
   neighbours on a shared machine;
3. peak resident memory of a render of 100 vs 2,000 frames (target: flat), each in a fresh process.

    .venv/bin/python bench/bench_io.py [--frames 48] [--reps 3] [--long 2000] [--out bench/out]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
import OpenImageIO as oiio

from answerprint.core.frames import BT709, OutputSpec, open_media, open_writer
from answerprint.core.render import RenderJob, render

SIZES = {"1080p": (1920, 1080), "UHD": (3840, 2160)}
CODECS = {"ProRes 422 HQ": ("prores_422hq", ".mov"), "DNxHR HQX": ("dnxhr_hqx", ".mov"),
          "EXR half PIZ": ("exr", ".%04d.exr")}


def source_frames(width: int, height: int, count: int) -> list[np.ndarray]:
    """A pan across a real photograph (scikit-image's astronaut), float32 0..1, ``count`` frames."""
    from skimage import data

    photo = cv2.resize(data.astronaut().astype(np.float32) / 255, (width + count * 2, height),
                       interpolation=cv2.INTER_CUBIC)
    return [np.ascontiguousarray(np.clip(photo[:, 2 * i:2 * i + width], 0, 1)) for i in range(count)]


def write_source(path: str, codec: str, frames: list[np.ndarray]) -> None:
    height, width = frames[0].shape[:2]
    writer = open_writer(OutputSpec(path, codec, width, height, Fraction(24000, 1001), 1001, "01:00:00:00",
                                    color_tags=BT709))
    for index, frame in enumerate(frames):
        writer.write(1001 + index, frame)
    writer.finish()


def timed(run):
    """Wall and process CPU seconds (all threads) of ``run()``; CPU time is robust on a shared machine."""
    wall, cpu = time.perf_counter(), time.process_time()
    run()
    return time.perf_counter() - wall, time.process_time() - cpu


def bare_loop(source: str, output: str, codec: str) -> None:
    """Decode every frame, convert to float, encode: one thread, no checks."""
    with open_media(source) as reader:
        info = reader.info
        writer = open_writer(OutputSpec(output, codec, info.width, info.height, info.frame_rate, info.first_frame,
                                        info.timecode, color_tags=BT709))
        for number, pixels in reader.read():
            writer.write(number, pixels)
        writer.finish()


def engine(source: str, output: str, codec: str) -> None:
    """The render engine: threaded pipeline, guards, source hashing, sidecar."""
    render(RenderJob(source, output, "identity", codec=codec, overwrite=True))


def peak_memory_mb(source: str, output: str, codec: str) -> float:
    """Peak RSS (MB) of a fresh process rendering ``source`` with the engine."""
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss across execve, so a child would report the parent's peak.
    code = ("from answerprint.core.render import RenderJob, render; "
            f"render(RenderJob({source!r}, {output!r}, 'identity', codec={codec!r}, overwrite=True)); "
            "print([l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1])")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return int(result.stdout.strip().splitlines()[-1]) / 1024


def clean(path: str) -> None:
    folder = Path(path).parent
    stem = Path(path).name.split("%")[0]
    for item in folder.glob(f"{stem}*"):
        item.unlink()


def best_of(reps: int, runs: dict) -> dict:
    """``{name: (fastest wall, least CPU)}`` over ``reps`` alternating rounds of every run in ``runs``."""
    times: dict = {name: [] for name in runs}
    for _ in range(reps):
        for name, run in runs.items():
            times[name].append(timed(run))
    return {name: (min(w for w, _ in found), min(c for _, c in found)) for name, found in times.items()}


def warm_up(out: Path) -> float:
    """Run both paths once on a short clip; returns the engine's first-call wall seconds (imports included)."""
    source = str(out / "warm.mov")
    write_source(source, "prores_422hq", source_frames(1920, 1080, 2))
    bare_loop(source, str(out / "warm_bare.mov"), "prores_422hq")
    first = timed(lambda: engine(source, str(out / "warm_eng.mov"), "prores_422hq"))[0]
    for name in ("warm.mov", "warm_bare.mov", "warm_eng.mov"):
        clean(str(out / name))
    return first


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=48, help="frames per throughput clip (UHD uses half)")
    parser.add_argument("--reps", type=int, default=3, help="alternating rounds per row; the fastest is kept")
    parser.add_argument("--long", type=int, default=2000, help="frames of the long clip for the memory test")
    parser.add_argument("--out", default="bench/out")
    parser.add_argument("--skip-memory", action="store_true", help="only the throughput table")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    cv2.setNumThreads(os.cpu_count() or 1)
    rows = []
    startup = warm_up(out)
    for size_name, (width, height) in SIZES.items():
        count = args.frames if size_name == "1080p" else max(8, args.frames // 2)
        frames = source_frames(width, height, count)
        for codec_name, (codec, extension) in CODECS.items():
            source = str(out / f"src_{size_name}_{codec}{extension}")
            clean(source)
            write_source(source, codec, frames)
            found = best_of(args.reps, {
                "bare": lambda: bare_loop(source, str(out / f"bare_{size_name}_{codec}{extension}"), codec),
                "engine": lambda: engine(source, str(out / f"eng_{size_name}_{codec}{extension}"), codec)})
            bare, eng = found["bare"], found["engine"]
            rows.append((size_name, codec_name, count, count / bare[0], count / eng[0],
                         100 * (eng[0] - bare[0]) / bare[0], 1000 * bare[1] / count, 1000 * eng[1] / count,
                         100 * (eng[1] - bare[1]) / bare[1]))
            for prefix in ("src", "bare", "eng"):
                clean(str(out / f"{prefix}_{size_name}_{codec}{extension}"))
            print(rows[-1], file=sys.stderr, flush=True)
        del frames

    print(f"\n### Decode → float32 → encode ({os.cpu_count()} cores, no GPU; best of {args.reps}; load average "
          f"{os.getloadavg()[0]:.1f})\n")
    print(f"One-off start-up of the engine's first render in a process (imports, 2 frames): {startup:.2f} s\n")
    print("| size | codec | frames | bare loop fps | engine fps | engine wall vs bare | bare CPU ms/frame "
          "| engine CPU ms/frame | engine CPU vs bare |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for size_name, codec_name, count, bare_fps, eng_fps, wall, bare_cpu, eng_cpu, cpu in rows:
        print(f"| {size_name} | {codec_name} | {count} | {bare_fps:.1f} | {eng_fps:.1f} | {wall:+.1f} % "
              f"| {bare_cpu:.0f} | {eng_cpu:.0f} | {cpu:+.1f} % |")

    if args.skip_memory:
        return
    frames = source_frames(1920, 1080, 24)
    memory = []
    for count in (100, args.long):
        source = str(out / f"long_{count}.mov")
        writer = open_writer(OutputSpec(source, "prores_422hq", 1920, 1080, Fraction(24), 0, None, color_tags=BT709))
        for index in range(count):
            writer.write(index, frames[index % len(frames)])
        writer.finish()
        memory.append((count, peak_memory_mb(source, str(out / f"long_{count}_out.mov"), "prores_422hq")))
        clean(source)
        clean(str(out / f"long_{count}_out.mov"))
        print(memory[-1], file=sys.stderr, flush=True)
    print("\n### Peak memory of a 1080p ProRes 422 HQ render (fresh process)\n")
    print("| frames | peak RSS (MB) |")
    print("|---:|---:|")
    for count, megabytes in memory:
        print(f"| {count} | {megabytes:.0f} |")
    (out / "bench_io.json").write_text(json.dumps({"throughput": rows, "memory": memory}, indent=2))


if __name__ == "__main__":
    main()
