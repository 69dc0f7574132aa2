"""The farm: a timeline's shot renders split into idempotent frame-range tasks, run here, on Dask or via OpenJD.

``tasks`` (shots → ``FrameTask`` chunks; ``run_task`` resumes, so re-running a task never loses or redoes a
finished frame), ``plan`` (the JSON a farm worker reads), ``local`` / ``dask_runner`` / ``openjd`` (where the
tasks run), ``runners`` (picks one), ``report`` (what a timeline render did). No OTIO here: timelines are
read by the ``answerprint.timelines`` entry points.
"""
