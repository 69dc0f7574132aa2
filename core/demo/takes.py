"""Takes of one camera set-up made from real photographs, with the variation real takes have and known changes.

A ``SetUp`` is a photograph used as the set (scene-linear ACEScg), optionally an actor cut out of another
photograph, a prop (a region of the set that differs visibly from the patch a clone stamp would put over it)
and a practical lamp (a small warm bulb and the light it spills on the set). ``render_take`` films one take:

- **take-to-take variation** (``TakeVariation``): the camera re-framed by a few pixels and a percent of zoom,
  the exposure and white balance wobbling by what a careful crew leaves (σ 0.03 EV, σ 1.5 mired), the actor
  standing somewhere else and moving through the take, fresh sensor noise (shot + read noise) every frame;
- **one injected change** (``CHANGES``): ± 1/3 stop, ± 300 K of white balance (Bradford, from the set's
  colour temperature), the prop moved or removed (pasted from the same frame, as a clone stamp would), the
  lamp switched, the actor's wardrobe shifted by ΔE00 ≈ 3.5, or the focus pulled off the actor.

Used by the demo's continuity step, the tests and ``bench/bench_continuity.py``. Frames are float32
scene-linear ACEScg ``(H, W, 3)``; positions are in frame pixels.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from fractions import Fraction
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np

from ..color import ColorProcessor
from ..color.delta_e import ciede2000
from ..continuity.colorimetry import acescg_to_lab, planck_xyz, white_balance_error_matrix, xyz_to_acescg
from ..frames import BT709, OutputSpec, open_writer

#: Changes ``render_take`` can inject, each the name of the measure that should flag it.
CHANGES = {
    "exposure_up": "exposure", "exposure_down": "exposure", "warmer": "white_balance", "cooler": "white_balance",
    "prop_moved": "content", "prop_removed": "content", "lamp_switched": "practical", "wardrobe": "wardrobe",
    "focus": "focus",
}
EXPOSURE_STEP_EV = 1 / 3
KELVIN_STEP = 300.0
WARDROBE_DE00 = 3.5
FOCUS_SIGMA_PX = 2.0
_PHOTO_SPACE = "sRGB Encoded Rec.709 (sRGB)"
_MARGIN = 0.05


@dataclass(frozen=True)
class TakeVariation:
    """What differs between good takes of one set-up (frame pixels, stops, mired: σ 1.5 mired is ±15 K at
    3200 K and ±50 K at 5600 K, the drift of the lights between takes with the camera's white balance set)."""

    reframe_px: float = 6.0
    zoom: float = 0.015
    exposure_ev: float = 0.03
    mired: float = 1.5
    actor_shift_px: float = 40.0
    actor_motion_px: float = 2.5
    read_noise: float = 0.004
    shot_noise: float = 0.0008


@dataclass(frozen=True)
class Actor:
    """A person cut out of a photograph: scene-linear ACEScg pixels, alpha 0..1, and where the wardrobe is."""

    rgb: np.ndarray
    alpha: np.ndarray
    wardrobe: np.ndarray


@dataclass(frozen=True)
class SetUp:
    """One camera set-up (see the module docstring); sizes and positions in frame pixels."""

    plate: np.ndarray
    width: int
    height: int
    scene_kelvin: float
    prop_box: tuple[int, int, int, int]
    clone_from: tuple[int, int]
    move_to: tuple[int, int]
    lamp: tuple[int, int] | None = None
    lamp_on: bool = True
    actor: Actor | None = None
    actor_place: tuple[float, float] = (0.6, 1.0)
    actor_height: float = 0.7
    variation: TakeVariation = field(default_factory=TakeVariation)


def photo_to_linear(photo_srgb: np.ndarray, exposure: float = 0.8) -> np.ndarray:
    """A photograph (sRGB code values 0..1) as scene-linear ACEScg, scaled so its white sits at ``exposure``."""
    processor = ColorProcessor(_PHOTO_SPACE, "ACEScg", threads=1)
    try:
        return processor(np.ascontiguousarray(photo_srgb, np.float32)) * np.float32(exposure)
    finally:
        processor.close()


@lru_cache(maxsize=4)
def _grabcut(photo_bytes: bytes, shape: tuple[int, int, int], rect: tuple[float, float, float, float]) -> np.ndarray:
    photo = np.frombuffer(photo_bytes, np.uint8).reshape(shape)
    side = 256
    small = cv2.resize(photo, (side, side * shape[0] // shape[1]), interpolation=cv2.INTER_AREA)
    mask = np.zeros(small.shape[:2], np.uint8)
    box = tuple(int(v * s) for v, s in zip(rect, (small.shape[1], small.shape[0], small.shape[1], small.shape[0])))
    cv2.grabCut(small[..., ::-1].copy(), mask, box, np.zeros((1, 65)), np.zeros((1, 65)), 4, cv2.GC_INIT_WITH_RECT)
    foreground = ((mask == 1) | (mask == 3)).astype(np.float32)
    return cv2.resize(foreground, (shape[1], shape[0]), interpolation=cv2.INTER_LINEAR)


def cut_out_actor(photo_srgb8: np.ndarray, rect: tuple[float, float, float, float],
                  wardrobe_below: float = 0.42) -> Actor:
    """An actor cut out of a photograph (uint8 sRGB) with OpenCV's GrabCut inside ``rect`` (x, y, w, h as
    fractions of the photo); the wardrobe is the cut-out below ``wardrobe_below`` of its height."""
    alpha = _grabcut(np.ascontiguousarray(photo_srgb8).tobytes(), photo_srgb8.shape, rect)
    alpha = cv2.GaussianBlur(alpha, (0, 0), 1.2)
    rows = np.nonzero(alpha.max(axis=1) > 0.5)[0]
    cut = rows[0] + wardrobe_below * (rows[-1] - rows[0])
    wardrobe = (alpha > 0.5) & (np.arange(alpha.shape[0])[:, None] > cut)
    return Actor(photo_to_linear(photo_srgb8.astype(np.float32) / 255.0), alpha, wardrobe)


def _box_at(frame: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    x, y, w, h = box
    return frame[y:y + h, x:x + w]


def _choose_prop(plate: np.ndarray, width: int, height: int, avoid: np.ndarray,
                 rng: np.random.Generator) -> tuple[tuple[int, int, int, int], tuple[int, int], tuple[int, int]]:
    """The prop box (about 1 % of the frame), where its clone patch comes from, and where it moves to: the box
    that differs most from its clone source once both are blurred by a tenth of the box (an object that stands
    out, not a texture that looks alike shifted), among random boxes clear of ``avoid`` (bool, frame pixels)."""
    w, h = int(0.085 * width), int(0.12 * height)
    log = cv2.GaussianBlur(np.log2(np.maximum(plate, 1e-4)).astype(np.float32), (0, 0), 0.1 * w)
    best, best_score = None, -1.0
    for _ in range(600):
        x, y = int(rng.uniform(0.05, 0.95) * width - w / 2), int(rng.uniform(0.08, 0.92) * height - h / 2)
        steps = [(int(1.4 * w), 0), (-int(1.4 * w), 0), (0, int(1.4 * h)), (0, -int(1.4 * h))]
        clone_step, move_step = (steps[i] for i in rng.choice(4, 2, replace=False))
        sx, sy = x + clone_step[0], y + clone_step[1]
        mx, my = x + move_step[0], y + move_step[1]
        boxes = [(x, y), (sx, sy), (mx, my)]
        if not all(0.03 * width <= bx and bx + w <= 0.97 * width and 0.03 * height <= by and by + h <= 0.97 * height
                   for bx, by in boxes):
            continue
        if any(avoid[by:by + h, bx:bx + w].any() for bx, by in boxes):
            continue
        score = float(np.abs(_box_at(log, (x, y, w, h)) - _box_at(log, (sx, sy, w, h))).mean())
        if score > best_score:
            best, best_score = ((x, y, w, h), (sx, sy), (mx, my)), score
    if best is None:
        raise ValueError("no room for a prop on this set")
    return best


def make_setup(photo_srgb: np.ndarray, width: int, height: int, rng: np.random.Generator, *,
               actor: Actor | None = None, lamp: bool = True, scene_kelvin: float | None = None,
               variation: TakeVariation = TakeVariation()) -> SetUp:
    """A set-up from a photograph (sRGB 0..1): plate cropped to cover the frame plus a reframing margin,
    a lamp, a prop and (given one) an actor, placed at random by ``rng``."""
    covered = (int(width * (1 + 2 * _MARGIN)), int(height * (1 + 2 * _MARGIN)))
    scale = max(covered[0] / photo_srgb.shape[1], covered[1] / photo_srgb.shape[0])
    resized = cv2.resize(photo_srgb, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    top, left = (resized.shape[0] - covered[1]) // 2, (resized.shape[1] - covered[0]) // 2
    plate = photo_to_linear(resized[top:top + covered[1], left:left + covered[0]])
    place = (float(rng.uniform(0.35, 0.65)), 1.0)
    avoid = np.zeros((height, width), bool)
    if actor is not None:
        actor_width = 0.7 * height * actor.alpha.shape[1] / actor.alpha.shape[0]
        x0 = int(place[0] * width - actor_width / 2 - variation.actor_shift_px - 20)
        avoid[int(0.2 * height):, max(0, x0):int(x0 + actor_width + 2 * variation.actor_shift_px + 40)] = True
    lamp_at = None
    if lamp:
        side = 0.15 if rng.random() < 0.5 else 0.85
        lamp_at = (int(side * width), int(rng.uniform(0.15, 0.3) * height))
        avoid[max(0, lamp_at[1] - 60):lamp_at[1] + 60, max(0, lamp_at[0] - 60):lamp_at[0] + 60] = True
    prop, clone, move = _choose_prop(plate[int(_MARGIN * height):, int(_MARGIN * width):][:height, :width],
                                     width, height, avoid, rng)
    kelvin = float(scene_kelvin if scene_kelvin is not None else rng.choice([3200.0, 4300.0, 5600.0]))
    return SetUp(plate, width, height, kelvin, prop, clone, move, lamp_at, bool(rng.random() < 0.5), actor,
                 place, variation=variation)


def _feathered_box(width: int, height: int) -> np.ndarray:
    ramp = lambda n: np.clip(np.minimum(np.arange(n) + 1, n - np.arange(n)) / max(2, n * 0.15), 0, 1)  # noqa: E731
    return (ramp(height)[:, None] * ramp(width)[None, :]).astype(np.float32)[..., None]


def _paste(frame: np.ndarray, patch: np.ndarray, x: int, y: int) -> None:
    h, w = patch.shape[:2]
    alpha = _feathered_box(w, h)
    region = frame[y:y + h, x:x + w]
    region[:] = alpha * patch + (1 - alpha) * region


def _set_in_frame(setup: SetUp, change: str | None) -> np.ndarray:
    """The set as the camera at rest frames it (frame-sized, margin cropped), with the prop and lamp states."""
    my, mx = int(_MARGIN * setup.height), int(_MARGIN * setup.width)
    plate = setup.plate.copy()
    frame = plate[my:my + setup.height, mx:mx + setup.width]
    x, y, w, h = setup.prop_box
    prop = frame[y:y + h, x:x + w].copy()
    if change in ("prop_moved", "prop_removed"):
        clone_x, clone_y = setup.clone_from
        _paste(frame, frame[clone_y:clone_y + h, clone_x:clone_x + w].copy(), x, y)
    if change == "prop_moved":
        _paste(frame, prop, *setup.move_to)
    lamp_on = setup.lamp_on != (change == "lamp_switched")
    if setup.lamp is not None:
        _add_lamp(plate, (setup.lamp[0] + mx, setup.lamp[1] + my), lamp_on, setup.height)
    return plate


def _add_lamp(plate: np.ndarray, centre: tuple[int, int], on: bool, height: int) -> None:
    """A bulb (radius 1.2 % of the frame height) and, when on, 2700 K light spilled around it."""
    yy, xx = np.mgrid[:plate.shape[0], :plate.shape[1]].astype(np.float32)
    distance = np.hypot(xx - centre[0], yy - centre[1])
    radius = 0.012 * height
    disc = np.clip(radius + 0.5 - distance, 0, 1)[..., None]
    if not on:
        plate[:] = plate * (1 - disc) + disc * np.float32(0.05)
        return
    warm = xyz_to_acescg(planck_xyz(2700.0)).astype(np.float32)
    spill = np.exp(-0.5 * (distance / (0.08 * height)) ** 2)[..., None]
    plate[:] = plate * (1 - disc) + disc * 12.0 * warm + spill * 0.6 * warm * plate.mean(axis=(0, 1))


def _wardrobe_tint(actor: Actor, rng: np.random.Generator) -> np.ndarray:
    """Actor pixels with the wardrobe shifted by ΔE00 ≈ WARDROBE_DE00 (a linear tint of random hue)."""
    angle = rng.uniform(0, 2 * np.pi)
    direction = np.array([np.cos(angle), np.cos(angle - 2.1), np.cos(angle + 2.1)], np.float32)
    pixels = actor.rgb[actor.wardrobe]
    sample = pixels[np.random.default_rng(0).choice(len(pixels), min(len(pixels), 4000), replace=False)]
    reference = acescg_to_lab(sample)
    low, high = 0.0, 0.5
    for _ in range(18):  # bisect the tint strength for the target mean ΔE00
        middle = (low + high) / 2
        shifted = acescg_to_lab(sample * (1 + middle * direction))
        low, high = (middle, high) if ciede2000(reference, shifted).mean() < WARDROBE_DE00 else (low, middle)
    rgb = actor.rgb.copy()
    rgb[actor.wardrobe] = pixels * (1 + (low + high) / 2 * direction)
    return rgb


def _composite_actor(plate: np.ndarray, setup: SetUp, actor_rgb: np.ndarray, actor_alpha: np.ndarray,
                     position: tuple[float, float]) -> np.ndarray:
    """``plate`` with the actor scaled to ``actor_height`` of the frame, feet at ``position`` (frame pixels)."""
    scale = setup.actor_height * setup.height / actor_alpha.shape[0]
    my, mx = _MARGIN * setup.height, _MARGIN * setup.width
    width = actor_alpha.shape[1] * scale
    move = np.float32([[scale, 0, position[0] + mx - width / 2],
                       [0, scale, position[1] + my - actor_alpha.shape[0] * scale]])
    size = (plate.shape[1], plate.shape[0])
    rgb = cv2.warpAffine(actor_rgb, move, size, flags=cv2.INTER_LINEAR)
    alpha = cv2.warpAffine(actor_alpha, move, size, flags=cv2.INTER_LINEAR)[..., None]
    return plate * (1 - alpha) + rgb * alpha


@dataclass(frozen=True)
class TakeState:
    """What one take is: its colour (exposure × white balance, scene-linear ``pixels @ colour.T``), camera
    (zoom, shift in pixels), actor start and velocity (pixels, pixels per frame)."""

    colour: np.ndarray
    zoom: float
    shift: tuple[float, float]
    actor_start: tuple[float, float]
    actor_velocity: tuple[float, float]
    stops: float
    balanced_kelvin: float


def take_state(setup: SetUp, seed: int, change: str | None = None) -> TakeState:
    """The random choices of take ``seed`` of ``setup`` (and the colour of an injected exposure or white-balance
    change)."""
    rng = np.random.default_rng(seed)
    variation = setup.variation
    shift = rng.uniform(-1, 1, 2) * variation.reframe_px
    zoom = 1 + rng.uniform(-1, 1) * variation.zoom
    stops = rng.normal(0, variation.exposure_ev) + {"exposure_up": EXPOSURE_STEP_EV,
                                                     "exposure_down": -EXPOSURE_STEP_EV}.get(change, 0.0)
    # A camera balanced for more kelvin than the light renders it warmer (and for less, cooler).
    balanced = 1e6 / (1e6 / setup.scene_kelvin + rng.normal(0, variation.mired)) + {
        "warmer": KELVIN_STEP, "cooler": -KELVIN_STEP}.get(change, 0.0)
    colour = (2 ** stops * white_balance_error_matrix(setup.scene_kelvin, balanced)).astype(np.float32)
    start = (setup.actor_place[0] * setup.width + rng.uniform(-1, 1) * variation.actor_shift_px,
             setup.actor_place[1] * setup.height + abs(rng.normal(0, 0.2)) * variation.actor_shift_px)
    velocity = rng.normal(0, variation.actor_motion_px, 2)
    return TakeState(colour, float(zoom), (float(shift[0]), float(shift[1])), (float(start[0]), float(start[1])),
                     (float(velocity[0]), float(velocity[1])), float(stops), float(balanced))


def render_take(setup: SetUp, seed: int, frame_count: int, change: str | None = None,
                only: set[int] | None = None) -> list[np.ndarray | None]:
    """Film one take of ``setup`` (see the module docstring): ``frame_count`` scene-linear ACEScg frames.

    Parameters
    ----------
    seed : int
        Picks this take's reframing, wobble, actor position and motion (``take_state``), and noise.
    change : str, optional
        One of ``CHANGES`` to inject into this take.
    only : set of int, optional
        Render only these frame indices (the others are None); the take is the same either way.
    """
    if change is not None and change not in CHANGES:
        raise ValueError(f"unknown change {change!r}; one of {', '.join(CHANGES)}")
    state = take_state(setup, seed, change)
    plate = _set_in_frame(setup, change)
    actor_rgb = actor_alpha = None
    if setup.actor is not None:
        actor_rgb, actor_alpha = setup.actor.rgb, setup.actor.alpha
        if change == "wardrobe":
            actor_rgb = _wardrobe_tint(setup.actor, np.random.default_rng([seed, 1]))
        if change == "focus":
            actor_rgb = cv2.GaussianBlur(actor_rgb, (0, 0), FOCUS_SIGMA_PX / (setup.actor_height * setup.height
                                                                              / actor_alpha.shape[0]))
    plate_centre = np.array([plate.shape[1], plate.shape[0]], np.float64) / 2
    frame_centre = np.array([setup.width, setup.height], np.float64) / 2
    camera = np.float32([[state.zoom, 0, 0], [0, state.zoom, 0]])
    camera[:, 2] = frame_centre + np.array(state.shift) - state.zoom * plate_centre
    variation = setup.variation
    frames: list[np.ndarray | None] = []
    for index in range(frame_count):
        noise_rng = np.random.default_rng([seed, index])
        sway = np.array(state.actor_velocity) * index + noise_rng.normal(0, 0.3, 2)
        if only is not None and index not in only:
            frames.append(None)
            continue
        scene = plate
        if actor_rgb is not None:
            position = (state.actor_start[0] + sway[0], state.actor_start[1] + sway[1])
            scene = _composite_actor(plate, setup, actor_rgb, actor_alpha, position)
        view = cv2.warpAffine(scene, camera, (setup.width, setup.height), flags=cv2.INTER_LINEAR,
                              borderMode=cv2.BORDER_REFLECT) @ state.colour.T
        sigma = np.sqrt(variation.read_noise ** 2 + variation.shot_noise * np.clip(view, 0, None))
        frames.append((view + sigma * noise_rng.standard_normal(view.shape, dtype=np.float32)).astype(np.float32))
    return frames


def without_variation(setup: SetUp) -> SetUp:
    """The same set-up filmed with no take-to-take variation and no noise (what tests compare against)."""
    return replace(setup, variation=TakeVariation(0, 0, 0, 0, 0, 0, 0, 0))


def write_take(path: str | os.PathLike, frames: list[np.ndarray], space: str = "ARRI LogC3 (EI800)",
               timecode: str = "10:00:00:00", rate: Fraction = Fraction(24000, 1001)) -> Path:
    """Write scene-linear ACEScg frames as a 10-bit ProRes 422 HQ take encoded in ``space``."""
    path = Path(path)
    height, width = frames[0].shape[:2]
    to_code = ColorProcessor("ACEScg", space)
    writer = open_writer(OutputSpec(str(path), "prores_422hq", width, height, rate, 0, timecode, color_tags=BT709))
    try:
        for index, frame in enumerate(frames):
            writer.write(index, to_code(np.ascontiguousarray(frame, np.float32)))
        writer.finish()
    except BaseException:
        writer.abort()
        raise
    finally:
        to_code.close()
    return path
