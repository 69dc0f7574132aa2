"""The self-supervised losses of the decomposition, and the synthetic light changes that feed them.

For a pair of views (a, b) of the same surfaces, with log shadings s (stops, grey) from the network:

- **consistency**: reflectance agrees, |log2 R_a − log2 R_b| over the pixels both see and that are exposed
  (R = image / shading, so this asks the shading to explain every change between the views);
- **smooth shading**: mean squared gradient of the grey log shading (stops per pixel)²;
- **sparse reflectance** (Retinex): mean |gradient of log2 R| (stops per pixel), small weight, so sharp
  edges go to the reflectance when no second view says otherwise;
- **level**: the mean log shading stays near the frame's mean log luminance (fixes the scale that
  reflectance × shading cannot tell).

Reconstruction needs no loss: reflectance is defined as image / shading, so it is exact by construction.

``relight_augment`` lights each view of a pair differently — a random smooth gain field (up to
``FIELD_STOPS``), an exposure change and a light colour — so even a single locked-off take teaches the
network what a change of light looks like.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from .network import LOG_EPSILON

#: Largest amplitude (stops) of the random smooth light field of the augmentation.
FIELD_STOPS = 1.0
#: Largest exposure change (stops) and per-channel light colour change (stops) of the augmentation.
EXPOSURE_STOPS = 1.0
COLOUR_STOPS = 0.25
#: Pixels darker than this (scene-linear) are left out of the consistency term (noise dominates there).
DARK_LIMIT = 0.004


@dataclass(frozen=True)
class LossWeights:
    consistency: float = 1.0
    smooth_shading: float = 4.0
    sparse_reflectance: float = 0.05
    level: float = 0.1


def relight_augment(images: torch.Tensor, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """``images`` [N, 3, H, W] lit by random smooth fields; returns (relit images, the gains applied)."""
    n, _, height, width = images.shape
    grid = (torch.rand(n, 1, 3, 3, generator=generator) * 2 - 1) * FIELD_STOPS
    field = F.interpolate(grid, size=(height, width), mode="bicubic", align_corners=True)
    exposure = (torch.rand(n, 1, 1, 1, generator=generator) * 2 - 1) * EXPOSURE_STOPS
    colour = (torch.rand(n, 3, 1, 1, generator=generator) * 2 - 1) * COLOUR_STOPS
    gains = torch.exp2(field + exposure + colour)
    return images * gains, gains


def _gradients(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    return x[..., :, 1:] - x[..., :, :-1], x[..., 1:, :] - x[..., :-1, :]


def decomposition_losses(network: torch.nn.Module, first: torch.Tensor, second: torch.Tensor, mask: torch.Tensor,
                         weights: LossWeights = LossWeights()) -> dict[str, torch.Tensor]:
    """The terms of the module docstring for a batch of pairs; ``total`` is their weighted sum.

    ``first`` and ``second`` are [N, 3, H, W] scene-linear, aligned; ``mask`` [N, 1, H, W] marks pixels both see.
    """
    both = torch.cat([first, second])
    log_shading, colour = network.log_shading_and_colour(both)
    log_image = torch.log2(torch.clamp(both, min=0.0) + LOG_EPSILON)
    log_reflectance = log_image - log_shading - torch.log2(colour)[:, :, None, None]
    half = first.shape[0]
    exposed = ((first.mean(1, keepdim=True) > DARK_LIMIT) & (second.mean(1, keepdim=True) > DARK_LIMIT)).float()
    valid = mask * exposed
    difference = (log_reflectance[:half] - log_reflectance[half:]).abs().mean(1, keepdim=True)
    consistency = (difference * valid).sum() / valid.sum().clamp(min=1.0)
    shading_dx, shading_dy = _gradients(log_shading)
    smooth = shading_dx.pow(2).mean() + shading_dy.pow(2).mean()
    reflectance_dx, reflectance_dy = _gradients(log_reflectance)
    sparse = reflectance_dx.abs().mean() + reflectance_dy.abs().mean()
    luminance = (torch.clamp(both, min=0.0) * network.luminance_weights).sum(1, keepdim=True)
    level_error = log_shading.mean(dim=(1, 2, 3)) - torch.log2(luminance + LOG_EPSILON).mean(dim=(1, 2, 3))
    level = level_error.pow(2).mean()
    total = (weights.consistency * consistency + weights.smooth_shading * smooth
             + weights.sparse_reflectance * sparse + weights.level * level)
    return {"total": total, "consistency": consistency, "smooth_shading": smooth, "sparse_reflectance": sparse,
            "level": level}
