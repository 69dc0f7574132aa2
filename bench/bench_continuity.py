"""Continuity benchmark (issue 15, point 5): recall per kind of change, false alarms per scene, seconds per
pair, and what the colour fix leaves of an injected drift.

Run: ``.venv/bin/python bench/bench_continuity.py [--scenes-per-kind 4] [--no-ablation]``; results go to
``bench/out/continuity.json`` and ``bench/out/continuity.md``; the media and reports to ``bench/out/continuity/``
(made once, kept). About 40 minutes on 2 shared cores, most of it making the media the first time.

1. **Material** (``continuity_data``): eight set-ups from real photographs, three clean takes of each as the
   production's dailies, and scenes of five takes (10 pairs) with one injected change each — ± 1/3 stop,
   ± 300 K, a prop moved or removed (pasted from the same frame), a lamp switched, a wardrobe shift of ΔE00 3.5,
   a focus pull off the actor — or none, all with take-to-take variation (re-framing, exposure and white-balance
   wobble, the actor elsewhere and moving, fresh noise).
2. **Calibration**, the user's path: ``answerprint keys init`` and ``answerprint train continuity`` on the
   dailies, in a production of its own (``ANSWERPRINT_HOME`` under the output folder).
3. **Check**, the user's path, timed: one ``answerprint continuity`` over every scene's takes (scenes from the
   slates in their names) with the production's pack, under ``/usr/bin/time``; CPU time of the process (all
   threads) beside wall time, and the load average before and after.
4. **Scores** from ``continuity.json``: a pair holding the changed take is found when the change's measure is
   flagged (recall per kind); every flag on a pair of two unchanged takes is a false alarm (per scene of 10
   pairs). Flags of other measures on changed pairs are counted apart.
5. **Colour fix**: for exposure and white-balance scenes, the written ``.cube`` applied to the changed take's
   middle frame (its LogC3 code values, as a grading system would) against the exact match to the fix's
   reference take (the true colour matrices): mean ΔE00. Also the injected drift's own size.
6. **People mask** (``--no-ablation`` skips it): false alarms of the same check with the mask off (library
   call, ``mask_people=False``).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import continuity_data as material
import numpy as np

from answerprint.core.color import ColorProcessor
from answerprint.core.color.cube import read_cube
from answerprint.core.color.lut import LutProcessor
from answerprint.core.continuity.colorimetry import delta_e00_acescg
from answerprint.core.demo.takes import CHANGES
from answerprint.core.frames import open_media

OUT = Path(__file__).parent / "out"
PRODUCTION = "continuity-bench"
KINDS = {"exposure": ("exposure_up", "exposure_down"), "white balance": ("warmer", "cooler"),
         "prop moved": ("prop_moved",), "prop removed": ("prop_removed",), "lamp switched": ("lamp_switched",),
         "wardrobe": ("wardrobe",), "focus pull": ("focus",)}


def answerprint(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "answerprint.core.cli", *args], env=env, capture_output=True,
                          text=True)


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def calibrate(work: Path, env: dict) -> Path:
    """Keys and the continuity pack of the benchmark's production; returns the pack."""
    pack = work / "continuity.onnx"
    if not (Path(env["ANSWERPRINT_HOME"]) / "config").exists():
        result = answerprint("keys", "init", "--production", PRODUCTION, "--name", "continuity benchmark",
                             "--approved-root", str(work), env=env)
        assert result.returncode == 0, result.stderr
    dailies = sorted(str(p) for p in (work / "calibration").glob("*.mov"))
    pack.unlink(missing_ok=True)
    result = answerprint("train", "continuity", "--production", PRODUCTION, "--dailies", *dailies, "--out", str(pack),
                         "--input-space", material.SPACE, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    return pack


def run_check(work: Path, pack: Path, env: dict) -> dict:
    """The timed ``answerprint continuity`` over every scene; returns its timings."""
    takes = sorted(str(p) for p in (work / "scenes").glob("*.mov"))
    before = load()
    started = time.monotonic()
    result = subprocess.run(["/usr/bin/time", "-f", "%e %U %S %M", sys.executable, "-m", "answerprint.core.cli",
                             "continuity", *takes, "--out", str(work / "check"), "--pack", str(pack), "--production",
                             PRODUCTION, "--input-space", material.SPACE, "--overwrite"], env=env, capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    wall, user, system, rss = result.stderr.strip().splitlines()[-1].split()
    return {"takes": len(takes), "wall_s": float(wall), "cpu_s": float(user) + float(system), "max_rss_kb": int(rss),
            "load_before": before, "load_after": load(), "elapsed_s": time.monotonic() - started}


def score(manifest: dict, report: dict) -> dict:
    """Recall per kind, false alarms per scene, other flags on changed pairs, from ``continuity.json``."""
    by_scene = {scene["name"]: scene for scene in report["scenes"]}
    found = {kind: [0, 0] for kind in CHANGES}
    other = {kind: {} for kind in CHANGES}
    false_alarms, per_scene = {}, []
    for scene in manifest["scenes"]:
        checked = by_scene[str(scene["scene"])]
        changed = None if scene["changed_take"] is None else scene["takes"][scene["changed_take"]]["name"]
        alarms = 0
        for pair in checked["pairs"]:
            if changed in (pair["first"], pair["second"]):
                expected = CHANGES[scene["change"]]
                found[scene["change"]][1] += 1
                found[scene["change"]][0] += expected in pair["flags"]
                for flag in pair["flags"]:
                    if flag != expected:
                        other[scene["change"]][flag] = other[scene["change"]].get(flag, 0) + 1
            else:
                alarms += len(pair["flags"])
                for flag in pair["flags"]:
                    false_alarms[flag] = false_alarms.get(flag, 0) + 1
        per_scene.append(alarms)
    return {"recall": {k: v[0] / v[1] for k, v in found.items() if v[1]}, "counts": found, "other_flags": other,
            "false_alarms_per_scene": float(np.mean(per_scene)), "false_alarms_max": int(max(per_scene)),
            "false_alarms_by_measure": false_alarms, "scenes": len(per_scene)}


def _middle_frame(path: Path) -> np.ndarray:
    with open_media(path) as reader:
        _, pixels = next(iter(reader.read([(material.FRAMES - 1) // 2])))
    return np.ascontiguousarray(pixels)


def fix_residuals(work: Path, manifest: dict, report: dict) -> list[dict]:
    """For exposure and white-balance scenes: ΔE00 the written fix leaves against the exact match."""
    to_linear = ColorProcessor(material.SPACE, "ACEScg")
    by_scene = {scene["name"]: scene for scene in report["scenes"]}
    rows = []
    for scene in manifest["scenes"]:
        if CHANGES.get(scene["change"]) not in ("exposure", "white_balance"):
            continue
        changed = scene["takes"][scene["changed_take"]]
        fixes = [f for f in by_scene[str(scene["scene"])]["fixes"] if f["shot"] == changed["name"]]
        row = {"scene": scene["scene"], "change": scene["change"], "kelvin": scene["scene_kelvin"],
               "fixed": bool(fixes)}
        code = _middle_frame(work / "scenes" / f"{changed['name']}.mov")
        frame = to_linear(code).reshape(-1, 3)
        colour, clean = np.array(changed["colour"]), np.array(changed["clean_colour"])
        drift_removed = frame @ (clean @ np.linalg.inv(colour)).T
        usable = code.reshape(-1, 3).max(axis=1) < 0.98
        row["drift_de00"] = float(delta_e00_acescg(frame[usable], drift_removed[usable]).mean())
        if fixes:
            reference = next(t for t in scene["takes"] if t["name"] == fixes[0]["reference"])
            exact = frame @ (np.array(reference["colour"]) @ np.linalg.inv(colour)).T
            fixed = to_linear(LutProcessor(read_cube(fixes[0]["cube"]), threads=1)(code)).reshape(-1, 3)
            row["residual_de00"] = float(delta_e00_acescg(exact[usable], fixed[usable]).mean())
            row["after_vs_clean_de00"] = float(delta_e00_acescg(drift_removed[usable], fixed[usable]).mean())
        rows.append(row)
    return rows


def ablation(work: Path, pack: Path, env: dict) -> dict:
    """False alarms with the people mask on and off (library call on the same scenes)."""
    os.environ["ANSWERPRINT_HOME"] = env["ANSWERPRINT_HOME"]
    from answerprint.core.cli.continuity_cmd import _loose_shots
    from answerprint.core.continuity.check import check_continuity, to_json
    from answerprint.core.continuity.thresholds import from_pack
    from answerprint.core.packs import load_pack

    thresholds = from_pack(load_pack(pack, PRODUCTION))
    shots = _loose_shots(sorted(str(p) for p in (work / "scenes").glob("*.mov")), lambda line: None)
    result = check_continuity(shots, work / "check_no_people_mask", thresholds=thresholds, scene_from="names",
                              input_space=material.SPACE, write_fixes=False, mask_people=False)
    return to_json(result)


def markdown(results: dict) -> str:
    scores, timing = results["scores"], results["timing"]
    lines = ["| kind of change | changed pairs | found | recall |", "|---|---:|---:|---:|"]
    for label, kinds in KINDS.items():
        found = sum(scores["counts"][k][0] for k in kinds)
        total = sum(scores["counts"][k][1] for k in kinds)
        lines.append(f"| {label} | {total} | {found} | {found / total:.2f} |")
    lines += ["", f"False alarms (flags on pairs of two unchanged takes): {scores['false_alarms_per_scene']:.2f} per "
                  f"scene of 10 pairs on average, at most {scores['false_alarms_max']} in one scene, over "
                  f"{scores['scenes']} scenes; by measure {scores['false_alarms_by_measure']}.",
              f"Other flags on changed pairs: {scores['other_flags']}.", "",
              f"Time: {timing['takes']} takes, {timing['pairs']} pairs in {timing['wall_s']:.0f} s wall, "
              f"{timing['cpu_s']:.0f} s CPU: **{timing['wall_s'] / timing['pairs']:.2f} s wall and "
              f"{timing['cpu_s'] / timing['pairs']:.2f} s CPU per pair** at 854×480, 2 workers; peak memory "
              f"{timing['max_rss_kb'] / 1024:.0f} MB; load average {timing['load_before']} before, "
              f"{timing['load_after']} after.", "",
              "| scene | change | scene K | drift ΔE00 | fix written | residual vs exact match ΔE00 "
              "| vs undrifted take ΔE00 |",
              "|---:|---|---:|---:|---|---:|---:|"]
    for row in results["fixes"]:
        lines.append(f"| {row['scene']} | {row['change']} | {row['kelvin']:.0f} | {row['drift_de00']:.2f} | "
                     f"{'yes' if row['fixed'] else 'no'} | {row.get('residual_de00', float('nan')):.2f} | "
                     f"{row.get('after_vs_clean_de00', float('nan')):.2f} |")
    if "ablation" in results:
        off = results["ablation"]
        lines += ["", f"People mask off: {off['false_alarms_per_scene']:.2f} false alarms per scene (at most "
                      f"{off['false_alarms_max']}), by measure {off['false_alarms_by_measure']}; recall "
                      f"{ {k: round(v, 2) for k, v in off['recall'].items()} }."]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenes-per-kind", type=int, default=4)
    parser.add_argument("--no-ablation", action="store_true")
    args = parser.parse_args()
    work = OUT / "continuity"
    work.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, ANSWERPRINT_HOME=str(work / "home"))
    manifest = material.make_material(work, args.scenes_per_kind, say=lambda line: print(line, flush=True))
    pack = calibrate(work, env)
    timing = run_check(work, pack, env)
    report = json.loads((work / "check" / "continuity.json").read_text())
    timing["pairs"] = sum(len(s["pairs"]) for s in report["scenes"])
    results = {"timing": timing, "scores": score(manifest, report), "fixes": fix_residuals(work, manifest, report),
               "thresholds": report["thresholds"]}
    if not args.no_ablation:
        results["ablation"] = score(manifest, ablation(work, pack, env))
    (OUT / "continuity.json").write_text(json.dumps(results, indent=1))
    text = markdown(results)
    (OUT / "continuity.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
