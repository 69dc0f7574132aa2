"""The HTML report of ``train look``: what was learned from which pairs, how well, and what was delivered."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

from answerprint.core.demo.report import Report
from answerprint.core.effects.look.pairs import FramePair


def write_report(folder: Path, name: str, facts: dict[str, Any], pairs: Sequence[FramePair], input_space: str,
                 graded_space: str, config: str | None = None) -> Path:
    """Write ``report.html`` (and its stills) into ``folder``; returns its path."""
    report = Report(folder, f"answerprint look {name}")
    choice = facts["choice"]
    report.section("Learned look", f"{len(pairs)} graded pair(s), {input_space} -> {graded_space}, fitted in "
                                   f"ACEScct over the box {facts['domain']}. {choice['reason']}")
    rows = [(model, f"{s['mean_de00']:.2f}", f"{s['p95_de00']:.2f}") for model, s in choice["scores"].items()]
    if rows:
        report.table(("model", "held-out mean ΔE00", "held-out p95 ΔE00"), rows)
    report.section("Delivered")
    cdl = facts["cdl"]
    report.table(("item", "value"), [
        ("chosen model", choice["chosen"]),
        ("global LUT training RMS (ACEScct)", f"{facts['global_fit']['training_rms_acescct']:.4f}"),
        ("65-point .cube against the ACEScct look (graded code values, mean / p99 / max)",
         " / ".join(f"{facts['cube_65_bake_error'][k]:.1e}" for k in ("mean", "p99", "max"))),
        ("ONNX parity, torch vs onnxruntime (max)", f"{facts['parity_max_abs_diff']:.2e}"),
        ("CDL residual on the pairs (mean / p95 ΔE00)", f"{cdl['mean_de00']:.2f} / {cdl['p95_de00']:.2f}"
         + ("" if cdl["written"] else " — too large, no CDL written")),
        *(("file", path) for path in facts["files"]),
        ("time", f"{facts['seconds']} s"),
    ])
    report.section("Pairs", ", ".join(facts["pairs"]))
    for pair in pairs[:3]:
        report.still(pair.ungraded.path, pair.ungraded_frame, input_space, f"{pair.name}: ungraded", config)
        report.still(pair.graded.path, pair.graded_frame, graded_space, f"{pair.name}: graded", config)
    return report.write()
