"""When a difference is a continuity error: thresholds calibrated on the production's own takes.

A production's normal take-to-take variation (actors move, the camera is re-framed, the sensor's noise,
small exposure wobble) is measured on pairs of takes of one set-up in its dailies (``calibrate``): for each
measure, ``threshold = max(floor, MARGIN × 95th percentile of |value|)``. A pair is flagged for a measure when
``score = |value − centre| / threshold`` exceeds 1.

The thresholds travel as a signed ``continuity`` pack (``answerprint train continuity``). What the pack
carries, in its signed manifest's ``effect_data``::

    {"continuity": 1,
     "measures": ["exposure", ...],                      the graph's channel order (measures.MEASURE_NAMES)
     "thresholds": {"exposure": 0.12, ...},              in each measure's unit
     "centres": {"exposure": 0.0, ...},
     "observed": {"exposure": {"pairs": 12, "p50": .., "p95": .., "max": ..}, ...},
     "calibration": {"setups": 3, "pairs": 12, "margin": 1.5, "quantile": 95}}

and its graph computes the scores from the measures (input ``measures`` N×K, output ``scores`` N×K, float32).
Scores are read from the graph; a pack whose graph disagrees with its own thresholds is refused. Without a
pack, ``GENERIC`` thresholds apply and every report says that the check is not calibrated.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np

from ..errors import PackError
from ..packs import Pack
from .measures import MEASURE_NAMES, MEASURES

DATA_VERSION = 1
#: Calibrated thresholds are this many times the 95th percentile of the take-to-take variation.
MARGIN = 1.5
QUANTILE = 95.0
INPUT, OUTPUT = "measures", "scores"
#: Thresholds without a production's calibration: the benchmark's calibration on unchanged take pairs of real
#: photographs (bench/README.md, "continuity"), rounded up. Reports made with them say so.
GENERIC = {"exposure": 0.15, "white_balance": 1.6, "black_level": 0.2, "white_level": 0.2, "noise": 1.5,
           "focus": 0.45, "practical": 1.5, "content": 0.3, "wardrobe": 2.6}


@dataclass(frozen=True)
class Thresholds:
    """Per-measure thresholds and centres (measure units), where they come from, and how to score with them.

    Attributes
    ----------
    thresholds, centres : dict
        Measure name → value.
    source : str
        One line for reports: the pack, or that the check is not calibrated.
    observed : dict
        Measure → the calibration's statistics of |value| (empty for generic thresholds).
    calibration : dict
        How many set-ups and pairs the calibration saw.
    pack : Pack or None
        The verified pack whose graph scores, when calibrated.
    """

    thresholds: dict[str, float]
    centres: dict[str, float]
    source: str
    observed: dict[str, dict[str, float]] = field(default_factory=dict)
    calibration: dict[str, Any] = field(default_factory=dict)
    pack: Pack | None = field(default=None, repr=False)

    @property
    def calibrated(self) -> bool:
        return self.pack is not None

    def scores(self, values: np.ndarray) -> np.ndarray:
        """Scores ``|value − centre| / threshold`` of ``values`` (N×K, NaN where not compared): through the pack's
        graph when calibrated."""
        values = np.atleast_2d(np.asarray(values, np.float32))
        if self.pack is None:
            return np.abs(values - self._vector(self.centres)) / self._vector(self.thresholds)
        return _run_graph(self.pack, values)

    def _vector(self, mapping: Mapping[str, float]) -> np.ndarray:
        return np.array([mapping[name] for name in MEASURE_NAMES], np.float32)

    def to_json(self) -> dict[str, Any]:
        return {"continuity": DATA_VERSION, "measures": list(MEASURE_NAMES),
                "thresholds": {k: float(v) for k, v in self.thresholds.items()},
                "centres": {k: float(v) for k, v in self.centres.items()}, "observed": self.observed,
                "calibration": self.calibration}


def generic() -> Thresholds:
    """The uncalibrated thresholds (``GENERIC``, centred on 0)."""
    return Thresholds(dict(GENERIC), {name: 0.0 for name in MEASURE_NAMES},
                      "not calibrated for this production: generic thresholds (run answerprint train continuity on "
                      "its dailies)")


def calibrate(values: np.ndarray, setups: int) -> Thresholds:
    """Thresholds from the measures of pairs of takes of one set-up (N×K, NaN where not compared).

    A measure no pair compared keeps its generic threshold, as the calibration says.
    """
    values = np.atleast_2d(np.asarray(values, np.float64))
    thresholds, observed = {}, {}
    for column, spec in enumerate(MEASURES):
        seen = np.abs(values[:, column][np.isfinite(values[:, column])])
        if not seen.size:
            thresholds[spec.name] = GENERIC[spec.name]
            observed[spec.name] = {"pairs": 0}
            continue
        p95 = float(np.percentile(seen, QUANTILE))
        thresholds[spec.name] = max(spec.floor, MARGIN * p95)
        observed[spec.name] = {"pairs": int(seen.size), "p50": float(np.median(seen)), "p95": p95,
                               "max": float(seen.max())}
    return Thresholds(thresholds, {name: 0.0 for name in MEASURE_NAMES}, "calibrated", observed,
                      {"setups": setups, "pairs": int(values.shape[0]), "margin": MARGIN, "quantile": QUANTILE})


def _run_graph(pack: Pack, values: np.ndarray) -> np.ndarray:
    from ..runtime import ModelSession

    session = ModelSession(pack.model_bytes, threads=1, label=pack.pack_id)
    return session.run({INPUT: np.ascontiguousarray(values, np.float32)})[OUTPUT]


def from_pack(pack: Pack) -> Thresholds:
    """The thresholds a verified ``continuity`` pack carries, checked against its own graph.

    Raises
    ------
    PackError
        When the effect data is missing, of another version or for other measures, or the graph's scores
        disagree with the thresholds it carries.
    """
    data = pack.manifest.effect_data
    if data.get("continuity") != DATA_VERSION:
        raise PackError(f"not a continuity pack of format {DATA_VERSION}", pack.path)
    if list(data.get("measures", [])) != list(MEASURE_NAMES):
        raise PackError(f"the pack scores the measures {data.get('measures')}; this answerprint measures "
                        f"{list(MEASURE_NAMES)}: calibrate again", pack.path)
    try:
        thresholds = {name: float(data["thresholds"][name]) for name in MEASURE_NAMES}
        centres = {name: float(data["centres"][name]) for name in MEASURE_NAMES}
    except (KeyError, TypeError, ValueError) as error:
        raise PackError(f"the continuity pack's thresholds are malformed ({error})", pack.path) from None
    probe = np.array([[centres[n] + 2 * thresholds[n] for n in MEASURE_NAMES]], np.float32)
    produced = _run_graph(pack, probe)
    if produced.shape != probe.shape or not np.allclose(produced, 2.0, atol=1e-3):
        raise PackError("the pack's graph does not score with the thresholds its manifest states", pack.path)
    calibration = dict(data.get("calibration", {}))
    source = (f"calibrated on {calibration.get('pairs', '?')} take pairs of {calibration.get('setups', '?')} "
              f"set-up(s): pack {pack.pack_id}")
    return Thresholds(thresholds, centres, source, dict(data.get("observed", {})), calibration, pack)
