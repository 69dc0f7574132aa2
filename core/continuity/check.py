"""Check the continuity of an edit: the library function the command, the panel and the Resolve adapter call.

``check_continuity(shots, out_dir, ...)``: group the shots into scenes (``scenes``), read each shot once at
proxy size (``shot_frames``), compare every planned pair (``compare``), score every measure against the
thresholds (a production's calibrated pack, else the generic ones), plan and write the colour fixes (``fix``),
and write the reports (``report``) and ``continuity.json``. Hosts then put markers on the flagged shots from
``ContinuityResult.markers``. Nothing here changes a source or a picture: the check only reads, and the fix is
a ``.cube`` for the colorist to apply.
"""
from __future__ import annotations

import json
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from ..atomic import write_atomically
from ..color import default_source_space
from ..errors import AnswerprintError, OutputError
from ..frames import probe
from ..progress import CancelToken, ProgressCallback, ProgressEvent, no_progress
from .compare import PairAnalysis, compare_shots
from .fix import ColourFix, plan_fixes, write_fix
from .measures import MEASURE_NAMES, MEASURES, spec_of
from .scenes import PlannedPair, Scene, Shot, Slate, assign_scenes, plan_pairs
from .shot_frames import ShotFrames, read_shot
from .thresholds import Thresholds, generic

#: Shots read and pairs compared at once (OpenCV and NumPy release the GIL for their heavy work).
DEFAULT_WORKERS = 2


@dataclass
class PairResult:
    """One compared pair: what was measured and how each measure scored against its threshold."""

    pair: PlannedPair
    analysis: PairAnalysis
    scores: dict[str, float]

    @property
    def flags(self) -> list[str]:
        """Measures scoring above 1, in ``MEASURES`` order."""
        return [name for name in MEASURE_NAMES if np.isfinite(self.scores[name]) and self.scores[name] > 1.0]


@dataclass
class SceneResult:
    """A scene's pairs, its colour fixes, and the shots that could not be read."""

    scene: Scene
    pairs: list[PairResult] = field(default_factory=list)
    fixes: list[ColourFix] = field(default_factory=list)
    unreadable: dict[str, str] = field(default_factory=dict)
    report: Path | None = None

    @property
    def flag_count(self) -> int:
        return sum(len(p.flags) for p in self.pairs)


@dataclass(frozen=True)
class Marker:
    """A marker for a host to place: on ``shot`` at source frame ``frame`` (the compared key frame)."""

    shot: Shot
    frame: int
    name: str
    note: str
    colour: str = "Red"


@dataclass
class ContinuityResult:
    """Everything a check found and wrote."""

    scenes: list[SceneResult]
    loose: list[Shot]
    thresholds: Thresholds
    out_dir: Path
    report: Path | None = None
    json_path: Path | None = None
    key_frames: dict[int, dict[str, int]] = field(default_factory=dict, repr=False)

    @property
    def pairs(self) -> list[PairResult]:
        return [pair for scene in self.scenes for pair in scene.pairs]

    @property
    def markers(self) -> list[Marker]:
        """One marker per flagged shot and compared frame (a shot flagged against several others at the same
        frame gets them all in one, as hosts keep one marker per frame): the name carries the figures (formats
        such as CMX 3600 keep nothing else), the note the details."""
        grouped: dict[tuple[int, int], list[PairResult]] = {}
        for scene in self.scenes:
            for result in scene.pairs:
                if result.flags:
                    second = result.pair.second
                    frame = self.key_frames[second.index][result.pair.keys[1]]
                    grouped.setdefault((second.index, frame), []).append(result)
        found = []
        for (_, frame), results in grouped.items():
            names = [", ".join(_figure(r, name) for name in r.flags) + f" vs {r.pair.first.name}" for r in results]
            notes = [f"{r.pair.kind} pair {r.pair.first.name} / {r.pair.second.name}: "
                     + "; ".join(f"{name}: {r.analysis.measurements[name].detail}" for name in r.flags)
                     for r in results]
            found.append(Marker(results[0].pair.second, frame, "continuity: " + " | ".join(names), " || ".join(notes)))
        return found


