"""Training at scale: ``torchrun`` runs ``answerprint train cleanup`` on two CPU processes (gloo) as one job.

Each test launches the real command line under ``torchrun --standalone --nproc_per_node=2`` on two small
noisy 10-bit ProRes dailies. The launched script is this file (see ``rank_main`` at the bottom): it sizes the
``quick`` profile down to a test profile, as ``test_cleanup_training`` does, and saves each rank's trained
parameters so the test can compare them. A test fails rather than hangs: every launch has a time limit.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import torch

from answerprint.core.errors import UsageError
from answerprint.core.frames import BT709, OutputSpec, open_writer
from answerprint.core.packs import create_production_key, init_production, load_pack
from answerprint.models.distributed import SINGLE_PROCESS, Ranks, ranks_from_environment

from conftest import photo_frames

WIDTH, HEIGHT = 160, 96
#: The test profile: ``tiny`` with enough steps and validations to see the loss fall.
TEST_STEPS, TEST_VALIDATE_EVERY = 60, 10
#: Seconds a launch may take before the test fails (a hang would otherwise stall the suite).
LAUNCH_LIMIT_SECONDS = 150


def write_noisy_prores(path: Path, name: str, seed: int) -> str:
    """12 frames of a pan across a photograph with σ = 0.03 grain, as 10-bit ProRes 422 HQ."""
    rng = np.random.default_rng(seed)
    writer = open_writer(OutputSpec(str(path), "prores_422hq", WIDTH, HEIGHT, Fraction(24), color_tags=BT709))
    for number, frame in enumerate(photo_frames(WIDTH, HEIGHT, 12, name, pan_px=1.0)):
        writer.write(number, np.clip(frame * 0.8 + 0.1 + rng.normal(0, 0.03, frame.shape), 0, 1).astype(np.float32))
    writer.finish()
    return str(path)


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    """Production ``cobalt`` with two approved noisy clips and a signing key, under its own ANSWERPRINT_HOME."""
    root = tmp_path_factory.mktemp("ddp")
    dailies = root / "dailies"
    dailies.mkdir()
    clips = [write_noisy_prores(dailies / f"A00{i}C001.mov", name, i)
             for i, name in enumerate(("astronaut", "coffee"), start=1)]
    env = {k: v for k, v in os.environ.items() if k != "ANSWERPRINT_SHARED_LIBRARY"}
    env["ANSWERPRINT_HOME"] = str(root / "home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ANSWERPRINT_HOME", env["ANSWERPRINT_HOME"])
        patch.delenv("ANSWERPRINT_SHARED_LIBRARY", raising=False)
        create_production_key(init_production("cobalt", "Cobalt Feature", (str(dailies),)))
        yield {"clips": clips, "env": env}


def torchrun_train(studio: dict, out: Path, sabotage: str = "none") -> subprocess.CompletedProcess:
    """``torchrun --standalone --nproc_per_node=2`` of ``answerprint train cleanup`` writing ``out/grain.onnx``;
    ``sabotage`` is ``none``, ``cancel`` (rank 1 is cancelled at step 3) or ``fail`` (rank 1 cannot read a
    frame while preparing). Killed, with all its ranks, after LAUNCH_LIMIT_SECONDS."""
    out.mkdir()
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", __file__,
               str(out), sabotage, "train", "cleanup", "--production", "cobalt", "--dailies", *studio["clips"],
               "--name", "grain", "--out", str(out / "grain.onnx")]
    launch = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env=studio["env"], start_new_session=True)
    try:
        stdout, stderr = launch.communicate(timeout=LAUNCH_LIMIT_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(launch.pid, signal.SIGKILL)
        launch.communicate()
        pytest.fail(f"the two-rank training did not finish within {LAUNCH_LIMIT_SECONDS} s (a rank hung)")
    return subprocess.CompletedProcess(command, launch.returncode, stdout, stderr)


@pytest.fixture(scope="module")
def two_ranks(studio, tmp_path_factory):
    """One successful two-rank training: the launch, its output folder, and each rank's saved parameters."""
    out = tmp_path_factory.mktemp("ddp_run") / "out"
    launch = torchrun_train(studio, out)
    assert launch.returncode == 0, launch.stderr[-3000:]
    return launch, out, [torch.load(out / f"rank{r}.pt") for r in range(2)]


def test_two_ranks_end_with_identical_parameters(two_ranks):
    _, _, saved = two_ranks
    first, second = (s["state"] for s in saved)
    assert first.keys() == second.keys()
    assert all(torch.equal(first[name], second[name]) for name in first), "gradients were averaged every step"
    assert saved[0]["validation"] == saved[1]["validation"], "every rank validates the same model identically"


def test_each_rank_drew_its_own_crops_and_the_job_learned(two_ranks):
    _, _, saved = two_ranks
    assert saved[0]["first_batch"] != saved[1]["first_batch"], "the ranks' first training batches differ"
    validation = saved[0]["validation"]
    assert len(validation) == TEST_STEPS // TEST_VALIDATE_EVERY
    assert validation[-1] < validation[0], f"validation loss did not fall: {validation}"


