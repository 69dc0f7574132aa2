"""Batches for the optimisation: network inputs and Noise2Noise targets cut from the crop bank.

A batch item is one crop with:

- an *input radius* ``r`` (the full network radius most of the time; smaller radii, whose outer slots repeat
  the centre frame, teach the network clip edges and the ``temporal_radius`` parameter);
- input slots ``−R..R`` of the network: the warped neighbour where ``|offset| ≤ r`` and the warp is
  trusted, the centre frame everywhere else (exactly what ``core.effects.cleanup.graph_inputs.stacked_inputs``
  feeds at apply);
- a Noise2Noise target: another frame of the window with ``r < |offset| ≤ r + 2``, warped onto the centre
  with nearest-neighbour sampling. Its noise is independent of every input, so its expectation is the clean
  centre frame; the loss mask keeps only pixels where its warp is trusted and photometrically consistent;
- optionally extra synthetic grain of the production's structure on the inputs, with the ``strength``
  input raised to match (the graph scales ``noise_sigma`` by it: this teaches strengths above 1,
  FFDNet-style; the target keeps its own noise);
- a random rotation by quarter turns and flip.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from answerprint.core.effects.cleanup.noise import NoiseModel

from .dataset import CropBank


@dataclass(frozen=True)
class Batch:
    """Network inputs and Noise2Noise targets for one step (numpy, NCHW).

    Attributes
    ----------
    frames : ndarray
        float32 [B, 3T, c, c], the ``frames`` input.
    noise_sigma : ndarray
        float32 [B, 1, c, c], the ``noise_sigma`` input.
    strength : ndarray
        float32 [B], the ``strength`` input.
    target : ndarray
        float32 [B, 3, c, c], a further frame warped onto the centre.
    mask : ndarray
        float32 [B, 1, c, c], 1 where the target may be compared.
    clipped_sigma : ndarray or None
        float32 [B, 3, c, c], σ of the target's noise before clipping (clipped footage only).
    second_target : ndarray or None
        Another independent target (validation only: the unbiased-MSE estimate needs two).
    second_mask : ndarray or None
        Its mask.
    """

    frames: np.ndarray
    noise_sigma: np.ndarray
    strength: np.ndarray
    target: np.ndarray
    mask: np.ndarray
    clipped_sigma: np.ndarray | None = None
    second_target: np.ndarray | None = None
    second_mask: np.ndarray | None = None


def _input_slots(bank: CropBank, item: int, radius: int, used_radius: int, view: tuple[slice, slice],
                 extra: dict[int, np.ndarray]) -> np.ndarray:
    """The network's 2·radius+1 input slots [3T, c, c] (extra grain per offset added when given)."""
    centre = bank.frames[item, bank.reach][(slice(None), *view)] + extra.get(0, 0.0)
    slots = []
    for offset in range(-radius, radius + 1):
        slot = bank.reach + offset
        if offset == 0 or abs(offset) > used_radius or not bank.trusted[item, slot].any():
            slots.append(centre)
            continue
        neighbour = bank.frames[item, slot][(slice(None), *view)] + extra.get(offset, 0.0)
        slots.append(np.where(bank.trusted[item, slot][view][None], neighbour, centre))
    return np.concatenate(slots, axis=0)


def _present(bank: CropBank, item: int) -> list[int]:
    return [s - bank.reach for s in range(bank.frames.shape[1]) if s != bank.reach and bank.trusted[item, s].any()]


def _dihedral(arrays: list[np.ndarray], rng: np.random.Generator) -> list[np.ndarray]:
    turns, flip = int(rng.integers(4)), bool(rng.integers(2))
    out = []
    for array in arrays:
        array = np.rot90(array, turns, axes=(-2, -1))
        out.append(np.ascontiguousarray(array[..., ::-1] if flip else array))
    return out


def _extra_grain(bank: CropBank, item: int, view: tuple[slice, slice], used: int, strength: float,
                 noise_model: NoiseModel, rng: np.random.Generator) -> dict[int, np.ndarray]:
    """Independent synthetic grain per input offset, sized so the total noise is ``strength`` × the measured."""
    reference = np.transpose(bank.frames[item, bank.reach][(slice(None), *view)], (1, 2, 0))
    amount = float(np.sqrt(strength ** 2 - 1.0))
    return {o: np.transpose(noise_model.synthesize(reference.shape, reference, rng, amount), (2, 0, 1))
            for o in range(-used, used + 1)}