def _figure(result: PairResult, name: str) -> str:
    measurement = result.analysis.measurements[name]
    return f"{spec_of(name).label} {measurement.value:+.2f} {measurement.unit}"


def shot_space(shot: Shot, input_space: str | None) -> str:
    """The colour space a shot is read in: its own, else ``input_space``, else what its file says."""
    return shot.space or input_space or default_source_space(probe(shot.media))


def _read(shot: Shot, input_space: str | None) -> ShotFrames:
    return read_shot(shot.media, shot.first, shot.last, shot_space(shot, input_space))


def check_continuity(shots: Sequence[Shot], out_dir: str | os.PathLike, *, thresholds: Thresholds | None = None,
                     scene_from: str = "timeline", markers: Sequence[tuple[int, str]] = (),
                     grouping: Mapping[str, Slate] | None = None, input_space: str | None = None,
                     write_fixes: bool = True, workers: int = DEFAULT_WORKERS, title: str = "continuity",
                     mask_people: bool = True, progress: ProgressCallback = no_progress,
                     cancel: CancelToken | None = None) -> ContinuityResult:
    """Check the continuity of ``shots`` and write the reports into ``out_dir`` (see the module docstring).

    Scenes are checked one after the other: a scene's frames are read, compared, reported, then let go, so
    memory holds one scene at a time however long the edit.

    Parameters
    ----------
    shots : sequence of Shot
        The edit's shots in order (offline ones included: they are reported).
    out_dir : path
        Folder for ``report.html``, one ``scene_<name>.html`` per scene, ``continuity.json``, the images and
        the ``fixes/`` ``.cube`` files (created).
    thresholds : Thresholds, optional
        A production's calibration (``thresholds.from_pack``); default the generic thresholds.
    scene_from, markers, grouping
        How shots are grouped into scenes (``scenes.assign_scenes``).
    input_space : str, optional
        OCIO colour space of shots that do not name theirs (default: from each file).
    write_fixes : bool
        Write the colour fixes' ``.cube`` files.
    workers : int
        Shots read and pairs compared at once.
    mask_people : bool
        Keep people (regions moving within their shot) out of the content measure and the drift fit; False
        only to measure what the mask is worth (``bench/bench_continuity.py``).

    Raises
    ------
    UsageError
        When no scene can be found (the message says how to give them).
    OutputError
        When ``out_dir`` cannot be written.
    Cancelled
        When ``cancel`` is triggered.
    """
    from .report import Images, write_index, write_scene_report

    cancel = cancel or CancelToken()
    thresholds = thresholds or generic()
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OutputError(f"cannot create the output folder ({error.strerror})", out) from None
    scenes, loose = plan_pairs(assign_scenes(shots, scene_from, markers, grouping))
    result = ContinuityResult([SceneResult(scene) for scene in scenes], loose, thresholds, out)
    images = Images(out)
    total = sum(len(s.shots) + len(s.pairs) for s in scenes if s.pairs)
    done = 0

    def read_one(shot: Shot) -> tuple[Shot, ShotFrames | str]:
        cancel.raise_if_cancelled("reading shots")
        try:
            frames = _read(shot, input_space)
        except AnswerprintError as error:
            return shot, error.what
        return shot, frames if mask_people else without_people(frames)

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for scene_result in result.scenes:
            if not scene_result.scene.pairs:
                scene_result.report = write_scene_report(scene_result, {}, thresholds, images)
                continue
            frames: dict[int, ShotFrames] = {}
            for shot, outcome in pool.map(read_one, scene_result.scene.shots):
                if isinstance(outcome, str):
                    scene_result.unreadable[shot.name] = outcome
                else:
                    frames[shot.index] = outcome
                    result.key_frames[shot.index] = outcome.numbers
                done += 1
                progress(ProgressEvent(done, total, "continuity", f"read {shot.name}"))
            pairs = [p for p in scene_result.scene.pairs if p.first.index in frames and p.second.index in frames]

            def compare(pair: PlannedPair) -> PairAnalysis:
                cancel.raise_if_cancelled("comparing shots")
                return compare_shots(frames[pair.first.index], pair.keys[0], frames[pair.second.index], pair.keys[1])

            analyses = list(pool.map(compare, pairs))
            values = np.stack([a.values() for a in analyses]) if analyses else np.zeros((0, len(MEASURES)))
            scores = thresholds.scores(values) if len(analyses) else values
            for pair, analysis, row in zip(pairs, analyses, scores):
                scene_result.pairs.append(PairResult(pair, analysis, dict(zip(MEASURE_NAMES, map(float, row)))))
            done += len(scene_result.scene.pairs)
            progress(ProgressEvent(done, total, "continuity", f"compared scene {scene_result.scene.name}"))
            if write_fixes:
                scene_result.fixes = _write_fixes(scene_result, frames, input_space, out / "fixes")
            scene_result.report = write_scene_report(scene_result, frames, thresholds, images)
            for pair_result in scene_result.pairs:
                pair_result.analysis = pair_result.analysis.figures_only()
    result.report = write_index(result, title)
    result.json_path = write_atomically(out / "continuity.json", json.dumps(to_json(result), indent=1))
    return result


