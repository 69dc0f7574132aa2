"""Training objectives without clean frames: temporal Noise2Noise, Neighbor2Neighbor, unbiased validation MSE.

All tensors are NCHW code values; masks are [N, 1, H, W] of 0/1.

- ``masked_mse``: the temporal Noise2Noise loss. The target is a further frame, warped onto the centre, whose
  noise is independent of every input, so the minimiser of E[(f − target)²] is E[clean | inputs]. Plain
  (Gaussian) MSE: a robust loss would estimate the median rather than the mean, which for skewed noise
  (shot noise in dark regions, clipping) is biased.
- ``neighbor2neighbor_loss`` (Huang et al., CVPR 2021): two half-resolution sub-images drawn from
  neighbouring pixels of each 2×2 cell of one frame; the network maps one to the other, with the regulariser
  that ties it to the full-resolution output. It needs a single frame only, but assumes pixel-independent
  noise: real grain is spatially correlated, which makes it keep part of the grain, so it is mixed in at a
  small weight behind the temporal term.
- ``clipped_mean``: the expectation of a value plus Gaussian noise clipped to the code range. Integer footage
  clips at code 0 and 1, so near black a Noise2Noise target's mean is lifted above the clean value; comparing
  ``clipped_mean(output)`` with the target instead of the output itself makes the output converge on the
  clean value (Noise2Noise through the known clipping). Away from the ends it is the identity.
- ``unbiased_mse``: uMSE = mean((f − b)²) − ½·mean((b − c)²) with b, c two further independent frames
  (Marcos Morales et al., ICML 2023): an estimate of the MSE against the clean frame without having it.
"""
from __future__ import annotations

from typing import Callable

import math

import torch
import torch.nn.functional as F


def masked_mse(output: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean squared error over the pixels (and all channels) where ``mask`` is 1."""
    weight = mask.expand_as(target)
    return ((output - target) ** 2 * weight).sum() / weight.sum().clamp(min=1.0)


def clipped_mean(value: torch.Tensor, sigma: torch.Tensor, clips_low: bool, clips_high: bool) -> torch.Tensor:
    """E[clip(value + n)] for n ~ N(0, σ²), clipped to 0 below (``clips_low``) and to 1 above (``clips_high``).

    ``sigma`` broadcasts against ``value`` (code values, > 0).
    """
    sigma = sigma.clamp(min=1e-4)
    mean = value
    if clips_low:
        low = -value / sigma
        cdf, pdf = 0.5 * (1 + torch.erf(low / math.sqrt(2))), torch.exp(-0.5 * low ** 2) / math.sqrt(2 * math.pi)
        mean = mean - value * cdf + sigma * pdf
    if clips_high:
        high = (1 - value) / sigma
        tail, pdf = 0.5 * torch.erfc(high / math.sqrt(2)), torch.exp(-0.5 * high ** 2) / math.sqrt(2 * math.pi)
        mean = mean + (1 - value) * tail - sigma * pdf
    return mean


def _neighbour_masks(shape: torch.Size, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """For each 2×2 cell, one random pixel and one of its two direct neighbours in the cell (index masks)."""
    batch, _, height, width = shape
    cells = (batch, height // 2, width // 2)
    first = torch.randint(0, 4, cells, generator=generator)
    # the two direct neighbours of cell position p (0 1 / 2 3) are p^1 (same row) and p^2 (same column)
    second = first ^ torch.where(torch.rand(cells, generator=generator) < 0.5, 1, 2)
    return F.one_hot(first, 4).bool(), F.one_hot(second, 4).bool()


def _subsample(image: torch.Tensor, choice: torch.Tensor) -> torch.Tensor:
    """The pixels ``choice`` picks in each 2×2 cell, as a half-resolution image."""
    cells = F.pixel_unshuffle(image, 2)
    batch, channels4, half_h, half_w = cells.shape
    cells = cells.view(batch, channels4 // 4, 4, half_h, half_w)
    pick = choice.permute(0, 3, 1, 2).unsqueeze(1).to(device=cells.device, dtype=cells.dtype)
    return (cells * pick).sum(dim=2)


def neighbor2neighbor_loss(model: Callable[[torch.Tensor, torch.Tensor], torch.Tensor], centre: torch.Tensor,
                           noise_sigma: torch.Tensor, temporal_window: int, generator: torch.Generator,
                           regulariser: float = 2.0) -> torch.Tensor:
    """Neighbor2Neighbor on the centre frame alone (every input slot holds the same sub-image).

    Parameters
    ----------
    model : callable
        ``model(frames, noise_sigma)`` with frames [N, 3T, H, W].
    centre : Tensor
        [N, 3, H, W] noisy frames; H and W multiples of twice the network's size multiple.
    noise_sigma : Tensor
        [N, 1, H, W].
    temporal_window : int
        T of the network.
    regulariser : float
        γ of the paper (2 in its experiments).
    """
    first, second = _neighbour_masks(centre.shape, generator)
    noisy_first, noisy_second = _subsample(centre, first), _subsample(centre, second)
    sigma_first = _subsample(noise_sigma, first)
    with torch.no_grad():
        full = model(centre.repeat(1, temporal_window, 1, 1), noise_sigma)
    output = model(noisy_first.repeat(1, temporal_window, 1, 1), sigma_first)
    difference = output - noisy_second
    consistency = difference - (_subsample(full, first) - _subsample(full, second))
    return (difference ** 2).mean() + regulariser * (consistency ** 2).mean()


def unbiased_mse(output: torch.Tensor, first_target: torch.Tensor, second_target: torch.Tensor,
                 mask: torch.Tensor) -> torch.Tensor:
    """uMSE (see the module docstring) over pixels where ``mask`` is 1 (both targets trusted)."""
    return masked_mse(output, first_target, mask) - 0.5 * masked_mse(second_target, first_target, mask)
