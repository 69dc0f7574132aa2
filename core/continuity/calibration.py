"""Measure a production's take-to-take variation: every pair of takes of one set-up in its dailies.

``measure_takes`` groups dailies into set-ups by the slates in their names (``scenes.slate_from_name``:
``12A-3``, ``SC12A_TK3``...) or a grouping, reads each take once (``shot_frames``) and compares every two takes
of a set-up (middle frames, as same-set-up pairs are compared in a check). The measures of these pairs are
what ``thresholds.calibrate`` turns into thresholds: good takes of one set-up differ only by what a production
normally lets through.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations
from typing import Mapping, Sequence

import numpy as np

from ..errors import AnswerprintError, UsageError
from ..frames import probe
from ..inputs import ResolvedClip
from ..progress import CancelToken, ProgressCallback, ProgressEvent, no_progress
from .compare import compare_shots
from .measures import MEASURES
from .scenes import Shot, Slate, assign_scenes
from .shot_frames import read_shot


@dataclass
class MeasuredVariation:
    """The measures of every pair of takes of one set-up.

    Attributes
    ----------
    values : ndarray
        float32 ``(pairs, len(MEASURES))``, NaN where a pair could not be compared for a measure.
    pairs : list of (str, str)
        The takes of each row (file names).
    setups : dict
        Set-up → its takes' paths.
    left_out : list of str
        Dailies not used, and why.
    """

    values: np.ndarray
    pairs: list[tuple[str, str]]
    setups: dict[str, list[str]]
    left_out: list[str] = field(default_factory=list)


def group_takes(dailies: Sequence[str | ResolvedClip],
                grouping: Mapping[str, Slate] | None = None) -> tuple[dict[str, list[Shot]], list[str]]:
    """Dailies grouped by set-up (two takes or more), and those left out with the reason.

    ``dailies`` are paths (every frame of each) or clips the input resolver decided (``core.inputs``: a
    still, or the frames a timeline or bin uses).

    Raises
    ------
    UsageError
        When no set-up has two readable takes.
    """
    shots, left_out = [], []
    for index, take in enumerate(dailies):
        if isinstance(take, ResolvedClip):
            first, last, path = take.first_frame, take.last_frame, take.path
        else:
            path = str(take)
            try:
                info = probe(path)
            except AnswerprintError as error:
                left_out.append(f"{path}: {error.what}")
                continue
            first, last = info.first_frame, info.last_frame
        shots.append(Shot(path.rsplit("/", 1)[-1], path, first, last, index))
    setups: dict[str, list[Shot]] = {}
    if shots:
        try:
            grouped = assign_scenes(shots, "names", grouping=grouping)
        except UsageError:
            grouped = shots
        for shot in grouped:
            if shot.scene is None:
                left_out.append(f"{shot.media}: no slate in its name (scene, set-up and take: 12A-3, SC12A_TK3)")
                continue
            setups.setdefault(shot.setup or shot.scene, []).append(shot)
    for setup, takes in list(setups.items()):
        if len(takes) < 2:
            left_out.append(f"{takes[0].media}: the only take of set-up {setup}")
            del setups[setup]
    if not setups:
        raise UsageError("calibration needs two takes or more of one set-up, named with their slates (12A-1, 12A-2, "
                         "or SC12A_TK1, SC12A_TK2)", "--dailies")
    return setups, left_out


def measure_takes(dailies: Sequence[str | ResolvedClip], input_space: str, grouping: Mapping[str, Slate] | None = None,
                  progress: ProgressCallback = no_progress, cancel: CancelToken | None = None) -> MeasuredVariation:
    """Read the dailies and measure every pair of takes of each set-up (see the module docstring).

    Raises
    ------
    UsageError
        When no set-up has two takes.
    MediaError
        When a take cannot be decoded.
    Cancelled
        When ``cancel`` is triggered.
    """
    cancel = cancel or CancelToken()
    setups, left_out = group_takes(dailies, grouping)
    takes = [shot for shots in setups.values() for shot in shots]
    pairs = [(a, b) for shots in setups.values() for a, b in combinations(shots, 2)]
    total, done = len(takes) + len(pairs), 0
    frames = {}
    for shot in takes:
        cancel.raise_if_cancelled("reading the dailies")
        frames[shot.index] = read_shot(shot.media, shot.first, shot.last, input_space)
        done += 1
        progress(ProgressEvent(done, total, "calibrate", f"read {shot.name}"))
    rows = []
    for first, second in pairs:
        cancel.raise_if_cancelled("measuring the takes")
        rows.append(compare_shots(frames[first.index], "middle", frames[second.index], "middle").values())
        done += 1
        progress(ProgressEvent(done, total, "calibrate", f"{first.name} / {second.name}"))
    values = np.stack(rows) if rows else np.zeros((0, len(MEASURES)), np.float32)
    return MeasuredVariation(values, [(a.name, b.name) for a, b in pairs],
                         {setup: [s.media for s in shots] for setup, shots in setups.items()}, left_out)
