"""``train_look``: from K graded pairs to a signed look pack, ``.cube`` files, a CDL when one fits, and a report.

1. Pair the clips of the two folders (``look.pairs``), refuse footage outside the production's approved
   media roots, read every pair into ACEScct and refuse misaligned, re-sized, black or flat pairs.
2. Choose between the global LUT and the image-adaptive model on held-out pairs (``choose``).
3. Fit the chosen model (and always the global LUT: it is the ``.cube``) on every pair.
4. Export the pack (GridSample graph + Gather twin), the 33- and 65-point ``.cube`` files from the input space
   to the graded space, a CDL when its residual is small, and ``report.html``, all installed together in the
   production's library as the next version of the look (``packs/look/<name>/<version>/``); ``out`` receives a
   copy of them (``delivery``).

Pairs may differ in size from each other (each pair must match itself); every ungraded clip is read in one
colour space and every graded clip in another: when they are not given, the file types and tags of each side
must agree, else the clip that differs is named.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

from answerprint.core.color import default_source_space, load_config, resolve_space
from answerprint.core.color.spaces import WORKING_SPACE, look_domain
from answerprint.core.effects.look.delivery import bake_cube, bake_error, fit_look_cdl, write_look_cdl, write_look_cubes
from answerprint.core.effects.look.fit import fit_global_look
from answerprint.core.effects.look.pack import LookData
from answerprint.core.effects.look.pairs import FramePair, find_pairs, load_pair
from answerprint.core.inputs import ResolvedClip, refuse_odd_clip
from answerprint.core.packs import MediaOverride, build_provenance, load_production, record_source
from answerprint.core.render.sidecar import files_digest

from ..delivery import copy_folder, install_folder
from .adaptive import AdaptiveLook
from .choose import Choice, choose_model, reduced
from .export import export_look_pack
from .lut_ops import GlobalLutModel
from .report import write_report
from .train_adaptive import AdaptiveSettings, train_adaptive

Progress = Callable[[str], None]


@dataclass(frozen=True)
class LookTraining:
    """What ``train_look`` wrote and measured.

    Attributes
    ----------
    pack, gather_pack : Path
        The signed look pack and its Gather-based variant.
    cubes : dict of int to Path
        ``.cube`` files by lattice size.
    cdl_files : list of Path
        ``.cdl`` and ``.ccc`` when the look is expressible as a CDL; empty otherwise.
    report : Path
        ``report.html``.
    choice : Choice
        Which model was chosen, and the held-out errors of both.
    facts : dict
        Everything the report shows (pairs, spaces, residuals, timings).
    """

    pack: Path
    gather_pack: Path
    cubes: dict[int, Path]
    cdl_files: list[Path]
    report: Path
    choice: Choice
    facts: dict[str, Any] = field(default_factory=dict)


def _sources(production: Any, pairs: Sequence[FramePair], override: MediaOverride | None) -> list[Any]:
    """Provenance records of every clip used (refusing clips outside the approved roots): a movie or a still as
    its own file, a sequence as its pattern with the digest of the frames used."""
    frames: dict[str, tuple[ResolvedClip, list[int]]] = {}
    for pair in pairs:
        for clip, number in ((pair.ungraded, pair.ungraded_frame), (pair.graded, pair.graded_frame)):
            frames.setdefault(clip.path, (clip, []))[1].append(number)
    records = []
    for path, (clip, numbers) in frames.items():
        used = sorted(set(numbers))
        digest = None
        if clip.kind == "sequence":
            digest = files_digest([clip.frame_path(n) for n in used]).removeprefix("sha256:")
        records.append(record_source(production, path, [(n, n) for n in used], content_sha256=digest,
                                     override=override))
    return records


def _space(given: str | None, clips: Sequence[ResolvedClip], option: str, config: Any) -> str:
    """The colour space of one side's clips: ``given``, else what their file types and tags say (which must
    agree, else the clip that differs is named)."""
    if given is None:
        refuse_odd_clip(clips, lambda c: default_source_space(c.info), lambda c: default_source_space(c.info),
                        f"every clip of a side is read in one colour space; name it with {option}")
    return resolve_space(config, given or default_source_space(clips[0].info), option)


def train_look(pairs_ungraded: str | os.PathLike, pairs_graded: str | os.PathLike, production: str,
               out: str | os.PathLike | None = None, *, name: str = "look", version: str | None = None,
               input_space: str | None = None, graded_space: str | None = None, frames_per_clip: int = 3,
               adaptive: AdaptiveSettings = AdaptiveSettings(), override: MediaOverride | None = None,
               config: str | None = None, sign: bool = True, library: str | os.PathLike | None = None,
               progress: Progress = lambda message: None) -> LookTraining:
    """Learn a production look from graded pairs and deliver it (see the module docstring).

    Parameters
    ----------
    pairs_ungraded, pairs_graded : path
        Folders of ungraded and graded stills, sequences or movies (paired by name, then timecode).
    production : str
        Production id; the pack is signed with its key and sources must lie under its approved roots.
    out : path, optional
        A folder receiving a copy of everything delivered (created); the delivery is installed in the
        production's library either way.
    name, version : str
        Pack name and version (default: the next version of ``look/<name>`` in the library); the files are
        ``<name>.onnx``, ``<name>_33.cube``, ...
    input_space, graded_space : str, optional
        OCIO spaces of the ungraded and graded frames; default from each side's file types and tags.
    frames_per_clip : int
        Frames taken from each paired clip.
    adaptive : AdaptiveSettings
        Training of the image-adaptive model.
    override : MediaOverride, optional
        Permission to use footage outside the approved roots (recorded in the pack).
    config : str, optional
        OCIO config.
    sign : bool
        Sign the packs with the production's key.
    library : path, optional
        Model library root (default: the user's or the facility's).
    progress : callable
        Receives one line per stage, one per clip found (what it was read as) and one listing unpaired clips.

    Raises
    ------
    UsageError, MediaError, ColorError, PackError, UnapprovedMediaError
        On unusable folders, pairs, spaces, keys or media permissions (one line each); PackError also when
        ``version`` is installed already.
    """
    started = time.monotonic()
    owner = load_production(production, library)
    installer = install_folder(owner, "look", name, version, library)
    pairs = find_pairs(pairs_ungraded, pairs_graded, frames_per_clip, progress)
    sources = _sources(owner, pairs, override)
    ocio_config = load_config(config)
    input_space = _space(input_space, [p.ungraded for p in pairs], "--input-space", ocio_config)
    graded_space = _space(graded_space, [p.graded for p in pairs], "--graded-space", ocio_config)
    progress(f"{len(pairs)} graded pair(s); {input_space} -> {graded_space}")
    loaded = [load_pair(pair, input_space, graded_space, config) for pair in pairs]
    ungraded, graded = [u for u, _ in loaded], [g for _, g in loaded]
    domain = look_domain(input_space, config)
    progress("comparing the global LUT and the adaptive model on held-out pairs")
    choice = choose_model(ungraded, graded, domain, adaptive, config)
    progress(choice.reason)
    fit = fit_global_look(ungraded, graded, domain_min=domain[0], domain_max=domain[1])
    model, gather_model = GlobalLutModel(fit.lut.table, *domain), GlobalLutModel(fit.lut.table, *domain, gather=True)
    if choice.chosen == "adaptive":
        progress("training the adaptive model on every pair")
        model, _ = train_adaptive(ungraded, graded, fit.lut, adaptive)
        gather_model = AdaptiveLook(fit.lut.table, *domain, gather=True)
        gather_model.load_state_dict(model.state_dict())
    evaluation = {**choice.to_json(), "training_rms_acescct": fit.training_rms, "pairs": len(pairs)}
    data = LookData(choice.chosen, WORKING_SPACE, input_space, graded_space, fit.lut, {}, evaluation)
    provenance = build_provenance(owner, sources, override=override,
                                  training_config={"pairs": len(pairs), "frames_per_clip": frames_per_clip,
                                                   "lut_size": fit.lut.size, "adaptive_steps": adaptive.steps,
                                                   "adaptive_max_side": adaptive.max_side, "seed": adaptive.seed},
                                  validation_metrics={f"{model_name}_{metric}": value
                                                      for model_name, scores in choice.scores.items()
                                                      for metric, value in scores.items()})
    progress("exporting the pack (GridSample and Gather graphs)")
    with installer:
        folder = installer.staging
        exported = export_look_pack(model, gather_model, data, name=name, version=installer.version,
                                    production=owner, provenance=provenance, out_dir=folder,
                                    parity_frames=[reduced(ungraded[0])], sign=sign,
                                    description=f"production look learned from {len(pairs)} graded pair(s)")
        cubes = write_look_cubes(fit.lut, input_space, graded_space, folder, name, config=config,
                                 comments=(f"learned from {len(pairs)} graded pair(s) by answerprint train look",))
        cube_error = bake_error(fit.lut, bake_cube(fit.lut, input_space, graded_space, 65, config), input_space,
                                graded_space, config)
        cdl = fit_look_cdl(ungraded, graded, input_space, graded_space, name, config)
        cdl_files = write_look_cdl(cdl, folder, name) if cdl.expressible else []
        delivered = [installer.installed(p) for p in (exported.path, exported.gather_path, *cubes.values(),
                                                      *cdl_files)]
        facts = {"pairs": [p.name for p in pairs], "input_space": input_space, "graded_space": graded_space,
                 "domain": [domain[0].tolist(), domain[1].tolist()], "choice": choice.to_json(),
                 "global_fit": {"training_rms_acescct": fit.training_rms, "monotonic_fixes": fit.monotonic_fixes,
                                "seconds": round(fit.seconds, 2)},
                 "cube_65_bake_error": cube_error, "parity_max_abs_diff": exported.max_abs_diff,
                 "cdl": {"mean_de00": cdl.mean_de00, "p95_de00": cdl.p95_de00, "written": cdl.expressible},
                 "files": [str(p) for p in delivered], "seconds": round(time.monotonic() - started, 1)}
        write_report(folder, name, facts, pairs, input_space, graded_space, config)
    report = installer.target / "report.html"
    progress(f"installed look/{name}@{installer.version}: {installer.target}")
    if out is not None:
        copied = copy_folder(installer.target, out)
        progress(f"copied {len(copied)} file(s) to {out}")
    installed = dict(zip(cubes, delivered[2:2 + len(cubes)]))
    return LookTraining(delivered[0], delivered[1], installed, delivered[2 + len(cubes):], report, choice, facts)
