"""Relight for Nuke: ``relight_graph``'s single-frame relight as a TorchScript module, the light baked.

The same steps as the ONNX graph, in torch: the frame reduced with OpenCV's INTER_AREA weights (float64 matrices,
``graph_ops.area_resize_matrix``), the pack's network rebuilt from its recorded configuration with the graph's
own weights (traced inside), the frame's own shading statistics, the shading operations of
``processor.relight_shading`` (no reference take, no depth pass) and the change of shading brought to full
size with ``F.interpolate`` (bilinear, half-pixel: ``cv2.INTER_LINEAR``). The wrapper is scripted, so H and W
stay dynamic. Input and output: [1, 3, H, W] scene-linear ACEScg.
"""
from __future__ import annotations

import math
from typing import Any, Mapping

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from answerprint.core.effects.relight.decompose import DEFAULT_ANALYSIS_SIDE, SIZE_MULTIPLE
from answerprint.core.effects.relight.light_color import ACESCG_LUMINANCE
from answerprint.core.effects.relight.lights import MIN_FLAT_COSINE
from answerprint.core.effects.relight.normals import RELIEF_PX_PER_STOP
from answerprint.core.effects.relight.processor import RelightSettings
from answerprint.core.effects.relight.shading_ops import ROLLOFF_KNEE_STOPS, SHADING_FLOOR, STATS_SAMPLES
from answerprint.core.errors import PackError
from answerprint.core.packs import Pack
from answerprint.models.relight.network import RelightNet

from .relight_graph import relief_kernel_table
from .torchscript import torchscript_allowed, with_pack_weights


def _area_matrix(source: int, target: int) -> torch.Tensor:
    """[target, source] float32 weights of ``cv2.resize(INTER_AREA)`` along one axis (``graph_ops``)."""
    inverse = float(target) / float(source)
    scale = 1.0 / inverse
    out = torch.arange(target, dtype=torch.float64).view(-1, 1)
    pixel = torch.arange(source, dtype=torch.float64).view(1, -1)
    if scale >= 1.0:
        start = out * scale
        width = torch.clamp(float(source) - start, max=scale)
        overlap = torch.minimum(pixel + 1.0, start + scale) - torch.maximum(pixel, start)
        return (torch.where(overlap > 1e-3, overlap, torch.zeros_like(overlap)) / width).float()
    last = float(source - 1)
    floor = torch.floor(out * scale)
    fraction = (out + 1.0) - (floor + 1.0) * inverse
    fraction = torch.where(fraction <= 0.0, torch.zeros_like(fraction), fraction - torch.floor(fraction))
    fraction = torch.where(floor >= last, torch.zeros_like(fraction), fraction)
    low = torch.clamp(floor, max=last)
    high = torch.clamp(low + 1.0, max=last)
    zero = torch.zeros_like(pixel)
    weights = torch.where(pixel == low, 1.0 - fraction, zero) + torch.where(pixel == high, fraction, zero)
    return weights.float()


def _percentile(ordered: torch.Tensor, quantile: float) -> torch.Tensor:
    """np.percentile (linear) of sorted [N, P] values, as [N, 1, 1, 1]."""
    last = ordered.shape[1] - 1
    position = last * quantile / 100.0
    lower = int(math.floor(position))
    upper = min(lower + 1, last)
    below, above = ordered[:, lower], ordered[:, upper]
    return (below + (above - below) * (position - lower)).view(-1, 1, 1, 1)


