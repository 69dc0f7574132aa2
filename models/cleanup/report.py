"""The training report: one self-contained HTML file beside the pack.

Loss curves and the fitted noise curve are small hand-made inline SVG polylines; before / after / residual
crops of held-out footage are PNGs (OpenImageIO) embedded as data URIs, shown through the production's colour
space (``preview_processor``) when it is known, else as the code values are. Then the metrics, the notices,
the grain structure and the training configuration.
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
import torch

from answerprint.core.color import preview_processor
from answerprint.core.errors import AnswerprintError

from .batches import validation_batches
from .trained import TrainedCleanup

_STYLE = """body{background:#1e1e1e;color:#ddd;font:14px/1.4 system-ui,sans-serif;margin:2em;max-width:1100px}
h1,h2{font-weight:500}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #444;padding:3px 8px;
text-align:left}th{background:#2a2a2a}figure{display:inline-block;margin:0 1em 1em 0;vertical-align:top}
img{width:256px;image-rendering:pixelated;border:1px solid #444}figcaption{color:#aaa}svg{background:#252525}
pre{background:#252525;padding:1em;overflow:auto}.note{color:#e7c06b}"""
_COLOURS = ("#e66", "#6c6", "#69f", "#ccc")
_CROPS = 3


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


def _stills(trained: TrainedCleanup, footage: Any, space: str | None) -> str:
    """Before / after / residual figures for a few held-out crops."""
    batches = validation_batches(footage.validation_bank, trained.radius, _CROPS)[:1]
    if not batches:
        return "<p>(no held-out crops)</p>"
    batch = batches[0]
    with torch.inference_mode():
        output = trained.network(torch.from_numpy(batch.frames), torch.from_numpy(batch.noise_sigma),
                                 torch.from_numpy(batch.strength)).numpy()
    display = _display(space)
    centre = slice(3 * trained.radius, 3 * trained.radius + 3)
    amplify = 0.1 / max(trained.noise_model.typical_sigma, 1e-4)
    figures = []
    for item in range(batch.frames.shape[0]):
        before = np.transpose(batch.frames[item, centre], (1, 2, 0))
        after = np.transpose(output[item], (1, 2, 0))
        residual = 0.5 + (before - after) * amplify
        for caption, image in (("before", display(before)), ("after", display(after)),
                               (f"removed (×{amplify:.0f}, grey = 0)", residual)):
            figures.append(f'<figure><img src="{_png_data_uri(image)}" alt="{caption}">'
                           f"<figcaption>crop {item + 1}: {html.escape(caption)}</figcaption></figure>")
        figures.append("<br>")
    return "".join(figures)


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
        f"<h2>Notices</h2><ul>{notices}</ul>",
        "<h2>Metrics (held-out footage, no clean frames)</h2>",
        _table([(k, _format(v)) for k, v in trained.metrics.items()] + [("time", stages)]),
        "<p>uPSNR estimates the PSNR against the clean frame from two further independent frames; "
        "upsnr_gain_db is the model's estimated gain over the noisy input.</p>",
        f"<h2>Loss curves</h2>{curves}{upsnr_plot}",
        f"<h2>Noise model ({html.escape(noise.method)}, {noise.samples} samples)</h2>{sigma_plot}",
        f"<p>Grain autocorrelation at lags −2..2 px (rows dy, columns dx):</p><table>{correlation}</table>",
        f"<h2>Before / after / removed (held-out crops)</h2>{_stills(trained, footage, input_space)}",
        f"<h2>Training configuration</h2><pre>{html.escape(json.dumps(trained.config, indent=2))}</pre>",
    ]
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(f"<!doctype html><html><head><meta charset='utf-8'><title>Cleanup training report</title>"
                      f"<style>{_STYLE}</style></head><body>{''.join(sections)}</body></html>", encoding="utf-8")
    return target
