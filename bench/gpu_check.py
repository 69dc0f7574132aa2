"""The GPU check (run by ``bench/gpu_check.sh``): what answerprint does on one NVIDIA GPU, measured in ≤ 8 min.

Steps, each with its own share of the time budget (a step that would not fit is skipped and says so):

1. the machine: GPU, driver, onnxruntime and its providers, torch;
2. media: two training dailies (1080p) and a held-out shot (UHD), 10-bit ProRes 422 HQ in ARRI LogC3 with
   sensor noise (the demo's camera model), and the held-out shot again without noise (the truth);
3. cleanup training with torch on the GPU: the ``quick`` profile and the ``full`` profile, each time-boxed,
   signed packs with fp16 variants (for the runtime measurements); then ``bench/bench_cleanup.py``'s headline
   case (σ = 25) with the ``full`` profile trained on this GPU, against tuned NLM;
4. bare onnxruntime sessions on one UHD window of the held-out shot: CUDA and TensorRT, fp32 and fp16,
   inputs from the host (as the effect feeds them) and already on the device, and CUDA graphs: latency
   p50/p95, GPU memory peak, and fp16/GPU against the CPU fp32 result (max |difference|, PSNR between them,
   and each one's PSNR against the truth);
5. the render engine end to end (``render``: decode → effect → encode overlapped in threads) on the UHD
   shot: cleanup with each pack (held-out PSNR against the truth), the same processor in a bare loop on
   frames already decoded (engine overhead), the identity effect (decode/encode ceiling), a look pack and a
   relight pack; frames per second after the first frames (session creation and cuDNN's algorithm search);
6. DDP with nccl when the machine has more than one GPU.

``--dry-run`` runs every step on the CPU at small sizes with the ``tiny`` profiles, so the script itself
can be checked on a machine without a GPU. Prints a markdown table; writes ``gpu_check.json`` and
``gpu_check.md`` into ``--out``.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import threading
import time
import traceback
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable

import numpy as np

CAMERA_SPACE = "ARRI LogC3 (EI800)"
CPU, CUDA, TRT = "CPUExecutionProvider", "CUDAExecutionProvider", "TensorrtExecutionProvider"
PRODUCTION = "gpucheck"


@dataclass
class Sizes:
    """How big everything is: the real check, or the dry run."""

    train: tuple[int, int]
    test: tuple[int, int]
    train_frames: int
    test_frames: int
    quick_seconds: float
    full_seconds: float
    reps: int
    profiles: tuple[str, str]
    providers: tuple[str, ...]
    benchmark_seconds: float


REAL = Sizes((1920, 1080), (3840, 2160), 24, 24, 45.0, 60.0, 20, ("quick", "full"), (CUDA, TRT), 150.0)
DRY = Sizes((320, 192), (384, 224), 12, 10, 20.0, 25.0, 3, ("tiny", "tiny"), (CPU,), 20.0)


@dataclass
class Check:
    """The results, the notes, and the clock."""

    budget_s: float
    started: float = field(default_factory=time.monotonic)
    rows: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)

    def left(self) -> float:
        return self.budget_s - (time.monotonic() - self.started)

    def note(self, text: str) -> None:
        print(f"[{time.monotonic() - self.started:6.1f} s] {text}", flush=True)
        self.notes.append(text)

    def row(self, **values: Any) -> None:
        self.rows.append(values)
        print("  " + "  ".join(f"{k}={v}" for k, v in values.items()), flush=True)

    def step(self, name: str, needs_s: float, body: Callable[[], None]) -> None:
        """Run ``body`` when ``needs_s`` seconds are left; a failure is recorded and the check goes on."""
        if self.left() < needs_s:
            self.note(f"SKIPPED {name}: {self.left():.0f} s left, it needs about {needs_s:.0f} s")
            return
        self.note(f"step: {name}")
        try:
            body()
        except Exception as error:  # every step is independent: record it and carry on
            self.note(f"FAILED {name}: {type(error).__name__}: {str(error).splitlines()[0][:300] if str(error) else ''}")
            traceback.print_exc()


class GpuMemory:
    """Peak GPU memory in use while a block runs (NVML, sampled every 5 ms), in MiB over the level before."""

    def __init__(self) -> None:
        self._handle = None
        try:
            import pynvml

            pynvml.nvmlInit()
            self._nvml = pynvml
            self._handle = pynvml.nvmlDeviceGetHandleByIndex(0)
        except Exception:  # no NVML (no GPU, or the package is missing): peaks are not measured
            self._handle = None

    def used(self) -> int:
        return int(self._nvml.nvmlDeviceGetMemoryInfo(self._handle).used) if self._handle else 0

    def peak_of(self, body: Callable[[], Any]) -> tuple[Any, float | None]:
        if self._handle is None:
            return body(), None
        base, peak, done = self.used(), [0], threading.Event()

        def sample() -> None:
            while not done.is_set():
                peak[0] = max(peak[0], self.used())
                time.sleep(0.005)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        try:
            result = body()
        finally:
            done.set()
            sampler.join()
        return result, max(peak[0], self.used()) / 2 ** 20 - base / 2 ** 20


def psnr(test: np.ndarray, truth: np.ndarray) -> float:
    error = float(np.mean((np.asarray(test, np.float64) - truth) ** 2))
    return 10 * math.log10(1.0 / error) if error > 0 else float("inf")


def percentile_ms(times: list[float], q: float) -> float:
    return round(float(np.percentile(np.asarray(times) * 1000.0, q)), 2)


# --- 1. the machine -------------------------------------------------------------------------------------

def machine(check: Check) -> None:
    import onnxruntime as ort

    facts = {"python": sys.version.split()[0], "onnxruntime": ort.__version__,
             "providers": ort.get_available_providers(), "cpus": os.cpu_count()}
    try:
        query = ["nvidia-smi", "--query-gpu=name,driver_version,memory.total", "--format=csv,noheader"]
        facts["gpu"] = subprocess.run(query, capture_output=True, text=True, timeout=20).stdout.strip()
    except (OSError, subprocess.SubprocessError) as error:
        facts["gpu"] = f"none ({error})"
    try:
        import torch

        facts["torch"] = torch.__version__
        facts["torch_cuda"] = torch.cuda.is_available()
        facts["gpus"] = torch.cuda.device_count()
    except ImportError:
        facts["torch"] = None
    check.facts.update(facts)
    check.note(json.dumps(facts))


# --- 2. media -------------------------------------------------------------------------------------------

def make_media(check: Check, sizes: Sizes, folder: Path) -> dict[str, Any]:
    from concurrent.futures import ProcessPoolExecutor

    from answerprint.core.demo.dailies import SAMPLE_DAILIES, DailySpec

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "truth").mkdir(exist_ok=True)
    held = DailySpec("C001C004", "rocket.jpg", (2.0, 0.7), "10:00:00:00")
    quiet = replace(held, read_noise=0.0, shot_noise=0.0)
    jobs = [(SAMPLE_DAILIES[0], folder, sizes.train, sizes.train_frames, 0),
            (SAMPLE_DAILIES[1], folder, sizes.train, sizes.train_frames, 1),
            (held, folder, sizes.test, sizes.test_frames, 2),
            (quiet, folder / "truth", sizes.test, sizes.test_frames, 2)]
    with ProcessPoolExecutor(len(jobs)) as pool:
        paths = list(pool.map(_make_daily, jobs))
    check.note(f"media: {', '.join(str(p) for p in paths)}")
    return {"train": [str(p) for p in paths[:2]], "test": str(paths[2]), "truth": str(paths[3])}


def _make_daily(job: tuple) -> Path:
    from answerprint.core.demo.dailies import make_daily

    spec, folder, (width, height), frames, seed = job
    return make_daily(spec, folder, width=width, height=height, frames=frames, seed=seed)


def read_clip(path: str, count: int | None = None) -> list[np.ndarray]:
    from answerprint.core.frames import open_media

    with open_media(path) as reader:
        last = reader.info.last_frame if count is None else reader.info.first_frame + count - 1
        return [pixels for _, pixels in reader.read(range(reader.info.first_frame, last + 1))]


# --- 3. training ----------------------------------------------------------------------------------------

def train_cleanup_packs(check: Check, sizes: Sizes, media: dict[str, Any], packs: dict[str, str]) -> None:
    from answerprint.models.cleanup.optimise import choose_device
    from answerprint.models.cleanup.profiles import get_profile
    from answerprint.models.cleanup.train import train_cleanup

    for label, name, seconds in (("quick", sizes.profiles[0], sizes.quick_seconds),
                                 ("full", sizes.profiles[1], sizes.full_seconds)):
        if check.left() < seconds + 60:
            check.note(f"SKIPPED training {label}: {check.left():.0f} s left")
            continue
        # The export (parity checks, fp16 variant, signing) takes seconds, not the profiles' reserve of minutes.
        profile = get_profile(name, device="auto", seconds=seconds, export_reserve=20.0)
        started = time.monotonic()
        result = train_cleanup(media["train"], PRODUCTION, profile, name=f"cleanup-{label}", input_space=CAMERA_SPACE)
        packs[label] = str(result.pack_path)
        metrics = result.metrics
        check.row(table="training", pack=label, profile=name, device=str(choose_device(profile)),
                  seconds=round(time.monotonic() - started, 1), steps=int(metrics.get("train_steps", 0)),
                  train_seconds=round(metrics.get("train_seconds", 0.0), 1),
                  estimated_gain_db=round(metrics.get("upsnr_gain_db", float("nan")), 2))


def full_profile_benchmark(check: Check, sizes: Sizes, folder: Path) -> None:
    """``bench/bench_cleanup.py`` on its headline case (astronaut, σ = 25) with the full profile on this GPU.

    CBM3D is left out here (it is a CPU method, minutes per frame, and deterministic on the seeded noisy frames:
    its figure comes from the CPU run of the same bench); NLM is tuned and run as usual.
    """
    folder.mkdir(parents=True, exist_ok=True)
    profile = "quick" if sizes is DRY else "full"
    command = [sys.executable, str(Path(__file__).with_name("bench_cleanup.py")), "--profile", profile,
               "--headline-seconds", str(sizes.benchmark_seconds), "--sections", "quality", "--noises", "gauss25",
               "--skip-cbm3d", "--out", str(folder / "bench_cleanup_full.json")]
    done = subprocess.run(command, capture_output=True, text=True, timeout=sizes.benchmark_seconds + 240)
    print(done.stdout[-4000:], done.stderr[-2000:], flush=True)
    if done.returncode:
        raise RuntimeError(f"bench_cleanup exited {done.returncode}: {done.stderr.strip().splitlines()[-1:]}")
    result = json.loads((folder / "bench_cleanup_full.json").read_text())
    check.facts["bench_cleanup_full"] = result
    for row in result.get("quality", []):
        if row.get("sequence") == "astronaut":
            check.row(table="quality", profile=profile, case="astronaut σ=25", method=row["method"],
                      psnr=round(row["psnr"], 2), ssim=round(row["ssim"], 3), seconds=round(row["seconds"], 2),
                      train_s=round(row["train_s"], 1) if "train_s" in row else None)


# --- 4. bare sessions -----------------------------------------------------------------------------------

def uhd_window_feeds(pack_path: str, media: dict[str, Any]) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """The graph inputs for the held-out shot's frame 2 (padded to the pack's multiple), and its truth."""
    from answerprint.core.effects.cleanup.contract import CleanupContract
    from answerprint.core.effects.cleanup.flow import align_neighbours
    from answerprint.core.effects.cleanup.graph_inputs import graph_inputs
    from answerprint.core.effects.cleanup.params import FRAMES_INPUT, SIGMA_INPUT
    from answerprint.core.packs import load_pack
    from answerprint.core.runtime import pad_to_multiple

    contract = CleanupContract.from_manifest(load_pack(pack_path, PRODUCTION).manifest)
    window = contract.temporal_window
    frames = read_clip(media["test"], window)
    truth = read_clip(media["truth"], window)[window // 2]
    aligned = align_neighbours(frames, contract.motion)
    inputs = graph_inputs(aligned, contract.noise_model, strength=1.0, temporal_window=window,
                          temporal_radius=window // 2)
    padded = {k: pad_to_multiple(v, contract.size_multiple) for k, v in inputs.items() if v.ndim == 4}
    return contract.feeds(padded[FRAMES_INPUT], padded[SIGMA_INPUT], {"strength": 1.0}), truth


def time_runs(run: Callable[[], Any], reps: int) -> list[float]:
    for _ in range(3):
        run()
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return times


def bare_sessions(check: Check, sizes: Sizes, media: dict[str, Any], packs: dict[str, str],
                  memory: GpuMemory) -> None:
    import onnxruntime as ort

    from answerprint.core.packs import load_pack
    from answerprint.core.runtime import ModelSession
    from answerprint.core.runtime.gpu import GpuOptions

    for label, path in packs.items():
        if check.left() < 60:
            check.note(f"SKIPPED bare sessions of {label}: {check.left():.0f} s left")
            continue
        feeds, truth = uhd_window_feeds(path, media)
        height, width = truth.shape[:2]
        pack = load_pack(path, PRODUCTION)
        variants = {"fp32": pack}
        if "fp16" in pack.manifest.variants:
            variants["fp16"] = load_pack(str(Path(path).with_name(pack.manifest.variants["fp16"]["file"])), PRODUCTION)
        cpu = ModelSession(pack.model_bytes, [CPU], label=f"{label} cpu")
        started = time.perf_counter()
        output_name = cpu.output_names[0]
        reference = cpu.run(feeds)[output_name][0, :, :height, :width].transpose(1, 2, 0)
        check.row(table="bare", pack=label, provider="CPU", precision="fp32", feeds="host", cuda_graph=False,
                  p50_ms=round((time.perf_counter() - started) * 1000, 1), p95_ms="-", gpu_mib="-",
                  max_abs_vs_cpu32=0.0, psnr_vs_cpu32="inf", psnr_truth=round(psnr(reference, truth), 3))
        del cpu
        for provider in sizes.providers:
            for precision, variant in variants.items():
                for cuda_graph in ((False, True) if provider == CUDA else (False,)):
                    if check.left() < 30:
                        continue
                    session, peak = memory.peak_of(lambda: ModelSession(
                        variant.model_bytes, list(dict.fromkeys([provider, CPU])), label=f"{label} {precision}",
                        precision=precision,
                        gpu=GpuOptions(cuda_graph=cuda_graph), on_warning=check.note))
                    if session.provider != provider:
                        check.note(f"{provider} not usable for {label} {precision}: {session.fallback}")
                        break
                    outputs, peak = memory.peak_of(lambda: session.run(feeds)[output_name])
                    host = time_runs(lambda: session.run(feeds), sizes.reps)
                    result = outputs[0, :, :height, :width].transpose(1, 2, 0)
                    common = dict(table="bare", pack=label, provider=provider.replace("ExecutionProvider", ""),
                                  precision=precision, cuda_graph=session.cuda_graph,
                                  max_abs_vs_cpu32=float(np.abs(result - reference).max()),
                                  psnr_vs_cpu32=round(psnr(result, reference), 2),
                                  psnr_truth=round(psnr(result, truth), 3))
                    check.row(feeds="host", p50_ms=percentile_ms(host, 50), p95_ms=percentile_ms(host, 95),
                              gpu_mib=None if peak is None else round(peak), **common)
                    if provider != CPU and not cuda_graph:
                        device = {k: ort.OrtValue.ortvalue_from_numpy(np.ascontiguousarray(v), "cuda", 0)
                                  for k, v in feeds.items()}
                        resident = time_runs(lambda: session.run_on_device(device), sizes.reps)
                        check.row(feeds="device", p50_ms=percentile_ms(resident, 50),
                                  p95_ms=percentile_ms(resident, 95), gpu_mib=None, **common)
                    del session


# --- 5. the render engine -------------------------------------------------------------------------------

def engine_fps(job: Any, skip: int = 3) -> dict[str, Any]:
    """Render ``job``; frames per second over the frames after the first ``skip`` (warm), and overall."""
    from answerprint.core.render import render

    stamps: list[float] = []
    started = time.perf_counter()
    render(job, lambda event: stamps.append(time.perf_counter()))
    total = time.perf_counter() - started
    warm = len(stamps) - 1 - skip
    fps = warm / (stamps[-1] - stamps[skip]) if warm > 0 else float("nan")
    return {"frames": len(stamps), "fps_warm": round(fps, 2), "fps_overall": round(len(stamps) / total, 2),
            "first_frame_s": round(stamps[0] - started, 2) if stamps else None}


def engine_runs(check: Check, sizes: Sizes, media: dict[str, Any], packs: dict[str, str], folder: Path,
                memory: GpuMemory, providers: list[str]) -> None:
    from answerprint.core.render import RenderJob

    folder.mkdir(parents=True, exist_ok=True)
    truth = np.stack(read_clip(media["truth"]))
    common = dict(production=PRODUCTION, input_space=CAMERA_SPACE, overwrite=True)
    identity = RenderJob(media["test"], str(folder / "identity.mov"), "identity", **common)
    check.row(table="engine", effect="identity (decode → encode)", provider="-", **engine_fps(identity))
    io_ceiling(check, media, folder)
    check.row(table="engine", effect="source (noisy) vs truth", provider="-",
              psnr_truth=round(psnr(np.stack(read_clip(media["test"])), truth), 3))
    for label, path in packs.items():
        if check.left() < 40:
            check.note(f"SKIPPED engine run of {label}: {check.left():.0f} s left")
            continue
        output = folder / f"cleanup_{label}.mov"
        job = RenderJob(media["test"], str(output), "cleanup", pack=path, providers=providers, **common)
        measured, peak = memory.peak_of(lambda: engine_fps(job))
        rendered = np.stack(read_clip(str(output)))
        check.row(table="engine", effect=f"cleanup ({label} pack)", provider=providers[0], gpu_mib=peak,
                  psnr_truth=round(psnr(rendered, truth), 3), **measured)
        bare_loop(check, sizes, media, label, path, providers)


def io_ceiling(check: Check, media: dict[str, Any], folder: Path) -> None:
    """Decoding alone and encoding alone (ProRes 422 HQ, 10-bit), frames per second: the engine's I/O ceiling."""
    from answerprint.core.frames import BT709, OutputSpec, open_media, open_writer

    started = time.perf_counter()
    frames = read_clip(media["test"])
    check.row(table="engine", effect="decode only (ProRes → float RGB)", provider="-", frames=len(frames),
              fps_overall=round(len(frames) / (time.perf_counter() - started), 2))
    with open_media(media["test"]) as reader:
        info = reader.info
    writer = open_writer(OutputSpec(str(folder / "encode_only.mov"), "prores_422hq", info.width, info.height,
                                    info.frame_rate, 0, None, color_tags=BT709))
    started = time.perf_counter()
    for index, frame in enumerate(frames):
        writer.write(index, frame)
    writer.finish()
    check.row(table="engine", effect="encode only (float RGB → ProRes)", provider="-", frames=len(frames),
              fps_overall=round(len(frames) / (time.perf_counter() - started), 2))


