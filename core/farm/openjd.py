"""Open Job Description job bundles for a farm plan: submit to AWS Deadline Cloud, or run here with openjd-cli.

The bundle is a folder holding ``template.json`` (one step, ``Render``, with one task per plan task; the
task runs ``PYTHON -m answerprint.core.farm PLAN INDEX``) and ``parameter_values.json`` (the plan's path
and this machine's Python), the layout ``deadline bundle submit`` reads. Workers need answerprint
installed and the same paths as this machine (shared storage, or Deadline path mapping rules).

``run_job_bundle`` runs the bundle locally through ``openjd run``; a failed run is run again (tasks
resume, so only the missing frames are rendered) up to ``retries`` times.
"""
from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from typing import Any

from ..atomic import write_atomically
from ..errors import AnswerprintError, Cancelled, OutputError
from ..progress import CancelToken, ProgressCallback, ProgressEvent, no_progress

SPECIFICATION = "jobtemplate-2023-09"
STEP = "Render"
#: Seconds a single task may run before the farm stops it (a 24-frame UHD chunk takes minutes on a GPU).
TASK_TIMEOUT_S = 4 * 3600
#: Printed by ``python -m answerprint.core.farm`` when a task finished; counted for progress.
_TASK_DONE_MARK = "already complete"


def job_template(name: str, task_count: int) -> dict[str, Any]:
    """The OpenJD job template (``jobtemplate-2023-09``) running tasks ``0``..``task_count - 1`` of a plan."""
    return {
        "specificationVersion": SPECIFICATION,
        "name": name,
        "parameterDefinitions": [
            {"name": "Plan", "type": "PATH", "objectType": "FILE", "dataFlow": "IN",
             "description": "answerprint farm plan (answerprint.farm/1 JSON) listing every task"},
            {"name": "Python", "type": "STRING", "default": "python3",
             "description": "Python interpreter with answerprint installed on the workers"},
        ],
        "steps": [{
            "name": STEP,
            "parameterSpace": {"taskParameterDefinitions": [
                {"name": "Task", "type": "INT", "range": f"0-{task_count - 1}"}]},
            "script": {"actions": {"onRun": {
                "command": "{{Param.Python}}",
                "args": ["-m", "answerprint.core.farm", "{{Param.Plan}}", "{{Task.Param.Task}}"],
                "timeout": TASK_TIMEOUT_S,
            }}},
        }],
    }


def write_job_bundle(bundle_dir: str, plan_path: str, task_count: int, name: str,
                     python: str = sys.executable) -> str:
    """Write ``template.json`` and ``parameter_values.json`` into ``bundle_dir``; returns the template path.

    Raises
    ------
    OutputError
        When the folder or files cannot be written.
    """
    values = {"parameterValues": [{"name": "Plan", "value": os.path.abspath(plan_path)},
                                  {"name": "Python", "value": python}]}
    try:
        os.makedirs(bundle_dir, exist_ok=True)
        for file_name, content in (("parameter_values.json", values),
                                   ("template.json", job_template(name, task_count))):
            write_atomically(os.path.join(bundle_dir, file_name), json.dumps(content, indent=2) + "\n")
    except OSError as error:
        raise OutputError(f"cannot write the OpenJD job bundle ({error.strerror})", bundle_dir) from None
    return os.path.join(bundle_dir, "template.json")


def run_job_bundle(bundle_dir: str, frames_per_task: list[int], retries: int = 2,
                   progress: ProgressCallback = no_progress, cancel: CancelToken | None = None) -> None:
    """Run every task of the bundle on this machine with ``openjd run``, again on failure.

    Parameters
    ----------
    bundle_dir : str
        A folder written by ``write_job_bundle``.
    frames_per_task : list of int
        Frames of each task of the bundle, in order (for progress in frames).
    retries : int
        Extra runs after a failed one.

    Raises
    ------
    AnswerprintError
        When openjd-cli is not installed, or the last run still failed (with openjd's last line).
    Cancelled
        When ``cancel`` is set; the running task is stopped, finished frames stay for a resume.
    """
    cancel = cancel or CancelToken()
    if importlib.util.find_spec("openjd") is None:
        raise AnswerprintError("openjd-cli is not installed; run: pip install 'answerprint[farm]'")
    with open(os.path.join(bundle_dir, "parameter_values.json"), encoding="utf-8") as handle:
        values = {item["name"]: item["value"] for item in json.load(handle)["parameterValues"]}
    command = [sys.executable, "-m", "openjd", "run", os.path.join(bundle_dir, "template.json"), "--step", STEP]
    for key, value in values.items():
        command += ["--job-param", f"{key}={value}"]
    last_line = ""
    for _attempt in range(retries + 1):
        returncode, last_line = _run_once(command, frames_per_task, progress, cancel)
        if returncode == 0:
            return
    raise AnswerprintError(f"openjd run failed {retries + 1} time(s): {last_line}", bundle_dir)


def _run_once(command: list[str], frames_per_task: list[int], progress: ProgressCallback,
              cancel: CancelToken) -> tuple[int, str]:
    """One ``openjd run``: progress from the tasks' own completion lines; (exit status, last error line)."""
    total = sum(frames_per_task)
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               start_new_session=True)
    finished_tasks, last_line = 0, "no error line in its log"
    assert process.stdout is not None
    for line in process.stdout:
        if cancel.cancelled:
            process.kill()
            process.wait()
            raise Cancelled("cancelled by the user; finished frames are kept for a resume")
        if "error" in line.lower():
            last_line = line.strip().split("\t")[-1]
        if _TASK_DONE_MARK in line and finished_tasks < len(frames_per_task):
            finished_tasks += 1
            progress(ProgressEvent(sum(frames_per_task[:finished_tasks]), total, "render",
                                   f"task {finished_tasks}/{len(frames_per_task)}"))
    return process.wait(), last_line
