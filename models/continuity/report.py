"""The calibration report: one HTML page beside the continuity pack — each measure's take-to-take variation,
its threshold, and every take pair measured."""
from __future__ import annotations

import html
import os
from pathlib import Path

import numpy as np

from answerprint.core.atomic import write_atomically
from answerprint.core.continuity.calibration import MeasuredVariation
from answerprint.core.continuity.measures import MEASURES
from answerprint.core.continuity.thresholds import Thresholds

_STYLE = """body{background:#1e1e1e;color:#ddd;font:14px/1.4 system-ui,sans-serif;margin:2em;max-width:1200px}
h1,h2{font-weight:500}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #444;padding:3px 8px;
text-align:left}th{background:#2a2a2a}.note{color:#e7c06b}"""


def _row(cells: list[str]) -> str:
    return "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>"


def write_report(thresholds: Thresholds, variation: MeasuredVariation, path: str | os.PathLike,
                 pack_path: str | os.PathLike | None) -> Path:
    """Write the calibration report to ``path``; returns it."""
    header = "".join(f"<th>{html.escape(h)}</th>" for h in ("measure", "threshold", "pairs", "median |value|",
                                                             "95th percentile", "largest", "floor"))
    rows = []
    for spec in MEASURES:
        seen = thresholds.observed.get(spec.name, {})
        stats = ([f"{seen['p50']:.3g}", f"{seen['p95']:.3g}", f"{seen['max']:.3g}"] if seen.get("pairs")
                 else ["—", "—", "—"])
        rows.append(_row([spec.label, f"{thresholds.thresholds[spec.name]:.3g} {spec.unit}", str(seen.get("pairs", 0)),
                          *stats, f"{spec.floor:g}"]))
    pairs = "".join(_row([f"{a} / {b}", *("—" if not np.isfinite(v) else f"{v:+.3f}" for v in values)])
                    for (a, b), values in zip(variation.pairs, variation.values))
    columns = ["take pair", *(f"{s.label} ({s.unit})" for s in MEASURES)]
    pair_header = "".join(f"<th>{html.escape(h)}</th>" for h in columns)
    notes = "".join(f"<p class='note'>left out {html.escape(line)}</p>" for line in variation.left_out)
    setups = ", ".join(f"{html.escape(k)} ({len(v)} takes)" for k, v in variation.setups.items())
    body = (f"<h1>Continuity calibration</h1><p>Pack: {html.escape(str(pack_path or 'not written (no production)'))}."
            f" Set-ups: {setups}. Threshold = max(floor, {thresholds.calibration['margin']} × 95th percentile of "
            f"|value| over the take pairs).</p>{notes}<table><tr>{header}</tr>{''.join(rows)}</table>"
            f"<h2>Take pairs</h2><table><tr>{pair_header}</tr>{pairs}</table>")
    return write_atomically(path, "<!doctype html><html><head><meta charset='utf-8'><title>Continuity calibration"
                                  f"</title><style>{_STYLE}</style></head><body>{body}</body></html>")
