"""``python -m answerprint.core.farm PLAN INDEX``: run one task of a farm plan (what an OpenJD task runs).

Exit status 0 when the task's frames are all on disk (rendered now or before), else the error's exit code
with one line on stderr, so the farm manager marks the task failed and retries it. Progress goes to stderr as
plain lines every few seconds (``ANSWERPRINT_PROGRESS=json`` for JSON lines, ``none`` for nothing).
"""
import sys

from ..cli.terminal import mode_from_environment, progress_output
from ..errors import AnswerprintError, UsageError
from .plan import load_plan
from .tasks import run_task


def main(argv: list[str]) -> int:
    """Run task ``INDEX`` (0-based) of the plan file ``PLAN``."""
    try:
        if len(argv) != 2 or not argv[1].isdigit():
            raise UsageError("usage: python -m answerprint.core.farm PLAN INDEX")
        tasks = load_plan(argv[0])
        index = int(argv[1])
        if index >= len(tasks):
            raise UsageError(f"task {index} does not exist; the plan has {len(tasks)}", argv[0])
        with progress_output(f"farm task {index}", mode_from_environment()) as (progress, cancel):
            outcome = run_task(tasks[index], progress, cancel)
    except AnswerprintError as error:
        print(f"answerprint farm task: error: {error.one_line()}", file=sys.stderr)
        return error.exit_code
    print(f"{outcome.task.label}: {outcome.frames_rendered} frame(s) rendered, "
          f"{outcome.frames_skipped} already complete")
    return 0


sys.exit(main(sys.argv[1:]))
