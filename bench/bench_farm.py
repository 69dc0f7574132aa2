"""Benchmark the farm (issue 8 point 4): run by hand, prints a markdown table.

The same shot render (a pan across a real photograph, ProRes 422 HQ source → exposure +1 stop → EXR half
PIZ, split into frame-range chunks) three ways on this machine:

1. one process, tasks one after the other (``run_local``): the reference output (the engine's own decode,
   process and encode threads already use more than one core);
2. a Dask ``LocalCluster`` of one worker pinned to one core, then of two workers pinned to a core each (both
   started beforehand); scaling efficiency = one-worker wall / (2 × two-worker wall), target ≥ 90 % on 2
   cores: what the farm adds when it doubles the workers, every worker having a core to itself as on a farm;
3. the OpenJD job bundle run here by ``openjd run`` (tasks in sequence, a new Python process per task), for
   the per-task overhead a farm pays.

Every run's frames are checked identical (decoded pixels and timecode) to the baseline's.

    .venv/bin/python bench/bench_farm.py [--size 1920x1080] [--frames 48] [--chunk 12] [--out bench/out]
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import shutil
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np

from answerprint.core.farm.dask_runner import run_dask, start_local_cluster
from answerprint.core.farm.local import run_local
from answerprint.core.farm.openjd import run_job_bundle, write_job_bundle
from answerprint.core.farm.plan import save_plan
from answerprint.core.farm.tasks import ShotRender, split_into_tasks
from answerprint.core.frames import BT709, OutputSpec, open_media, open_writer
from answerprint.core.render import RenderJob


def write_source(path: str, width: int, height: int, count: int) -> None:
    """A ProRes 422 HQ pan across scikit-image's astronaut, timecode 01:00:00:00, 24 fps."""
    from skimage import data

    photo = cv2.resize(data.astronaut().astype(np.float32) / 255, (width + count * 2, height),
                       interpolation=cv2.INTER_CUBIC)
    writer = open_writer(OutputSpec(path, "prores_422hq", width, height, Fraction(24), 0, "01:00:00:00",
                                    color_tags=BT709))
    for index in range(count):
        writer.write(index, np.ascontiguousarray(np.clip(photo[:, 2 * index:2 * index + width], 0, 1)))
    writer.finish()


def frame_digests(pattern: str) -> dict[int, str]:
    """Frame number -> SHA-256 of decoded pixels (EXR headers also carry a write date, so not the bytes)."""
    with open_media(pattern) as reader:
        return {n: hashlib.sha256(np.ascontiguousarray(p).tobytes()).hexdigest() for n, p in reader.read()}


