"""Start-up cost of the ``answerprint`` command: CPU seconds of ``answerprint --help`` and ``answerprint probe FILE``.

Every command a colorist, a farm task or a host runs pays the interpreter start and the imports before it does
anything; an OpenJD task pays it once per chunk. This times the installed ``answerprint`` entry point as whole
processes (user + system CPU of each child from ``os.wait4``, and wall time), the commands taken in turn
(A B C A B C ...) after one warm-up round, and prints the median, minimum and maximum of each as a markdown
table. ``--importtime`` also prints the slowest imports of each command (``python -X importtime``).

    .venv/bin/python bench/bench_startup.py --runs 15 [--importtime]

The probe file is a 1080p ProRes 422 HQ clip of 12 frames written with answerprint's own writer into a
temporary folder (or ``--media PATH``).
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import numpy as np


def _clip(folder: Path) -> str:
    from answerprint.core.frames import BT709, OutputSpec, open_writer

    path = folder / "A001C001.mov"
    writer = open_writer(OutputSpec(str(path), "prores_422hq", 1920, 1080, Fraction(24000, 1001), 0, "01:00:00:00",
                                    color_tags=BT709))
    ramp = np.linspace(0.05, 0.95, 1920, dtype=np.float32)[None, :, None].repeat(1080, 0).repeat(3, 2)
    for number in range(12):
        writer.write(number, ramp)
    writer.finish()
    return str(path)


def _run(command: list[str]) -> tuple[float, float, int]:
    """(CPU seconds, wall seconds, exit status) of one run of ``command`` with its output thrown away."""
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    return usage.ru_utime + usage.ru_stime, time.perf_counter() - started, child.returncode


def _slowest_imports(command: list[str], count: int = 8) -> list[tuple[str, float]]:
    """The ``count`` imports with the largest cumulative time (ms) when ``command`` runs under -X importtime."""
    done = subprocess.run([sys.executable, "-X", "importtime", "-c",
                           "import sys; from answerprint.core.cli import main; sys.exit(main(sys.argv[1:]))",
                           *command[1:]], capture_output=True, text=True)
    rows = []
    for line in done.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            _, cumulative, name = line.split("|")
            if cumulative.strip().isdigit():
                rows.append((name.strip(), int(cumulative) / 1000))
    return sorted(rows, key=lambda row: -row[1])[:count]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="counted runs of each command")
    parser.add_argument("--media", help="file for probe (default: a 1080p ProRes clip made here)")
    parser.add_argument("--importtime", action="store_true", help="also list the slowest imports")
    args = parser.parse_args()
    entry = shutil.which("answerprint", path=os.path.dirname(sys.executable)) or "answerprint"
    folder = Path(tempfile.mkdtemp(prefix="bench_startup_"))
    try:
        media = args.media or _clip(folder)
        commands = {"answerprint --help": [entry, "--help"], "answerprint probe FILE": [entry, "probe", media],
                    "answerprint probe --json FILE": [entry, "probe", "--json", media],
                    "python -c pass": [sys.executable, "-c", "pass"]}
        samples: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
        for round_index in range(args.runs + 1):
            for name, command in commands.items():
                cpu, wall, code = _run(command)
                if code != 0:
                    raise SystemExit(f"{name} exited {code}")
                if round_index:
                    samples[name].append((cpu, wall))
        load = os.getloadavg()
        print(f"{args.runs} runs each, interleaved, after one warm-up round; load average "
              f"{load[0]:.1f} {load[1]:.1f} {load[2]:.1f}\n")
        print("| command | CPU s median | min | max | wall s median |")
        print("|---|---:|---:|---:|---:|")
        for name, rows in samples.items():
            cpu = [row[0] for row in rows]
            print(f"| `{name}` | {statistics.median(cpu):.3f} | {min(cpu):.3f} | {max(cpu):.3f} | "
                  f"{statistics.median(row[1] for row in rows):.3f} |")
        if args.importtime:
            for name, command in commands.items():
                if command[0] == entry:
                    print(f"\nslowest imports of `{name}` (cumulative ms, one run):")
                    for module, ms in _slowest_imports(command):
                        print(f"  {ms:8.1f}  {module}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
