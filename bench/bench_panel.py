"""Panel preview benchmark: how long the viewer waits for a refreshed 1080p proxy (issue 7, point 2).

Run: ``QT_QPA_PLATFORM=offscreen .venv/bin/python bench/bench_panel.py [--append]`` (about three minutes on two
shared cores: most of it trains the small cleanup pack). ``--append`` adds the table to ``bench/README.md``.

A 1920x1080 LogC3 ProRes daily (``core.demo.dailies``, chelsea) is previewed through ``core.render.preview``
exactly as the panel's worker thread does, for the LUT-based effects ``colormatch`` (a graded still of the same
scene as reference) and ``look`` (a signed global-LUT pack), and for ``cleanup`` (a quick pack trained for
40 s on two 640x360 dailies) for information. Per effect:

* **compile**: the effect's ``compile`` for a new parameter set (colour match fits its match here, on frames
  scaled to ``preview.ANALYSIS_SIZE``), and the display fold of a LUT effect;
* **new strength**: a recompile for another strength (colour match blends its kept fit with the identity);
* **new frame**: scrubbing to a frame not seen yet: decode, scale, apply, to the display;
* **same frame**: a refresh of a frame already decoded (parameters revisited, viewer mode switched): apply and
  display only;
* **new detail**: (cleanup) the whole refresh of a frame already shown for a new ``detail``/grain setting, which
  reuses the network's result kept for that frame (``effects.cleanup.DenoisedCache``); the last line also gives
  the whole refresh for a new strength ≤ 1 (the kept strength-1 result blended back towards the frame);
* **to screen**: the float frame to an 8-bit ``QImage`` (``ui.images.to_qimage``), which the viewer paints;
* **scrub refresh, cache full**: new frame + to screen once the session's frame cache is full (frames 14-18):
  memory of evicted frames is reused instead of new pages being touched (the first frames after opening a clip
  pay for those, 2-4 ms per MB in this sandbox).

Medians of five; the target is new frame + to screen ≤ 250 ms for the LUT-based effects. For colour match it
also prints how far the preview's match (fitted on scaled frames) is from the render's (full resolution):
ΔE00 between the two on a frame through the exact display transform, and the time of the full-resolution fit.
"""
from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

BENCH = Path(__file__).parent
#: Frames of the daily: enough to fill the preview's frame cache and scrub on (``preview.FRAME_CACHE``).
FRAMES = 20
REPEATS = 5


def look_pack(folder: Path, production: str, dailies: Path) -> Path:
    """A signed global-LUT look pack (a warm grade, 33³; the graph is a stand-in the global look never runs)."""
    from answerprint.core.color.lut import Lut3D
    from answerprint.core.demo.dailies import CAMERA_SPACE
    from answerprint.core.effects.look.pack import LookData
    from answerprint.core.packs import (
        IOSpec,
        Manifest,
        PackSpec,
        TensorSpec,
        build_provenance,
        embed_manifest,
        load_private_key,
        load_production,
        record_source,
        sign_model,
        write_pack,
    )

    grade = Lut3D.from_function(lambda p: np.stack([p[:, 0] * 1.08, p[:, 1], p[:, 2] * 0.9], -1), 33)
    data = LookData("global_lut", "ACEScct", CAMERA_SPACE, CAMERA_SPACE, grade)
    tensor = {"value_range": None, "color_space": "ACEScct"}
    spec = PackSpec(effect="look", name="warm", version="1",
                    io=IOSpec(inputs=(TensorSpec("image", **tensor),), outputs=(TensorSpec("graded", **tensor),),
                              working_space="ACEScct"), effect_data=data.to_json())
    record = load_production(production)
    provenance = build_provenance(record, [record_source(record, dailies, [(0, FRAMES - 1)])],
                                  training_config={}, validation_metrics={})
    manifest = Manifest.create(spec, production_id=record.id, production_name=record.name, provenance=provenance,
                               parity={"max_abs_diff": 0.0, "tolerance": 1e-4, "reference": "numpy",
                                       "runtime": "none", "inputs": ["none: a global look runs no graph"]},
                               software={"answerprint": "bench", "torch": "none", "onnx": onnx.__version__,
                                         "onnxruntime": "none"}, opset=20)
    weights = numpy_helper.from_array(np.zeros((3, 3, 1, 1), np.float32), "w")
    graph = helper.make_graph([helper.make_node("Conv", ["image", "w"], ["conv"]),
                               helper.make_node("Add", ["image", "conv"], ["graded"])], "look",
                              [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 3, "H", "W"])],
                              [helper.make_tensor_value_info("graded", TensorProto.FLOAT, ["N", 3, "H", "W"])],
                              initializer=[weights])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 20)])
    model.ir_version = 10
    return write_pack(sign_model(embed_manifest(model.SerializeToString(), manifest), load_private_key(production)),
                      folder / "warm.onnx")


