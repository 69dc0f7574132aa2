"""The farm plan file: every task of a timeline render, as JSON a farm worker reads (``answerprint.farm/1``).

Farm engines pass a task *index* to a worker (OpenJD task parameter, a Deadline frame number); the worker
loads the plan and runs that task: ``python -m answerprint.core.farm PLAN INDEX``.
"""
from __future__ import annotations

import json
import os
from typing import Any

from ..atomic import write_atomically
from ..errors import OutputError, UsageError
from .tasks import FrameTask

SCHEMA = "answerprint.farm/1"


def save_plan(path: str, tasks: list[FrameTask], timeline: str) -> None:
    """Write the plan atomically (temporary file, then rename).

    Parameters
    ----------
    path : str
        Plan file to write (``…/render.farm.json``).
    tasks : list of FrameTask
        Tasks in the order workers number them (index 0 first).
    timeline : str
        The timeline they come from, recorded for people reading the file.

    Raises
    ------
    OutputError
        When the file cannot be written.
    """
    record: dict[str, Any] = {"schema": SCHEMA, "timeline": os.path.abspath(timeline),
                              "tasks": [task.to_json() for task in tasks]}
    try:
        write_atomically(path, json.dumps(record, indent=1) + "\n")
    except OSError as error:
        raise OutputError(f"cannot write the farm plan ({error.strerror})", path) from None


def load_plan(path: str) -> list[FrameTask]:
    """The tasks of a plan file.

    Raises
    ------
    UsageError
        When the file is missing, not JSON, or not an ``answerprint.farm/1`` plan.
    """
    try:
        with open(path, encoding="utf-8") as handle:
            record = json.load(handle)
        if record.get("schema") != SCHEMA:
            raise UsageError(f"not a farm plan (schema {record.get('schema')!r}, expected {SCHEMA})", path)
        return [FrameTask.from_json(item) for item in record["tasks"]]
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise UsageError(f"not a readable farm plan ({error})", path) from None
