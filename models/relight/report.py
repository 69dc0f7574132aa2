"""The relight training report: one self-contained HTML file beside the pack.

It shows the validation metrics (stops) with what a model that explains nothing would score, the loss
curve (inline SVG), and for a few held-out frames the frame, its reflectance, its shading and a test
relight (a warm point light of +1.5 stops and a shadow lift), all through the ACES SDR preview. The page is
written under a temporary name and renamed into place.
"""
from __future__ import annotations

import base64
import html
import json
import os
import tempfile
from pathlib import Path
from typing import Sequence

import numpy as np
import OpenImageIO as oiio

from answerprint.core.atomic import write_atomically
from answerprint.core.color import preview_processor
from answerprint.core.effects.relight.decompose import decompose
from answerprint.core.effects.relight.params import relight_params
from answerprint.core.effects.relight.processor import RelightProcessor, RelightSettings
from answerprint.core.errors import OutputError

from .footage import WORKING_SPACE, Footage
from .trained import TrainedRelight

_STYLE = """body{background:#1e1e1e;color:#ddd;font:14px/1.4 system-ui,sans-serif;margin:2em;max-width:1100px}
h1,h2{font-weight:500}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #444;padding:3px 8px;
text-align:left}th{background:#2a2a2a}figure{display:inline-block;margin:0 1em 1em 0;vertical-align:top}
img{width:256px;border:1px solid #444}figcaption{color:#aaa}svg{background:#252525}
pre{background:#252525;padding:1em;overflow:auto}.note{color:#e7c06b}"""
#: Held-out frames shown.
_STILLS = 3
#: The test relight of the report's stills.
TEST_RELIGHT = {"light_type": "point", "light_x": 0.3, "light_y": 0.35, "light_radius": 0.35,
                "light_stops": 1.5, "light_kelvin": 3200.0, "shadow_lift": 0.1}


def _png_data_uri(display: np.ndarray) -> str:
    """An H×W×3 display image (0..1) as a PNG data URI, encoded by OpenImageIO."""
    pixels = np.ascontiguousarray((np.clip(display, 0, 1) * 255 + 0.5).astype(np.uint8))
    with tempfile.TemporaryDirectory(prefix="answerprint-report-") as folder:
        path = os.path.join(folder, "still.png")
        if not oiio.ImageBuf(pixels).write(path):
            raise OutputError("cannot encode a report still as PNG", path)
        data = Path(path).read_bytes()
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


def _loss_plot(steps: Sequence[int], losses: Sequence[float], width: int = 520, height: int = 200) -> str:
    """The training loss per step as an inline SVG polyline (log scale)."""
    values = np.log10(np.maximum(np.asarray(losses, float), 1e-9))
    if len(values) < 2:
        return "<p>(too few steps to plot)</p>"
    low, high = float(values.min()), float(values.max()) or 1.0
    span = max(high - low, 1e-6)
    xs = 40 + (np.asarray(steps) - steps[0]) / max(steps[-1] - steps[0], 1) * (width - 60)
    ys = height - 30 - (values - low) / span * (height - 50)
    points = " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, ys))
    return (f'<svg width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">'
            f'<polyline fill="none" stroke="#6c6" stroke-width="1.5" points="{points}"/>'
            f'<text x="4" y="{height - 30}" fill="#aaa" font-size="11">{10 ** low:.3g}</text>'
            f'<text x="4" y="20" fill="#aaa" font-size="11">{10 ** high:.3g}</text>'
            f'<text x="{width / 2 - 60}" y="{height - 6}" fill="#aaa" font-size="12">step (loss, log scale)</text>'
            "</svg>")


def _stills(trained: TrainedRelight, footage: Footage) -> str:
    display = preview_processor(WORKING_SPACE)
    settings = RelightSettings.from_params(relight_params().resolve(dict(TEST_RELIGHT, temporal_radius=0)))
    relight = RelightProcessor(settings, trained.shading_model, analysis_side=trained.analysis_side)
    indices = sorted({p.first for p in footage.validation})[:_STILLS]
    figures = []
    for index in indices:
        frame = footage.frames[index]
        layers = decompose(frame, trained.shading_model, trained.analysis_side)
        grey = float(np.median(layers.shading))
        shown = (("frame", frame), ("reflectance (× 0.18)", layers.reflectance * 0.18),
                 ("shading (median → 0.18)", layers.shading * (0.18 / grey)), ("test relight", relight([frame])))
        for caption, image in shown:
            figures.append(f'<figure><img src="{_png_data_uri(display(image.astype(np.float32)))}" alt="">'
                           f"<figcaption>{html.escape(caption)}</figcaption></figure>")
        figures.append("<br>")
    return "".join(figures)


def _table(rows: Sequence[tuple[str, str]]) -> str:
    return "<table>" + "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in rows) + "</table>"


def write_report(trained: TrainedRelight, footage: Footage, path: str | os.PathLike, *,
                 pack_path: str | os.PathLike | None = None) -> Path:
    """Write the report to ``path`` (an ``.html`` file) through a temporary name; returns it."""
    metrics = trained.metrics
    notices = "".join(f'<li class="note">{html.escape(n)}</li>' for n in trained.notices) or "<li>none</li>"
    explained = [("reflectance differences between views (stops)", f"{metrics['reflectance_consistency_stops']:.3f}",
                  f"{metrics['input_difference_stops']:.3f}"),
                 ("error of a recovered light change (stops)", f"{metrics['light_recovery_error_stops']:.3f}",
                  f"{metrics['light_change_stops']:.3f}")]
    rows = "".join(f"<tr><td>{html.escape(a)}</td><td>{b}</td><td>{c}</td></tr>" for a, b, c in explained)
    sections = [
        f"<h1>Relight training report</h1><p>{html.escape(str(pack_path or 'no pack written'))}</p>",
        f"<h2>Notices</h2><ul>{notices}</ul>",
        "<h2>Held-out validation</h2><table><tr><th>measure</th><th>model</th><th>nothing explained</th></tr>"
        f"{rows}</table>",
        _table([(k, f"{v:.4g}") for k, v in metrics.items()] + [(k, str(v)) for k, v in footage.counts.items()]),
        f"<h2>Training loss</h2>{_loss_plot([p.step for p in trained.history], [p.loss for p in trained.history])}",
        f"<h2>Held-out frames: frame, reflectance, shading, test relight</h2>{_stills(trained, footage)}",
        f"<h2>Training configuration</h2><pre>{html.escape(json.dumps(trained.config, indent=2))}</pre>",
    ]
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(target, f"<!doctype html><html><head><meta charset='utf-8'><title>Relight training report</title>"
                       f"<style>{_STYLE}</style></head><body>{''.join(sections)}</body></html>")
    return target
