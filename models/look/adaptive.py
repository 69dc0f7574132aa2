"""The image-adaptive look: a few basis LUTs blended per frame by a tiny CNN, after Zeng et al. (TPAMI 2020).

    graded = Σ_k w_k(thumbnail) · LUT_k (image)  +  field(x, y)

- ``LUT_k``: N = 3 basis lattices over the look's ACEScct box; the first starts as the fitted global look,
  the others at zero, so before training the model *is* the global look.
- ``w``: a five-layer CNN (~25k weights) reads a 256×256 thumbnail of the whole frame and outputs the blend
  weights; its last layer starts at (1, 0, 0).
- ``field``: a smooth 9×16 grid of ACEScct offsets per channel, bilinearly stretched over the frame and
  starting at zero — the part of a grade tied to frame position (a vignette, a power window that stays put),
  which no LUT can express.

Regularisers as in Zeng's recipe: total variation of the bases (smooth LUTs) and a monotonicity penalty (each
output channel non-decreasing along its own input axis), plus smoothness of the field. The graph exports with
either lookup of ``lut_ops``; the thumbnail is an antialiased bilinear resize inside the graph.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from .lut_ops import GatherLookup, GridSampleLookup, table_to_grid_layout

BASES = 3
THUMBNAIL = 256
FIELD_SHAPE = (9, 16)
_WIDTHS = (8, 16, 32, 32, 32)


class WeightPredictor(nn.Module):
    """Thumbnail (N×3×256×256, ACEScct) → blend weights (N×K)."""

    def __init__(self, bases: int):
        super().__init__()
        layers: list[nn.Module] = []
        channels = 3
        for width in _WIDTHS:
            layers += [nn.Conv2d(channels, width, 3, stride=2, padding=1), nn.LeakyReLU(0.2)]
            if channels == 3:
                layers.append(nn.InstanceNorm2d(width, affine=True))
            channels = width
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(channels, bases)
        nn.init.zeros_(self.head.weight)
        with torch.no_grad():
            self.head.bias.copy_(torch.eye(bases)[0])

    def forward(self, thumbnail: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(thumbnail).mean(dim=(2, 3)))


def make_thumbnail(image: torch.Tensor) -> torch.Tensor:
    """The CNN's input: ``image`` resized (antialiased bilinear) to 256×256, contiguous."""
    return F.interpolate(image, size=(THUMBNAIL, THUMBNAIL), mode="bilinear", align_corners=False,
                         antialias=True).contiguous()


class AdaptiveLook(nn.Module):
    """The image-adaptive look model (see the module docstring).

    Parameters
    ----------
    global_table : ndarray
        The fitted global look, ``(D, D, D, 3)`` indexed ``[r, g, b]`` (``Lut3D.table``).
    domain_min, domain_max : ndarray
        The ACEScct box of the lattice.
    gather : bool
        Use the Gather lookup (for export of the TensorRT/CoreML variant) instead of GridSample.
    """

    def __init__(self, global_table: np.ndarray, domain_min: np.ndarray, domain_max: np.ndarray,
                 gather: bool = False, bases: int = BASES):
        super().__init__()
        first = table_to_grid_layout(global_table)
        self.bases = nn.Parameter(torch.cat([first[None], torch.zeros((bases - 1,) + first.shape)]))
        self.predictor = WeightPredictor(bases)
        self.field = nn.Parameter(torch.zeros(1, 3, *FIELD_SHAPE))
        self.lookup = (GatherLookup if gather else GridSampleLookup)(domain_min, domain_max)

    def forward(self, image: torch.Tensor, thumbnail: torch.Tensor | None = None) -> torch.Tensor:
        """Grade ``image`` (N×3×H×W ACEScct); ``thumbnail`` (``thumbnail(image)``) may be passed when cached."""
        weights = self.predictor(thumbnail if thumbnail is not None else make_thumbnail(image))
        tables = torch.einsum("nk,kcdhw->ncdhw", weights, self.bases)
        offsets = F.interpolate(self.field, size=image.shape[-2:], mode="bilinear", align_corners=True)
        return self.lookup(image, tables) + offsets

    def regularisation(self) -> dict[str, torch.Tensor]:
        """Zeng's penalties on the bases (``tv``, ``monotonic``) and the field's smoothness (``field``)."""
        tv = torch.zeros(())
        monotonic = torch.zeros(())
        for axis in (2, 3, 4):
            step = torch.diff(self.bases, dim=axis)
            tv = tv + step.pow(2).mean()
        for channel, axis in ((0, 3), (1, 2), (2, 1)):
            monotonic = monotonic + F.relu(-torch.diff(self.bases[:, channel], dim=axis)).mean()
        field = torch.diff(self.field, dim=2).pow(2).mean() + torch.diff(self.field, dim=3).pow(2).mean()
        return {"tv": tv, "monotonic": monotonic, "field": field}
