"""The cleanup network: a small multi-frame denoiser cheap enough for 1080p on two CPU threads.

Inputs (names are the pack's tensor names):

- ``frames`` [N, 3·T, H, W]: T = 2r+1 frames of the footage's code values, neighbours motion-compensated
  onto the centre frame with nearest-neighbour warps (untrusted pixels replaced by the centre frame's), oldest
  first, the current frame in the middle;
- ``noise_sigma`` [N, 1, H, W]: the noise model's σ at each pixel (mean over channels, code values);
- ``strength`` [N]: the user's strength, 0..2. From 1 up it scales ``noise_sigma`` (FFDNet-style: the
  network was trained with extra grain and the matching larger σ, so a larger σ removes more); below 1 it
  blends the result back towards the centre frame, exactly, down to 0 (untouched).

Output ``denoised`` [N, 3, H, W]: the centre frame plus a predicted residual, in the same code values.

Shape: PixelUnshuffle(2) → two 3×3 convs at ½ resolution → strided conv to ¼ → convs → strided conv to ⅛ →
two convs → transposed convs back up with additive skips → PixelShuffle(2). Everything is ReLU, no
normalisation layers, so it exports to plain ONNX convolutions. H and W must be multiples of
``SIZE_MULTIPLE``.

Two guarantees are built into the graph rather than learned:

- the residual is multiplied by ``noise_sigma / (noise_sigma + sigma_floor)``, so where the noise model
  (or the strength) says σ = 0 the centre frame passes through unchanged: already-clean footage cannot be
  altered by a model that never saw noise;
- the frames are stretched around mid-grey by a fixed ``gain`` chosen from the production's noise level
  (so the network always sees noise of about 0.1) and the residual is divided by it again, which makes the
  same architecture train equally well on 8-bit video noise and on 12-bit log footage with σ ≈ 0.002.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

#: H and W of the inputs must be multiples of this (one PixelUnshuffle and two stride-2 stages).
SIZE_MULTIPLE = 8
INPUT_NAMES = ("frames", "noise_sigma", "strength")
OUTPUT_NAME = "denoised"
#: Noise level (in the stretched units the network sees) the gain aims for.
TARGET_STRETCHED_SIGMA = 0.1
#: The gain never exceeds this (footage cleaner than σ = TARGET_STRETCHED_SIGMA / MAX_GAIN is not stretched more).
MAX_GAIN = 40.0


def gain_for_sigma(typical_sigma: float) -> float:
    """The input stretch that brings a noise σ (code values) to about TARGET_STRETCHED_SIGMA, within 1..MAX_GAIN."""
    if typical_sigma <= 0:
        return MAX_GAIN
    return float(min(max(TARGET_STRETCHED_SIGMA / typical_sigma, 1.0), MAX_GAIN))


class CleanupNet(nn.Module):
    """Multi-frame residual denoiser (see the module docstring).

    Parameters
    ----------
    temporal_window : int
        T, frames per input window (odd).
    width : int
        Channels at ½ resolution; ¼ and ⅛ resolution use 2× and 3× this.
    quarter_convs : int
        3×3 convolutions at ¼ resolution on each side of the bottleneck.
    gain : float
        Input stretch around 0.5 (``gain_for_sigma`` of the production's typical σ).
    sigma_floor : float
        σ (code values) at which the residual is halved; far below any noise worth removing.
    """

    def __init__(self, temporal_window: int = 3, width: int = 32, quarter_convs: int = 2, gain: float = 1.0,
                 sigma_floor: float = 1e-4):
        super().__init__()
        if temporal_window < 1 or temporal_window % 2 == 0:
            raise ValueError(f"temporal_window must be odd and positive, not {temporal_window}")
        self.temporal_window = temporal_window
        self.width = width
        self.quarter_convs = quarter_convs
        half, quarter, eighth = width, 2 * width, 3 * width
        self.head = nn.Conv2d(4 * (3 * temporal_window + 1), half, 3, padding=1)
        self.encode_half = nn.Conv2d(half, half, 3, padding=1)
        self.down_quarter = nn.Conv2d(half, quarter, 2, stride=2)
        self.encode_quarter = nn.ModuleList(nn.Conv2d(quarter, quarter, 3, padding=1) for _ in range(quarter_convs))
        self.down_eighth = nn.Conv2d(quarter, eighth, 2, stride=2)
        self.bottleneck = nn.ModuleList(nn.Conv2d(eighth, eighth, 3, padding=1) for _ in range(2))
        self.up_quarter = nn.ConvTranspose2d(eighth, quarter, 2, stride=2)
        self.decode_quarter = nn.ModuleList(nn.Conv2d(quarter, quarter, 3, padding=1) for _ in range(quarter_convs))
        self.up_half = nn.ConvTranspose2d(quarter, half, 2, stride=2)
        self.decode_half = nn.Conv2d(half, half, 3, padding=1)
        self.tail = nn.Conv2d(half, 3 * 4, 3, padding=1)
        self.register_buffer("gain", torch.tensor(float(gain)))
        self.register_buffer("sigma_floor", torch.tensor(float(sigma_floor)))
        self._initialise()

    def _initialise(self) -> None:
        """He initialisation (variance-preserving through the ReLUs) and a near-zero tail.

        PyTorch's default initialisation shrinks the activations about threefold per layer, which in a
        dozen plain ReLU layers leaves the first steps with vanishing gradients: training on a CPU budget
        cannot afford that. The tail starts near zero so the untrained network passes the centre frame through.
        """
        for module in self.modules():
            if isinstance(module, nn.ConvTranspose2d):
                nn.init.normal_(module.weight, std=(2.0 / module.in_channels) ** 0.5)
                nn.init.zeros_(module.bias)
            elif isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, nonlinearity="relu")
                nn.init.zeros_(module.bias)
        nn.init.normal_(self.tail.weight, std=1e-3)

    def config(self) -> dict[str, float | int]:
        """Constructor arguments (for checkpoints and provenance)."""
        return {"temporal_window": self.temporal_window, "width": self.width, "quarter_convs": self.quarter_convs,
                "gain": float(self.gain), "sigma_floor": float(self.sigma_floor)}

    def forward(self, frames: torch.Tensor, noise_sigma: torch.Tensor, strength: torch.Tensor) -> torch.Tensor:
        centre_channel = 3 * (self.temporal_window // 2)
        centre = frames[:, centre_channel:centre_channel + 3]
        strength = strength.view(-1, 1, 1, 1)
        noise_sigma = noise_sigma * strength.clamp(min=1.0)
        stretched = torch.cat([(frames - 0.5) * self.gain, noise_sigma * self.gain], dim=1)
        x = F.relu(self.head(F.pixel_unshuffle(stretched, 2)))
        skip_half = F.relu(self.encode_half(x))
        x = F.relu(self.down_quarter(skip_half))
        for conv in self.encode_quarter:
            x = F.relu(conv(x))
        skip_quarter = x
        x = F.relu(self.down_eighth(x))
        for conv in self.bottleneck:
            x = F.relu(conv(x))
        x = F.relu(self.up_quarter(x)) + skip_quarter
        for conv in self.decode_quarter:
            x = F.relu(conv(x))
        x = F.relu(self.up_half(x)) + skip_half
        x = F.relu(self.decode_half(x))
        residual = F.pixel_shuffle(self.tail(x), 2) / self.gain
        temporal_mean = frames.view(frames.shape[0], self.temporal_window, 3, *frames.shape[2:]).mean(dim=1)
        weight = strength.clamp(0.0, 1.0) * noise_sigma / (noise_sigma + self.sigma_floor)
        return centre + (temporal_mean - centre + residual) * weight


def parameter_count(model: nn.Module) -> int:
    """Trainable parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def macs_per_pixel(model: CleanupNet, side: int = 64) -> float:
    """Multiply-accumulates per full-resolution output pixel, counted over every (transposed) convolution."""
    total = 0

    def count(module: nn.Module, inputs: tuple[torch.Tensor, ...], output: torch.Tensor) -> None:
        nonlocal total
        kernel = module.kernel_size[0] * module.kernel_size[1]
        if isinstance(module, nn.ConvTranspose2d):
            total += inputs[0][0].numel() * module.out_channels * kernel
        else:
            total += output[0].numel() * module.in_channels * kernel

    hooks = [m.register_forward_hook(count) for m in model.modules() if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))]
    try:
        with torch.inference_mode():
            model(torch.zeros(1, 3 * model.temporal_window, side, side), torch.zeros(1, 1, side, side),
                  torch.ones(1))
    finally:
        for hook in hooks:
            hook.remove()
    return total / (side * side)
