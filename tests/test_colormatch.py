"""Shot match, chart match, CDLs and graded pairs: a colorist's checklist on real photographs."""
from __future__ import annotations

import json
import warnings
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
import PyOpenColorIO as ocio
import pytest
from conftest import photo, photo_frames
from skimage import color as skcolor

from answerprint.core.cli import main
from answerprint.core.color import ColorProcessor
from answerprint.core.color.cdl import Cdl, CdlError, fit_cdl, read_cdl, write_cdl
from answerprint.core.color.delta_e import ciede2000, delta_e_acescct
from answerprint.core.color.lut import apply_lut
from answerprint.core.effects.colormatch import chart
from answerprint.core.effects.colormatch.transfer import check_reference, match_shot, mkl_map
from answerprint.core.effects.look.pairs import check_pair, find_pairs
from answerprint.core.errors import MediaError, UsageError
from answerprint.core.frames import OutputSpec, open_media, open_writer
from answerprint.core.render.sidecar import sidecar_path

SRGB = "sRGB Encoded Rec.709 (sRGB)"
to_working = ColorProcessor(SRGB, "ACEScct", threads=1)
from_working = ColorProcessor("ACEScct", SRGB, threads=1)


def small(name: str, width: int = 240) -> np.ndarray:
    """A bundled photograph, ``width`` pixels wide, sRGB code values."""
    pixels = photo(name)
    return cv2.resize(pixels, (width, int(pixels.shape[0] * width / pixels.shape[1])), interpolation=cv2.INTER_AREA)


def warm_contrast(rgb: np.ndarray) -> np.ndarray:
    """A plain global grade: warmer, more contrast, a little less saturation (sRGB code values)."""
    graded = 0.5 + (rgb * np.array([1.08, 1.0, 0.88], np.float32) - 0.5) * 1.15
    luma = graded @ np.array([0.2126, 0.7152, 0.0722], np.float32)
    return np.clip(luma[..., None] + 0.85 * (graded - luma[..., None]), 0, 1).astype(np.float32)


def crop(image: np.ndarray, corner: str) -> np.ndarray:
    """A 70% crop from the top-left or bottom-right: the same scene framed differently."""
    height, width = int(image.shape[0] * 0.7), int(image.shape[1] * 0.7)
    return image[:height, :width] if corner == "top-left" else image[-height:, -width:]


def mean_de(a_working: np.ndarray, b_working: np.ndarray) -> float:
    return float(delta_e_acescct(a_working, b_working).mean())


def test_ciede2000_agrees_with_scikit_image():
    rng = np.random.default_rng(0)
    lab = np.stack([rng.uniform(0, 100, 5000), rng.uniform(-90, 90, 5000), rng.uniform(-90, 90, 5000)], axis=-1)
    other = lab + rng.normal(0, 4, lab.shape)
    other[:50, 1:] = 0
    assert np.abs(ciede2000(lab, other) - skcolor.deltaE_ciede2000(lab, other)).max() < 1e-6


def test_mkl_on_the_same_scene_improves_the_match():
    shot = to_working(small("chelsea"))
    reference = to_working(warm_contrast(small("chelsea")))
    transform, offset = mkl_map(shot.reshape(-1, 3).astype(float), reference.reshape(-1, 3).astype(float))
    matched = (shot.reshape(-1, 3) @ transform.T + offset).reshape(shot.shape).astype(np.float32)
    assert mean_de(matched, reference) < 0.5 * mean_de(shot, reference)


def test_a_reference_of_the_same_scene_framed_differently_is_matched_through_the_common_view():
    ungraded = small("chelsea", 320)
    shot, truth = to_working(crop(ungraded, "top-left")), to_working(crop(warm_contrast(ungraded), "top-left"))
    reference = to_working(crop(warm_contrast(ungraded), "bottom-right"))
    result = match_shot([shot], reference)
    assert result.route == "common view" and not result.held_back and result.confidence >= 0.75
    assert mean_de(apply_lut(shot, result.lut), truth) < 1.0 < mean_de(shot, truth)


def test_matching_a_different_shot_never_makes_it_worse():
    shot = to_working(small("astronaut"))
    truth = to_working(warm_contrast(small("astronaut")))
    reference = to_working(warm_contrast(small("coffee")))
    result = match_shot([shot], reference)
    assert result.held_back and result.lut is None
    assert "held back" in result.message and "different content" in result.message
    forced = match_shot([shot], reference, hold_back=False)
    assert not forced.held_back and forced.route == "mkl"
    assert mean_de(apply_lut(shot, forced.lut), truth) > mean_de(shot, truth)


def test_strength_blends_between_the_shot_and_the_full_match():
    shot = to_working(small("astronaut", 160))
    reference = to_working(warm_contrast(small("coffee", 160)))
    full = apply_lut(shot, match_shot([shot], reference, hold_back=False).lut)
    half = apply_lut(shot, match_shot([shot], reference, hold_back=False, strength=0.5).lut)
    none = apply_lut(shot, match_shot([shot], reference, hold_back=False, strength=0.0).lut)
    assert np.abs(none - shot).max() < 1e-4
    assert np.abs(half - (shot + full) / 2).max() < 1e-3


