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
    assert _modules_after("train", "--help") & heavy == set()  # every effect and trainer declared, none loaded
    clip = write_clip(tmp_path / "A001C001.mov", width=64, height=36, count=2)
    assert _modules_after("probe", str(clip)) & heavy == set()


def test_every_effect_is_declared_with_the_standard_library_alone():
    """Loading the registry's effects (the panel's list, ``train --help``, Resolve's menu installer, which runs
    where only answerprint is installed) imports no third-party library; a render imports its own processor."""
    code = ("import sys\nfrom answerprint.core.effects import available_effects, get_effect\n"
            "effects = available_effects()\n"
            "print(sorted(effects), sorted({n.split('.')[0] for n in sys.modules if n.split('.')[0] in "
            "('numpy', 'cv2', 'scipy', 'onnxruntime', 'PyOpenColorIO', 'av', 'jsonschema', 'cryptography')}))\n"
            "get_effect('cleanup').prepare.target()\nprint('numpy' in sys.modules and 'cv2' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split("\n")[:2] == ["['cleanup', 'colormatch', 'exposure', 'identity', 'look', 'relight'] []",
                                            "True"]


def _core_folder_imports() -> dict[str, set[str]]:
    """For each top-level folder (subpackage) of ``answerprint.core``, the other folders its modules import,
    lazily or not (every relative import in the source). ``__main__`` modules are programs, not part of the
    import graph: nothing imports them."""
    import ast
    from pathlib import Path

    import answerprint.core as core

    root = Path(core.__path__[0])
    folders = {p.name for p in root.iterdir() if (p / "__init__.py").is_file()}
    graph: dict[str, set[str]] = {folder: set() for folder in folders}
    for path in root.rglob("*.py"):
        parts = path.relative_to(root).parts
        if len(parts) < 2 or path.name == "__main__.py":
            continue
        package = parts[:-1]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level:
                target = [*package[:len(package) - node.level + 1], *(node.module or "").split(".")]
                if target and target[0] in folders and target[0] != parts[0]:
                    graph[parts[0]].add(target[0])
    return graph


def test_core_folders_import_each_other_without_cycles():
    graph = _core_folder_imports()
    assert {"render", "color", "effects", "demo"} <= graph.keys() and graph["render"] >= {"effects"}
    done: set[str] = set()

    def visit(folder: str, path: list[str]) -> None:
        if folder in path:
            raise AssertionError("core folders import each other in a cycle: "
                                 + " -> ".join(path[path.index(folder):] + [folder]))
        if folder not in done:
            for target in sorted(graph[folder]):
                visit(target, [*path, folder])
            done.add(folder)

    for folder in sorted(graph):
        visit(folder, [])
