"""The training report: one self-contained HTML file beside the pack.

Headline: the gain the model is estimated to give on footage it never trained on (``estimate``), with how
much footage was held out and how far the estimator was from the truth on the benchmark. Loss curves and the
fitted noise curve are small hand-made inline SVG polylines; before / after / residual crops at full
resolution (1:1, one image pixel per screen pixel) of a whole held-out frame run through the exported graph
exactly as the apply effect runs it, PNGs (OpenImageIO) embedded as data URIs, shown through the production's
colour space (``preview_processor``) when it is known, else as the code values are. Then the metrics, the
notices, the grain structure and the training configuration.
"""
from __future__ import annotations

import base64
import html
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import OpenImageIO as oiio

from answerprint.core.color import preview_processor
from answerprint.core.errors import AnswerprintError

from .trained import TrainedCleanup

_STYLE = """body{background:#1e1e1e;color:#ddd;font:14px/1.4 system-ui,sans-serif;margin:2em;max-width:1100px}
h1,h2{font-weight:500}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #444;padding:3px 8px;
text-align:left}th{background:#2a2a2a}figure{display:inline-block;margin:0 1em 1em 0;vertical-align:top}
img{image-rendering:pixelated;border:1px solid #444}figcaption{color:#aaa}svg{background:#252525}
pre{background:#252525;padding:1em;overflow:auto}.note{color:#e7c06b}"""
_COLOURS = ("#e66", "#6c6", "#69f", "#ccc")
#: Side of the 1:1 crops (pixels, smaller for smaller frames) and how many are shown.
_CROP_SIDE = 256
_CROPS = 3
#: How far the headline estimator was from the truth where the clean frames were known
#: (``bench/bench_cleanup.py``, round 2 of issue 13; table in bench/README.md).
BENCH_ESTIMATE_CHECK = ("within 0.9 dB of the truth on sub-pixel pans over photographs (σ 10 and 25, Poisson-"
                        "Gaussian in LogC3; −0.9 to +0.6 dB), but 4.8 dB too high on a held-out real shot, 11 dB "
                        "too high on a real talking-head clip, and meaningless under heavy clipping (σ 50/255): "
                        "on real footage read it as an upper bound, not as the gain you will see")


def _svg_plot(series: Sequence[tuple[str, Sequence[float], Sequence[float]]], x_label: str, y_label: str,
              log_y: bool = False, width: int = 520, height: int = 240) -> str:
    """A line chart as inline SVG: ``series`` of (label, xs, ys)."""
    margin = 48
    points = [(x, y) for _, xs, ys in series for x, y in zip(xs, ys) if np.isfinite(y) and (y > 0 or not log_y)]
    if not points:
        return "<p>(nothing to plot)</p>"
    transform = np.log10 if log_y else (lambda v: v)
    xs_all = [p[0] for p in points]
    ys_all = [transform(p[1]) for p in points]
    x0, x1 = min(xs_all), max(xs_all) if max(xs_all) > min(xs_all) else min(xs_all) + 1
    y0, y1 = min(ys_all), max(ys_all) if max(ys_all) > min(ys_all) else min(ys_all) + 1

    def place(x: float, y: float) -> str:
        px = margin + (x - x0) / (x1 - x0) * (width - 1.5 * margin)
        py = height - margin + (transform(y) - y0) / (y1 - y0) * (1.5 * margin - height)
        return f"{px:.1f},{py:.1f}"

    parts = [f'<svg width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">']
    for index, (label, xs, ys) in enumerate(series):
        coords = " ".join(place(x, y) for x, y in zip(xs, ys) if np.isfinite(y) and (y > 0 or not log_y))
        colour = _COLOURS[index % len(_COLOURS)]
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="1.5" points="{coords}"/>')
        parts.append(f'<text x="{width - 150}" y="{18 + 16 * index}" fill="{colour}" font-size="12">'
                     f'{html.escape(label)}</text>')
    low, high = (10 ** y0, 10 ** y1) if log_y else (y0, y1)
    parts += [f'<text x="4" y="{height - margin}" fill="#aaa" font-size="11">{low:.3g}</text>',
              f'<text x="4" y="{margin}" fill="#aaa" font-size="11">{high:.3g}</text>',
              f'<text x="{margin}" y="{height - 12}" fill="#aaa" font-size="11">{x0:.4g}</text>',
              f'<text x="{width - margin}" y="{height - 12}" fill="#aaa" font-size="11">{x1:.4g}</text>',
              f'<text x="{width / 2 - 40}" y="{height - 4}" fill="#aaa" font-size="12">{html.escape(x_label)}</text>',
              f'<text x="4" y="14" fill="#aaa" font-size="12">{html.escape(y_label)}</text>', "</svg>"]
    return "".join(parts)