def graded_still(daily: Path, folder: Path) -> Path:
    """A warm grade of the daily's first frame as a 16-bit sRGB PNG: the colour-match reference."""
    from answerprint.core.color import ColorProcessor
    from answerprint.core.demo.dailies import CAMERA_SPACE
    from answerprint.core.frames import open_media

    with open_media(str(daily)) as reader:
        (_, log), = reader.read([0])
    display = np.clip(ColorProcessor(CAMERA_SPACE, "sRGB Encoded Rec.709 (sRGB)")(log), 0, 1)
    graded = np.clip(display * np.float32([1.1, 1.0, 0.82]), 0, 1)
    path = folder / "reference.png"
    cv2.imwrite(str(path), np.round(graded[..., ::-1] * 65535).astype(np.uint16))
    return path


def measure(clip: Path, effect: str, params: dict, pack: str | None, production: str,
            steady: bool = True) -> dict[str, float]:
    from answerprint.core.demo.dailies import CAMERA_SPACE
    from answerprint.core.render.preview import FRAME_CACHE, PreviewSession
    from answerprint.ui.images import to_qimage

    with PreviewSession(str(clip), effect, pack=pack, production=production, input_space=CAMERA_SPACE) as session:
        first = session.render(0, params)
        new_frame = [session.render(n, params).apply_seconds for n in range(1, 1 + REPEATS)]
        same_frame = [session.render(3, params).apply_seconds for _ in range(REPEATS)]
        warm = None
        if steady:
            for number in range(1 + REPEATS, FRAME_CACHE + 2):
                session.render(number, params)
            scrub = range(FRAME_CACHE + 2, FRAME_CACHE + 2 + REPEATS)
            warm = statistics.median(session.render(n, params).apply_seconds for n in scrub)
        detail = strength_refresh = None
        if effect == "cleanup":
            detail = statistics.median(session.render(3, {**params, "detail": value, "grain": "keep"}).seconds
                                       for value in (0.1, 0.3, 0.5, 0.7, 0.9))
            strength_refresh = statistics.median(session.render(3, {**params, "strength": value}).seconds
                                                 for value in (0.45, 0.55, 0.65, 0.75, 0.85))
        strength = None
        if "strength" in session.effect.params.names:
            strength = statistics.median(session.render(3, {**params, "strength": value}).compile_seconds
                                         for value in (0.5, 0.6, 0.7, 0.8, 0.9))
        screen = []
        for _ in range(REPEATS):
            started = time.perf_counter()
            to_qimage(first.after)
            screen.append(time.perf_counter() - started)
    return {"compile": first.compile_seconds, "strength": strength, "new": statistics.median(new_frame), "warm": warm,
            "same": statistics.median(same_frame), "screen": statistics.median(screen), "detail": detail,
            "strength_refresh": strength_refresh,
            "size": f"{first.after.shape[1]}x{first.after.shape[0]}"}