def without_people(frames: ShotFrames) -> ShotFrames:
    """The same frames with no people found (what the check is without its people mask)."""
    empty = {key: np.zeros_like(mask) for key, mask in frames.moving.items()}
    return replace(frames, moving=empty, moving_core=dict(empty))


def _write_fixes(scene_result: SceneResult, frames: Mapping[int, ShotFrames], input_space: str | None,
                 folder: Path) -> list[ColourFix]:
    flagged = [(p.pair, tuple(p.flags), p.analysis.drift) for p in scene_result.pairs
               if p.analysis.drift is not None and p.flags]
    fixes = []
    for plan in plan_fixes(flagged):
        folder.mkdir(parents=True, exist_ok=True)
        analysis = next(p.analysis for p in scene_result.pairs if p.pair is plan.pair)
        space = shot_space(plan.shot, input_space)
        first = frames[plan.pair.first.index].frames[plan.pair.keys[0]]
        fixes.append(write_fix(plan, space, folder, first, analysis.registered.warped, analysis.static))
    return fixes


def to_json(result: ContinuityResult) -> dict[str, Any]:
    """``continuity.json``: schema ``answerprint.continuity/1``."""
    def shot_json(shot: Shot) -> dict[str, Any]:
        return {"name": shot.name, "media": shot.media, "frames": [shot.first, shot.last], "index": shot.index,
                "scene": shot.scene, "setup": shot.setup, "take": shot.take, "offline": shot.offline or None}

    return {
        "schema": "answerprint.continuity/1",
        "thresholds": {"source": result.thresholds.source, "calibrated": result.thresholds.calibrated,
                       **result.thresholds.to_json()},
        "scenes": [{
            "name": s.scene.name, "shots": [shot_json(x) for x in s.scene.shots],
            "offline": [shot_json(x) for x in s.scene.offline], "unreadable": s.unreadable, "note": s.scene.note,
            "report": None if s.report is None else s.report.name,
            "pairs": [{"first": p.pair.first.name, "second": p.pair.second.name, "kind": p.pair.kind,
                       "frames": [result.key_frames[p.pair.first.index][p.pair.keys[0]],
                                  result.key_frames[p.pair.second.index][p.pair.keys[1]]],
                       "flags": p.flags, "scores": {k: (None if not np.isfinite(v) else round(v, 4))
                                                    for k, v in p.scores.items()},
                       "measurements": [m.to_json() for m in p.analysis.measurements.values()]}
                      for p in s.pairs],
            "fixes": [{"shot": f.plan.shot.name, "reference": f.plan.reference.name, "measures": list(f.plan.measures),
                       "cube": str(f.cube), "space": f.space, "before_de00": round(f.before_de00, 3),
                       "after_de00": round(f.after_de00, 3),
                       "correction": np.round(f.plan.correction, 6).tolist()} for f in s.fixes],
        } for s in result.scenes],
        "loose": [shot_json(x) for x in result.loose],
    }
