"""Re-binding benchmark: panel preview refreshes while a slider moves, and LUT apply against OpenColorIO and the
memory floor (issue 18, points 2, 4 and 5), this tree against another commit's side by side.

Run: ``.venv/bin/python bench/bench_rebind.py [--base main] [--rounds 2] [--work DIR] [--lut-only]`` (about ten
minutes on two shared cores; a third of it trains the small cleanup and relight packs, which ``--work`` with the
folder a run printed uses again; ``--lut-only`` times the LUT apply alone, about 20 s a round). It prints
markdown tables for ``bench/README.md``.

The base commit's ``core`` is unpacked with ``git archive`` into a temporary folder and put first on
``PYTHONPATH``; each round runs one fresh process per tree, base first, then this tree, so both see the same
machine load. Per process:

* **Panel preview** (``core.render.preview.PreviewSession``, as the panel's worker thread runs it) of a 1920x1080
  LogC3 ProRes daily (``core.demo.dailies``) at its 1080p proxy. After the first frame, the whole refresh of that
  frame (``PreviewFrame.seconds``: compile or bind, apply, display) for five values of one slider: a relight
  light dragged across the frame (``light_x``, with a reference take matched at ``match_amount`` 0.5), a colour
  match's ``strength``, a cleanup ``detail``. Target ≤ 100 ms each.
* **LUT apply**: a 65³ ``.cube`` on a 3840x2160 float32 frame (a photograph, so neighbouring pixels are alike,
  as in footage): the memory floor (``numpy`` copy of the frame), OpenColorIO's own CPU processor reading the
  file (``FileTransform``, tetrahedral; one call on a copy, through the binding's ``applyRGB`` and through
  ``apply`` with a ``PackedImageDesc``, which is about four times faster), and the core's ``LutProcessor``
  (the path every LUT effect and the preview's display run) in its default interpolation and trilinear. Wall
  and CPU (all threads) per frame, the paths timed in turn for seven rounds, and each path's ratios to the
  floor timed in the same round. Target: the core's default within 4x of the floor on two cores.

Medians of five (preview) and of seven (LUT), the median of the rounds' medians printed.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import numpy as np

BENCH = Path(__file__).parent
ROOT = BENCH.parent
FRAMES = 8
REPEATS = 5
LUT_REPEATS = 7
DRAGS = {"relight": ("light_x", (0.35, 0.4, 0.45, 0.5, 0.55)),
         "colormatch": ("strength", (0.5, 0.6, 0.7, 0.8, 0.9)),
         "cleanup": ("detail", (0.1, 0.3, 0.5, 0.7, 0.9))}


def _median_times(function, repeats: int) -> tuple[float, float]:
    """Median wall and process-CPU seconds of ``function()``."""
    walls, cpus = [], []
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        function()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def preview_drags(setup: dict) -> dict[str, dict[str, float]]:
    """First refresh and median refresh per slider move, per effect."""
    from answerprint.core.demo.dailies import CAMERA_SPACE
    from answerprint.core.render.preview import PreviewSession

    base_params = {"relight": {"reference": setup["take"], "match_amount": 0.5, "light_stops": 1.5, "light_x": 0.3},
                   "colormatch": {"reference": setup["still"]}, "cleanup": {"temporal_radius": 1}}
    out = {}
    for effect, (name, values) in DRAGS.items():
        with PreviewSession(setup["clip"], effect, pack=setup["packs"].get(effect), production="bench",
                            input_space=CAMERA_SPACE) as session:
            first = session.render(3, base_params[effect]).seconds
            moves, cpus = [], []
            for value in values:
                cpu = time.process_time()
                moves.append(session.render(3, {**base_params[effect], name: value}).seconds)
                cpus.append(time.process_time() - cpu)
        out[effect] = {"first_s": first, "move_s": statistics.median(moves), "move_cpu_s": statistics.median(cpus)}
    return out


def lut_apply(cube: str) -> dict[str, dict[str, float]]:
    """Wall and CPU seconds per UHD float frame: floor, OCIO's processor, the core's LUT processor.

    The paths are timed in turn, ``LUT_REPEATS`` rounds; each gets its median wall and CPU and the median of its
    per-round ratios to the floor timed in the same round (``wall_floor``, ``cpu_floor``).
    """
    import cv2
    import PyOpenColorIO as ocio
    from skimage import data

    from answerprint.core.color.cube import read_cube
    from answerprint.core.color.lut import LutProcessor

    photo = data.astronaut().astype(np.float32) / 255.0
    frame = np.ascontiguousarray(np.clip(cv2.resize(photo, (3840, 2160), interpolation=cv2.INTER_CUBIC), 0, 1))
    height, width = frame.shape[:2]
    transform = ocio.FileTransform(cube)
    transform.setInterpolation(ocio.INTERP_TETRAHEDRAL)
    ocio_cpu = ocio.Config.CreateRaw().getProcessor(transform).getDefaultCPUProcessor()

    def through_apply_rgb() -> None:
        copy = frame.copy()
        ocio_cpu.applyRGB(copy)

    def through_image_desc() -> None:
        copy = frame.copy()
        ocio_cpu.apply(ocio.PackedImageDesc(copy, width, height, 3))

    lut = read_cube(cube)
    default = LutProcessor(lut)
    floor = "floor (numpy copy)"
    candidates = {floor: frame.copy, "OCIO CPU processor, tetrahedral, one applyRGB on a copy": through_apply_rgb,
                  "OCIO CPU processor, tetrahedral, one apply(PackedImageDesc) on a copy": through_image_desc,
                  f"core LutProcessor, {getattr(lut, 'interpolation', 'trilinear')} (default)": lambda: default(frame)}
    if hasattr(lut, "interpolated"):
        trilinear = LutProcessor(lut.interpolated("trilinear"))
        candidates["core LutProcessor, trilinear"] = lambda: trilinear(frame)
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in candidates}
    for function in candidates.values():
        function()
    for _ in range(LUT_REPEATS):
        for name, function in candidates.items():
            wall, cpu = time.perf_counter(), time.process_time()
            function()
            times[name].append((time.perf_counter() - wall, time.process_time() - cpu))
    out = {}
    for name, pairs in times.items():
        out[name] = {"wall_s": statistics.median(p[0] for p in pairs), "cpu_s": statistics.median(p[1] for p in pairs),
                     "wall_floor": statistics.median(p[0] / f[0] for p, f in zip(pairs, times[floor])),
                     "cpu_floor": statistics.median(p[1] / f[1] for p, f in zip(pairs, times[floor]))}
    return out


def child(setup_path: str, lut_only: bool = False) -> None:
    setup = json.loads(Path(setup_path).read_text())
    preview = {} if lut_only else preview_drags(setup)
    print(json.dumps({"preview": preview, "lut": lut_apply(setup["cube"])}))


def write_look_cube(work: Path) -> str:
    """A 65³ ``.cube`` of a smooth non-separable look, written into ``work``."""
    from answerprint.core.color.cube import write_cube
    from answerprint.core.color.lut import Lut3D

    return str(write_cube(work / "look_65.cube", Lut3D.from_function(
        lambda p: np.stack([p[:, 0] ** 1.2, p[:, 1] * 0.9 + 0.05 * p[:, 2], np.sqrt(p[:, 2])], axis=-1), 65)))


def prepare(work: Path) -> dict:
    """The daily, a reference still and take, the cleanup and relight packs, a 65³ cube."""
    from bench_panel import graded_still

    from answerprint.core.demo.dailies import CAMERA_SPACE, SAMPLE_DAILIES, make_daily
    from answerprint.core.packs import create_production_key, init_production
    from answerprint.models.cleanup.train import train_cleanup
    from answerprint.models.relight.train import train_relight

    dailies = work / "dailies"
    (dailies / "small").mkdir(parents=True)
    clip = make_daily(SAMPLE_DAILIES[1], dailies, 1920, 1080, FRAMES)
    take = make_daily(SAMPLE_DAILIES[0], dailies, 1920, 1080, 5)
    small = [make_daily(spec, dailies / "small", 640, 360, 12, seed=i) for i, spec in enumerate(SAMPLE_DAILIES[:2])]
    create_production_key(init_production("bench", "Rebind bench", (str(dailies),)))
    cleanup = train_cleanup([str(p) for p in small], "bench", "quick", name="grain", input_space=CAMERA_SPACE,
                            seconds=40).pack_path
    relight = work / "relight.onnx"
    train_relight([str(p) for p in small], "bench", "tiny", relight, input_space=CAMERA_SPACE, steps=80, seconds=30)
    return {"clip": str(clip), "take": str(take), "still": str(graded_still(clip, work)), "cube": write_look_cube(work),
            "packs": {"cleanup": str(cleanup), "relight": str(relight)}}


def base_tree(ref: str, folder: Path) -> str:
    """``ref``'s ``core`` unpacked as ``answerprint.core`` under ``folder``; returns the folder for PYTHONPATH."""
    folder.mkdir(parents=True, exist_ok=True)
    archive = folder / "base.tar"
    subprocess.run(["git", "-C", str(ROOT), "archive", "-o", str(archive), ref, "core"], check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(folder / "answerprint", filter="data")
    return str(folder)


def run_child(setup: Path, pythonpath: str | None, lut_only: bool) -> dict:
    env = dict(os.environ)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    command = [sys.executable, __file__, "--child", str(setup), *(["--lut-only"] if lut_only else [])]
    done = subprocess.run(command, env=env, capture_output=True,
                          text=True, check=True, cwd=tempfile.gettempdir())
    return json.loads(done.stdout.strip().splitlines()[-1])


def tables(base: str, results: dict[str, list[dict]], rounds: int, lut_only: bool) -> str:
    def median(tree: str, *keys: str) -> float:
        values = []
        for result in results[tree]:
            value = result
            for key in keys:
                value = value[key]
            values.append(value)
        return statistics.median(values)

    load = os.getloadavg()
    command = f"bench/bench_rebind.py --base {base} --rounds {rounds}{' --lut-only' if lut_only else ''}"
    lines = ["", "## Re-binding and LUT apply — `bench_rebind.py` (issue 18)", "",
             f"`.venv/bin/python {command}` on {os.cpu_count()} shared "
             f"cores, load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (1 / 5 / 15 min) at the end. "
             f"Base = `{base}`'s `core`; each round one fresh process per tree, base first; medians of the rounds."]
    if not lut_only:
        lines += ["", "Panel preview, 1920x1080 LogC3 ProRes daily at its 1080p proxy, one slider moved five "
                  "times after the first frame (whole refresh: compile or bind, apply, display; target ≤ 100 ms; "
                  "CPU = the process's, all threads):", "",
                  "| slider | first frame, base | first frame, this tree | move, base: wall / CPU | "
                  "move, this tree: wall / CPU | speed-up, wall / CPU |", "|---|---:|---:|---:|---:|---:|"]
    for effect, (name, _) in ({} if lut_only else DRAGS).items():
        old, new = (median(tree, "preview", effect, "move_s") for tree in ("base", "this"))
        old_cpu, new_cpu = (median(tree, "preview", effect, "move_cpu_s") for tree in ("base", "this"))
        first = [median(tree, "preview", effect, "first_s") for tree in ("base", "this")]
        lines.append(f"| {effect} `{name}` | {first[0]:.2f} s | {first[1]:.2f} s | {old * 1000:.0f} / "
                     f"{old_cpu * 1000:.0f} ms | {new * 1000:.0f} / {new_cpu * 1000:.0f} ms | {old / new:.1f}x / "
                     f"{old_cpu / new_cpu:.1f}x |")
    lines += ["", "65³ `.cube` on a 3840x2160 float32 frame (ms per frame; CPU = all threads; ÷ floor = median of the "
              "ratios to the floor timed in the same round, in the same process):", "",
              "| tree | path | wall | CPU | wall ÷ floor | CPU ÷ floor |", "|---|---|---:|---:|---:|---:|"]
    for tree in ("base", "this"):
        for name in results[tree][0]["lut"]:
            wall, cpu = median(tree, "lut", name, "wall_s"), median(tree, "lut", name, "cpu_s")
            ratios = [median(tree, "lut", name, key) for key in ("wall_floor", "cpu_floor")]
            lines.append(f"| {tree} | {name} | {wall * 1000:.0f} | {cpu * 1000:.0f} | {ratios[0]:.1f} | "
                         f"{ratios[1]:.1f} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="main", help="commit or branch to compare with (default: main)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--work", help="folder of an earlier run whose media and packs to use again")
    parser.add_argument("--lut-only", action="store_true", help="time the LUT apply alone (no packs to train)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.lut_only)
        return 0
    work = Path(args.work or tempfile.mkdtemp(prefix="answerprint-bench-rebind-"))
    os.environ["ANSWERPRINT_HOME"] = str(work / "home")
    sys.path.insert(0, str(BENCH))
    setup = work / "setup.json"
    if not setup.is_file():
        setup.write_text(json.dumps({"cube": write_look_cube(work)} if args.lut_only else prepare(work)))
    print(f"media and packs in {work}", flush=True)
    base = base_tree(args.base, work / "base")
    results: dict[str, list[dict]] = {"base": [], "this": []}
    for round_number in range(args.rounds):
        for tree, pythonpath in (("base", base), ("this", None)):
            results[tree].append(run_child(setup, pythonpath, args.lut_only))
            print(f"round {round_number + 1} {tree}: {json.dumps(results[tree][-1])}", flush=True)
    print(tables(args.base, results, args.rounds, args.lut_only))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
