"""TorchScript modules for Nuke's CatFileCreator: one image tensor in, one out, rebuilt from a pack's own weights.

Nuke's Inference node runs ``.cat`` files, which CatFileCreator makes from a TorchScript module whose
``forward`` takes one [1, C, H, W] float tensor and returns one. The pack stores an ONNX graph, not torch
code, so the module is rebuilt: the network class named by the pack's training record
(``provenance.training_config.network``) with the graph's initializers as its state dict (a missing or
extra weight refuses the export), wrapped in the same single-frame steps as the ONNX host graph
(``cleanup_graph``): frame repeated over the window, σ from the baked noise table, strength, padding, detail and
kept grain. The wrapper is scripted (shapes stay dynamic), the network traced inside it.

A look is a trilinear lookup in its 3-D LUT (ACEScct in and out), done with ``grid_sample`` on the LUT.
"""
from __future__ import annotations

import contextlib
import warnings
from typing import Any, Iterator, Mapping

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import numpy_helper
from torch import nn

from answerprint.core.color.lut import Lut3D
from answerprint.core.effects.cleanup.contract import CleanupContract
from answerprint.core.effects.cleanup.effect import DETAIL_SCALE_PX
from answerprint.core.effects.cleanup.noise import INTENSITY_BLUR
from answerprint.core.errors import PackError
from answerprint.core.packs import Pack
from answerprint.models.cleanup.network import CleanupNet

from .graph_ops import cv2_gaussian_kernel


class _GaussianBlur(nn.Module):
    """``cv2.GaussianBlur(frame, (0, 0), sigma)`` on NCHW float32: rows then columns, reflect-101 borders."""

    def __init__(self, sigma: float, channels: int = 3):
        super().__init__()
        kernel = torch.from_numpy(cv2_gaussian_kernel(sigma))
        self.radius = len(kernel) // 2
        self.channels = channels
        self.register_buffer("rows", kernel.view(1, 1, 1, -1).repeat(channels, 1, 1, 1))
        self.register_buffer("columns", kernel.view(1, 1, -1, 1).repeat(channels, 1, 1, 1))

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        across = F.conv2d(F.pad(image, [self.radius, self.radius, 0, 0], mode="reflect"), self.rows,
                          groups=self.channels)
        return F.conv2d(F.pad(across, [0, 0, self.radius, self.radius], mode="reflect"), self.columns,
                        groups=self.channels)


class SpatialCleanup(nn.Module):
    """The single-frame cleanup of ``cleanup_graph`` in torch: ``forward(image [N, 3, H, W]) -> result``."""

    def __init__(self, network: nn.Module, contract: CleanupContract, params: Mapping[str, Any]):
        super().__init__()
        noise = contract.noise_model
        points = np.asarray(noise.intensities, np.float64)
        self.network = network
        self.window = contract.temporal_window
        self.multiple = contract.size_multiple
        self.first, self.last, self.count = float(points[0]), float(points[-1]), len(points)
        self.step = float((points[-1] - points[0]) / (len(points) - 1))
        self.register_buffer("table", torch.tensor(np.asarray(noise.sigma, np.float32).ravel()))
        self.register_buffer("offsets", (torch.arange(3) * len(points)).view(1, 3, 1, 1))
        self.register_buffer("strength", torch.tensor([float(params["strength"])]))
        self.detail = float(params["detail"])
        self.grain_amount = float(params["grain_amount"]) if params["grain"] == "keep" else 0.0
        self.intensity_blur = _GaussianBlur(INTENSITY_BLUR)
        self.detail_blur = _GaussianBlur(DETAIL_SCALE_PX)

    def _noise_sigma(self, image: torch.Tensor) -> torch.Tensor:
        intensity = self.intensity_blur(image).clamp(self.first, self.last)
        position = (intensity - self.first) / self.step
        lower = torch.floor(torch.clamp(position, max=float(self.count - 2)))
        fraction = position - lower
        index = lower.to(torch.int64) + self.offsets
        low = self.table[index]
        high = self.table[index + 1]
        return (low + (high - low) * fraction).mean(dim=1, keepdim=True)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        height, width = image.shape[2], image.shape[3]
        pad_y = (self.multiple - height % self.multiple) % self.multiple
        pad_x = (self.multiple - width % self.multiple) % self.multiple
        frames = torch.cat([image] * self.window, dim=1)
        sigma = self._noise_sigma(image)
        frames = F.pad(frames, [0, pad_x, 0, pad_y], mode="reflect")
        sigma = F.pad(sigma, [0, pad_x, 0, pad_y], mode="reflect")
        denoised = self.network(frames, sigma, self.strength)[:, :, :height, :width]
        residual = image - denoised
        result = self.detail_blur(residual) * self.detail + denoised
        return result + residual * self.grain_amount


