"""The package layout the design card fixes: one namespace, and a core a colorist's machine can run."""
from __future__ import annotations

import subprocess
import sys
from importlib.metadata import requires

from answerprint.core.cli import main


def test_core_imports_neither_torch_nor_qt():
    code = ("import pkgutil, importlib, sys, answerprint.core as core\n"
            "for m in pkgutil.walk_packages(core.__path__, 'answerprint.core.'):\n"
            "    if not m.name.endswith('__main__'): importlib.import_module(m.name)\n"
            "heavy = sorted(n for n in sys.modules if n.split('.')[0] in ('torch', 'PySide6', 'onnx'))\n"
            "print(heavy)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_base_dependencies_are_what_a_colorists_machine_needs():
    base = {r.split(";")[0].split(">")[0].split("=")[0].split("<")[0].strip().lower()
            for r in requires("answerprint") if "extra ==" not in r}
    assert {"numpy", "onnxruntime", "av", "openimageio", "opencolorio", "opencv-python-headless",
            "platformdirs", "rich"} <= base
    assert not base & {"torch", "pyside6", "pyside6-essentials", "opencv-python", "onnx"}


def test_every_command_has_help(capsys):
    for command in ("probe", "apply", "train", "packs", "keys", "render", "continuity", "demo"):
        try:
            main([command, "--help"])
        except SystemExit as done:
            assert done.code == 0
        assert "usage: answerprint " + command in capsys.readouterr().out


def _modules_after(*argv: str) -> set[str]:
    """Top-level modules imported by running ``answerprint ARGV`` in a fresh interpreter."""
    code = ("import sys, contextlib, io\nfrom answerprint.core.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            "    try:\n        main(sys.argv[1:])\n    except SystemExit:\n        pass\n"
            "print(' '.join(sorted({n.split('.')[0] for n in sys.modules})))")
    done = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True, check=True)
    return set(done.stdout.split())


def test_help_and_probe_start_without_the_heavy_libraries(tmp_path):
    """Start-up cost is what a command imports (timed in bench/bench_startup.py): keep the heavy ones out."""
    from media_makers import write_clip

    heavy = {"numpy", "scipy", "cv2", "PyOpenColorIO", "OpenImageIO", "onnxruntime", "torch", "PySide6", "rich",
             "jsonschema", "cryptography"}
    assert _modules_after("--help") & (heavy | {"av"}) == set()
    clip = write_clip(tmp_path / "A001C001.mov", width=64, height=36, count=2)
    assert _modules_after("probe", str(clip)) & heavy == set()
