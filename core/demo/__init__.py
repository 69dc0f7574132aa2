"""``answerprint demo``: the main job end to end on sample dailies, ending in an HTML report.

It makes the sample dailies (``dailies``), probes them, renders them through the effects, checks the
outputs the way a colorist would (bit depth kept, colour tags, timecode), learns and applies a show look
(``demo.colormatch``), runs the steps other parts advertise (training and applying the cleanup and relight
packs, ``steps``) and writes ``report.html``.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..frames import open_media, probe
from ..progress import CancelToken, ProgressCallback, no_progress
from ..render import RenderJob, render
from .colormatch import run_colormatch_demo
from .dailies import CAMERA_SPACE, make_sample_dailies
from .report import Report
from .steps import DemoContext, demo_library, run_plugin_steps


def _distinct_levels(path: str) -> int:
    with open_media(path) as reader:
        _, pixels = next(iter(reader.read([reader.info.first_frame])))
    return int(np.unique(np.round(pixels[..., 1] * 65535)).size)


def run_demo(out: str | os.PathLike, progress: ProgressCallback = no_progress,
             cancel: CancelToken | None = None) -> Path:
    """Run the demo into folder ``out``; returns the report's path. ``cancel`` stops it between frames."""
    out = Path(out)
    report = Report(out, "answerprint demo")
    dailies = make_sample_dailies(out / "dailies", progress)
    report.section("Sample dailies", f"Camera originals: 10-bit ProRes 422 HQ, {CAMERA_SPACE}, 23.976 fps.")
    infos = [probe(path) for path in dailies]
    report.table(["clip", "codec", "profile", "bit depth", "size", "fps", "timecode", "frames"],
                 [(Path(i.path).name, i.codec, i.profile, i.bit_depth, f"{i.width}x{i.height}",
                   f"{float(i.frame_rate):.3f}", i.timecode, i.frame_count) for i in infos])

    renders = out / "renders"
    renders.mkdir(exist_ok=True)
    jobs = [
        RenderJob(str(dailies[0]), str(renders / "A001C001_exposure+1.mov"), "exposure", {"stops": "1"},
                  input_space=CAMERA_SPACE, overwrite=True),
        RenderJob(str(dailies[1]), str(renders / "A001C002_acescg.%04d.exr"), "identity",
                  input_space=CAMERA_SPACE, output_space="ACES2065-1", frames=(4, 11), overwrite=True),
    ]
    rows = []
    report.section("Renders", "Each output is checked: precision kept, colour tags, timecode carried.")
    for job in jobs:
        result = render(job, progress, cancel)
        info = probe(job.output)
        rows.append((job.effect, Path(job.output).name, info.codec, info.bit_depth, _distinct_levels(job.output),
                     info.color_tags.matrix, info.timecode, result.frames_rendered, f"{result.seconds:.1f} s"))
        first = info.first_frame
        report.still(job.source, first if job.frames is None else job.frames[0], CAMERA_SPACE,
                     f"before: {Path(job.source).name}")
        report.still(job.output, first, job.output_space or CAMERA_SPACE, f"after: {job.effect} {job.params or ''}")
    report.table(["effect", "output", "codec", "bit depth", "distinct green levels (frame 1)", "matrix",
                  "timecode", "frames", "time"], rows)
    run_colormatch_demo(dailies, CAMERA_SPACE, out, report, progress, cancel)
    with demo_library(out, dailies[0].parent) as (production, key):
        run_plugin_steps(DemoContext(dailies, CAMERA_SPACE, out, report, production, key, progress, cancel))
    return report.write()