def sample_batch(bank: CropBank, rng: np.random.Generator, *, size: int, crop: int, radius: int,
                 full_radius_probability: float, boost_probability: float, noise_model: NoiseModel) -> Batch:
    """A random training batch (see the module docstring).

    Parameters
    ----------
    size, crop : int
        Items and crop side (pixels, at most the bank's).
    radius : int
        The network's temporal radius R (T = 2R+1).
    full_radius_probability : float
        Share of items that use all R neighbours; the others use a random smaller radius.
    boost_probability : float
        Share of items with extra synthetic grain (strength drawn in 1..2).
    noise_model : NoiseModel
        Shapes the extra grain.
    """
    crop = min(crop, bank.crop)
    stores: list[list[np.ndarray]] = [[] for _ in range(5 if bank.clipped_sigma is not None else 4)]
    strengths = []
    for _ in range(size):
        item = int(rng.integers(len(bank)))
        y, x = (int(v) for v in rng.integers(0, bank.crop - crop + 1, 2))
        view = (slice(y, y + crop), slice(x, x + crop))
        present = _present(bank, item)
        used = radius if rng.random() < full_radius_probability else int(rng.integers(radius))
        used = min(used, max(abs(o) for o in present) - 1)
        candidates = [o for o in present if used < abs(o) <= used + 2]
        target = bank.reach + candidates[int(rng.integers(len(candidates)))]
        strength = float(rng.uniform(1.0, 2.0)) if rng.random() < boost_probability else 1.0
        extra = _extra_grain(bank, item, view, used, strength, noise_model, rng) if strength > 1 else {}
        arrays = [_input_slots(bank, item, radius, used, view, extra), bank.sigma[item][view][None],
                  bank.frames[item, target][(slice(None), *view)],
                  bank.consistent[item, target][view][None].astype(np.float32)]
        if bank.clipped_sigma is not None:
            arrays.append(bank.clipped_sigma[item][(slice(None), *view)])
        for store, array in zip(stores, _dihedral(arrays, rng)):
            store.append(array)
        strengths.append(strength)
    stacked = [np.stack(store).astype(np.float32) for store in stores]
    return Batch(stacked[0], stacked[1], np.asarray(strengths, np.float32), stacked[2], stacked[3],
                 stacked[4] if len(stacked) > 4 else None)


def validation_batches(bank: CropBank, radius: int, size: int) -> list[Batch]:
    """Fixed validation batches: full radius, the nearest target beyond it on each side, no augmentation.

    Items whose window has no frame beyond the radius on either side are left out.
    """
    items = []
    for item in range(len(bank)):
        present = _present(bank, item)
        after = sorted(o for o in present if o > radius)
        before = sorted((o for o in present if o < -radius), reverse=True)
        first = (after or before or [None])[0]
        second = before[0] if after and before else None
        if first is not None:
            items.append((item, bank.reach + first, None if second is None else bank.reach + second))
    everything = (slice(None), slice(None))
    batches = []
    for start in range(0, len(items), size):
        chunk = items[start:start + size]
        zeros = np.zeros_like(bank.frames[0, 0])
        no_mask = np.zeros(bank.trusted.shape[-2:], bool)
        batches.append(Batch(
            frames=np.stack([_input_slots(bank, item, radius, radius, everything, {}) for item, _, _ in chunk]),
            noise_sigma=np.stack([bank.sigma[item][None] for item, _, _ in chunk]),
            strength=np.ones(len(chunk), np.float32),
            target=np.stack([bank.frames[item, first] for item, first, _ in chunk]),
            mask=np.stack([bank.consistent[item, first][None] for item, first, _ in chunk]).astype(np.float32),
            clipped_sigma=None if bank.clipped_sigma is None else np.stack([bank.clipped_sigma[i] for i, _, _ in chunk]),
            second_target=np.stack([bank.frames[i, s] if s is not None else zeros for i, _, s in chunk]),
            second_mask=np.stack([(bank.consistent[i, s] if s is not None else no_mask)[None]
                                  for i, _, s in chunk]).astype(np.float32)))
    return batches
