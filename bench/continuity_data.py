"""Material for the continuity benchmark: scenes of takes made from real photographs, with known changes.

Set-ups: four of scikit-image's bundled photographs (``coffee``, ``chelsea``, ``rocket``, ``motorcycle_left``)
as sets, twice each with other placements; an actor cut out of ``astronaut`` (OpenCV GrabCut) who stands
elsewhere in every take and moves through it; a prop, a practical lamp; a scene colour temperature of 3200,
4300 or 5600 K (``answerprint.core.demo.takes``). Takes: 16 frames of 854×480 (480p), scene-linear ACEScg with
sensor noise, written as 10-bit ProRes 422 HQ in ARRI LogC3 (EI800) — what a camera would have recorded.

- **Calibration dailies**: three unchanged takes of each set-up (``SC8xA_T1..3``): what the production's
  ``train continuity`` learns its thresholds from.
- **Test scenes** (``SC01A_T1..5``, ...): five takes of one set-up, 10 pairs; in a change scene one take (at a
  random place) carries one change of ``takes.CHANGES``; clean scenes carry none.

``manifest.json`` records every scene: set-up, the changed take and its kind, and each take's colour matrix
(exposure × white balance, scene-linear ``pixels @ colour.T``) with and without the change, for the fix's
truth.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from skimage import data, io

from answerprint.core.demo.takes import CHANGES, cut_out_actor, make_setup, render_take, take_state, write_take

PHOTOS = ("coffee", "chelsea", "rocket", "motorcycle_left")
WIDTH, HEIGHT, FRAMES = 854, 480, 16
TAKES = 5
CALIBRATION_TAKES = 3
SPACE = "ARRI LogC3 (EI800)"
ACTOR_RECT = (0.12, 0.0, 0.64, 1.0)


def photo(name: str) -> np.ndarray:
    """A bundled photograph as float32 sRGB 0..1."""
    file = next(Path(data.data_dir).glob(f"{name}.*"))
    return io.imread(file)[..., :3].astype(np.float32) / 255.0


def setups() -> list:
    """The benchmark's eight set-ups (deterministic)."""
    actor = cut_out_actor(data.astronaut(), ACTOR_RECT)
    made = []
    for index, name in enumerate(PHOTOS):
        for variant in range(2):
            rng = np.random.default_rng(1000 * index + variant)
            made.append(make_setup(photo(name), WIDTH, HEIGHT, rng, actor=actor))
    return made


def scene_plan(scenes_per_kind: int) -> list[dict]:
    """Which scenes to make: every change kind ``scenes_per_kind`` times, then one clean scene per set-up."""
    plan, number = [], 1
    rng = np.random.default_rng(5)
    for kind_index, kind in enumerate(CHANGES):
        for repeat in range(scenes_per_kind):
            plan.append({"scene": number, "setup": (kind_index * scenes_per_kind + repeat) % 8, "change": kind,
                         "changed_take": int(rng.integers(0, TAKES))})
            number += 1
    for setup in range(8):
        plan.append({"scene": number, "setup": setup, "change": None, "changed_take": None})
        number += 1
    return plan


def take_name(scene: int, take: int) -> str:
    return f"SC{scene:02d}A_T{take + 1}"


def make_material(folder: Path, scenes_per_kind: int, say=print) -> dict:
    """Write the calibration dailies and test scenes into ``folder`` (kept when already made with the same
    plan); returns the manifest."""
    manifest_path = folder / "manifest.json"
    plan = scene_plan(scenes_per_kind)
    if manifest_path.is_file():
        manifest = json.loads(manifest_path.read_text())
        if manifest["plan"] == plan:
            return manifest
    made = setups()
    (folder / "calibration").mkdir(parents=True, exist_ok=True)
    (folder / "scenes").mkdir(parents=True, exist_ok=True)
    for index, setup in enumerate(made):
        for take in range(CALIBRATION_TAKES):
            path = folder / "calibration" / f"{take_name(80 + index, take)}.mov"
            write_take(path, render_take(setup, 9000 + 10 * index + take, FRAMES), SPACE)
        say(f"calibration set-up {index + 1}/{len(made)}")
    scenes = []
    for item in plan:
        setup = made[item["setup"]]
        takes = []
        for take in range(TAKES):
            seed = 100 * item["scene"] + take
            change = item["change"] if take == item["changed_take"] else None
            path = folder / "scenes" / f"{take_name(item['scene'], take)}.mov"
            write_take(path, render_take(setup, seed, FRAMES, change), SPACE, timecode=f"1{take}:00:00:00")
            takes.append({"name": path.stem, "seed": seed, "change": change,
                          "colour": take_state(setup, seed, change).colour.tolist(),
                          "clean_colour": take_state(setup, seed).colour.tolist()})
        scenes.append({**item, "takes": takes, "scene_kelvin": setup.scene_kelvin})
        say(f"scene {item['scene']}/{len(plan)} ({item['change'] or 'clean'})")
    manifest = {"plan": plan, "scenes": scenes, "space": SPACE, "size": [WIDTH, HEIGHT], "frames": FRAMES}
    manifest_path.write_text(json.dumps(manifest))
    return manifest
