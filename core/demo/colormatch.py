"""The colour-match part of ``answerprint demo``: learn a show look from sample pairs, deliver it, match a shot.

On the demo's sample dailies (ARRI LogC3 ProRes), with core only (no torch):

1. the first frame of each clip becomes an ungraded still, and the same frame through a demo show look (warm
   highlights, teal shadows, more contrast, delivered in Rec.709 video) its graded pair;
2. the global look is fitted from those pairs and delivered as 33- and 65-point ``.cube`` files (LogC3 in,
   Rec.709 out) and, when it fits, a CDL;
3. a clip is shot-matched through the render engine to a graded frame of the same scene framed tighter.

Every step adds a table or stills to the demo report.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Sequence

import numpy as np
import OpenImageIO as oiio

from ..color import ColorProcessor
from ..color.delta_e import delta_e_acescct, summarise
from ..color.lut import apply_lut
from ..color.spaces import WORKING_SPACE, look_domain
from ..effects.look.delivery import fit_look_cdl, write_look_cdl, write_look_cubes
from ..effects.look.fit import fit_global_look
from ..effects.look.pairs import read_frame
from ..errors import OutputError
from ..frames import probe
from ..progress import CancelToken, ProgressCallback, ProgressEvent, no_progress
from ..render import RenderJob, render

if TYPE_CHECKING:
    from .report import Report

GRADED_SPACE = "Gamma 2.4 Encoded Rec.709"


def demo_show_look(acescct: np.ndarray) -> np.ndarray:
    """The demo's show look on ACEScct values: contrast about mid grey, teal shadows, warm highlights."""
    luma = acescct @ np.array([0.3, 0.6, 0.1], np.float32)
    warmth = np.clip((luma - 0.35) * 3.0, -1.0, 1.0)[..., None]
    contrasted = 0.41 + (acescct - 0.41) * 1.12
    return (contrasted + warmth * np.array([0.025, 0.004, -0.03], np.float32)).astype(np.float32)


def _write_still(path: Path, pixels: np.ndarray) -> str:
    """A 16-bit TIFF of code values 0..1 under exactly this name (camera names end in digits); returns its path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    codes = np.round(np.clip(pixels, 0.0, 1.0) * 65535).astype(np.uint16)
    if not oiio.ImageBuf(np.ascontiguousarray(codes)).write(str(path)):
        raise OutputError("cannot write the demo still", path)
    return str(path)


def run_colormatch_demo(dailies: Sequence[Path], camera_space: str, out: Path, report: Report,
                        progress: ProgressCallback = no_progress, cancel: CancelToken | None = None) -> None:
    """Run the three steps of the module docstring on ``dailies`` (clips in ``camera_space``) into ``out``."""
    to_working = ColorProcessor(camera_space, WORKING_SPACE)
    to_graded = ColorProcessor(WORKING_SPACE, GRADED_SPACE)
    graded_to_working = ColorProcessor(GRADED_SPACE, WORKING_SPACE)
    pairs = out / "look_pairs"
    ungraded, graded = [], []
    for index, clip in enumerate(dailies):
        frame = read_frame(str(clip), probe(clip).first_frame)
        working = to_working(frame)
        graded_video = np.clip(to_graded(demo_show_look(working)), 0.0, 1.0)
        ungraded.append(working)
        graded.append(graded_to_working(graded_video))
        _write_still(pairs / "ungraded" / f"{Path(clip).stem}.tif", frame)
        _write_still(pairs / "graded" / f"{Path(clip).stem}.tif", graded_video)
        progress(ProgressEvent(index + 1, len(dailies), "look pairs", Path(clip).stem))
    domain = look_domain(camera_space)
    held_out_truth, held_out = graded[-1], ungraded[-1]
    fit = fit_global_look(ungraded[:-1], graded[:-1], domain_min=domain[0], domain_max=domain[1])
    held = summarise(delta_e_acescct(held_out_truth, apply_lut(held_out, fit.lut)))
    fit = fit_global_look(ungraded, graded, domain_min=domain[0], domain_max=domain[1])
    cubes = write_look_cubes(fit.lut, camera_space, GRADED_SPACE, out / "look", "demo_show_look")
    cdl = fit_look_cdl(ungraded, graded, camera_space, GRADED_SPACE, "demo_show_look")
    cdl_files = write_look_cdl(cdl, out / "look", "demo_show_look") if cdl.expressible else []
    report.section("Learned look", f"A show look learned from {len(dailies)} graded pairs ({camera_space} -> "
                                   f"{GRADED_SPACE}) and delivered as .cube files Resolve applies natively.")
    report.table(["item", "value"], [
        ("held-out pair (fitted on the others): mean / p95 ΔE00", f"{held['mean_de00']:.2f} / {held['p95_de00']:.2f}"),
        ("CDL residual: mean ΔE00", f"{cdl.mean_de00:.2f}" + ("" if cdl.expressible else " (too large: no CDL)")),
        *(("file", str(p)) for p in (*cubes.values(), *cdl_files)),
    ])
    _shot_match(dailies[1], camera_space, out, report, progress, cancel)


def _shot_match(clip: Path, camera_space: str, out: Path, report: Report, progress: ProgressCallback,
                cancel: CancelToken | None) -> None:
    """Match a clip to a graded, tighter-framed frame of its own scene, through the render engine."""
    info = probe(clip)
    frame = read_frame(str(clip), info.last_frame)
    to_working = ColorProcessor(camera_space, WORKING_SPACE)
    from_working = ColorProcessor(WORKING_SPACE, camera_space)
    height, width = frame.shape[:2]
    tighter = frame[height // 6: height * 5 // 6, width // 5: width * 4 // 5]
    reference = from_working(demo_show_look(to_working(np.ascontiguousarray(tighter))))
    reference_path = _write_still(out / "shot_match" / "reference.tif", reference)
    output = out / "shot_match" / f"{Path(clip).stem}_matched.mov"
    render(RenderJob(str(clip), str(output), "colormatch", {"reference": reference_path,
                                                             "reference_space": camera_space},
                     input_space=camera_space, overwrite=True), progress, cancel)
    matched = read_frame(str(output), probe(output).first_frame)
    original = read_frame(str(clip), info.first_frame)
    truth = demo_show_look(to_working(original))
    before = summarise(delta_e_acescct(truth, to_working(original)))
    after = summarise(delta_e_acescct(truth, to_working(matched)))
    report.section("Shot match", f"{Path(clip).name} matched to a graded, tighter frame of its own scene.")
    report.table(["", "mean ΔE00 to the graded truth", "p95"],
                 [("before", f"{before['mean_de00']:.2f}", f"{before['p95_de00']:.2f}"),
                  ("after", f"{after['mean_de00']:.2f}", f"{after['p95_de00']:.2f}")])
    report.still(reference_path, 0, camera_space, "reference (graded, tighter framing)")
    report.still(str(output), probe(output).first_frame, camera_space, "shot after the match")
