"""``answerprint resolve ACTION`` (or ``python -m answerprint.plugin.resolve ACTION``): what the Resolve menu
scripts launch, and a TD's tool.

Actions (the first four connect to the running Resolve Studio themselves)::

    apply EFFECT      render the selected clips through EFFECT, back as new selected takes (Cleanup, Relight)
    rerender          render the selected answerprint takes again from their recorded parameters, as new versions
    colormatch        put a .cube (and a CDL) on the selected clips' grade as a native LUT (Color Match)
    continuity        check the timeline's continuity, mark flagged items (Continuity); --fix also puts each
                      colour fix on its item's grade (Continuity fix colour)
    train             train a pack from the current bin's clips as dailies (Train from bin)
    panel             open the answerprint panel (Panel)
    configure         set the production, the render folder and each job's defaults used by the menu items
    install           put the menu into Resolve, registering this environment (``install``)
    uninstall         take the menu out of Resolve

Options not given on the command line come from ``resolve.json`` (see ``settings``): the production, the
render folder, and per job (``jobs.<effect>``, ``jobs.colormatch``, ``jobs.train``) the pack, parameters,
handles, input space, ``.cube``, CDL, node. Messages are one line each; errors end the job with the exit code
of their ``AnswerprintError`` class. Launched by a menu script (``--status``, ``--log``), a job also reports
through its status file and, when it outlives the menu script, a desktop notification (``status``).
"""
from __future__ import annotations

import argparse
import os
import sys
from importlib.metadata import entry_points
from typing import Any

from answerprint.core.cli import main as core_main
from answerprint.core.effects import get_effect
from answerprint.core.errors import AnswerprintError, UsageError
from answerprint.core.packs import find_pack
from answerprint.core.params import parse_assignments
from answerprint.core.paths import data_dir
from answerprint.core.progress import ProgressCallback, ProgressEvent

from . import install
from .arguments import INSTALL_ACTIONS, PROGRAM, add_actions
from .connect import ResolveSession, open_session
from .lut import apply_color_match, read_cdl
from .menu import menu_items
from .settings import DEFAULT_HANDLES, ResolveSettings, load_settings
from .status import JobStatus
from .takes import TakeRequest, render_take, rerender_take
from .timeline import ItemSource, locate_source, target_items, timeline_rate
from .train import collect_dailies, train_arguments

#: What an action returns: its exit code and a one-line summary for the status file and the notification.
Outcome = tuple[int, str]


def _say(message: str) -> None:
    print(message, flush=True)


def _progress_printer(label: str, status: JobStatus, index: int = 0, count: int = 1) -> ProgressCallback:
    """A progress callback printing ``label: 40 %`` at every tenth of the render (item ``index`` of ``count``),
    and putting it in the job's status."""
    shown = {-1}

    def report(event: ProgressEvent) -> None:
        tenth = int(event.fraction * 10)
        if tenth not in shown:
            shown.add(tenth)
            _say(f"  {label}: {tenth * 10} % ({event.done}/{event.total} frames)")
            status.progress((index + event.fraction) / count, f"{label}: {tenth * 10} %")

    return report


def _not_done(problems: int, what: str) -> str:
    return f", {problems} {what} (see the log)" if problems else ""


def _production(args: argparse.Namespace, settings: ResolveSettings, required: bool = False) -> str | None:
    production = args.production or settings.production
    if required and not production:
        raise UsageError("no production chosen; pass --production or run: python -m answerprint.plugin.resolve "
                         "configure --production ID", "--production")
    return production


def _render_folder(args: argparse.Namespace, settings: ResolveSettings) -> str:
    return args.render_folder or settings.render_folder or str(data_dir() / "resolve-renders")


