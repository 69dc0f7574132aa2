"""Dead, hot and stuck photosites: learned per camera across the dailies, found, and repaired."""
from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
from conftest import photo_frames

from answerprint.core.effects.cleanup.defects import SCHEMA, Defect, DefectMap, DefectRules, learn_defect_map
from answerprint.core.errors import PackError, ParamError

WIDTH, HEIGHT, FRAMES = 480, 272, 10
#: (x, y, channel, kind) planted on the sensor; a dead photosite reads black in all three channels.
PLANTED = [(int(x), int(y), int(c), ("stuck", "hot", "dead")[i % 3])
           for i, (x, y, c) in enumerate(zip(np.random.default_rng(7).integers(4, WIDTH - 5, 24),
                                             np.random.default_rng(8).integers(4, HEIGHT - 5, 24),
                                             np.random.default_rng(9).integers(0, 3, 24)))]
#: A debayer-smeared stuck photosite: full code in red, its right neighbour lifted by half.
CLUSTER = (200, 100)


def _grain(frames: list[np.ndarray], seed: int) -> list[np.ndarray]:
    """Low-ISO sensor noise (σ = 2/255) and 10-bit quantisation."""
    rng = np.random.default_rng(seed)
    return [(np.round(np.clip(f + rng.normal(0, 2 / 255, f.shape), 0, 1) * 1023) / 1023).astype(np.float32)
            for f in frames]


def _plant(frames: list[np.ndarray]) -> list[np.ndarray]:
    """The frames as the defective sensor records them (planted sites outside a smaller frame are skipped)."""
    out = []
    for frame in frames:
        frame = frame.copy()
        height, width = frame.shape[:2]
        for x, y, channel, kind in PLANTED:
            if x >= width or y >= height:
                continue
            if kind == "stuck":
                frame[y, x, channel] = 1.0
            elif kind == "hot":
                frame[y, x, channel] = min(1.0, frame[y, x, channel] + 0.35)
            else:
                frame[y, x, :] = 0.0
        x, y = CLUSTER
        frame[y, x, 0] = 1.0
        frame[y, x + 1, 0] = 0.5 * (1.0 + frame[y, x + 1, 0])
        out.append(frame)
    return out


def _truth() -> set[tuple[int, int, int]]:
    cells = set()
    for x, y, channel, kind in PLANTED:
        if kind == "dead":
            cells.update((x, y, c) for c in range(3))
        else:
            cells.add((x, y, channel))
    cells.update({(CLUSTER[0], CLUSTER[1], 0), (CLUSTER[0] + 1, CLUSTER[1], 0)})
    return cells


@pytest.fixture(scope="module")
def clean_clips() -> list[list[np.ndarray]]:
    """Three set-ups panning across different photographs, and one locked-off plate, all with grain."""
    pans = [photo_frames(WIDTH, HEIGHT, FRAMES, name, pan_px)
            for name, pan_px in (("astronaut", 2.0), ("coffee", 1.5), ("chelsea", 3.0))]
    plate = photo_frames(WIDTH, HEIGHT, 1, "rocket")[0]
    return [_grain(clip, seed) for seed, clip in enumerate(pans + [[plate] * FRAMES])]


@pytest.fixture(scope="module")
def learned(clean_clips) -> DefectMap:
    return learn_defect_map([_plant(clip) for clip in clean_clips], "A-cam", FRAMES)


def test_every_planted_stuck_hot_and_dead_pixel_is_found_across_clips(learned):
    found = {(d.x, d.y, d.channel) for d in learned.defects}
    assert _truth() <= found, f"missed {sorted(_truth() - found)}"
    false_positives = len(found - _truth())
    assert false_positives / (WIDTH * HEIGHT) < 1e-5, f"{false_positives} false defects"


def test_defects_are_named_by_what_the_photosite_does(learned):
    kinds = {(d.x, d.y, d.channel): d.kind for d in learned.defects}
    for x, y, channel, kind in PLANTED:
        assert kinds[(x, y, channel)] == kind, f"{(x, y, channel)} planted {kind}"
    assert learned.camera == "A-cam" and learned.clips == 4 and learned.frames == 4 * FRAMES


def test_clean_pans_and_a_locked_off_plate_raise_no_false_defects(clean_clips):
    assert learn_defect_map(clean_clips, "A-cam", FRAMES).defects == ()


