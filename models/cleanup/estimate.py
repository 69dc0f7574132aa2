"""The gain a cleanup model will give on footage it never trained on, estimated without clean frames.

The training report's headline. Validation windows come from held-out clips (or held-out tails of clips; see
``dataset.plan_windows``); each has the noisy centre frame ``y``, the model's output ``f`` and one or two
further frames ``b`` beyond the network's radius, nearest-neighbour warped onto the centre, whose noise is
independent of every input. Over the pixels where ``b`` is trusted and photometrically consistent:

    MSE(f) ≈ σ²(y) + mean((f − b)²) − mean((y − b)²)

(the *difference* estimator). Expanding ``b = x + e_b + n_b`` (clean frame, misalignment of the warp, noise):
``E(f − b)² = MSE(f) + E e_b² + σ_b² − 2·E[(f − x)·e_b]`` and ``E(y − b)² = σ²(y) + E e_b² + σ_b²``, so the
target's noise *and its misalignment* cancel, and only the noise variance of the centre frame, ``σ²(y)`` from
the production's noise model (per pixel and channel, code values²), is needed. The input's own MSE is that
same ``σ²(y)``, so ``gain = 10·log10(mean σ²(y) / MSE(f))`` dB.

What it assumes, and so where it errs: the model's error is uncorrelated with the target's misalignment (at
edges both are large, which makes the estimate read high), and the noise model's level is right (an error of
δ in σ² moves the estimated MSE by δ: the larger the gain, the larger the effect in dB). On the benchmark
(``bench/bench_cleanup.py``, quoted in the report) it was within 0.9 dB on pans over photographs but 5-11 dB
too high on real clips: a model trained on nearest-warped Noise2Noise targets learns part of their
misalignment, so its error correlates with that of a validation target warped the same way. The symmetric estimator of Marcos Morales et al. (ICML 2023), ``uMSE = mean((f − b)²) −
½·mean((b − c)²)``, needs no noise model but does not cancel the warps' misalignment: on a sub-pixel pan it
read 2-5 dB too high for a blur whose true gain was 6 dB, which is why it is no longer the headline.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch

from answerprint.core.effects.cleanup.noise import NoiseModel

from .batches import Batch

#: The estimated output MSE is kept at or above this share of the input's (a negative estimate means noise).
_MSE_FLOOR = 1e-3


@dataclass(frozen=True)
class GainEstimate:
    """The estimated gain over the noisy input on validation windows.

    Attributes
    ----------
    gain_db : float
        ``10·log10(input MSE / output MSE)``, dB.
    input_mse, output_mse : float
        Estimated MSE of the noisy centre and of the model's output against the clean frame (code values²).
    pixels : int
        Pixel comparisons the estimate rests on (targets × trusted pixels).
    """

    gain_db: float
    input_mse: float
    output_mse: float
    pixels: int


def estimate_gain(model: Callable[..., torch.Tensor], batches: list[Batch], noise_model: NoiseModel,
                  radius: int) -> GainEstimate | None:
    """The difference estimate (module docstring) of ``model(frames, noise_sigma, strength)`` over ``batches``
    (from ``batches.validation_batches``), using every target each window has; None without any target."""
    centre = slice(3 * radius, 3 * radius + 3)
    variance_sum = output_sum = input_sum = weight_sum = 0.0
    with torch.inference_mode():
        for batch in batches:
            output = model(*(torch.from_numpy(a) for a in (batch.frames, batch.noise_sigma, batch.strength)))
            output = output.float().numpy().astype(np.float64)
            noisy = batch.frames[:, centre].astype(np.float64)
            variance = np.stack([np.transpose(noise_model.sigma_map(np.transpose(item, (1, 2, 0))), (2, 0, 1))
                                 for item in batch.frames[:, centre]]).astype(np.float64) ** 2
            targets = [(batch.target, batch.mask)]
            if batch.second_target is not None and batch.second_mask is not None:
                targets.append((batch.second_target, batch.second_mask))
            for target, mask in targets:
                weight = np.broadcast_to(mask, output.shape)
                variance_sum += float((variance * weight).sum())
                output_sum += float(((output - target) ** 2 * weight).sum())
                input_sum += float(((noisy - target) ** 2 * weight).sum())
                weight_sum += float(weight.sum())
    if weight_sum == 0 or variance_sum <= 0:
        return None
    input_mse = variance_sum / weight_sum
    output_mse = max((variance_sum + output_sum - input_sum) / weight_sum, _MSE_FLOOR * input_mse)
    return GainEstimate(float(10 * np.log10(input_mse / output_mse)), input_mse, output_mse, int(weight_sum / 3))