def bare_loop(check: Check, sizes: Sizes, media: dict[str, Any], label: str, path: str,
              providers: list[str]) -> None:
    """The compiled cleanup processor called in a plain loop on frames already decoded: the engine's floor."""
    from answerprint.core.effects import EffectContext, get_effect
    from answerprint.core.frames import probe
    from answerprint.core.packs import open_pack_for_job
    from answerprint.core.render.pipeline import windows

    effect = get_effect("cleanup")
    pack = open_pack_for_job(path, "cleanup", PRODUCTION)
    context = EffectContext(probe(media["test"]), CAMERA_SPACE, providers=providers, production=PRODUCTION)
    processor = effect.compile(effect.params.resolve({}), pack, context)
    frames = read_clip(media["test"], min(sizes.test_frames, 12))
    stamps = []
    for _, window in windows(iter(enumerate(frames)), processor.temporal_radius):
        processor(window)
        stamps.append(time.perf_counter())
    skip = 3
    fps = (len(stamps) - 1 - skip) / (stamps[-1] - stamps[skip])
    check.row(table="engine", effect=f"cleanup ({label} pack), bare processor loop", provider=providers[0],
              frames=len(stamps), fps_warm=round(fps, 2))
    if label == "quick":
        profile_processor(check, processor, frames[:6])