def test_repeated_takes_of_one_locked_off_plate_prove_nothing(clean_clips):
    plate = clean_clips[3]
    takes = [plate, _grain([photo_frames(WIDTH, HEIGHT, 1, "rocket")[0]] * FRAMES, seed=11)]
    assert learn_defect_map(takes, "A-cam", FRAMES).defects == (), "texture of a locked-off plate is no defect"


def test_a_single_clip_cannot_prove_a_defect(clean_clips):
    with pytest.raises(ParamError, match="locked-off"):
        learn_defect_map([clean_clips[3]], "A-cam", FRAMES)
    with pytest.raises(ParamError, match="min_clips"):
        DefectRules(min_clips=1)


def test_repair_restores_values_near_the_clean_ones(learned, clean_clips):
    clean = clean_clips[1][4]
    damaged = _plant([clean])[0]
    repaired = learned.repair(damaged)
    cells = np.array(sorted(_truth()))
    error = np.abs(repaired[cells[:, 1], cells[:, 0], cells[:, 2]] - clean[cells[:, 1], cells[:, 0], cells[:, 2]])
    damage = np.abs(damaged[cells[:, 1], cells[:, 0], cells[:, 2]] - clean[cells[:, 1], cells[:, 0], cells[:, 2]])
    assert np.median(error) < 0.03 and error.mean() < damage.mean() / 5
    untouched = ~learned.mask()
    assert np.array_equal(repaired[untouched], damaged[untouched]), "only defects change"


def test_repair_never_uses_another_defect():
    frame = np.full((9, 9, 3), 0.5, np.float32)
    frame[4, 3:6, 1] = 1.0
    cluster = DefectMap("B", 9, 9, tuple(Defect(x, 4, 1, "stuck") for x in (3, 4, 5)))
    assert np.allclose(cluster.repair(frame)[4, 3:6, 1], 0.5)


def test_json_round_trip_keeps_the_map(learned):
    data = json.loads(json.dumps(learned.to_json()))
    assert data["schema"] == SCHEMA
    assert DefectMap.from_json(data) == learned


def test_a_map_of_another_schema_or_outside_the_frame_is_refused(learned):
    data = learned.to_json()
    with pytest.raises(PackError, match="schema"):
        DefectMap.from_json({**data, "schema": "answerprint.defects/0"})
    with pytest.raises(PackError, match="outside"):
        DefectMap.from_json({**data, "defects": [[WIDTH, 0, 0, "hot"]]})
    with pytest.raises(PackError, match="malformed"):
        DefectMap.from_json({k: v for k, v in data.items() if k != "camera"})


def test_frames_of_another_size_are_refused(learned, clean_clips):
    with pytest.raises(ParamError, match="480x272"):
        learned.repair(np.zeros((100, 200, 3), np.float32))
    smaller = [f[:200, :300] for f in clean_clips[0]]
    with pytest.raises(ParamError, match="clip 1"):
        learn_defect_map([clean_clips[1], smaller], "A-cam", FRAMES)
    with pytest.raises(ParamError, match="H×W×3"):
        learned.repair(np.zeros((HEIGHT, WIDTH), np.float32))


def test_clips_can_be_read_from_media_paths(tmp_path):
    clips = [_plant(_grain(photo_frames(256, 144, 6, name, pan), seed))
             for seed, (name, pan) in enumerate((("astronaut", 2.0), ("coffee", 3.0)))]
    paths = []
    for index, clip in enumerate(clips):
        for number, frame in enumerate(clip):
            pixels = np.round(frame[..., ::-1] * 65535).astype(np.uint16)
            cv2.imwrite(str(tmp_path / f"clip{index}.{number:04d}.png"), pixels)
        paths.append(tmp_path / f"clip{index}.%04d.png")
    from_paths = learn_defect_map(paths, "C", 6)
    from_memory = learn_defect_map(clips, "C", 6)
    assert from_paths.frames == 12 and from_paths.defects == from_memory.defects != ()


def test_a_map_scaled_to_a_proxy_moves_each_defect_to_the_pixel_it_lands_in():
    full = DefectMap("A", 3840, 2160, (Defect(7, 9, 2, "stuck"), Defect(100, 50, 0, "dead"), Defect(101, 51, 0, "hot")))
    proxy = full.scaled(1920, 1080)
    assert (proxy.width, proxy.height) == (1920, 1080)
    assert proxy.defects == (Defect(3, 4, 2, "stuck"), Defect(50, 25, 0, "dead"))
    assert full.scaled(3840, 2160) is full
