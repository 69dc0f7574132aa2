"""``answerprint render TIMELINE``: render every video clip of an OTIO, EDL or FCP XML timeline, conform back.

The ``answerprint.timelines`` entry point ``otio``: core's ``render`` command picks the reader whose
``EXTENSIONS`` hold the timeline's extension and calls its ``render_timeline``. Nothing here is imported by
core, which keeps OpenTimelineIO an optional dependency (``pip install 'answerprint[timeline]'``).

Steps: read the timeline (never modified) → plan one shot render per video clip (used range + handles;
offline clips reported) → split into farm tasks → run them (this process, Dask, or OpenJD) → write
``OUT/<timeline>_<effect>.<same extension>`` whose rendered clips point to the renders.
"""
from __future__ import annotations

import os
from fractions import Fraction

from answerprint.core.errors import OutputError
from answerprint.core.farm.report import TimelineReport
from answerprint.core.farm.runners import FarmOptions, execute
from answerprint.core.farm.tasks import split_into_tasks
from answerprint.core.progress import CancelToken, ProgressCallback, no_progress
from answerprint.core.render import RenderJob

from .conform import point_to_renders
from .shots import plan_clips
from .timeline_io import ADAPTERS, adapter_for, read_timeline, write_timeline

#: Timeline file extensions this reader handles.
EXTENSIONS = tuple(ADAPTERS)


def conformed_timeline_path(timeline: str, out_dir: str, effect: str) -> str:
    """Where the new timeline goes: ``OUT/<timeline stem>_<effect><same extension>``."""
    stem, extension = os.path.splitext(os.path.basename(timeline))
    return os.path.join(out_dir, f"{stem}_{effect}{extension}")


def render_timeline(timeline: str, out_dir: str, template: RenderJob, options: FarmOptions,
                    edl_rate: Fraction = Fraction(24), progress: ProgressCallback = no_progress,
                    cancel: CancelToken | None = None) -> TimelineReport:
    """Render the used range (plus handles) of every video clip of ``timeline`` and write the conformed timeline.

    Parameters
    ----------
    timeline : str
        ``.otio``, ``.otioz``, ``.edl`` (CMX 3600), ``.xml`` (FCP 7) or ``.fcpxml``; read only.
    out_dir : str
        Folder for the renders, the farm plan and the new timeline (created).
    template : RenderJob
        What every shot shares: effect, parameters, pack, production, colour spaces, codec (None: each
        source's own family), handles, overwrite/resume. Source, output and frames are set per clip.
    options : FarmOptions
        Where the tasks run.
    edl_rate : Fraction
        Frame rate of an EDL's timecodes.
    progress, cancel
        Progress in frames over all tasks; cancel stops the run (finished frames stay for a resume).

    Returns
    -------
    TimelineReport
        The new timeline, counts, offline clips and failed shots.

    Raises
    ------
    UsageError, MediaError, OutputError, Cancelled
        For problems with the whole run (a bad timeline, an unwritable folder); a clip's own problems are
        reported in the result instead.
    """
    options.check()
    adapter = adapter_for(timeline)
    target = conformed_timeline_path(timeline, out_dir, template.effect)
    if os.path.exists(target) and not (template.overwrite or template.resume):
        raise OutputError("the conformed timeline exists; pass --resume to finish that render "
                          "or --overwrite to render again", target)
    try:
        os.makedirs(out_dir, exist_ok=True)
    except OSError as error:
        raise OutputError(f"cannot create the output folder ({error.strerror})", out_dir) from None
    name = os.path.splitext(os.path.basename(target))[0]
    edit, base_dir = read_timeline(timeline, os.path.join(out_dir, f"{name}.otioz-media"), edl_rate)
    planned, offline = plan_clips(edit, base_dir, template, out_dir)
    tasks = split_into_tasks([item.shot for item in planned], options.chunk_frames)
    run = execute(tasks, options, out_dir, name, progress, cancel)
    report = TimelineReport(target, len(planned), len(tasks), sum(task.frame_count for task in tasks),
                            offline=offline, pending=run.outcomes is None, plan=run.plan, bundle=run.bundle)
    for outcome in run.outcomes or []:
        report.frames_rendered += outcome.frames_rendered
        report.frames_skipped += outcome.frames_skipped
        if not outcome.ok:
            report.failed.setdefault(outcome.task.shot, outcome.error or "failed")
    rendered = {item.shot.name for item in planned} - set(report.failed)
    point_to_renders(planned, rendered, adapter)
    write_timeline(edit, target, overwrite=True)
    return report