def _png_data_uri(image: np.ndarray) -> str:
    """An H×W×3 display image (0..1) as a PNG data URI, encoded by OpenImageIO."""
    pixels = np.ascontiguousarray((np.clip(image, 0, 1) * 255 + 0.5).astype(np.uint8))
    with tempfile.TemporaryDirectory(prefix="answerprint-report-") as folder:
        path = os.path.join(folder, "still.png")
        if not oiio.ImageBuf(pixels).write(path):
            raise AnswerprintError("cannot encode a report still as PNG", path)
        data = Path(path).read_bytes()
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


def _display(space: str | None):
    if space is None:
        return lambda frame: frame
    try:
        return preview_processor(space)
    except AnswerprintError:
        return lambda frame: frame


def _crop_corners(frame: np.ndarray, side: int, count: int) -> list[tuple[int, int]]:
    """Top-left corners of ``count`` non-overlapping ``side``² crops: the most detailed tile first (largest
    luma gradient energy), then the flattest, then the one in the middle of the ranking."""
    height, width = frame.shape[:2]
    luma = frame.mean(axis=-1)
    energy = np.abs(np.diff(luma, axis=0))[:, :-1] + np.abs(np.diff(luma, axis=1))[:-1]
    tiles = [(float(energy[y:y + side, x:x + side].mean()), y, x)
             for y in range(0, height - side + 1, max(side // 2, 1)) for x in range(0, width - side + 1, max(side // 2, 1))]
    ranked = sorted(tiles, reverse=True)
    chosen: list[tuple[int, int]] = []
    for _, y, x in (ranked[0], ranked[-1], ranked[len(ranked) // 2], *ranked):
        if len(chosen) == count:
            break
        if all(abs(y - cy) >= side or abs(x - cx) >= side for cy, cx in chosen):
            chosen.append((y, x))
    return chosen


def _held_out_window(trained: TrainedCleanup, footage: Any) -> tuple[list[np.ndarray], str] | None:
    """The frames of one validation window (held out when anything was), and where it comes from."""
    plans = [p for p in footage.plans if p.validation] or list(footage.plans)
    if not plans:
        return None
    plan = plans[len(plans) // 2]
    clip = footage.clips[plan.clip_index]
    last = clip.frame_count - 1
    indices = [min(max(plan.centre + o, 0), last) for o in range(-trained.radius, trained.radius + 1)]
    source = "held-out" if plan.validation else "training (nothing could be held out)"
    return clip.read(indices), f"{html.escape(clip.name)}, frame index {plan.centre} ({source})"


def _stills(trained: TrainedCleanup, footage: Any, space: str | None) -> str:
    """Before / after / removed crops at 1:1 of a whole validation frame run through the exported graph."""
    window = _held_out_window(trained, footage)
    if window is None:
        return "<p>(no frames to show)</p>"
    frames, where = window
    before = frames[len(frames) // 2]
    after = trained.denoise(frames)
    display = _display(space)
    amplify = 0.1 / max(trained.noise_model.typical_sigma, 1e-4)
    side = min(_CROP_SIDE, before.shape[0], before.shape[1])
    figures = [f"<p>{where}; crops of {side}×{side} px shown at 1:1 (one image pixel per screen pixel).</p>"]
    for number, (y, x) in enumerate(_crop_corners(before, side, _CROPS), start=1):
        view = (slice(y, y + side), slice(x, x + side))
        residual = 0.5 + (before[view] - after[view]) * amplify
        for caption, image in (("before", display(before[view])), ("after", display(after[view])),
                               (f"removed (×{amplify:.0f}, grey = 0)", residual)):
            figures.append(f'<figure><img src="{_png_data_uri(image)}" width="{side}" height="{side}" '
                           f'alt="{caption}"><figcaption>crop {number} at ({x}, {y}): {html.escape(caption)}'
                           f"</figcaption></figure>")
        figures.append("<br>")
    return "".join(figures)


def _headline(metrics: dict[str, float]) -> str:
    """The estimated gain on unseen footage, how it was estimated and on how much held-out footage."""
    gain = metrics.get("estimated_gain_db")
    if gain is None:
        return "<p class='note'>No gain could be estimated: no validation window had a further frame to compare.</p>"
    clips, tails = int(metrics.get("held_out_clips", 0)), int(metrics.get("held_out_tails", 0))
    windows = int(metrics.get("validation_windows", 0))
    if metrics.get("validation_on_training_windows"):
        held = ("<span class='note'>nothing could be held out, so it was measured on windows the model trained "
                "on and reads optimistic</span>")
    else:
        parts = ([f"{clips} whole clip{'s' if clips != 1 else ''} never trained on"] if clips else []) + \
                ([f"the last sixth of {tails} clip{'s' if tails != 1 else ''}"] if tails else [])
        held = f"{windows} held-out window{'s' if windows != 1 else ''} ({' and '.join(parts)})"
    return (f"<h2>Estimated gain on unseen footage: {gain:+.1f} dB over the noisy input</h2>"
            f"<p>Estimated on {held}, without clean frames: the model's output and the noisy centre frame are "
            "both compared with a further frame warped onto the centre, whose misalignment and noise cancel "
            "in the difference, and the centre's noise variance comes from the fitted noise model "
            "(<code>models/cleanup/estimate.py</code>). Where clean frames were known, this estimate was "
            f"{html.escape(BENCH_ESTIMATE_CHECK)}.</p>")


def _table(rows: Sequence[tuple[str, Any]]) -> str:
    body = "".join(f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>" for k, v in rows)
    return f"<table>{body}</table>"


def _format(value: float) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def write_report(trained: TrainedCleanup, footage: Any, path: str | os.PathLike, *, input_space: str | None = None,
                 pack_path: str | os.PathLike | None = None) -> Path:
    """Write the report to ``path`` (an ``.html`` file); returns it."""
    noise = trained.noise_model
    history = trained.history
    steps = [p.step for p in history]
    curves = _svg_plot([("training N2N loss", steps, [p.train_loss for p in history]),
                        ("validation N2N loss", steps, [p.validation_loss for p in history])],
                       "step", "loss (code values²)", log_y=True)
    upsnr = [(p.step, p.validation_upsnr) for p in history if p.validation_upsnr is not None]
    upsnr_plot = _svg_plot([("validation uPSNR", [s for s, _ in upsnr], [v for _, v in upsnr])], "step", "dB") \
        if upsnr else ""
    sigma_plot = _svg_plot([(f"σ {c}", noise.intensities, [v * 1023 for v in noise.sigma[i]])
                            for i, c in enumerate("RGB")], "intensity (code value 0..1)", "σ (10-bit code values)")
    correlation = "".join("<tr>" + "".join(f"<td>{v:+.3f}</td>" for v in row) + "</tr>" for row in noise.autocorrelation)
    notices = "".join(f'<li class="note">{html.escape(n)}</li>' for n in trained.notices) or "<li>none</li>"
    stages = ", ".join(f"{k} {v:.0f} s" for k, v in trained.seconds.items())
    sections = [
        f"<h1>Cleanup training report</h1><p>{html.escape(str(pack_path or 'no pack written'))}</p>",
        _headline(trained.metrics),
        f"<h2>Notices</h2><ul>{notices}</ul>",
        "<h2>Metrics (held-out footage, no clean frames)</h2>",
        _table([(k, _format(v)) for k, v in trained.metrics.items()] + [("time", stages)]),
        "<p>estimated_gain_db is the headline above. uPSNR (validation_upsnr_db, input_upsnr_db, "
        "upsnr_gain_db) is the symmetric estimate from two further frames; it does not cancel the warps' "
        "misalignment and reads high on moving footage.</p>",
        f"<h2>Loss curves</h2>{curves}{upsnr_plot}",
        f"<h2>Noise model ({html.escape(noise.method)}, {noise.samples} samples)</h2>{sigma_plot}",
        f"<p>Grain autocorrelation at lags −2..2 px (rows dy, columns dx):</p><table>{correlation}</table>",
        f"<h2>Before / after / removed, 1:1</h2>{_stills(trained, footage, input_space)}",
        f"<h2>Training configuration</h2><pre>{html.escape(json.dumps(trained.config, indent=2))}</pre>",
    ]
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(f"<!doctype html><html><head><meta charset='utf-8'><title>Cleanup training report</title>"
                      f"<style>{_STYLE}</style></head><body>{''.join(sections)}</body></html>", encoding="utf-8")
    return target