def match_fidelity(clip: Path, reference: Path) -> str:
    """ΔE00 between the colour match the preview fits (scaled frames) and the render's (full resolution)."""
    from skimage.color import deltaE_ciede2000, rgb2lab

    from answerprint.core.color import ColorProcessor, preview_processor
    from answerprint.core.color.lut import apply_lut
    from answerprint.core.demo.dailies import CAMERA_SPACE
    from answerprint.core.effects import EffectContext, get_effect
    from answerprint.core.frames import open_media, probe
    from answerprint.core.render.preview import ANALYSIS_SIZE

    effect = get_effect("colormatch")
    params = effect.params.resolve({"reference": str(reference)})
    info = probe(str(clip))
    started = time.perf_counter()
    render = effect.compile(params, None, EffectContext(info, CAMERA_SPACE))
    full_seconds = time.perf_counter() - started
    preview = effect.compile(params, None, EffectContext(info, CAMERA_SPACE, analysis_size=ANALYSIS_SIZE))
    with open_media(str(clip)) as reader:
        (_, pixels), = reader.read([FRAMES // 2])
    working = ColorProcessor(CAMERA_SPACE, "ACEScct")(pixels)
    display = preview_processor("ACEScct")
    shown = [rgb2lab(np.clip(display(apply_lut(working, lut)), 0, 1)) for lut in (render.lut, preview.lut)]
    difference = deltaE_ciede2000(*shown)
    return (f"colour match fitted on frames scaled to {ANALYSIS_SIZE} px (preview) vs full resolution (render, "
            f"{full_seconds:.2f} s): ΔE00 mean {difference.mean():.2f}, 99th percentile "
            f"{np.percentile(difference, 99):.2f}, max {difference.max():.2f} on frame {FRAMES // 2}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--append", action="store_true", help="append the table to bench/README.md")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="answerprint-bench-panel-"))
    os.environ["ANSWERPRINT_HOME"] = str(work / "home")
    from answerprint.core.demo.dailies import CAMERA_SPACE, SAMPLE_DAILIES, make_daily
    from answerprint.core.packs import create_production_key, init_production
    from answerprint.models.cleanup.train import train_cleanup

    dailies = work / "dailies"
    dailies.mkdir(parents=True)
    clip = make_daily(SAMPLE_DAILIES[1], dailies, 1920, 1080, FRAMES)
    (dailies / "small").mkdir()
    small = [make_daily(spec, dailies / "small", 640, 360, 12, seed=i) for i, spec in enumerate(SAMPLE_DAILIES[:2])]
    create_production_key(init_production("bench", "Panel bench", (str(dailies),)))
    cleanup = train_cleanup([str(p) for p in small], "bench", "quick", name="grain", input_space=CAMERA_SPACE,
                            seconds=40).pack_path
    look = look_pack(work, "bench", clip)
    reference = graded_still(clip, work)

    rows, notes = [], []
    for effect, params, pack in (("colormatch", {"reference": str(reference)}, None), ("look", {}, str(look)),
                                 ("cleanup", {"temporal_radius": 1}, str(cleanup))):
        result = measure(clip, effect, params, pack, "bench", steady=effect != "cleanup")
        refresh = result["new"] + result["screen"]
        strength = "–" if result["strength"] is None else f"{result['strength'] * 1000:.0f} ms"
        warm = "–" if result["warm"] is None else f"{(result['warm'] + result['screen']) * 1000:.0f} ms"
        detail = "–" if result["detail"] is None else f"{result['detail'] * 1000:.0f} ms"
        rows.append(f"| {effect} | {result['size']} | {result['compile']:.2f} s | {strength} | "
                    f"{result['new'] * 1000:.0f} ms | {result['same'] * 1000:.0f} ms | {detail} | "
                    f"{result['screen'] * 1000:.0f} ms | {refresh * 1000:.0f} ms | {warm} |")
        print(rows[-1], flush=True)
        if result["strength_refresh"] is not None:
            notes.append(f"{effect}: whole refresh for a new strength ≤ 1 on a frame already shown "
                         f"{result['strength_refresh'] * 1000:.0f} ms")
    fidelity = match_fidelity(clip, reference)
    print(fidelity, flush=True)
    load = os.getloadavg()[0]
    table = "\n".join([
        "", "## Panel preview — `bench_panel.py`", "",
        f"`QT_QPA_PLATFORM=offscreen .venv/bin/python bench/bench_panel.py --append` on {os.cpu_count()} shared "
        f"cores (load average {load:.1f} at the end). A 1920x1080 LogC3 ProRes daily previewed at its 1080p proxy "
        "through `core.render.preview`, as the panel's worker thread does; medians of five. The display transform "
        "(ACES 2 SDR view) is baked into a 65³ LUT over the source's LogC3 code values, and a LUT effect is folded "
        "into another (source → ACEScct → effect → display).",
        "",
        "| effect | proxy | compile (new parameters) | new strength | new frame (scrub) | same frame | new detail | "
        "to screen | scrub refresh | scrub refresh, cache full |",
        "|---|---|---|---|---|---|---|---|---|---|", *rows, "",
        f"Target: scrub refresh ≤ 250 ms for the LUT-based effects (colormatch, look). {fidelity}. "
        + "; ".join(notes) + ".",
    ])
    print(table)
    if args.append:
        with open(BENCH / "README.md", "a", encoding="utf-8") as readme:
            readme.write(table + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