def children_cpu() -> float:
    """CPU seconds of finished child processes (``openjd run`` and its task processes)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    """Run the three ways, print the table, keep the raw numbers."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="1920x1080")
    parser.add_argument("--frames", type=int, default=48)
    parser.add_argument("--chunk", type=int, default=12)
    parser.add_argument("--out", default="bench/out")
    args = parser.parse_args()
    width, height = map(int, args.size.split("x"))
    work = Path(tempfile.mkdtemp(prefix="bench_farm_"))
    source = str(work / "A001C003.mov")
    write_source(source, width, height, args.frames)

    def tasks_into(name: str):
        """The shot's tasks rendering into a fresh folder ``name``."""
        folder = work / name
        folder.mkdir()
        job = RenderJob(source, str(folder / "shot.%07d.exr"), "exposure", {"stops": "1"},
                        frames=(0, args.frames - 1), codec="exr")
        return split_into_tasks([ShotRender("shot", job, (0, args.frames - 1), "exr")], args.chunk), folder

    def warm_up(name: str) -> None:
        """Render one frame, so imports, OCIO and effect set-up are paid before timing (a farm stays warm)."""
        folder = Path(tempfile.mkdtemp(prefix=name, dir=work))
        job = RenderJob(source, str(folder / "warm.%07d.exr"), "exposure", {"stops": "1"}, frames=(0, 0),
                        codec="exr")
        run_local(split_into_tasks([ShotRender("warm", job, (0, 0), "exr")]))

    rows = []
    warm_up("warm_local")
    tasks, folder = tasks_into("one_process")
    wall, cpu = time.perf_counter(), time.process_time()
    assert all(outcome.ok for outcome in run_local(tasks))
    baseline_wall, baseline_cpu = time.perf_counter() - wall, time.process_time() - cpu
    reference = frame_digests(str(folder / "shot.%07d.exr"))
    rows.append(("one process (run_local)", baseline_wall, baseline_cpu, "–", True))

    from dask.distributed import Client

    def pin_workers(client) -> None:
        """Give each worker process a core of its own (worker i on core i), as on a farm node per worker."""
        for core, address in enumerate(sorted(client.scheduler_info()["workers"])):
            client.run(os.sched_setaffinity, 0, {core}, workers=[address])

    walls = {}
    for workers in (1, 2):
        started = time.perf_counter()
        with start_local_cluster(workers) as cluster, Client(cluster) as client:
            startup = time.perf_counter() - started
            pin_workers(client)
            client.run(warm_up, "warm_worker")
            tasks, folder = tasks_into(f"dask{workers}")
            cpu_before = sum(client.run(time.process_time).values())
            wall = time.perf_counter()
            assert all(outcome.ok for outcome in run_dask(tasks, scheduler=cluster.scheduler_address))
            walls[workers] = time.perf_counter() - wall
            dask_cpu = sum(client.run(time.process_time).values()) - cpu_before
        efficiency = "–" if workers == 1 else f"{100 * walls[1] / (2 * walls[2]):.0f} %"
        rows.append((f"Dask LocalCluster, {workers} worker{'s' if workers > 1 else ''} pinned to "
                     f"{workers} core{'s' if workers > 1 else ''} (startup {startup:.1f} s, not counted)",
                     walls[workers], dask_cpu, efficiency, frame_digests(str(folder / "shot.%07d.exr")) == reference))
    tasks, folder = tasks_into("openjd")
    plan = str(work / "plan.farm.json")
    save_plan(plan, tasks, "bench")
    bundle = str(work / "bench.openjd")
    write_job_bundle(bundle, plan, len(tasks), "answerprint bench")
    cpu_before, wall = children_cpu(), time.perf_counter()
    run_job_bundle(bundle, [task.frame_count for task in tasks], retries=0)
    openjd_wall, openjd_cpu = time.perf_counter() - wall, children_cpu() - cpu_before
    rows.append(("OpenJD bundle via `openjd run` (sequential)", openjd_wall, openjd_cpu, "–",
                 frame_digests(str(folder / "shot.%07d.exr")) == reference))

    load = os.getloadavg()
    print(f"\n{args.frames} frames {width}x{height}, ProRes 422 HQ → exposure → EXR half PIZ, "
          f"{len(tasks)} tasks of {args.chunk}; load average {load[0]:.1f} / {load[1]:.1f}\n")
    print("| run | wall s | CPU s (all processes) | wall ms/frame | scaling efficiency | frames identical |")
    print("|---|---:|---:|---:|---:|---|")
    for name, wall_s, cpu_s, eff, same in rows:
        print(f"| {name} | {wall_s:.2f} | {cpu_s:.2f} | {1000 * wall_s / args.frames:.0f} | {eff} | "
              f"{'yes' if same else 'NO'} |")
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "bench_farm.json"), "w", encoding="utf-8") as handle:
        json.dump({"size": [width, height], "frames": args.frames, "chunk": args.chunk, "load": load,
                   "rows": [dict(zip(("run", "wall_s", "cpu_s", "efficiency", "identical"), row)) for row in rows]},
                  handle, indent=1)
    shutil.rmtree(work)
    print(f"\nraw numbers: {os.path.join(args.out, 'bench_farm.json')}; python {sys.version.split()[0]}")


if __name__ == "__main__":
    main()