def profile_processor(check: Check, processor: Any, frames: list[np.ndarray]) -> None:
    """Where a warm cleanup processor spends its time per frame (cProfile, cumulative, top functions)."""
    import cProfile
    import pstats

    from answerprint.core.render.pipeline import windows

    profiler = cProfile.Profile()
    profiler.enable()
    for _, window in windows(iter(enumerate(frames)), processor.temporal_radius):
        processor(window)
    profiler.disable()
    stats = pstats.Stats(profiler)
    for column, kind in ((2, "own time"), (3, "cumulative")):
        rows = sorted(((value[column], f"{Path(key[0]).name}:{key[2]}") for key, value in stats.stats.items()),
                      reverse=True)
        share = ", ".join(f"{name} {seconds / len(frames) * 1000:.0f} ms" for seconds, name in rows[:14])
        check.note(f"cleanup processor per frame (cProfile {kind}, {len(frames)} frames): {share}")


def look_and_relight(check: Check, sizes: Sizes, media: dict[str, Any], folder: Path, providers: list[str],
                     memory: GpuMemory) -> None:
    import onnxruntime as ort

    from answerprint.core.color import ColorProcessor
    from answerprint.core.color.lut import LutProcessor
    from answerprint.core.color.spaces import WORKING_SPACE
    from answerprint.core.demo.colormatch import GRADED_SPACE, demo_show_look
    from answerprint.core.effects.look.pack import LookData
    from answerprint.core.packs import load_pack
    from answerprint.core.render import RenderJob
    from answerprint.core.runtime import ModelSession
    from answerprint.models.look.train_adaptive import AdaptiveSettings
    from answerprint.models.look.train_look import train_look

    pairs = folder / "look_pairs"
    to_working = ColorProcessor(CAMERA_SPACE, WORKING_SPACE)
    to_graded = ColorProcessor(WORKING_SPACE, GRADED_SPACE)
    for clip in (*media["train"], media["test"]):
        frame = read_clip(clip, 1)[0]
        write_still(pairs / "ungraded" / f"{Path(clip).stem}.tif", frame)
        write_still(pairs / "graded" / f"{Path(clip).stem}.tif",
                    np.clip(to_graded(demo_show_look(to_working(frame))), 0, 1))
    trained = train_look(pairs / "ungraded", pairs / "graded", PRODUCTION, folder / "look", input_space=CAMERA_SPACE,
                         graded_space=GRADED_SPACE, adaptive=AdaptiveSettings(steps=40))
    look_pack = str(trained.pack)
    check.note(f"look: {trained.choice.chosen} model chosen")
    common = dict(production=PRODUCTION, input_space=CAMERA_SPACE, output_space=GRADED_SPACE, overwrite=True)
    for provider_list in (providers, ["cpu"]):
        job = RenderJob(media["test"], str(folder / f"look_{provider_list[0]}.mov"), "look", pack=look_pack,
                        providers=provider_list, **common)
        check.row(table="engine", effect="look", provider=provider_list[0], **engine_fps(job))
    pack = load_pack(look_pack, PRODUCTION)
    frame = to_working(read_clip(media["test"], 1)[0])
    tensor = np.ascontiguousarray(frame.transpose(2, 0, 1)[None])
    lut = LutProcessor(LookData.from_json(pack.manifest.effect_data, pack.path).lut)
    cpu_times = time_runs(lambda: lut(frame), sizes.reps)
    check.row(table="bare", pack="look", provider="CPU (OCIO LUT, all cores)", precision="fp32", feeds="host",
              cuda_graph=False, p50_ms=percentile_ms(cpu_times, 50), p95_ms=percentile_ms(cpu_times, 95))
    if providers[0] != "cpu":
        session = ModelSession(pack.model_bytes, [CUDA, CPU], label="look")
        if session.provider == CUDA:
            result = session.run({"image": tensor})["graded"][0].transpose(1, 2, 0)
            host = time_runs(lambda: session.run({"image": tensor}), sizes.reps)
            device = {"image": ort.OrtValue.ortvalue_from_numpy(tensor, "cuda", 0)}
            resident = time_runs(lambda: session.run_on_device(device), sizes.reps)
            difference = float(np.abs(result - lut(frame)).max())
            for feeds, times in (("host", host), ("device", resident)):
                check.row(table="bare", pack="look", provider="CUDA", precision="fp32", feeds=feeds, cuda_graph=False,
                          p50_ms=percentile_ms(times, 50), p95_ms=percentile_ms(times, 95),
                          max_abs_vs_cpu32=difference)
    relight(check, sizes, media, folder, providers)


