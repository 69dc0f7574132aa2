"""The continuity measures: what each one is, its unit, and the smallest change a colorist would call an error.

``MEASURES`` is the one list the pair comparison fills, the calibration learns thresholds for, the pack's
graph scores (its input channels are in this order), the report prints and the markers name. Each
``Measurement`` carries its number, its unit and where in the frame it was found.

``floor`` is the least a calibrated threshold may be: below it a flag would fire on differences no one sees or
that the measure cannot resolve on proxies (documented per measure in ``description``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class MeasureSpec:
    """One measure: key, what the report calls it, its unit, its floor, and what it measures."""

    name: str
    label: str
    unit: str
    floor: float
    description: str
    colour: bool = False


MEASURES: tuple[MeasureSpec, ...] = (
    MeasureSpec("exposure", "exposure", "EV", 0.1,
                "median log2 ratio of scene-linear luminance over matched static regions (people, changed "
                "content and clipped pixels left out)", colour=True),
    MeasureSpec("white_balance", "white balance", "ΔE00", 0.8,
                "CIEDE2000 of the scene's neutral through the fitted colour drift, at equal luminance; CCT and "
                "Duv of that neutral in both shots are given beside it", colour=True),
    MeasureSpec("black_level", "black level", "EV", 0.25,
                "change of the 1st percentile of matched static luminance, beyond the exposure change"),
    MeasureSpec("white_level", "white level", "EV", 0.25,
                "change of the 99th percentile of matched static luminance, beyond the exposure change"),
    MeasureSpec("noise", "grain / noise", "dB", 1.0,
                "median over intensities of 20·log10 of the noise σ ratio (cleanup noise model, both shots at "
                "the same proxy scale)"),
    MeasureSpec("focus", "focus", "stops", 0.25,
                "log2 ratio of fine-to-coarse gradient energy on the subject (people, else the most detailed "
                "tiles)"),
    MeasureSpec("practical", "practical lights", "EV", 1.0,
                "largest brightness change of a compact bright source (a lamp) at registered positions, beyond "
                "the exposure change"),
    MeasureSpec("content", "content change", "% frame", 0.15,
                "area of the largest registered difference region outside people (an object that appears, "
                "disappears or moves)"),
    MeasureSpec("wardrobe", "wardrobe colour", "ΔE00", 1.2,
                "CIEDE2000 between matched dominant colours of the people, after the global colour drift is "
                "taken out"),
)
MEASURE_NAMES = tuple(spec.name for spec in MEASURES)
#: Measures the one-click colour fix corrects (never content changes).
COLOUR_MEASURES = tuple(spec.name for spec in MEASURES if spec.colour)


def spec_of(name: str) -> MeasureSpec:
    """The ``MeasureSpec`` called ``name``.

    Raises
    ------
    KeyError
        When there is no such measure.
    """
    for spec in MEASURES:
        if spec.name == name:
            return spec
    raise KeyError(name)


@dataclass(frozen=True)
class Measurement:
    """One measure of one shot pair.

    Attributes
    ----------
    measure : str
        A name in ``MEASURE_NAMES``.
    value : float or None
        The number thresholded, in the measure's unit (signed where the sign means something: positive when
        the second shot is brighter, sharper, noisier); None when the pair could not be compared for it.
    detail : str
        One line for people (``-0.35 EV: the second shot is darker``).
    box : (float, float, float, float) or None
        Where it was found, as x, y, width, height fractions of the first shot's frame; None for the whole
        frame.
    figures : dict
        Further numbers (``cct_first``, ``duv_second``, ``area``...).
    why_not : str
        Why it was not compared (when ``value`` is None).
    """

    measure: str
    value: float | None
    detail: str = ""
    box: tuple[float, float, float, float] | None = None
    figures: dict[str, Any] = field(default_factory=dict)
    why_not: str = ""

    @property
    def unit(self) -> str:
        return spec_of(self.measure).unit

    def to_json(self) -> dict[str, Any]:
        return {"measure": self.measure, "value": self.value, "unit": self.unit, "detail": self.detail,
                "box": None if self.box is None else [round(v, 5) for v in self.box], "figures": self.figures,
                "why_not": self.why_not}


def not_compared(measure: str, why: str) -> Measurement:
    """A measure the pair could not be compared for, and why."""
    return Measurement(measure, None, why_not=why)
