"""The cleanup step of ``answerprint demo``: train a quick pack on two sample dailies, apply it to a third.

The pack learns the camera's noise from A001C001 and A001C002 alone (no clean frames), is signed with the demo
production's key, and is applied through the render engine to B001C001, a clip it never saw. Because the demo
makes its dailies, the same clip can be made again without sensor noise, so the report states the PSNR of the
camera original and of the cleaned render against that clean version (LogC3 code values, all frames).
"""
from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np

from answerprint.core.demo.dailies import SAMPLE_DAILIES, make_daily
from answerprint.core.demo.steps import DemoContext
from answerprint.core.frames import open_media, probe
from answerprint.core.render import RenderJob, render

from .train import train_cleanup

#: Wall-clock training budget of the demo (seconds); the quick profile's own is 14 minutes.
DEMO_TRAINING_SECONDS = 150.0


def _frames(path: str) -> np.ndarray:
    with open_media(path) as reader:
        return np.stack([pixels for _, pixels in reader.read(range(reader.info.first_frame,
                                                                   reader.info.last_frame + 1))])


def _psnr(test: np.ndarray, clean: np.ndarray) -> float:
    return 10 * math.log10(1.0 / float(np.mean((test.astype(np.float64) - clean) ** 2)))


def run_demo_step(context: DemoContext) -> None:
    """Train, apply and measure as the module docstring says; adds one section, a table and stills."""
    folder = context.out / "cleanup"
    training, target = [str(p) for p in context.dailies[:2]], str(context.dailies[2])
    result = train_cleanup(training, context.production, "quick", name="cleanup", input_space=context.camera_space, seconds=DEMO_TRAINING_SECONDS,
                           private_key=context.signing_key, progress=context.progress, cancel=context.cancel)
    output = str(context.out / "renders" / f"{Path(target).stem}_cleanup.mov")
    render(RenderJob(target, output, "cleanup", pack=str(result.pack_path), production=context.production.id,
                     input_space=context.camera_space, overwrite=True), context.progress, context.cancel)

    index = next(i for i, spec in enumerate(SAMPLE_DAILIES) if spec.name == Path(target).stem)
    quiet = dataclasses.replace(SAMPLE_DAILIES[index], read_noise=0.0, shot_noise=0.0)
    (folder / "clean_reference").mkdir(parents=True, exist_ok=True)
    clean_path = make_daily(quiet, folder / "clean_reference", seed=index)
    clean = _frames(str(clean_path)).astype(np.float64)
    report = context.report
    report.section("Cleanup learned from the dailies",
                   f"A quick pack trained for at most {DEMO_TRAINING_SECONDS:.0f} s on "
                   f"{', '.join(Path(p).name for p in training)} (no clean frames), signed for production "
                   f"{context.production.id} and installed in the demo library, applied to {Path(target).name}, a clip "
                   f"it never saw. Training report: {result.report_path}.")
    report.table(["", "PSNR vs the clip without sensor noise (dB)"],
                 [("camera original", f"{_psnr(_frames(target), clean):.2f}"),
                  ("cleanup render", f"{_psnr(_frames(output), clean):.2f}")])
    report.comparison(target, output, probe(output).first_frame, context.camera_space,
                      f"{Path(target).name}: before / after cleanup (default parameters)")