class HostRelight(nn.Module):
    """The single-frame relight: ``forward(image [N, 3, H, W]) -> result``, scene-linear ACEScg."""

    def __init__(self, network: nn.Module, settings: RelightSettings, side: int):
        super().__init__()
        self.network = network
        self.side = side
        # TorchScript reads no module globals: the core's constants, as attributes.
        self.multiple, self.stats_samples = SIZE_MULTIPLE, STATS_SAMPLES
        self.relief_px_per_stop, self.min_flat_cosine = RELIEF_PX_PER_STOP, MIN_FLAT_COSINE
        self.rolloff_knee_stops, self.shading_floor = ROLLOFF_KNEE_STOPS, SHADING_FLOOR
        table, radii = relief_kernel_table(side)
        self.register_buffer("kernels", torch.from_numpy(table))
        self.radii = [int(r) for r in radii]
        self.register_buffer("luminance", torch.tensor(ACESCG_LUMINANCE, dtype=torch.float32).view(1, 3, 1, 1))
        self.flat_normals = settings.normals == "flat"
        self.replaces_key = settings.replaces_key
        self.light_kind = settings.light.kind
        self.light_x, self.light_y = float(settings.light.x), float(settings.light.y)
        self.light_radius, self.light_falloff = float(settings.light.radius), float(settings.light.falloff)
        self.light_stops = float(settings.light_stops)
        self.key_fill_stops = float(settings.key_fill_stops)
        self.shadow_lift = float(settings.shadow_lift)
        self.highlight_rolloff = float(settings.highlight_rolloff)
        self.ambient = float(settings.ambient_share)
        self.light_direction = [float(v) for v in settings.light.direction]
        self.key_direction = [float(v) for v in settings.key.direction]
        new_gains = np.asarray(settings.light_gains, np.float32) * np.float32(2.0 ** settings.light_stops)
        self.register_buffer("light_gains", torch.tensor(settings.light_gains, dtype=torch.float32).view(1, 3, 1, 1))
        self.register_buffer("new_key_gains", torch.from_numpy(new_gains).view(1, 3, 1, 1))
        self.register_buffer("key_gains", torch.tensor(settings.key_gains, dtype=torch.float32).view(1, 3, 1, 1))

    def _lum(self, rgb: torch.Tensor) -> torch.Tensor:
        return (rgb * self.luminance).sum(1, keepdim=True)

    def _scale_luminance(self, shading: torch.Tensor, new: torch.Tensor) -> torch.Tensor:
        return shading * (new / torch.clamp(self._lum(shading), min=1e-8))

    def _normals(self, shading: torch.Tensor) -> list[torch.Tensor]:
        if self.flat_normals:
            zero = torch.zeros_like(shading[:, :1])
            return [zero, zero, zero + 1.0]
        width = shading.shape[3]
        index = min(width // self.multiple - 1, len(self.radii) - 1)
        radius = self.radii[index]
        centre = self.kernels.shape[1] // 2
        kernel = self.kernels[index, centre - radius:centre + radius + 1]
        log_shading = torch.log2(torch.clamp(self._lum(shading), min=1e-6))
        across = F.conv2d(F.pad(log_shading, [radius, radius, 0, 0], mode="reflect"), kernel.view(1, 1, 1, -1))
        smooth = F.conv2d(F.pad(across, [0, 0, radius, radius], mode="reflect"), kernel.view(1, 1, -1, 1))
        padded = F.pad(smooth * self.relief_px_per_stop, [1, 1, 1, 1], mode="reflect")
        sobel = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]], device=shading.device,
                             dtype=shading.dtype)
        dz_dx = F.conv2d(padded, sobel.view(1, 1, 3, 3)) / 8.0
        dz_dy_down = F.conv2d(padded, sobel.t().contiguous().view(1, 1, 3, 3)) / 8.0
        length = torch.sqrt(dz_dx * dz_dx + dz_dy_down * dz_dy_down + 1.0)
        return [-dz_dx / length, dz_dy_down / length, 1.0 / length]

    def _lambert(self, normals: list[torch.Tensor], direction: list[torch.Tensor], wrap: bool) -> torch.Tensor:
        cosine = normals[0] * direction[0] + normals[1] * direction[1] + normals[2] * direction[2]
        if wrap:
            return (1.0 + cosine) / torch.clamp(1.0 + direction[2], min=2 * self.min_flat_cosine)
        return torch.clamp(cosine, min=0.0) / torch.clamp(direction[2], min=self.min_flat_cosine)

    def _edge(self, distance: torch.Tensor, radius: float, falloff: float) -> torch.Tensor:
        inner = radius * (1.0 - falloff)
        t = torch.clamp((radius - distance) / max(radius - inner, 1e-6), 0.0, 1.0)
        return t * t * (3.0 - 2.0 * t)

    def _weight(self, normals: list[torch.Tensor], height: int, width: int) -> torch.Tensor:
        device = normals[2].device
        constant = [torch.full((1, 1, 1, 1), v, device=device) for v in self.light_direction]
        if self.light_kind == "directional":
            return self._lambert(normals, constant, False)
        gx = ((torch.arange(width, dtype=torch.float32, device=device) + 0.5) / width).view(1, 1, 1, -1)
        gy = ((torch.arange(height, dtype=torch.float32, device=device) + 0.5) / width).view(1, 1, -1, 1)
        dx, dy = gx - self.light_x, gy - self.light_y * height / width
        distance = torch.sqrt(dx * dx + dy * dy)
        if self.light_kind == "point":
            lift = max(self.light_radius, 1e-3)
            length = torch.sqrt(dx * dx + dy * dy + lift * lift)
            towards = [-dx / length, dy / length, lift / length]
            inverse_square = (lift / length) * (lift / length)
            return (self._lambert(normals, towards, False) * inverse_square
                    * self._edge(distance, 2 * self.light_radius, 1.0))
        if self.light_kind == "spot":
            return self._lambert(normals, constant, False) * self._edge(distance, self.light_radius,
                                                                       self.light_falloff)
        return self._lambert(normals, constant, True) * self._edge(distance, self.light_radius,
                                                                  max(self.light_falloff, 0.5))

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        height, width = image.shape[2], image.shape[3]
        clean = torch.clamp(torch.nan_to_num(image, nan=0.0, posinf=0.0, neginf=0.0), min=0.0)
        scale = min(1.0, float(self.side) / float(max(height, width)))
        small_h = max(self.multiple, int(torch.round(torch.tensor(height * scale / self.multiple,
                                                                  dtype=torch.float64))) * self.multiple)
        small_w = max(self.multiple, int(torch.round(torch.tensor(width * scale / self.multiple,
                                                                  dtype=torch.float64))) * self.multiple)
        # In the image's dtype too: Nuke's "Optimise for Speed and Memory" runs the module in half precision.
        rows = _area_matrix(height, small_h).to(device=image.device, dtype=image.dtype)
        columns = _area_matrix(width, small_w).to(device=image.device, dtype=image.dtype)
        small = torch.matmul(torch.matmul(rows, clean), columns.t())
        shading = torch.clamp(self.network(small), min=1e-8)

        flat = shading.reshape(shading.shape[0], 3, -1)
        flat = flat[:, :, ::max(1, flat.shape[2] // self.stats_samples)]
        lum = torch.clamp((flat * self.luminance.view(1, 3, 1)).sum(1), min=1e-8)
        stops = torch.log2(lum)
        ordered = torch.sort(stops, dim=1)[0]
        fill, median_stops, key = (_percentile(ordered, 10.0), _percentile(ordered, 50.0),
                                   _percentile(ordered, 90.0))
        median = torch.exp2(median_stops)
        chroma = (flat.mean(2) / torch.clamp(lum.mean(1, keepdim=True), min=1e-8)).view(-1, 3, 1, 1)

        new = shading
        if self.key_fill_stops != 0.0:
            ratio = torch.clamp(key - fill, min=0.1)
            contrast = torch.clamp((ratio + self.key_fill_stops) / ratio, min=0.05)
            log_lum = torch.log2(torch.clamp(self._lum(new), min=1e-8))
            new = self._scale_luminance(new, torch.exp2(median_stops + contrast * (log_lum - median_stops)))
        if self.shadow_lift > 0.0:
            new = new + self.shadow_lift * median * chroma
        if self.replaces_key or self.light_stops != 0.0:
            normals = self._normals(shading)
            if self.replaces_key:
                new_key = [torch.full((1, 1, 1, 1), v, device=image.device) for v in self.light_direction]
                old_key = [torch.full((1, 1, 1, 1), v, device=image.device) for v in self.key_direction]
                lit_new = self.ambient + torch.clamp(normals[0] * new_key[0] + normals[1] * new_key[1]
                                                     + normals[2] * new_key[2], min=0.0) * self.new_key_gains
                lit_old = self.ambient + torch.clamp(normals[0] * old_key[0] + normals[1] * old_key[1]
                                                     + normals[2] * old_key[2], min=0.0) * self.key_gains
                new = new * (lit_new / lit_old)
            else:
                weight = self._weight(normals, small_h, small_w)
                if self.light_stops >= 0.0:
                    new = new + (2.0 ** self.light_stops - 1.0) * median * weight * (self.light_gains * chroma)
                else:
                    new = new * (1.0 + (2.0 ** self.light_stops - 1.0) * torch.clamp(weight, 0.0, 1.0))
        if self.highlight_rolloff > 0.0:
            knee = median * 2.0 ** self.rolloff_knee_stops
            lum_new = self._lum(new)
            over = torch.clamp(lum_new - knee, min=0.0)
            squeezed = knee + over / (1.0 + 4.0 * self.highlight_rolloff * over / knee)
            new = self._scale_luminance(new, torch.where(over > 0.0, squeezed, lum_new))
        new = torch.maximum(new, self.shading_floor * median)
        log_ratio = F.interpolate(torch.log2(new / shading), size=[height, width], mode="bilinear",
                                  align_corners=False)
        return image * torch.exp2(log_ratio)


def relight_network(pack: Pack) -> RelightNet:
    """The pack's relight network in torch, its weights read from the pack's graph.

    Raises
    ------
    PackError
        When the pack does not record its network's configuration or its weights do not fit it.
    """
    config = dict(pack.manifest.provenance.get("training_config", {}).get("network") or {})
    if config.pop("class", None) != "RelightNet":
        raise PackError("the pack does not record its network's configuration; Nuke needs it to rebuild the "
                        "network (export --for onnx, or retrain with this answerprint)", pack.path)
    return with_pack_weights(RelightNet(**config), pack)


def script_relight(pack: Pack, params: Mapping[str, Any]) -> torch.jit.ScriptModule:
    """``HostRelight`` for the pack at ``params`` (resolved by ``relight_graph.single_frame_params``), scripted
    with the network traced inside."""
    side = int(pack.manifest.effect_data.get("relight", {}).get("analysis_side", DEFAULT_ANALYSIS_SIDE))
    network = relight_network(pack)
    with torch.no_grad(), torchscript_allowed():
        traced = torch.jit.trace(network, torch.rand(1, 3, 4 * SIZE_MULTIPLE, 4 * SIZE_MULTIPLE), check_trace=False)
        return torch.jit.script(HostRelight(traced, RelightSettings.from_params(dict(params)), side).eval())