def test_rank_zero_alone_writes_one_signed_pack_and_reports_once(two_ranks):
    launch, out, _ = two_ranks
    assert sorted(p.name for p in out.iterdir()) == ["grain.fp16.onnx", "grain.onnx", "grain.report.html", "rank0.pt",
                                                     "rank1.pt"], "one pack (with its signed fp16 variant), one report"
    pack = load_pack(out / "grain.onnx", "cobalt")
    assert pack.verified and pack.manifest.name == "grain"
    assert pack.manifest.variants["fp16"]["file"] == "grain.fp16.onnx"
    assert pack.manifest.provenance["training_config"]["processes"] == 2
    assert launch.stderr.count("pack: ") == 1 and launch.stderr.count("report: ") == 1


def test_cancelling_one_rank_stops_both_and_writes_nothing(studio, tmp_path):
    launch = torchrun_train(studio, tmp_path / "out", "cancel")
    assert launch.returncode != 0
    assert "answerprint train: error: training: cancelled by the user" in launch.stderr
    assert "answerprint train: error: rank 0 of 2: training cancelled" in launch.stderr
    assert not (tmp_path / "out" / "grain.onnx").exists() and not (tmp_path / "out" / "grain.report.html").exists()


def test_an_error_on_one_rank_stops_both_with_its_message(studio, tmp_path):
    launch = torchrun_train(studio, tmp_path / "out", "fail")
    assert launch.returncode != 0
    assert "answerprint train: error: A001C001.mov: frame 3 cannot be decoded" in launch.stderr
    assert ("answerprint train: error: rank 0 of 2: preparing the dailies stopped: another training process "
            "failed") in launch.stderr
    assert not any((tmp_path / "out").iterdir())


def test_outside_torchrun_training_is_one_process():
    assert ranks_from_environment({}) is SINGLE_PROCESS
    ranks = ranks_from_environment({"RANK": "3", "WORLD_SIZE": "4", "LOCAL_RANK": "1", "LOCAL_WORLD_SIZE": "2"})
    assert (ranks.rank, ranks.world_size, ranks.local_rank, ranks.local_world_size) == (3, 4, 1, 2)
    assert ranks.cpu_threads(16) == 8 and not ranks.is_main
    assert Ranks().batch_seed(7) == 7, "rank 0 draws exactly what single-process training draws"
    with pytest.raises(UsageError, match="inconsistent"):
        ranks_from_environment({"RANK": "2", "WORLD_SIZE": "2"})


def test_a_trainer_without_ddp_refuses_torchrun_instead_of_training_once_per_process(tmp_path, monkeypatch, capsys):
    from answerprint.core.cli import main

    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "1")
    code = main(["train", "relight", "--production", "cobalt", "--dailies", str(tmp_path / "A001C001.mov"),
                 "--out", str(tmp_path / "key.onnx")])
    assert code == 2
    assert "train relight runs as one process; start it without torchrun" in capsys.readouterr().err
    assert not any(tmp_path.iterdir())


def rank_main(out: str, sabotage: str, argv: list[str]) -> int:
    """One rank of ``torchrun_train``: the real ``answerprint`` command line with the test profile, saving this
    rank's parameters, validation losses and first batch to ``out/rank<R>.pt``."""
    from answerprint.core.cli import main
    from answerprint.core.errors import MediaError
    from answerprint.models.cleanup import batches, optimise, profiles
    from answerprint.models.cleanup import train as training

    rank = int(os.environ["RANK"])
    # torchrun SIGTERMs the other ranks as soon as one exits with an error; let them print theirs first.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    profiles.PROFILES["quick"] = replace(profiles.PROFILES["tiny"], steps=TEST_STEPS,
                                         validate_every=TEST_VALIDATE_EVERY)
    first_batch = []

    def keep_first_batch(*args, **options):
        drawn = batches.sample_batch(*args, **options)
        first_batch.append(drawn.frames.sum(dtype=np.float64))
        return drawn

    def sabotaged(progress, cancel):
        def report(event):
            if sabotage == "cancel" and event.stage == "train" and event.done >= 3:
                cancel.cancel()
            if sabotage == "fail" and event.stage == "prepare":
                raise MediaError("frame 3 cannot be decoded", "A001C001.mov")
            progress(event)
        return report

    real_train = training.train_cleanup

    def train_and_save(**options):
        if rank == 1 and sabotage != "none":
            options["progress"] = sabotaged(options["progress"], options["cancel"])
        result = real_train(**options)
        torch.save({"state": result.trained.network.state_dict(), "first_batch": float(first_batch[0]),
                    "validation": [p.validation_loss for p in result.trained.history]}, Path(out) / f"rank{rank}.pt")
        return result

    optimise.sample_batch = keep_first_batch
    training.train_cleanup = train_and_save
    return main(argv)


if __name__ == "__main__":
    sys.exit(rank_main(sys.argv[1], sys.argv[2], sys.argv[3:]))
