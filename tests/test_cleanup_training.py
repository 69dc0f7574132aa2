"""Cleanup training: learns from noisy dailies alone, refuses bad input clearly, exports a signed pack.

Everything trains with the ``tiny`` profile (a width-8 network, seconds of CPU) on small pans across real
photographs; the command-line test writes two 10-bit ProRes clips and runs ``answerprint train cleanup``.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import re
from fractions import Fraction

import numpy as np
import pytest
import torch
from conftest import photo_frames

from answerprint.core.effects.cleanup.noise import NoiseModel
from answerprint.core.errors import Cancelled, UsageError
from answerprint.core.frames import BT709, OutputSpec, open_writer
from answerprint.core.packs import UnapprovedMediaError, create_production_key, init_production, load_pack
from answerprint.core.progress import CancelToken
from answerprint.core.runtime import ModelSession, clear_session_cache
from answerprint.models import cli
from answerprint.models.cleanup import profiles
from answerprint.models.cleanup import train as training
from answerprint.models.cleanup.clips import Clip, check_clips
from answerprint.models.cleanup.dataset import build_bank, plan_windows
from answerprint.models.cleanup.train import train_cleanup, train_cleanup_on_frames

WIDTH, HEIGHT = 160, 96


def psnr(output: np.ndarray, reference: np.ndarray) -> float:
    """PSNR in dB for code values 0..1 (capped at 100 dB for identical frames)."""
    return float(10 * np.log10(1.0 / max(np.mean((output.astype(np.float64) - reference) ** 2), 1e-10)))


def noisy_clip(name: str, count: int, sigma: float, seed: int, pan_px: float = 1.0) -> tuple[list, list]:
    """(clean, noisy) frames of a pan across a photograph; noise clipped to 0..1 like real code values."""
    clean = [f * 0.8 + 0.1 for f in photo_frames(WIDTH, HEIGHT, count, name, pan_px=pan_px)]
    rng = np.random.default_rng(seed)
    return clean, [np.clip(f + rng.normal(0, sigma, f.shape), 0, 1).astype(np.float32) for f in clean]


def write_prores(path, frames) -> str:
    writer = open_writer(OutputSpec(str(path), "prores_422hq", WIDTH, HEIGHT, Fraction(24), color_tags=BT709))
    for number, frame in enumerate(frames):
        writer.write(number, frame)
    writer.finish()
    return str(path)


@pytest.fixture(scope="module")
def trained_on_three_clips():
    """A tiny model trained on two clips; the third is held out (validation) and scored against the truth."""
    clips = [noisy_clip(name, 10, 0.05, seed) for seed, name in enumerate(("astronaut", "coffee", "chelsea"))]
    result = train_cleanup_on_frames([noisy for _, noisy in clips], "tiny", steps=300, seconds=60)
    return result, clips


def test_training_removes_noise_from_a_held_out_clip(trained_on_three_clips):
    result, clips = trained_on_three_clips
    clean, noisy = clips[2]
    assert any("held-out clip(s): clip 3" in n for n in result.notices)
    output = result.denoise(noisy[4:7], backend="torch")
    gain = psnr(output, clean[5]) - psnr(noisy[5], clean[5])
    assert gain > 3.0, f"only {gain:.2f} dB better than the noisy frame"
    assert result.metrics["held_out_clips"] == 1 and result.metrics["validation_on_training_windows"] == 0
    assert abs(result.metrics["estimated_gain_db"] - gain) < 3.0, "the report's headline tracks the true gain"
    assert result.history[-1].validation_loss < result.history[0].validation_loss
    assert abs(result.noise_model.typical_sigma / 0.05 - 1) < 0.15


def test_strength_zero_leaves_the_frame_untouched_and_two_removes_more(trained_on_three_clips):
    result, clips = trained_on_three_clips
    clean, noisy = clips[2]
    untouched = result.denoise(noisy[4:7], strength=0.0, backend="torch")
    assert np.array_equal(untouched, noisy[5])
    half = result.denoise(noisy[4:7], strength=0.5, backend="torch")
    full = result.denoise(noisy[4:7], backend="torch")
    assert np.allclose(half, noisy[5] + 0.5 * (full - noisy[5]), atol=1e-6), "below 1 strength blends exactly"
    stronger = result.denoise(noisy[4:7], strength=2.0, backend="torch")
    assert np.abs(stronger - noisy[5]).mean() > np.abs(full - noisy[5]).mean()


def test_already_clean_footage_is_left_almost_unchanged():
    clips = [[np.round(f * 1023) / 1023 for f in noisy_clip(name, 10, 0.0, 0)[0]] for name in ("astronaut", "rocket")]
    result = train_cleanup_on_frames(clips, "tiny", steps=100)
    assert any("already clean" in n for n in result.notices)
    output = result.denoise(clips[0][3:6], backend="torch")
    assert psnr(output, clips[0][4]) > 50, "a model of clean footage must not invent or remove detail"


def test_a_locked_off_plate_trains_like_a_pan():
    plate = photo_frames(WIDTH, HEIGHT, 1, "rocket")[0]
    rng = np.random.default_rng(3)
    frames = [np.clip(plate + rng.normal(0, 0.04, plate.shape), 0, 1).astype(np.float32) for _ in range(9)]
    result = train_cleanup_on_frames([frames], "tiny", steps=150)
    assert psnr(result.denoise(frames[3:6], backend="torch"), plate) > psnr(frames[4], plate) + 3


def test_bad_dailies_are_refused_with_a_clear_message():
    _, small = noisy_clip("astronaut", 10, 0.03, 0)
    with pytest.raises(UsageError, match="too little footage.*4 usable frame"):
        train_cleanup_on_frames([small[:4]], "tiny")
    black = [np.zeros_like(f) for f in small]
    with pytest.raises(UsageError, match="every clip given is blank"):
        train_cleanup_on_frames([black], "tiny")


def test_a_black_clip_is_left_out_and_mixed_rates_only_warn():
    _, noisy = noisy_clip("coffee", 10, 0.03, 1)
    notices: list[str] = []
    clips = [Clip.from_frames(noisy, "A001"), Clip.from_frames([np.zeros_like(f) for f in noisy], "slug")]
    clips[0].frame_rate, clips[1].frame_rate = Fraction(24), Fraction(25)
    assert [c.name for c in check_clips(clips, notices.append)] == ["A001"]
    assert "mix frame rates: 24.000 fps (1), 25.000 fps (1); windows never span two clips" in notices[0]
    assert "slug: left out, the clip is blank" in notices[1]


def test_the_crop_bank_is_the_same_on_one_thread_or_several_and_keeps_to_its_byte_budget():
    clips = [Clip.from_frames(noisy_clip("astronaut", 10, 0.05, 0)[1], "A001")]
    plans = plan_windows(clips, 4, 3, lambda notice: None)
    options = {"reach": 3, "crop": 64, "crops_per_window": 2, "seed": 1, "on_window": lambda done: None}
    one, several = (build_bank(clips, plans, workers=workers, **options) for workers in (1, 3))
    assert np.array_equal(one.frames, several.frames) and np.array_equal(one.trusted, several.trusted)
    crop_bytes = 7 * 64 * 64 * 14 + 64 * 64 * 4
    small = build_bank(clips, plans, workers=2, max_bytes=len(plans) * crop_bytes, **options)
    assert len(small) == len(plans), "one crop per window fits the budget, however many the coverage asks for"


def test_the_full_profile_scales_windows_with_the_footage_within_its_memory():
    full = profiles.get_profile("full")
    assert full.training_windows(100) == full.windows
    assert full.training_windows(6000) == 6000 // full.frames_per_window
    assert full.training_windows(10 ** 7) * 9 * 256 ** 2 * 14 <= full.bank_bytes, "a bank of one crop per window fits"
    assert profiles.get_profile("quick").training_windows(10 ** 7) == profiles.get_profile("quick").windows


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    """A production with approved dailies (two noisy 10-bit ProRes clips) and a signing key."""
    root = tmp_path_factory.mktemp("cleanup_training")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ANSWERPRINT_HOME", str(root / "home"))
        patch.delenv("ANSWERPRINT_SHARED_LIBRARY", raising=False)
        patch.setitem(profiles.PROFILES, "quick", profiles.PROFILES["tiny"])
        dailies = root / "dailies"
        dailies.mkdir()
        clips = [write_prores(dailies / f"A00{i}C001.mov", noisy_clip(name, 12, 0.03, i)[1])
                 for i, name in enumerate(("astronaut", "coffee"), start=1)]
        create_production_key(init_production("cobalt", "Cobalt Feature", (str(dailies),)))
        yield {"root": root, "clips": clips}
        clear_session_cache()


@pytest.fixture(scope="module")
def cli_run(studio):
    """``answerprint train cleanup`` end to end, keeping the trained model for the parity check."""
    captured = {}

    def keep(**options):
        captured["result"] = train_cleanup(**options)
        return captured["result"]

    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    pack = studio["root"] / "out" / "grain.onnx"
    args = parser.parse_args(["cleanup", "--production", "cobalt", "--dailies", *studio["clips"], "--name", "grain",
                              "--out", str(pack)])
    with pytest.MonkeyPatch.context() as patch, contextlib.redirect_stderr(io.StringIO()) as log:
        patch.setattr(training, "train_cleanup", keep)
        code = cli.run(args)
    return code, pack, captured["result"], log.getvalue()


def test_the_train_command_installs_a_signed_pack_exports_a_copy_and_writes_a_report(cli_run):
    code, pack_path, result, log = cli_run
    installed = result.pack_path
    assert code == 0 and installed.parts[-6:] == ("cobalt", "packs", "cleanup", "grain", "1", "grain.onnx")
    for name in ("grain.onnx", "grain.fp16.onnx", "grain.report.html"):
        assert (pack_path.parent / name).read_bytes() == (installed.parent / name).read_bytes(), name
    assert "A001C001.mov: movie, 12 frames 0-11, 160x96, 24 fps (prores HQ, 10-bit, bt709)" in log
    pack = load_pack(pack_path, "cobalt")
    manifest = pack.manifest
    assert pack.verified and manifest.effect == "cleanup" and manifest.name == "grain"
    assert manifest.io.temporal_window == 3 and manifest.io.size_multiple == 8
    assert manifest.parity["max_abs_diff"] <= 1e-4
    assert [b.tensor for b in manifest.bindings if b.via == "input"] == ["strength"]
    assert "grain_amount" in manifest.params.names and manifest.params["strength"].default == 1.0
    model = NoiseModel.from_json(manifest.effect_data["noise_model"])
    assert 0.015 < model.typical_sigma < 0.03, "ProRes softens the added σ = 0.03 noise a little, never removes it"
    sources = manifest.provenance["sources"]
    assert [s["path"].rsplit("/", 1)[-1] for s in sources] == ["A001C001.mov", "A002C001.mov"]
    assert all(len(s["sha256"]) == 64 and s["frame_ranges"][0][0] >= 0 for s in sources)
    steps = re.findall(r"^answerprint train cleanup: train \d+% \(\d+/\d+ steps\) eta \d+:\d\d", log, re.M)
    assert steps, f"a log (not a terminal) shows the training steps and ETA: {log[:300]}"
    report = result.report_path.read_text(encoding="utf-8")
    assert result.report_path.name == "grain.report.html"
    assert "<svg" in report and "data:image/png;base64," in report and "validation_upsnr_db" in report
    assert "Estimated gain on unseen footage" in report and "nothing could be held out" in report
    assert any("no footage could be held out for validation (2 usable clip(s)" in n for n in result.notices)


def test_the_pack_runs_in_onnxruntime_as_in_torch(cli_run):
    _, pack_path, result, _ = cli_run
    session = ModelSession(load_pack(pack_path, "cobalt").model_bytes, threads=1)
    rng = np.random.default_rng(9)
    feeds = {"frames": rng.uniform(0, 1, (1, 9, 48, 64)).astype(np.float32),
             "noise_sigma": np.full((1, 1, 48, 64), 0.03, np.float32), "strength": np.array([1.3], np.float32)}
    with torch.inference_mode():
        expected = result.trained.network(*(torch.from_numpy(feeds[k]) for k in feeds)).numpy()
    assert np.max(np.abs(session.run(feeds)["denoised"] - expected)) <= 1e-4


def test_footage_outside_the_approved_roots_is_refused_unless_overridden(studio, tmp_path):
    stray = write_prores(tmp_path / "stray.mov", noisy_clip("rocket", 8, 0.03, 5)[1])
    with pytest.raises(UnapprovedMediaError, match="not under an approved media root of production cobalt"):
        train_cleanup([stray], "cobalt", "tiny", tmp_path / "stray.onnx")
    assert not (tmp_path / "stray.onnx").exists()


def test_cancelling_writes_no_pack(studio, tmp_path):
    token = CancelToken()

    def cancel_at_step_five(event):
        if event.stage == "train" and event.done >= 5:
            token.cancel()

    with pytest.raises(Cancelled):
        train_cleanup(studio["clips"], "cobalt", "tiny", tmp_path / "cancelled.onnx", progress=cancel_at_step_five,
                      cancel=token)
    assert not any(tmp_path.iterdir()), "nothing is written when training is cancelled"
