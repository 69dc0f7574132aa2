"""``answerprint render TIMELINE``: render every video clip of an OTIO, EDL, FCP 7 XML or FCPX timeline, conform back.

The ``answerprint.timelines`` entry point ``otio``: core's ``render`` command picks the reader whose
``EXTENSIONS`` hold the timeline's extension and calls its ``render_timeline``; ``answerprint train``'s
input resolver calls its ``used_media`` (``dailies``) for a timeline given as dailies. Nothing here is imported by
core, which keeps OpenTimelineIO an optional dependency (``pip install 'answerprint[timeline]'``).

Steps: read the timeline (never modified; every project of an FCPX library unless ``project`` picks one)
→ find each clip's media (relinking through path maps and media roots) and the frames it shows (speed
changes, reverse, freeze frames and the media under transitions) → one render per source range, plus
handles → farm tasks → run them (this process, Dask, or OpenJD) → write ``OUT/<timeline>_<effect>.<same
extension>``, the same edit with the rendered clips pointing at their renders, checked by reading it back.
``OUT/<timeline>_<effect>.relink.json`` lists how each clip's media was found, or why not.
"""
from __future__ import annotations

import json
import os
from fractions import Fraction
from typing import Iterable

from answerprint.core.atomic import write_atomically
from answerprint.core.errors import OutputError
from answerprint.core.farm.report import TimelineReport
from answerprint.core.farm.runners import FarmOptions, execute
from answerprint.core.farm.tasks import split_into_tasks
from answerprint.core.progress import CancelToken, ProgressCallback, no_progress
from answerprint.core.render import RenderJob

from .conform import rendered_clips
from .dailies import used_media
from .relink import Relinker, RelinkOptions
from .shots import PlannedClip, clip_reel, plan_clips
from .timeline_io import ADAPTERS, adapter_for, open_edit

#: Timeline file extensions this reader handles.
EXTENSIONS = tuple(ADAPTERS)
__all__ = ["EXTENSIONS", "conformed_timeline_path", "render_timeline", "used_media"]


def conformed_timeline_path(timeline: str, out_dir: str, effect: str) -> str:
    """Where the new timeline goes: ``OUT/<timeline stem>_<effect><same extension>``."""
    stem, extension = os.path.splitext(os.path.basename(timeline.rstrip("/\\")))
    return os.path.join(out_dir, f"{stem}_{effect}{extension}")


def render_timeline(timeline: str, out_dir: str, template: RenderJob, options: FarmOptions,
                    edl_rate: Fraction = Fraction(24), progress: ProgressCallback = no_progress,
                    cancel: CancelToken | None = None, *, media_roots: Iterable[str] = (),
                    path_maps: Iterable[str] = (), relink_config: str | None = None,
                    project: str | None = None) -> TimelineReport:
    """Render the frames (plus handles) every video clip of ``timeline`` shows and write the conformed timeline.

    Parameters
    ----------
    timeline : str
        ``.otio``, ``.otioz``, ``.edl`` (CMX 3600), ``.xml`` (FCP 7), ``.fcpxml`` or ``.fcpxmld``; read only.
    out_dir : str
        Folder for the renders, the farm plan, the relink report and the new timeline (created).
    template : RenderJob
        What every shot shares: effect, parameters, pack, production, colour spaces, codec (None: each
        source's own family), handles, overwrite/resume. Source, output and frames are set per shot.
    options : FarmOptions
        Where the tasks run.
    edl_rate : Fraction
        Frame rate of an EDL's timecodes.
    progress, cancel
        Progress in frames over all tasks; cancel stops the run (finished frames stay for a resume).
    media_roots, path_maps, relink_config
        Where to look for media the timeline names by other paths (``relink.RelinkOptions``).
    project : str, optional
        The one project (FCPX) or sequence (FCP 7 XML) to render; default all.

    Returns
    -------
    TimelineReport
        The new timeline, counts, offline and ambiguous clips, how media were found, failed shots.

    Raises
    ------
    UsageError, MediaError, OutputError, Cancelled
        For problems with the whole run (a bad timeline, an unwritable folder); a clip's own problems are
        reported in the result instead.
    """
    options.check()
    adapter_for(timeline)
    relink = RelinkOptions.from_arguments(media_roots, path_maps, relink_config)
    target = conformed_timeline_path(timeline, out_dir, template.effect)
    if os.path.exists(target) and not (template.overwrite or template.resume):
        raise OutputError("the conformed timeline exists; pass --resume to finish that render "
                          "or --overwrite to render again", target)
    try:
        os.makedirs(out_dir, exist_ok=True)
    except OSError as error:
        raise OutputError(f"cannot create the output folder ({error.strerror})", out_dir) from None
    name = os.path.splitext(os.path.basename(target))[0]
    edit = open_edit(timeline, os.path.join(out_dir, f"{name}.otioz-media"), edl_rate, project)
    planned, offline = plan_clips(edit.timelines, edit.base_dir, template, out_dir, Relinker(relink), edit.grid)
    shots = list({item.shot.name: item.shot for item in planned}.values())
    tasks = split_into_tasks(shots, options.chunk_frames)
    run = execute(tasks, options, out_dir, name, progress, cancel)
    report = TimelineReport(target, len(shots), len(tasks), sum(task.frame_count for task in tasks),
                            offline=offline, pending=run.outcomes is None, plan=run.plan, bundle=run.bundle)
    for outcome in run.outcomes or []:
        report.frames_rendered += outcome.frames_rendered
        report.frames_skipped += outcome.frames_skipped
        if not outcome.ok:
            report.failed.setdefault(outcome.task.shot, outcome.error or "failed")
    for item in planned:
        report.relinked[item.how] = report.relinked.get(item.how, 0) + 1
    report.relink_report = _write_relink_report(os.path.join(out_dir, f"{name}.relink.json"), planned, report)
    edit.write(target, rendered_clips(planned, {shot.name for shot in shots} - set(report.failed)), overwrite=True)
    return report


def _write_relink_report(path: str, planned: list[PlannedClip], report: TimelineReport) -> str:
    """``OUT/<name>.relink.json``: every clip found (its reel, how, and its render: the reel-to-render map a
    conform by reel needs), ambiguous (with its candidates) or offline."""
    record = {
        "schema": "answerprint.relink/1",
        "found": [{"clip": item.clip.name, "reel": clip_reel(item.clip), "how": item.how, "media": item.info.path,
                   "render": item.shot.job.output} for item in planned],
        "ambiguous": [{"clip": clip.name, "media": clip.media, "reason": clip.reason}
                      for clip in report.offline if clip.reason.startswith("ambiguous")],
        "offline": [{"clip": clip.name, "media": clip.media, "reason": clip.reason}
                    for clip in report.offline if not clip.reason.startswith("ambiguous")],
    }
    try:
        write_atomically(path, json.dumps(record, indent=2) + "\n")
    except OSError as error:
        raise OutputError(f"cannot write the relink report ({error.strerror})", path) from None
    return path