@pytest.mark.parametrize("reference, message", [
    (np.full((64, 64, 3), 0.0729, np.float32), "black"),
    (np.full((64, 64, 3), 0.4, np.float32), "flat"),
    (np.where(np.arange(64)[:, None, None] < 40, 0.6, np.linspace(0.2, 0.5, 64)[None, :, None]).astype(np.float32)
     * np.ones((64, 64, 3), np.float32), "clipped"),
])
def test_a_black_flat_or_clipped_reference_is_refused(reference, message):
    with pytest.raises(MediaError, match=message):
        check_reference(reference, "ref.exr")
    with pytest.raises(MediaError, match=message):
        match_shot([to_working(small("coffee", 64))], reference)


def test_a_mask_of_the_wrong_size_is_refused():
    reference = to_working(small("coffee", 64))
    with pytest.raises(UsageError, match="the mask is"):
        match_shot([reference], reference, reference_mask=np.ones((10, 10), bool))


def test_pairs_of_different_sizes_are_refused():
    ungraded = to_working(small("coffee", 128))
    with pytest.raises(MediaError, match="the graded frame is 120x80 but the ungraded one is 128x85"):
        check_pair(ungraded, to_working(small("coffee", 120)), "pair 1")


@pytest.mark.parametrize("change, message", [
    (lambda f: np.roll(f, 4, axis=1), "shifted by about"),
    (lambda f: cv2.resize(f[10:-10, 15:-15], f.shape[1::-1]), "does not show the ungraded picture|shifted"),
    (lambda f: cv2.resize(small("rocket", 200), f.shape[1::-1]), "does not show the ungraded picture"),
    (lambda f: np.zeros_like(f), "black or flat"),
])
def test_misaligned_or_wrong_pairs_are_refused(change, message):
    ungraded = small("chelsea", 200)
    graded = warm_contrast(change(ungraded).astype(np.float32))
    with pytest.raises(MediaError, match=message):
        check_pair(to_working(ungraded), to_working(graded), "pair 1")
    check_pair(to_working(ungraded), to_working(warm_contrast(ungraded)), "pair 1")


def write_still(path, pixels: np.ndarray) -> None:
    """A 16-bit PNG under exactly this name (camera-style names end in digits: A001C003.png)."""
    cv2.imwrite(str(path), np.round(np.clip(pixels[..., ::-1], 0, 1) * 65535).astype(np.uint16))


def test_pairs_are_found_by_name_across_file_types(tmp_path):
    (tmp_path / "u").mkdir(), (tmp_path / "g").mkdir()
    for name in ("A001C003", "A001C004"):
        write_still(tmp_path / "u" / f"{name}.png", small("coffee", 64))
        write_still(tmp_path / "g" / f"{name}.png", small("coffee", 64))
    write_still(tmp_path / "g" / "unrelated.png", small("coffee", 64))
    lines: list[str] = []
    pairs = find_pairs(tmp_path / "u", tmp_path / "g", notify=lines.append)
    assert [(p.name, p.ungraded_frame, p.graded_frame) for p in pairs] == [("A001C003", 3, 3), ("A001C004", 4, 4)]
    assert {(p.ungraded.kind, p.graded.kind) for p in pairs} == {("still", "still")}, "clip names, not frame numbers"
    assert lines[-1] == "unpaired (no clip of the same name or timecode range on the other side): ungraded none; " \
                        "graded unrelated"
    (tmp_path / "other").mkdir()
    write_still(tmp_path / "other" / "unrelated.png", small("coffee", 64))
    with pytest.raises(UsageError, match=r"no graded pairs: .* \(ungraded A001C003, A001C004; graded unrelated\)"):
        find_pairs(tmp_path / "u", tmp_path / "other")
    (tmp_path / "empty").mkdir()
    with pytest.raises(MediaError, match="empty: no movies, image sequences or stills in this folder"):
        find_pairs(tmp_path / "u", tmp_path / "empty")
    with pytest.raises(UsageError, match="not a folder"):
        find_pairs(tmp_path / "u", tmp_path / "absent")


def test_a_cdl_round_trips_through_its_files_and_opencolorio(tmp_path):
    cdl = Cdl((1.2, 0.9, 1.1), (0.02, -0.01, 0.03), (0.9, 1.1, 1.0), 0.8, "sc042", "warm day")
    pixels = np.random.default_rng(0).uniform(0, 1, (4000, 3))
    for suffix in (".cdl", ".ccc"):
        path = write_cdl(tmp_path / f"look{suffix}", cdl)
        assert read_cdl(path) == cdl
        transform = ocio.FileTransform(str(path))
        transform.setCCCId("sc042")
        out = pixels.astype(np.float32).copy()
        ocio.Config.CreateRaw().getProcessor(transform).getDefaultCPUProcessor().applyRGB(out)
        assert np.abs(out - cdl.apply(pixels)).max() < 1e-4


