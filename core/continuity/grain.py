"""Grain / noise: has the second shot more or less noise at the same intensities (another ISO, gain, filter)?

Both shots' noise-level functions come from the cleanup noise model (``effects.cleanup.noise``: σ per intensity bin of
the proxy's code values, from motion-compensated frame differences). Compared where both measured a bin (at
least ``MIN_BIN_SAMPLES`` pixels), per channel: the median of 20·log10(σ₂/σ₁), in dB. Only between sources of
the same resolution: a proxy averages a larger frame's noise down more.
"""
from __future__ import annotations

import numpy as np

from ..effects.cleanup.noise import MIN_BIN_SAMPLES, NoiseModel
from .measures import Measurement, not_compared


def noise_change(first: NoiseModel | None, second: NoiseModel | None, same_resolution: bool) -> Measurement:
    """Median 20·log10(σ₂/σ₁) over intensity bins both models measured (dB)."""
    if not same_resolution:
        return not_compared("noise", "the sources differ in resolution, so their proxies' noise is not comparable")
    if first is None or second is None:
        return not_compared("noise", "a shot has too few frames to measure its noise")
    counts = np.minimum(np.asarray(first.counts), np.asarray(second.counts))
    measured = counts >= MIN_BIN_SAMPLES
    if not measured.any():
        return not_compared("noise", "no intensity is measured in both shots")
    ratio = 20 * np.log10(np.maximum(np.asarray(second.sigma), 1e-9) / np.maximum(np.asarray(first.sigma), 1e-9))
    change = float(np.median(ratio[measured]))
    state = "noisier" if change > 0 else "cleaner"
    return Measurement("noise", change, f"the second shot is {abs(change):.1f} dB {state} "
                                        f"(σ ×{10 ** (change / 20):.2f}, over {int(measured.sum())} intensity bins)",
                       figures={"bins": int(measured.sum())})
