"""Trilinear 3D-LUT lookup in torch, two ways that export to ONNX and agree to float rounding.

Both take frames ``x`` (N×3×H×W, ACEScct) and per-item tables in *grid layout* ``(N, 3, D, D, D)`` indexed
``[c, b, g, r]`` (the layout ``grid_sample`` reads, red along the last axis), spanning the ACEScct box
``domain_min..domain_max``; inputs outside the box are clamped to it, as the core's LUT processor and a
``.cube`` in Resolve or OpenColorIO do.

- ``GridSampleLookup``: ``grid_sample`` on a 5-D input (``mode='bilinear'`` is trilinear there), exported as
  ONNX ``GridSample`` with ``mode='linear'`` — valid from opset 20; runs on onnxruntime CPU and CUDA.
- ``GatherLookup``: floor/fraction index arithmetic and eight ``Gather`` taps — no GridSample, for
  TensorRT, CoreML, OpenVINO and DirectML, which lack the 5-D form.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F


def table_to_grid_layout(table: np.ndarray) -> torch.Tensor:
    """A core ``Lut3D.table`` (``(D, D, D, 3)`` indexed ``[r, g, b]``) as a ``(3, D, D, D)`` grid-layout tensor."""
    return torch.from_numpy(np.ascontiguousarray(np.transpose(table, (3, 2, 1, 0)), dtype=np.float32))


def grid_layout_to_table(grid: torch.Tensor) -> np.ndarray:
    """The inverse of ``table_to_grid_layout``."""
    return np.ascontiguousarray(grid.detach().cpu().numpy().transpose(3, 2, 1, 0), dtype=np.float32)


class _Lookup(nn.Module):
    def __init__(self, domain_min: np.ndarray, domain_max: np.ndarray):
        super().__init__()
        low = torch.tensor(np.asarray(domain_min, np.float32)).view(1, 3, 1, 1)
        high = torch.tensor(np.asarray(domain_max, np.float32)).view(1, 3, 1, 1)
        self.register_buffer("low", low, persistent=False)
        self.register_buffer("scale", 1.0 / (high - low), persistent=False)

    def unit(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` as 0..1 lattice coordinates, clamped."""
        return torch.clamp((x - self.low) * self.scale, 0.0, 1.0)


class GridSampleLookup(_Lookup):
    """Trilinear lookup through 5-D ``grid_sample`` (ONNX ``GridSample``, opset ≥ 20)."""

    def forward(self, x: torch.Tensor, tables: torch.Tensor) -> torch.Tensor:
        grid = (self.unit(x) * 2.0 - 1.0).permute(0, 2, 3, 1).unsqueeze(1)
        out = F.grid_sample(tables, grid, mode="bilinear", padding_mode="border", align_corners=True)
        return out.squeeze(2)


class GatherLookup(_Lookup):
    """Trilinear lookup with index arithmetic and eight ``Gather`` taps (no GridSample)."""

    def forward(self, x: torch.Tensor, tables: torch.Tensor) -> torch.Tensor:
        batch, _, height, width = x.shape
        size = tables.shape[-1]
        flat = tables.permute(0, 4, 3, 2, 1).reshape(-1, 3)
        position = self.unit(x) * (size - 1)
        base = torch.clamp(torch.floor(position), max=float(size - 2))
        fraction = position - base
        index = base.to(torch.int64)
        item = (torch.arange(batch, device=x.device) * size ** 3).view(batch, 1, 1)
        out = torch.zeros(batch, height, width, 3, dtype=x.dtype, device=x.device)
        for corner in range(8):
            step = ((corner >> 2) & 1, (corner >> 1) & 1, corner & 1)
            weight = torch.ones_like(fraction[:, 0])
            for channel in range(3):
                f = fraction[:, channel]
                weight = weight * (f if step[channel] else 1.0 - f)
            r, g, b = (index[:, c] + step[c] for c in range(3))
            taps = flat[(item + (r * size + g) * size + b).reshape(-1)].view(batch, height, width, 3)
            out = out + taps * weight.unsqueeze(-1)
        return out.permute(0, 3, 1, 2)


class GlobalLutModel(nn.Module):
    """One fixed LUT applied to N×3×H×W ACEScct frames: the graph of a global-look pack."""

    def __init__(self, table: np.ndarray, domain_min: np.ndarray, domain_max: np.ndarray, gather: bool = False):
        super().__init__()
        self.register_buffer("table", table_to_grid_layout(table).unsqueeze(0))
        self.lookup = (GatherLookup if gather else GridSampleLookup)(domain_min, domain_max)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return self.lookup(image, self.table.expand(image.shape[0], -1, -1, -1, -1))
