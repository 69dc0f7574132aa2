"""Training terms keep every tensor on the device the batch lives on.

A GPU run of the full profile failed on its first Neighbor2Neighbor step because the sub-sampling masks were
drawn on the CPU. PyTorch's ``meta`` device stands in for a GPU here: mixing it with CPU tensors fails the
same way, without a GPU.
"""
from __future__ import annotations

import torch

from answerprint.models.cleanup.losses import _neighbour_masks, _subsample


def test_neighbor2neighbor_subsampling_stays_on_the_batch_device():
    batch = torch.zeros(2, 3, 8, 8, device="meta")
    first, second = _neighbour_masks(batch.shape, torch.Generator().manual_seed(0))
    for choice in (first, second):
        half = _subsample(batch, choice)
        assert half.device.type == "meta" and half.shape == (2, 3, 4, 4)
