"""The intrinsic decomposition network: a scene-linear frame in, its shading out (frame = reflectance × shading).

Input ``image`` [N, 3, H, W]: scene-linear ACEScg (H, W multiples of 8). It is seen in stops, log2(image + ε),
centred on the frame's mean log luminance so the network is blind to exposure. A three-level U-Net (strided
convolutions down, transposed convolutions up, additive skips, ReLU) predicts a grey log-shading offset per
pixel; a head on the coarsest features predicts one light colour per frame. The output

    shading = 2^(mean log2 luminance + offset) × colour      (colour scaled to unit ACEScg luminance)

is positive, smooth where the losses ask it to be, and coloured only by the light (one colour per frame),
never by the surfaces. Reflectance is image / shading, outside the graph.
"""
from __future__ import annotations

from typing import Any

import torch
from torch import nn

from answerprint.core.effects.relight.decompose import SIZE_MULTIPLE
from answerprint.core.effects.relight.light_color import ACESCG_LUMINANCE

#: Offset added before taking log2 of the image (scene-linear units): keeps black finite.
LOG_EPSILON = 1e-3


def _block(channels_in: int, channels_out: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(channels_in, channels_out, 3, stride=stride, padding=1), nn.ReLU(),
                         nn.Conv2d(channels_out, channels_out, 3, padding=1), nn.ReLU())


class RelightNet(nn.Module):
    """See the module docstring.

    Parameters
    ----------
    width : int
        Channels at full resolution (×2 and ×4 at the coarser levels).
    """

    size_multiple = SIZE_MULTIPLE

    def __init__(self, width: int = 16):
        super().__init__()
        self.width = width
        self.register_buffer("luminance_weights", torch.tensor(ACESCG_LUMINANCE, dtype=torch.float32).view(1, 3, 1, 1))
        self.encode_full = _block(3, width)
        self.encode_half = _block(width, 2 * width, stride=2)
        self.encode_quarter = _block(2 * width, 4 * width, stride=2)
        self.encode_eighth = _block(4 * width, 4 * width, stride=2)
        self.up_quarter = nn.ConvTranspose2d(4 * width, 4 * width, 2, stride=2)
        self.mix_quarter = _block(4 * width, 2 * width)
        self.up_half = nn.ConvTranspose2d(2 * width, 2 * width, 2, stride=2)
        self.mix_half = _block(2 * width, width)
        self.up_full = nn.ConvTranspose2d(width, width, 2, stride=2)
        self.offset = nn.Conv2d(width, 1, 3, padding=1)
        self.colour = nn.Linear(4 * width, 3)
        nn.init.zeros_(self.offset.weight)
        nn.init.zeros_(self.offset.bias)
        nn.init.zeros_(self.colour.weight)
        nn.init.zeros_(self.colour.bias)

    def config(self) -> dict[str, Any]:
        """What rebuilds the network: its class and width."""
        return {"class": "RelightNet", "width": self.width}

    def log_shading_and_colour(self, image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Grey log2 shading [N, 1, H, W] (stops) and light colour [N, 3] (unit luminance) of ``image``."""
        log_image = torch.log2(torch.clamp(image, min=0.0) + LOG_EPSILON)
        log_luminance = torch.log2((torch.clamp(image, min=0.0) * self.luminance_weights).sum(1, keepdim=True)
                                   + LOG_EPSILON)
        level = log_luminance.mean(dim=(2, 3), keepdim=True)
        features = log_image - level
        full = self.encode_full(features)
        half = self.encode_half(full)
        quarter = self.encode_quarter(half)
        eighth = self.encode_eighth(quarter)
        quarter_up = self.mix_quarter(self.up_quarter(eighth) + quarter)
        half_up = self.mix_half(self.up_half(quarter_up) + half)
        full_up = self.up_full(half_up) + full
        log_shading = level + self.offset(torch.relu(full_up))
        colour = torch.exp2(self.colour(eighth.mean(dim=(2, 3))))
        colour = colour / (colour * self.luminance_weights.view(1, 3)).sum(1, keepdim=True)
        return log_shading, colour

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        """Shading [N, 3, H, W], scene-linear, > 0 (see the module docstring)."""
        log_shading, colour = self.log_shading_and_colour(image)
        return torch.exp2(log_shading) * colour[:, :, None, None]