def _apply(args: argparse.Namespace, settings: ResolveSettings, session: ResolveSession,
           status: JobStatus) -> Outcome:
    job = settings.job(args.effect)
    request = TakeRequest(
        effect=args.effect, params={**job.get("params", {}), **parse_assignments(args.param)},
        pack=args.pack or job.get("pack"), production=_production(args, settings),
        handles=args.handles if args.handles is not None else int(job.get("handles", DEFAULT_HANDLES)),
        input_space=args.input_space or job.get("input_space"))
    if get_effect(args.effect).needs_pack and not request.pack:
        raise UsageError(f"the {args.effect} effect needs a model pack: choose one in the Panel, or run: answerprint "
                         f"resolve configure --job {args.effect} --pack EFFECT/NAME", "--pack")
    if request.pack:
        find_pack(request.pack, request.production)  # a missing pack is said now, not after the first clip
    folder = _render_folder(args, settings)
    rate = timeline_rate(session.require_timeline())
    located = [locate_source(item, session.version, rate) for item in target_items(session, args.whole_timeline)]
    sources = [source for source in located if isinstance(source, ItemSource)]
    for skipped in (source for source in located if not isinstance(source, ItemSource)):
        _say(skipped.message())
    if not sources:
        reasons = [f"{skipped.label}: {skipped.reason}" for skipped in located]
        more = f"; and {len(reasons) - 2} more" if len(reasons) > 2 else ""
        raise UsageError("no clip can be rendered in place: " + "; ".join(reasons[:2]) + more)
    status.working(f"rendering {len(sources)} clip(s) through {args.effect}" + _not_done(len(located) - len(sources),
                                                                                        "skipped"))
    failed = 0
    for index, source in enumerate(sources):
        _say(f"{source.label}: {args.effect} on source frames {source.first}-{source.last} of {source.path}")
        try:
            progress = _progress_printer(source.label, status, index, len(sources))
            _say(render_take(session, source, request, folder, progress).message())
        except AnswerprintError as error:
            _say(f"failed {source.label}: {error.one_line()}")
            failed += 1
    problems = failed + len(located) - len(sources)
    return (1 if problems else 0), (f"{len(sources) - failed} take(s) added" + _not_done(failed, "failed")
                                    + _not_done(len(located) - len(sources), "skipped"))


def _rerender(args: argparse.Namespace, settings: ResolveSettings, session: ResolveSession,
              status: JobStatus) -> Outcome:
    overrides = parse_assignments(args.param)
    items = target_items(session, args.whole_timeline)
    status.working(f"rendering {len(items)} take(s) again")
    problems = 0
    for item in items:
        try:
            _say(rerender_take(session, item, overrides, _render_folder(args, settings)).message())
        except AnswerprintError as error:
            _say(f"failed: {error.one_line()}")
            problems += 1
    return (1 if problems else 0), f"{len(items) - problems} take(s) rendered again" + _not_done(problems, "failed")


def _colormatch(args: argparse.Namespace, settings: ResolveSettings, session: ResolveSession,
                status: JobStatus) -> Outcome:
    job = settings.job("colormatch")
    cube = args.cube or job.get("cube")
    if not cube:
        raise UsageError("no .cube to apply; pass --cube or run: answerprint resolve configure --job colormatch "
                         "--cube PATH", "--cube")
    cdl_file = args.cdl or job.get("cdl")
    node = args.node or int(job.get("node", 1))
    items = target_items(session, args.whole_timeline)
    status.working(f"putting the LUT on {len(items)} clip(s)")
    result = apply_color_match(session, items, cube, _production(args, settings, required=True), node,
                               read_cdl(cdl_file) if cdl_file else None, args.lut_folder)
    for line in result.applied + [f"failed {line}" for line in result.failed]:
        _say(line)
    return (1 if result.failed else 0), (f"LUT on {len(result.applied)} clip(s)"
                                         + _not_done(len(result.failed), "failed"))


def _continuity(args: argparse.Namespace, settings: ResolveSettings, session: ResolveSession,
                status: JobStatus) -> Outcome:
    from answerprint.core.continuity.scenes import read_grouping_file
    from answerprint.core.continuity.thresholds import from_pack
    from answerprint.core.packs import open_pack_for_job

    from .continuity import check_timeline

    job = settings.job("continuity")
    production = _production(args, settings, required=args.fix)
    pack = args.pack or job.get("pack")
    thresholds = from_pack(open_pack_for_job(pack, "continuity", production)) if pack else None
    timeline = session.require_timeline()
    out = args.out or os.path.join(_render_folder(args, settings), "continuity", timeline.GetName())
    scenes = args.scenes or job.get("scenes")
    status.working(f"checking the continuity of {timeline.GetName()}" + (" and fixing colour" if args.fix else ""))
    done = check_timeline(session, out, thresholds=thresholds, scene_from=args.scene_from or job.get("scene_from",
                          "timeline"), grouping=read_grouping_file(scenes) if scenes else None,
                          input_space=args.input_space or job.get("input_space"), fix=args.fix,
                          production=production, node=args.node or int(job.get("node", 1)),
                          lut_folder=args.lut_folder, progress=_progress_printer("continuity", status))
    for line in done.marked + done.fixed + [f"refused {line}" for line in done.refused]:
        _say(line)
    flagged = sum(1 for pair in done.result.pairs if pair.flags)
    _say(f"{flagged} flagged pair(s) of {len(done.result.pairs)}; thresholds: {done.result.thresholds.source}")
    _say(f"report: {done.result.report}")
    return (1 if done.refused else 0), (f"{flagged} flagged pair(s) of {len(done.result.pairs)}"
                                        + _not_done(len(done.refused), "refused"))


