"""A trained effect added as a plug-in, touching no file of answerprint: the registry finds it for every command.

The plug-in is a tiny package written into a temporary folder with its own ``.dist-info`` advertising it in the
``answerprint.effects`` entry-point group, as ``pip install`` of a third party's package would. The commands run
in child processes with that folder on ``PYTHONPATH``, so nothing of it reaches this test process. Beside the
working plug-in (``tinygain``: a gain, trained by a trainer that records the dailies it was given), two broken
ones: one whose module fails to import, one whose module defines no ``EFFECT``.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from answerprint.core.frames import open_media

from media_makers import write_clip

EFFECT_MODULE = '''
"""A gain, as a third party's trained effect: a schema, a processor and a trainer named lazily."""
import numpy as np

from answerprint.core.effects.base import Effect, Processor, Trainer
from answerprint.core.params import Param, ParamSchema


class Gain(Processor):
    def __init__(self, gain):
        self.gain = gain

    def __call__(self, window):
        return (window[0] * self.gain).astype(np.float32)


EFFECT = Effect(
    name="tinygain",
    summary="Multiply the code values by a gain.",
    params=ParamSchema([Param("gain", "float", 1.0, minimum=0.0, maximum=4.0, label="Gain",
                              doc="Factor on every code value.")]),
    working_space=None,
    compile=lambda params, pack, context: Gain(params["gain"]),
    trainer=Trainer("tinygain.train:train_gain", "learn a gain from the dailies"),
    menu_title="Tiny gain",
)
'''

TRAIN_MODULE = '''
"""The tiny effect's trainer: records what ``answerprint train`` handed it as its "pack"."""
import json
from pathlib import Path
from types import SimpleNamespace


def train_gain(*, clips, production, profile, out, name, input_space, override_reason, library, progress,
               cancel):
    pack = Path(out)
    pack.write_text(json.dumps({"production": production, "profile": profile, "name": name,
                                "clips": [[c.path, c.first_frame, c.last_frame] for c in clips]}))
    report = pack.with_suffix(".html")
    report.write_text("<p>tinygain</p>")
    return SimpleNamespace(pack_path=pack, report_path=report, notices=["a gain of one"],
                           metrics={"gain": 1.0})
'''

#: A plug-in that loads (its declaration imports nothing) but whose processor's module is missing, and whose
#: Resolve menu title is one of answerprint's own.
LAZY_MODULE = '''
from answerprint.core.effects.base import Deferred, Effect
from answerprint.core.params import ParamSchema

EFFECT = Effect(name="lazyfx", summary="A processor named but not installed.", params=ParamSchema(),
                working_space=None, compile=Deferred("tinygain.not_installed:compile"), menu_title="Panel")