def test_a_cdl_fit_recovers_a_cdl_grade_and_states_the_residual_of_one_it_cannot_express():
    pixels = np.random.default_rng(1).uniform(0, 1, (3000, 3))
    grade = Cdl((1.1, 0.95, 0.9), (0.01, 0.0, 0.02), (1.2, 1.0, 0.9), 1.2)
    assert fit_cdl(pixels, grade.apply(pixels)).rms < 1e-6
    hue_twist = pixels[:, [1, 2, 0]] * 0.3 + pixels * 0.7
    assert fit_cdl(pixels, hue_twist).rms > 0.01


def test_a_broken_cdl_file_is_a_cdl_error(tmp_path):
    path = tmp_path / "bad.cdl"
    path.write_text("<ColorDecisionList><ColorDecision><ColorCorrection><SOPNode><Slope>1 1</Slope>"
                    "</SOPNode></ColorCorrection></ColorDecision></ColorDecisionList>")
    with pytest.raises(CdlError, match="Slope must be three finite numbers"):
        read_cdl(path)


def chart_scene(grade) -> tuple[np.ndarray, np.ndarray]:
    """A ColorChecker 24 rendered from its published values, in perspective on a photograph; and its corners."""
    patches = from_working(chart.reference_patches().astype(np.float32).reshape(4, 6, 3))
    cell, pad = 40, 8
    board = np.full((4 * cell + 2 * pad, 6 * cell + 2 * pad, 3), 0.05, np.float32)
    for row in range(4):
        for column in range(6):
            top, left = pad + row * cell, pad + column * cell
            board[top + 4: top + cell - 4, left + 4: left + cell - 4] = patches[row, column]
    scene = small("coffee", 640)
    height, width = board.shape[:2]
    warp = cv2.getPerspectiveTransform(np.float32([[0, 0], [width, 0], [width, height], [0, height]]),
                                       np.float32([[200, 120], [470, 140], [460, 330], [190, 300]]))
    inside = cv2.warpPerspective(np.ones((height, width), np.float32), warp, scene.shape[1::-1])[..., None]
    scene = scene * (1 - inside) + cv2.warpPerspective(board, warp, scene.shape[1::-1])
    inner = np.float32([[[pad, pad], [width - pad, pad], [width - pad, height - pad], [pad, height - pad]]])
    return to_working(grade(scene.astype(np.float32))), cv2.perspectiveTransform(inner, warp)[0]


def test_a_colorchecker_is_found_and_fitted_to_a_neutral_grade():
    frame, corners = chart_scene(lambda rgb: np.clip(rgb * np.array([1.1, 1.0, 0.8], np.float32), 0, 1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        found = chart.detect_chart(frame)
    assert found is not None
    fitted = chart.fit_chart(*found)
    assert fitted.residual_de00 < 1.0
    given = chart.fit_chart(chart.sample_patches(frame, corners), corners, method="cheung")
    assert given.residual_de00 < 2.0
    with pytest.raises(UsageError, match="eight numbers"):
        chart.parse_corners("1,2,3")


def test_the_effect_matches_a_clip_to_a_reference_through_the_render_engine(tmp_path):
    frames = photo_frames(256, 144, 3, "chelsea")
    writer = open_writer(OutputSpec(str(tmp_path / "shot.%04d.png"), "png16", 256, 144, Fraction(24), 1))
    for index, frame in enumerate(frames):
        writer.write(1 + index, frame)
    writer.finish()
    reference = warm_contrast(photo_frames(256, 144, 1, "chelsea", pan_px=0)[0])[20:140, 40:250]
    write_still(tmp_path / "ref.png", np.ascontiguousarray(reference))
    assert main(["apply", "colormatch", str(tmp_path / "shot.%04d.png"), str(tmp_path / "out.%04d.png"),
                 "--param", f"reference={tmp_path / 'ref.png'}"]) == 0
    with open_media(tmp_path / "out.%04d.png") as reader:
        matched = dict(reader.read())
    truth = to_working(warm_contrast(frames[1]))
    assert mean_de(to_working(matched[2]), truth) < 1.0 < mean_de(to_working(frames[1]), truth)


def test_the_effect_holds_back_on_a_different_shot_and_leaves_the_clip_unchanged(tmp_path, capsys):
    frame = photo_frames(128, 96, 1, "astronaut")[0]
    write_still(tmp_path / "shot.png", frame)
    write_still(tmp_path / "ref.png", warm_contrast(photo_frames(128, 96, 1, "coffee")[0]))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert main(["apply", "colormatch", str(tmp_path / "shot.png"), str(tmp_path / "out.png"),
                     "--param", f"reference={tmp_path / 'ref.png'}"]) == 0
    assert not [w for w in caught if "held back" in str(w.message)]  # a note the command prints, not a warning
    notes = [line for line in capsys.readouterr().err.splitlines() if line.startswith("note: ")]
    assert len(notes) == 1 and "held back, the shot is unchanged" in notes[0]
    sidecar = json.loads(Path(sidecar_path(str(tmp_path / "out.png"))).read_text())
    assert sidecar["notes"] == [notes[0].removeprefix("note: ")]
    with open_media(tmp_path / "out.png") as reader:
        (_, out), = reader.read()
    assert np.abs(out - frame).max() < 2e-4