def _train(args: argparse.Namespace, settings: ResolveSettings, session: ResolveSession,
           status: JobStatus) -> Outcome:
    job = settings.job("train")
    production = _production(args, settings, required=True)
    reason = args.allow_unapproved_media or job.get("allow_unapproved_media")
    dailies = collect_dailies(session, production, args.bin or job.get("bin"), reason, args.library)
    for line in dailies.left_out:
        _say(f"left out {line}")
    effect = args.effect or job.get("effect", "cleanup")
    _say(f"training on {len(dailies.paths)} clip(s) of the bin")
    status.working(f"training {effect} on {len(dailies.paths)} clip(s) of the bin")
    code = core_main(train_arguments(effect, production, dailies, args.profile or job.get("profile", "quick"),
                                     reason, args.library))
    return code, (f"{effect} trained on {len(dailies.paths)} clip(s)" if code == 0
                  else f"training stopped with exit code {code}")


def _panel(args: argparse.Namespace, settings: ResolveSettings, status: JobStatus) -> Outcome:
    if "panel" not in {ep.name for ep in entry_points(group="answerprint.commands")}:
        raise UsageError("the answerprint panel is not installed in this environment; re-run the installer "
                         "with --extras ui")
    production = settings.production
    status.working("opening the panel")
    code = core_main(["panel", "--host", "resolve"] + (["--production", production] if production else []))
    return code, "panel closed" if code == 0 else f"the panel stopped with exit code {code}"


def _configure(args: argparse.Namespace, settings: ResolveSettings, status: JobStatus) -> Outcome:
    values: dict[str, Any] = {"pack": args.pack, "handles": args.handles, "input_space": args.input_space,
                              "cube": args.cube, "cdl": args.cdl, "node": args.node, "effect": args.effect,
                              "profile": args.profile, "params": parse_assignments(args.param)}
    if args.job is None and any(value not in (None, {}) for value in values.values()):
        raise UsageError("job options need --job NAME (an effect name, colormatch, continuity or train)", "--job")
    settings.update(args.production, args.render_folder, args.job, values)
    settings.save()
    _say(f"saved {settings.path}")
    return 0, f"saved {settings.path}"


_NEEDS_RESOLVE = {"apply": _apply, "rerender": _rerender, "colormatch": _colormatch, "continuity": _continuity,
                  "train": _train}
_LOCAL = {"panel": _panel, "configure": _configure}


def job_title(args: argparse.Namespace) -> str:
    """The job as the menu names it (``Cleanup``, ``Color Match``...), else its action words."""
    words = [args.action] + ([args.effect] if args.action == "apply" else [])
    return next((item.title for item in menu_items() if list(item.action) == words), " ".join(words))


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every action."""
    parser = argparse.ArgumentParser(prog=PROGRAM, description="Run answerprint on the current DaVinci Resolve "
                                     "timeline (what the answerprint menu items in Resolve launch).")
    add_actions(parser)
    return parser


def run(args: argparse.Namespace) -> int:
    """Run the action ``args`` names; returns the process exit code."""
    if args.action in INSTALL_ACTIONS:
        return install.run(args)
    status = JobStatus(args.status, args.log, job_title(args))
    try:
        settings = load_settings(args.settings)
        if args.action in _LOCAL:
            code, summary = _LOCAL[args.action](args, settings, status)
        else:
            code, summary = _NEEDS_RESOLVE[args.action](args, settings, open_session(), status)
    except AnswerprintError as error:
        print(f"{PROGRAM} {args.action}: error: {error.one_line()}", file=sys.stderr, flush=True)
        status.finished(error.exit_code, error.one_line())
        return error.exit_code
    except KeyboardInterrupt:
        print(f"{PROGRAM} {args.action}: cancelled", file=sys.stderr, flush=True)
        status.finished(130, "cancelled")
        return 130
    except Exception as error:  # the traceback goes to the log; the colorist still hears of it
        status.finished(70, f"internal error: {type(error).__name__}: {error}")
        raise
    status.finished(code, summary)
    return code


def main(argv: list[str] | None = None) -> int:
    """Run one action from ``argv``; returns the process exit code."""
    return run(build_parser().parse_args(argv))