'''

ENTRY_POINTS = """
[answerprint.effects]
tinygain = tinygain
brokenfx = brokenfx
noeffect = tinygain.train
lazyfx = tinygain.lazy
"""


@pytest.fixture(scope="module")
def plugins(tmp_path_factory) -> Path:
    """A folder holding the tiny plug-in package, two broken ones and the dist-info advertising all three."""
    root = tmp_path_factory.mktemp("site")
    (root / "tinygain").mkdir()
    (root / "tinygain" / "__init__.py").write_text(textwrap.dedent(EFFECT_MODULE))
    (root / "tinygain" / "train.py").write_text(textwrap.dedent(TRAIN_MODULE))
    (root / "tinygain" / "lazy.py").write_text(textwrap.dedent(LAZY_MODULE))
    (root / "brokenfx.py").write_text("import answerprint_dependency_not_installed\n")
    info = root / "tinygain-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: tinygain\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(ENTRY_POINTS)
    return root


def answerprint(plugins: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(plugins), os.environ.get("PYTHONPATH", "")]), **env}
    return subprocess.run([sys.executable, "-m", "answerprint.core.cli", *args], capture_output=True, text=True,
                          env=env, timeout=120)


@pytest.fixture(scope="module")
def dailies(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("dailies")
    write_clip(folder / "A001.%04d.exr", codec="exr", width=64, height=36, count=3, first=1001)
    return folder


def test_apply_renders_a_plugin_effect_with_its_own_parameters(plugins, dailies, tmp_path):
    done = answerprint(plugins, "apply", "tinygain", str(dailies / "A001.%04d.exr"), str(tmp_path / "out.%04d.exr"),
                       "--param", "gain=2")
    assert done.returncode == 0, done.stderr
    with open_media(dailies / "A001.%04d.exr") as source, open_media(tmp_path / "out.%04d.exr") as output:
        before, after = dict(source.read()), dict(output.read())
    assert sorted(after) == [1001, 1002, 1003]
    for number, frame in before.items():
        np.testing.assert_allclose(after[number], frame * 2, rtol=1e-3)  # half-float EXR both ways
    assert answerprint(plugins, "apply", "tinygain", str(dailies / "A001.%04d.exr"), str(tmp_path / "x.%04d.exr"),
                       "--param", "gain=9").returncode == 2  # its schema's range is enforced


def test_train_finds_the_plugin_trainer_and_lists_it_with_the_built_in_ones(plugins, dailies, tmp_path):
    listed = answerprint(plugins, "train", "--help")
    assert listed.returncode == 0, listed.stderr
    assert {"tinygain", "cleanup", "relight", "look", "continuity"} <= set(listed.stdout.split())
    assert "learn a gain from the dailies" in listed.stdout
    done = answerprint(plugins, "train", "tinygain", "--production", "film", "--dailies", str(dailies),
                       "--out", str(tmp_path / "gain.json"))
    assert done.returncode == 0, done.stderr
    pack = json.loads((tmp_path / "gain.json").read_text())
    assert pack == {"production": "film", "profile": "quick", "name": "tinygain",
                    "clips": [[str(dailies / "A001.%04d.exr"), 1001, 1003]]}
    assert f"pack: {tmp_path / 'gain.json'}" in done.stderr and "a gain of one" in done.stderr  # the console's stream


def test_a_broken_plugin_is_reported_once_and_skipped(plugins, dailies, tmp_path):
    listed = answerprint(plugins, "train", "--help")
    skipped = [line for line in listed.stderr.splitlines() if "skipped" in line]
    assert sorted(skipped) == [
        "answerprint: effect plug-in 'brokenfx' skipped: brokenfx failed to import: ModuleNotFoundError: "
        "No module named 'answerprint_dependency_not_installed'",
        "answerprint: effect plug-in 'noeffect' skipped: tinygain.train defines no EFFECT named 'noeffect'"]
    assert listed.stderr.count("skipped") == 2
    assert "brokenfx" not in listed.stdout and "noeffect" not in listed.stdout

    refused = answerprint(plugins, "apply", "brokenfx", str(dailies / "A001.%04d.exr"), str(tmp_path / "b.%04d.exr"))
    assert refused.returncode == 2
    assert refused.stderr.strip().splitlines() == [
        "answerprint apply: error: brokenfx: effect plug-in skipped: brokenfx failed to import: "
        "ModuleNotFoundError: No module named 'answerprint_dependency_not_installed'"]
    assert not list(tmp_path.iterdir())

    missing = answerprint(plugins, "apply", "lazyfx", str(dailies / "A001.%04d.exr"), str(tmp_path / "l.%04d.exr"))
    assert missing.returncode == 2  # declared fine, its processor's module missing: refused before any frame
    assert missing.stderr.strip().splitlines() == [
        "answerprint apply: error: tinygain.not_installed:compile: cannot be loaded (ModuleNotFoundError: No "
        "module named 'tinygain.not_installed'); reinstall the effect"]
    assert not list(tmp_path.iterdir())

    built_in = answerprint(plugins, "apply", "exposure", str(dailies / "A001.%04d.exr"),
                           str(tmp_path / "e.%04d.exr"), "--param", "stops=1")
    assert built_in.returncode == 0, built_in.stderr
    assert sorted(p.name for p in tmp_path.glob("*.exr")) == ["e.1001.exr", "e.1002.exr", "e.1003.exr"]


def test_resolve_install_gives_the_plugin_effect_its_own_menu_item(plugins, tmp_path):
    """The Resolve menu's render items come from the registry: the plug-in's ``menu_title`` becomes an item
    launching ``apply tinygain``, beside the built-in effects' (the broken plug-ins are skipped)."""
    done = answerprint(plugins, "resolve", "install", HOME=str(tmp_path), ANSWERPRINT_TARGET_OS="linux")
    assert done.returncode == 0, done.stderr
    menu = tmp_path / ".local/share/DaVinciResolve/Fusion/Scripts/Utility/answerprint"
    assert {"Tiny gain.py", "Cleanup.py", "Relight.py", "Panel.py"} <= {path.name for path in menu.iterdir()}
    script = (menu / "Tiny gain.py").read_text(encoding="utf-8")
    assert script.startswith('"""answerprint › Tiny gain: render the selected clips through tinygain, back as '
                             'new selected takes. Multiply the code values by a gain.')
    assert "['apply', 'tinygain']" in script and "['apply', 'cleanup']" in (menu / "Cleanup.py").read_text()
    assert "['panel']" in (menu / "Panel.py").read_text()  # lazyfx's title "Panel" is taken: no item, one line
    assert "answerprint: no Resolve menu item for effect 'lazyfx': its title 'Panel' cannot be used" in done.stderr
