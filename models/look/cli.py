"""``answerprint train look --production P --pairs UNGRADED GRADED``: graded pairs in, ``.cube`` files out.

Parsing imports nothing heavy; torch is imported when the command runs. The ``look`` effect names this module as
its trainer's ``command`` (``core.effects.look``), so ``train`` registers its ``add_arguments`` and ``run``.
"""
from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from answerprint.core.cli.terminal import add_progress_options

    parser.add_argument("--production", required=True,
                        help="the production the look is for (its approved media roots are enforced, its key signs)")
    parser.add_argument("--pairs", nargs=2, required=True, metavar=("UNGRADED", "GRADED"),
                        help="two folders of stills, sequences or movies (sizes may differ between pairs); clips "
                             "pair by name, else by timecode, and the unpaired are listed")
    parser.add_argument("--input-space", help="OCIO colour space of the ungraded frames (e.g. 'ARRI LogC3 (EI800)'); "
                                              "default from the file type")
    parser.add_argument("--graded-space", help="OCIO colour space of the graded frames (e.g. 'Gamma 2.4 Encoded "
                                               "Rec.709'); default from the file type")
    parser.add_argument("--name", default="look", help="pack and file name (default: look)")
    parser.add_argument("--version", help="pack version (default: the next version of look/NAME in the library)")
    parser.add_argument("--out", metavar="DIR", help="also copy the pack, .cube files, CDL and report to this "
                                                     "folder; they are installed in the production's library "
                                                     "either way")
    parser.add_argument("--library", help="model library folder (default: $ANSWERPRINT_SHARED_LIBRARY or the "
                                          "user's)")
    parser.add_argument("--frames-per-clip", type=int, default=3, help="frames taken from each paired clip")
    parser.add_argument("--steps", type=int, default=300, help="training steps of the image-adaptive model")
    parser.add_argument("--allow-unapproved-media", metavar="REASON",
                        help="use footage outside the production's approved media roots; the reason is recorded")
    parser.add_argument("--ocio", help="OCIO config path/URI (default: $OCIO, else the pinned ACES config)")
    add_progress_options(parser)


def run(args: argparse.Namespace) -> int:
    from answerprint.core.cli import import_extra
    from answerprint.core.cli.terminal import console, progress_for
    from answerprint.core.packs import MediaOverride
    from answerprint.core.progress import ProgressEvent

    train_look = import_extra("answerprint.models.look.train_look", "train")
    settings = import_extra("answerprint.models.look.train_adaptive", "train").AdaptiveSettings(steps=args.steps)
    override = MediaOverride(args.allow_unapproved_media) if args.allow_unapproved_media else None
    with progress_for(args, "train look") as (callback, _):
        result = train_look.train_look(args.pairs[0], args.pairs[1], args.production, args.out,
                                       name=args.name, version=args.version, input_space=args.input_space,
                                       graded_space=args.graded_space, frames_per_clip=args.frames_per_clip,
                                       adaptive=settings, override=override, config=args.ocio,
                                       library=args.library,
                                       progress=lambda line: callback(ProgressEvent(0, 0, "look", line)))
    say = console().print
    for model, scores in result.choice.scores.items():
        say(f"  held-out {model}: mean ΔE00 {scores['mean_de00']:.2f}, p95 {scores['p95_de00']:.2f}")
    say(f"chosen: {result.choice.chosen}")
    for size, path in sorted(result.cubes.items()):
        say(f"cube {size}: {path}")
    cdl = result.facts["cdl"]
    residual = f"residual mean ΔE00 {cdl['mean_de00']:.2f}"
    say(f"cdl: {', '.join(map(str, result.cdl_files))} ({residual})" if result.cdl_files
        else f"cdl: not written ({residual} is too large)")
    say(f"pack: {result.pack} (+ {result.gather_pack.name})")
    say(f"report: {result.report}")
    return 0
