"""Benchmark: onnxruntime throughput of a small image model, whole frame vs tiled, at 1080p and UHD.

Run by hand (not a test)::

    python bench/bench_runtime.py                 # CPU, every provider this onnxruntime build has
    python bench/bench_runtime.py --reps 5 --sizes 1080p

The model is a two-level UNet (≈263k parameters, 3x3 convs, pooling, transposed-conv upsampling, skip
connections): a typical small image-to-image network. It is exported with
``answerprint.models.export.export_onnx`` (dynamic N/H/W, opset 20) with random weights; timings do not
depend on the weights. For each size the whole frame is timed, then tiled runs with the largest tile side
``--tiles`` (overlap 32 px); overhead is tiled time over whole-frame time minus one, in wall time and in
this process's CPU time (which other load on a shared machine does not inflate). On a GPU provider the
fp16 variant is timed too. Times are the best of ``--reps`` rounds with the modes interleaved, so that other
load on the machine hits them alike. Prints a markdown table.

Not the path users run: this times the runtime's inner functions (``run_frame``/``run_tiled`` and onnxruntime)
on a stand-in model; ``bench_cleanup_speed.py`` times a command end to end.
"""
from __future__ import annotations

import argparse
import functools
import platform
import time
from typing import Callable, Iterator

import numpy as np
import onnxruntime as ort
import torch
import torch.nn.functional as F
from torch import nn

from answerprint.core.packs import IOSpec, PackSpec, TensorSpec
from answerprint.core.runtime import FP16_PROVIDERS, ModelSession, choose_providers, plan_tiles, run_tiled
from answerprint.models.export import convert_to_fp16, export_onnx

SIZES = {"1080p": (1080, 1920), "UHD": (2160, 3840)}
OVERLAP = 32


def _double_conv(c_in: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, padding=1), nn.ReLU(), nn.Conv2d(c_out, c_out, 3, padding=1),
                         nn.ReLU())


class SmallUNet(nn.Module):
    """Two-level UNet with a residual output: image + correction."""

    def __init__(self, width: int = 24):
        super().__init__()
        self.down1, self.down2 = _double_conv(3, width), _double_conv(width, 2 * width)
        self.bottom = _double_conv(2 * width, 4 * width)
        self.up2 = nn.ConvTranspose2d(4 * width, 2 * width, 2, stride=2)
        self.merge2 = _double_conv(4 * width, 2 * width)
        self.up1 = nn.ConvTranspose2d(2 * width, width, 2, stride=2)
        self.merge1 = _double_conv(2 * width, width)
        self.out = nn.Conv2d(width, 3, 1)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        level1 = self.down1(image)
        level2 = self.down2(F.max_pool2d(level1, 2))
        bottom = self.bottom(F.max_pool2d(level2, 2))
        merged2 = self.merge2(torch.cat([self.up2(bottom), level2], 1))
        merged1 = self.merge1(torch.cat([self.up1(merged2), level1], 1))
        return image + self.out(merged1)


def _best_times(runs: dict[str, Callable[[], object]], reps: int) -> dict[str, tuple[float, float]]:
    """Best (wall, CPU) seconds of each run over ``reps`` rounds, the runs interleaved in every round so that
    load from other processes on the machine hits them alike (after one warm-up round). CPU time is this
    process's, all threads together: other processes' load does not inflate it."""
    best = {name: (float("inf"), float("inf")) for name in runs}
    for round_index in range(reps + 1):
        for name, run in runs.items():
            wall, cpu = time.perf_counter(), time.process_time()
            run()
            if round_index:
                wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
                best[name] = (min(best[name][0], wall), min(best[name][1], cpu))
    return best


def _rows(session: ModelSession, label: str, sizes: list[str], tiles: list[int],
          reps: dict[str, int]) -> Iterator[str]:
    """One markdown row per size and mode, as each size finishes."""
    fn = session.image_function("image", "output")
    rng = np.random.default_rng(0)
    for size in sizes:
        height, width = SIZES[size]
        frame = rng.random((1, 3, height, width), dtype=np.float32)
        whole_out = fn(frame)
        runs: dict[str, Callable[[], object]] = {"whole": lambda: fn(frame)}
        tiled_sizes = [t for t in tiles if plan_tiles(height, width, max_tile=t, overlap=OVERLAP, multiple=4).count > 1]
        for tile in tiled_sizes:
            runs[f"tile {tile}"] = functools.partial(run_tiled, fn, frame, tile=tile, overlap=OVERLAP, multiple=4)
        best = _best_times(runs, reps[size])
        whole_wall, whole_cpu = best["whole"]
        yield (f"| {label} | {size} | whole frame | 1 | {whole_wall * 1000:.0f} | {whole_cpu * 1000:.0f} "
               f"| {1 / whole_wall:.2f} | – | – |")
        for tile in tiled_sizes:
            plan = plan_tiles(height, width, max_tile=tile, overlap=OVERLAP, multiple=4)
            wall, cpu = best[f"tile {tile}"]
            difference = float(np.max(np.abs(runs[f"tile {tile}"]() - whole_out)))
            yield (f"| {label} | {size} | tiled ≤{tile}px ({plan.tile_width}×{plan.tile_height}) | {plan.count} "
                   f"| {wall * 1000:.0f} | {cpu * 1000:.0f} | {1 / wall:.2f} "
                   f"| {100 * (wall / whole_wall - 1):+.1f} % / {100 * (cpu / whole_cpu - 1):+.1f} % "
                   f"| {difference:.1e} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=list(SIZES), choices=list(SIZES))
    parser.add_argument("--tiles", nargs="+", type=int, default=[2048, 1024, 512],
                        help="largest tile sides to time (sizes that fit the frame in one tile are skipped)")
    parser.add_argument("--reps", type=int, default=3, help="timed rounds at 1080p, best kept (UHD: one fewer)")
    parser.add_argument("--threads", type=int, default=None, help="intra-op threads (default: all cores)")
    args = parser.parse_args()

    torch.manual_seed(0)
    model = SmallUNet().eval()
    spec = PackSpec("cleanup", "bench", "1", IOSpec((TensorSpec("image"),), (TensorSpec("output"),), "ACEScct", 4))
    fp32 = export_onnx(model, {"image": torch.rand(1, 3, 64, 64)}, spec)
    reps = {"1080p": args.reps, "UHD": max(1, args.reps - 1)}
    parameters = sum(p.numel() for p in model.parameters())
    print(f"SmallUNet, {parameters} parameters; onnxruntime {ort.__version__}; "
          f"{platform.processor() or platform.machine()}; providers: {', '.join(ort.get_available_providers())}\n")
    print("| provider / precision | size | mode | tiles | wall ms / frame | CPU ms / frame | frames / s "
          "| tiling overhead (wall / CPU) | max abs diff vs whole |")
    print("|---|---|---|---|---|---|---|---|---|")
    for provider in choose_providers().providers:
        providers = choose_providers(provider).providers
        session = ModelSession(fp32, providers, threads=args.threads, label="bench")
        label = f"{session.provider.removesuffix('ExecutionProvider')} fp32, {session.threads} threads"
        for row in _rows(session, label, args.sizes, args.tiles, reps):
            print(row, flush=True)
        if provider in FP16_PROVIDERS:
            half = ModelSession(convert_to_fp16(fp32), providers, threads=args.threads, label="bench fp16")
            for row in _rows(half, f"{half.provider.removesuffix('ExecutionProvider')} fp16", args.sizes, args.tiles,
                             reps):
                print(row, flush=True)


if __name__ == "__main__":
    main()