def write_still(path: Path, pixels: np.ndarray) -> None:
    import OpenImageIO as oiio

    path.parent.mkdir(parents=True, exist_ok=True)
    codes = np.round(np.clip(pixels, 0.0, 1.0) * 65535).astype(np.uint16)
    if not oiio.ImageBuf(np.ascontiguousarray(codes)).write(str(path)):
        raise OSError(f"cannot write {path}")


def relight(check: Check, sizes: Sizes, media: dict[str, Any], folder: Path, providers: list[str]) -> None:
    from answerprint.core.render import RenderJob
    from answerprint.models.relight.profiles import get_profile as relight_profile
    from answerprint.models.relight.train import train_relight

    name = "tiny" if sizes is DRY else "quick"
    result = train_relight(media["train"], PRODUCTION, relight_profile(name, device="auto", seconds=30.0),
                           name="relight", input_space=CAMERA_SPACE)
    light = {"light_type": "area", "light_x": "0.45", "light_y": "0.45", "light_radius": "0.3",
             "light_stops": "1.2", "light_kelvin": "4300", "shadow_lift": "0.1", "highlight_rolloff": "0.3"}
    job = RenderJob(media["test"], str(folder / "relight.mov"), "relight", light, pack=str(result.pack_path),
                    production=PRODUCTION, input_space=CAMERA_SPACE, overwrite=True, providers=providers)
    check.row(table="engine", effect="relight (quick pack)", provider=providers[0], **engine_fps(job))


