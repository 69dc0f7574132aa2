"""``python -m answerprint.plugin.resolve ACTION``: what the Resolve menu scripts launch, and a TD's tool.

Actions (each connects to the running Resolve Studio itself)::

    apply EFFECT      render the selected clips through EFFECT, back as new selected takes (Cleanup, Relight)
    rerender          render the selected answerprint takes again from their recorded parameters, as new versions
    colormatch        put a .cube (and a CDL) on the selected clips' grade as a native LUT (Color Match)
    continuity        check the timeline's continuity, mark flagged items (Continuity); --fix also puts each
                      colour fix on its item's grade (Continuity fix colour)
    train             train a pack from the current bin's clips as dailies (Train from bin)
    panel             open the answerprint panel (Panel)
    configure         set the production, the render folder and each job's defaults used by the menu items

Options not given on the command line come from ``resolve.json`` (see ``settings``): the production, the
render folder, and per job (``jobs.<effect>``, ``jobs.colormatch``, ``jobs.train``) the pack, parameters,
handles, input space, ``.cube``, CDL, node. Messages are one line each; errors end the job with the exit code
of their ``AnswerprintError`` class.
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
from answerprint.core.params import parse_assignments
from answerprint.core.paths import data_dir
from answerprint.core.progress import ProgressCallback, ProgressEvent

from .connect import ResolveSession, open_session
from .lut import apply_color_match, read_cdl
from .settings import ResolveSettings, load_settings
from .takes import DEFAULT_HANDLES, TakeRequest, render_take, rerender_take
from .timeline import ItemSource, locate_source, target_items, timeline_rate
from .train import collect_dailies, train_arguments

PROGRAM = "answerprint resolve"


def _say(message: str) -> None:
    print(message, flush=True)


def _progress_printer(label: str) -> ProgressCallback:
    """A progress callback printing ``label: 40 %`` at every tenth of the render."""
    shown = {-1}

    def report(event: ProgressEvent) -> None:
        tenth = int(event.fraction * 10)
        if tenth not in shown:
            shown.add(tenth)
            _say(f"  {label}: {tenth * 10} % ({event.done}/{event.total} frames)")

    return report


def _production(args: argparse.Namespace, settings: ResolveSettings, required: bool = False) -> str | None:
    production = args.production or settings.production
    if required and not production:
        raise UsageError("no production chosen; pass --production or run: python -m answerprint.plugin.resolve "
                         "configure --production ID", "--production")
    return production


def _render_folder(args: argparse.Namespace, settings: ResolveSettings) -> str:
    return args.render_folder or settings.render_folder or str(data_dir() / "resolve-renders")


def _apply(args: argparse.Namespace, settings: ResolveSettings, session: ResolveSession) -> int:
    job = settings.job(args.effect)
    request = TakeRequest(
        effect=args.effect, params={**job.get("params", {}), **parse_assignments(args.param)},
        pack=args.pack or job.get("pack"), production=_production(args, settings),
        handles=args.handles if args.handles is not None else int(job.get("handles", DEFAULT_HANDLES)),
        input_space=args.input_space or job.get("input_space"))
    if get_effect(args.effect).needs_pack and not request.pack:
        raise UsageError(f"the {args.effect} effect needs a model pack: choose one in the Panel, or run: python -m "
                         f"answerprint.plugin.resolve configure --job {args.effect} --pack EFFECT/NAME", "--pack")
    folder = _render_folder(args, settings)
    problems = 0
    rate = timeline_rate(session.require_timeline())
    for item in target_items(session, args.whole_timeline):
        source = locate_source(item, session.version, rate)
        if not isinstance(source, ItemSource):
            _say(source.message())
            problems += 1
            continue
        _say(f"{source.label}: {args.effect} on source frames {source.first}-{source.last} of {source.path}")
        try:
            _say(render_take(session, source, request, folder, _progress_printer(source.label)).message())
        except AnswerprintError as error:
            _say(f"failed {source.label}: {error.one_line()}")
            problems += 1
    return 1 if problems else 0


def _rerender(args: argparse.Namespace, settings: ResolveSettings, session: ResolveSession) -> int:
    overrides = parse_assignments(args.param)
    problems = 0
    for item in target_items(session, args.whole_timeline):
        try:
            _say(rerender_take(session, item, overrides, _render_folder(args, settings)).message())
        except AnswerprintError as error:
            _say(f"failed: {error.one_line()}")
            problems += 1
    return 1 if problems else 0


def _colormatch(args: argparse.Namespace, settings: ResolveSettings, session: ResolveSession) -> int:
    job = settings.job("colormatch")
    cube = args.cube or job.get("cube")
    if not cube:
        raise UsageError("no .cube to apply; pass --cube or run: python -m answerprint.plugin.resolve configure "
                         "--job colormatch --cube PATH", "--cube")
    cdl_file = args.cdl or job.get("cdl")
    node = args.node or int(job.get("node", 1))
    result = apply_color_match(session, target_items(session, args.whole_timeline), cube,
                               _production(args, settings, required=True), node,
                               read_cdl(cdl_file) if cdl_file else None, args.lut_folder)
    for line in result.applied + [f"failed {line}" for line in result.failed]:
        _say(line)
    return 1 if result.failed else 0


def _continuity(args: argparse.Namespace, settings: ResolveSettings, session: ResolveSession) -> int:
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
    done = check_timeline(session, out, thresholds=thresholds, scene_from=args.scene_from or job.get("scene_from",
                          "timeline"), grouping=read_grouping_file(scenes) if scenes else None,
                          input_space=args.input_space or job.get("input_space"), fix=args.fix,
                          production=production, node=args.node or int(job.get("node", 1)),
                          lut_folder=args.lut_folder, progress=_progress_printer("continuity"))
    for line in done.marked + done.fixed + [f"refused {line}" for line in done.refused]:
        _say(line)
    flagged = sum(1 for pair in done.result.pairs if pair.flags)
    _say(f"{flagged} flagged pair(s) of {len(done.result.pairs)}; thresholds: {done.result.thresholds.source}")
    _say(f"report: {done.result.report}")
    return 1 if done.refused else 0


def _train(args: argparse.Namespace, settings: ResolveSettings, session: ResolveSession) -> int:
    job = settings.job("train")
    production = _production(args, settings, required=True)
    reason = args.allow_unapproved_media or job.get("allow_unapproved_media")
    dailies = collect_dailies(session, production, args.bin or job.get("bin"), reason, args.library)
    for line in dailies.left_out:
        _say(f"left out {line}")
    _say(f"training on {len(dailies.paths)} clip(s) of the bin")
    return core_main(train_arguments(args.effect or job.get("effect", "cleanup"), production, dailies,
                                     args.profile or job.get("profile", "quick"), reason, args.library))


def _panel(args: argparse.Namespace, settings: ResolveSettings) -> int:
    if "panel" not in {ep.name for ep in entry_points(group="answerprint.commands")}:
        raise UsageError("the answerprint panel is not installed in this environment; re-run the installer "
                         "with --extras ui")
    production = settings.production
    return core_main(["panel", "--host", "resolve"] + (["--production", production] if production else []))


def _configure(args: argparse.Namespace, settings: ResolveSettings) -> int:
    values: dict[str, Any] = {"pack": args.pack, "handles": args.handles, "input_space": args.input_space,
                              "cube": args.cube, "cdl": args.cdl, "node": args.node, "effect": args.effect,
                              "profile": args.profile, "params": parse_assignments(args.param)}
    if args.job is None and any(value not in (None, {}) for value in values.values()):
        raise UsageError("job options need --job NAME (an effect name, colormatch or train)", "--job")
    settings.update(args.production, args.render_folder, args.job, values)
    settings.save()
    _say(f"saved {settings.path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every action."""
    parser = argparse.ArgumentParser(prog=PROGRAM, description="Run answerprint on the current DaVinci Resolve "
                                     "timeline (what the answerprint menu items in Resolve launch).")
    parser.add_argument("--settings", help="resolve.json to use (default: the per-user one, else all users')")
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

    def items_option(action: argparse.ArgumentParser) -> None:
        action.add_argument("--whole-timeline", action="store_true",
                            help="every clip of every video track instead of the selected clips")

    apply = sub.add_parser("apply", help="render the selected clips through an effect, back as new takes")
    apply.add_argument("effect", metavar="EFFECT", help="cleanup, relight, exposure, ...")
    apply.add_argument("--param", action="append", default=[], metavar="NAME=VALUE", help="effect parameter")
    apply.add_argument("--pack", help="model pack: library reference effect/name[@version] or .onnx path")
    apply.add_argument("--production", help="the production the job belongs to")
    apply.add_argument("--handles", type=int, help=f"extra frames each side (default {DEFAULT_HANDLES})")
    apply.add_argument("--input-space", help="OCIO colour space of the sources (default from each file)")
    apply.add_argument("--render-folder", help="where rendered takes are written")
    items_option(apply)

    rerender = sub.add_parser("rerender", help="render selected answerprint takes again, as new versions")
    rerender.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                          help="change a recorded parameter")
    rerender.add_argument("--render-folder", help="where rendered takes are written")
    items_option(rerender)

    match = sub.add_parser("colormatch", help="apply a .cube (and CDL) to the selected clips as a native LUT")
    match.add_argument("--cube", help="the .cube the color match produced")
    match.add_argument("--cdl", help="an ASC CDL file (.cc/.cdl/.ccc) fitted with it")
    match.add_argument("--node", type=int, help="node index on the clip's grade (default 1)")
    match.add_argument("--production", help="the production (names the LUT's subfolder)")
    match.add_argument("--lut-folder", help="Resolve's master LUT folder (default per OS)")
    items_option(match)

    check = sub.add_parser("continuity", help="check the current timeline's continuity and mark flagged items")
    check.add_argument("--pack", help="the production's continuity pack (continuity/NAME or .onnx)")
    check.add_argument("--production", help="the production (verifies the pack, names the fixes' LUT folder)")
    check.add_argument("--scene-from", choices=("timeline", "markers", "names", "metadata"),
                       help="where scenes come from (default: metadata, else markers, else names)")
    check.add_argument("--scenes", help="grouping file (JSON or CSV: name, scene, setup, take)")
    check.add_argument("--input-space", help="OCIO colour space of the sources (default from each file)")
    check.add_argument("--out", help="folder for the report (default: <render folder>/continuity/<timeline>)")
    check.add_argument("--render-folder", help="where answerprint writes (the report goes under it)")
    check.add_argument("--fix", action="store_true", help="also put each colour fix on its item's grade")
    check.add_argument("--node", type=int, help="node index for the fix LUT (default 1)")
    check.add_argument("--lut-folder", help="Resolve's master LUT folder (default per OS)")

    train = sub.add_parser("train", help="train a pack from a bin's clips as dailies")
    train.add_argument("--effect", help="effect to train (default cleanup)")
    train.add_argument("--production", help="the production the pack is for")
    train.add_argument("--bin", help="bin path from the media pool root, e.g. 'Dailies/Day 03' (default: current)")
    train.add_argument("--profile", choices=("quick", "full"), help="training profile (default quick)")
    train.add_argument("--allow-unapproved-media", metavar="REASON", help="train on clips outside the approved "
                                                                          "media roots; the reason is recorded")
    train.add_argument("--library", help="model library folder")

    sub.add_parser("panel", help="open the answerprint panel")

    configure = sub.add_parser("configure", help="set the defaults the menu items use")
    configure.add_argument("--production", help="the production jobs belong to")
    configure.add_argument("--render-folder", help="where rendered takes are written")
    configure.add_argument("--job", help="the job whose defaults follow: an effect name, colormatch, continuity or train")
    for option in ("--pack", "--input-space", "--cube", "--cdl", "--effect"):
        configure.add_argument(option)
    configure.add_argument("--param", action="append", default=[], metavar="NAME=VALUE")
    configure.add_argument("--handles", type=int)
    configure.add_argument("--node", type=int)
    configure.add_argument("--profile", choices=("quick", "full"))
    return parser


_NEEDS_RESOLVE = {"apply": _apply, "rerender": _rerender, "colormatch": _colormatch, "continuity": _continuity,
                  "train": _train}
_LOCAL = {"panel": _panel, "configure": _configure}


def main(argv: list[str] | None = None) -> int:
    """Run one action; returns the process exit code."""
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings(args.settings)
        if args.action in _LOCAL:
            return _LOCAL[args.action](args, settings)
        return _NEEDS_RESOLVE[args.action](args, settings, open_session())
    except AnswerprintError as error:
        print(f"{PROGRAM} {args.action}: error: {error.one_line()}", file=sys.stderr, flush=True)
        return error.exit_code
    except KeyboardInterrupt:
        print(f"{PROGRAM} {args.action}: cancelled", file=sys.stderr, flush=True)
        return 130
