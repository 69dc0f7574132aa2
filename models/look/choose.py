"""Choose between the global LUT and the image-adaptive model on held-out graded pairs.

With K ≥ 2 pairs, the last ``max(1, K // 4)`` pairs are held out: both candidates are fitted on the others and
scored on them (CIEDE2000 from ACEScct, at most 512 pixels on the long side). The adaptive model must beat the
global LUT by ``ADAPTIVE_MARGIN`` to be chosen: the global LUT is the simpler delivery (a ``.cube`` Resolve
applies in real time), so a tie goes to it. With one pair nothing can be held out and the global LUT is chosen.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import cv2
import numpy as np

from answerprint.core.color.delta_e import delta_e_acescct, summarise
from answerprint.core.color.lut import apply_lut
from answerprint.core.effects.look.fit import fit_global_look

from .train_adaptive import AdaptiveSettings, apply_model, train_adaptive

ADAPTIVE_MARGIN = 0.9
_EVALUATION_SIDE = 512


@dataclass(frozen=True)
class Choice:
    """The outcome of the held-out comparison.

    Attributes
    ----------
    chosen : str
        ``global_lut`` or ``adaptive``.
    held_out : int
        Pairs held out (0 when there were too few pairs to hold any out).
    scores : dict
        ``{"global_lut": {"mean_de00", "p95_de00"}, "adaptive": {...}}`` on the held-out pairs.
    reason : str
        One sentence for the report.
    """

    chosen: str
    held_out: int
    scores: dict[str, dict[str, float]] = field(default_factory=dict)
    reason: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"chosen": self.chosen, "held_out_pairs": self.held_out, "scores": self.scores, "reason": self.reason}


def reduced(frame: np.ndarray) -> np.ndarray:
    """``frame`` resized (area) to at most 512 pixels on its long side."""
    scale = min(1.0, _EVALUATION_SIDE / max(frame.shape[:2]))
    if scale == 1.0:
        return frame
    size = (max(8, int(round(frame.shape[1] * scale))), max(8, int(round(frame.shape[0] * scale))))
    return cv2.resize(frame, size, interpolation=cv2.INTER_AREA)


def _score(predicted: Sequence[np.ndarray], truth: Sequence[np.ndarray], config: str | None) -> dict[str, float]:
    return summarise(np.concatenate([delta_e_acescct(t, p, config).ravel() for p, t in zip(predicted, truth)]))


def choose_model(ungraded: Sequence[np.ndarray], graded: Sequence[np.ndarray], domain: tuple[np.ndarray, np.ndarray],
                 settings: AdaptiveSettings = AdaptiveSettings(), config: str | None = None) -> Choice:
    """Fit both candidates on all but the held-out pairs and compare them there (see the module docstring)."""
    count = len(ungraded)
    if count < 2:
        return Choice("global_lut", 0, {}, "one graded pair: nothing to hold out, the global LUT is delivered")
    held = max(1, count // 4)
    train_in, train_out = list(ungraded[:-held]), list(graded[:-held])
    test_in = [reduced(f) for f in ungraded[-held:]]
    test_out = [reduced(f) for f in graded[-held:]]
    fit = fit_global_look(train_in, train_out, size=17, domain_min=domain[0], domain_max=domain[1])
    model, _ = train_adaptive(train_in, train_out, fit.lut, settings)
    scores = {"global_lut": _score([apply_lut(f, fit.lut) for f in test_in], test_out, config),
              "adaptive": _score([apply_model(model, f) for f in test_in], test_out, config)}
    better = scores["adaptive"]["mean_de00"] < ADAPTIVE_MARGIN * scores["global_lut"]["mean_de00"]
    chosen = "adaptive" if better else "global_lut"
    reason = (f"on {held} held-out pair(s) the adaptive model scored mean ΔE00 {scores['adaptive']['mean_de00']:.2f} "
              f"against {scores['global_lut']['mean_de00']:.2f} for the global LUT: "
              + ("it is more than 10% better, so it is delivered" if better
                 else "not 10% better, so the simpler global LUT is delivered"))
    return Choice(chosen, held, scores, reason)