class LutLook(nn.Module):
    """A look's 3-D LUT applied trilinearly (``grid_sample``), ACEScct [N, 3, H, W] in and out."""

    def __init__(self, lut: Lut3D):
        super().__init__()
        if lut.shaper is not None:
            raise PackError("a look LUT with a shaper cannot be scripted")
        # grid_sample's volume is [C, D, H, W] indexed (z, y, x) = (red, green, blue): the LUT's own order.
        self.register_buffer("volume", torch.from_numpy(np.ascontiguousarray(
            np.transpose(lut.table.astype(np.float32), (3, 0, 1, 2))))[None])
        self.register_buffer("low", torch.tensor(lut.domain_min, dtype=torch.float32).view(1, 3, 1, 1))
        self.register_buffer("high", torch.tensor(lut.domain_max, dtype=torch.float32).view(1, 3, 1, 1))

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        unit = ((image - self.low) / (self.high - self.low)).clamp(0.0, 1.0) * 2.0 - 1.0
        # grid's last axis is (x, y, z) = (blue, green, red).
        grid = unit.flip(1).permute(0, 2, 3, 1).unsqueeze(1)
        volume = self.volume.expand(image.shape[0], -1, -1, -1, -1)
        looked = F.grid_sample(volume, grid, mode="bilinear", padding_mode="border", align_corners=True)
        return looked.squeeze(2)


def cleanup_network(pack: Pack, contract: CleanupContract) -> CleanupNet:
    """The pack's cleanup network in torch, its weights read from the pack's graph.

    Raises
    ------
    PackError
        When the pack does not record its network's configuration or its weights do not fit it.
    """
    config = pack.manifest.provenance.get("training_config", {}).get("network")
    if not isinstance(config, dict) or config.get("temporal_window") != contract.temporal_window:
        raise PackError("the pack does not record its network's configuration; Nuke needs it to rebuild the "
                        "network (re-export the pack with this answerprint)", pack.path)
    return with_pack_weights(CleanupNet(**config), pack)


def with_pack_weights(network: nn.Module, pack: Pack) -> nn.Module:
    """``network`` (built from the pack's recorded configuration) with the pack graph's weights, in eval mode.

    Raises
    ------
    PackError
        When a weight of the network is missing from the graph or has another number of values.
    """
    weights = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy())
               for t in onnx.load_from_string(pack.model_bytes).graph.initializer}
    expected = network.state_dict()
    try:
        network.load_state_dict({name: weights[name].reshape(expected[name].shape) for name in expected})
    except (KeyError, RuntimeError) as error:
        raise PackError(f"the pack's weights do not fit its recorded network: {error}", pack.path) from None
    return network.eval()


@contextlib.contextmanager
def torchscript_allowed() -> Iterator[None]:
    """Silence torch's deprecation of TorchScript for the block: Nuke's CatFileCreator reads nothing else."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r".*torch\.jit\..* is deprecated", category=DeprecationWarning)
        yield


def script_cleanup(pack: Pack, params: Mapping[str, Any]) -> torch.jit.ScriptModule:
    """``SpatialCleanup`` for the pack at ``params``, scripted with the network traced inside."""
    contract = CleanupContract.from_manifest(pack.manifest, pack.path)
    network = cleanup_network(pack, contract)
    side = 4 * contract.size_multiple
    example = (torch.rand(1, 3 * contract.temporal_window, side, side), torch.full((1, 1, side, side), 0.01),
               torch.ones(1))
    with torch.no_grad(), torchscript_allowed():
        traced = torch.jit.trace(network, example, check_trace=False)
        return torch.jit.script(SpatialCleanup(traced, contract, params).eval())


def script_look(lut: Lut3D) -> torch.jit.ScriptModule:
    """``LutLook`` of ``lut``, scripted."""
    with torchscript_allowed():
        return torch.jit.script(LutLook(lut).eval())