# --- 6. DDP ---------------------------------------------------------------------------------------------

def ddp(check: Check) -> None:
    import torch

    count = torch.cuda.device_count() if torch.cuda.is_available() else 0
    if count < 2:
        check.note(f"DDP with nccl not run: this machine has {count} GPU(s); it needs two or more "
                   "(torchrun --nproc_per_node=N -m answerprint.core.cli train cleanup ...)")
        return
    check.note("DDP with nccl: more than one GPU found; run it with torchrun (not part of this timed check)")


# --- the table ------------------------------------------------------------------------------------------

def markdown(check: Check) -> str:
    lines = [f"GPU check — {check.facts.get('gpu', '?')}; onnxruntime {check.facts.get('onnxruntime')}, "
             f"torch {check.facts.get('torch')}, {check.facts.get('cpus')} CPUs", ""]
    for table in ("training", "quality", "bare", "engine"):
        rows = [r for r in check.rows if r.get("table") == table]
        if not rows:
            continue
        keys = list(dict.fromkeys(k for r in rows for k in r if k != "table"))
        lines += [f"### {table}", "", "| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
        lines += ["| " + " | ".join(_cell(r.get(k, "")) for k in keys) + " |" for r in rows]
        lines.append("")
    lines += ["### notes", ""] + [f"- {n}" for n in check.notes if not n.startswith("step:")]
    return "\n".join(lines)


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}" if abs(value) < 1e-2 and value != 0 else f"{value:.2f}"
    return "" if value is None else str(value)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dry-run", action="store_true", help="every step on the CPU at small sizes")
    parser.add_argument("--out", default="bench/out/gpu_check", help="folder for media, packs and results")
    parser.add_argument("--budget", type=float, default=460.0, help="seconds the whole check may take")
    args = parser.parse_args(argv)
    sizes = DRY if args.dry_run else REAL
    folder = Path(args.out).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(folder / "home", ignore_errors=True)  # this run's production, key and packs only: a rerun
    os.environ["ANSWERPRINT_HOME"] = str(folder / "home")  # on a warm machine must not find the last run's key
    check = Check(args.budget)
    memory = GpuMemory()
    machine(check)
    from answerprint.core.packs import create_production_key, init_production

    production = init_production(PRODUCTION, "GPU check", (str(folder),))
    create_production_key(production)
    media: dict[str, Any] = {}
    packs: dict[str, str] = {}
    providers = ["cpu"] if args.dry_run else ["cuda"]
    check.step("media", 30, lambda: media.update(make_media(check, sizes, folder / "media")))
    check.step("cleanup training", 120, lambda: train_cleanup_packs(check, sizes, media, packs))
    check.step("full profile on the σ=25 benchmark", sizes.benchmark_seconds + 60,
               lambda: full_profile_benchmark(check, sizes, folder / "bench_cleanup"))
    check.step("bare sessions", 60, lambda: bare_sessions(check, sizes, media, packs, memory))
    check.step("engine", 60, lambda: engine_runs(check, sizes, media, packs, folder / "renders", memory, providers))
    check.step("look and relight", 60, lambda: look_and_relight(check, sizes, media, folder / "look_relight",
                                                                 providers, memory))
    check.step("ddp", 5, lambda: ddp(check))
    text = markdown(check)
    print(text)
    (folder / "gpu_check.md").write_text(text)
    (folder / "gpu_check.json").write_text(json.dumps({"facts": check.facts, "rows": check.rows,
                                                       "notes": check.notes}, indent=1, default=str))
    if os.environ.get("OUT"):
        for name in ("gpu_check.md", "gpu_check.json"):
            Path(os.environ["OUT"], name).write_bytes((folder / name).read_bytes())
    return 0


if __name__ == "__main__":
    sys.exit(main())
