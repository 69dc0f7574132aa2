"""``answerprint train EFFECT --production P --dailies PATH...``: learn an effect's pack from a production's dailies.

Advertised to the core command line through the ``answerprint.commands`` entry point; parsing imports nothing
heavy, torch is imported inside ``run`` only. What can be trained comes from the effect registry
(``core.effects.trainers``): each effect names its ``Trainer`` there, so a plug-in effect is trained here
without touching this file. The dailies (paths, folders, timelines, a Resolve bin) are resolved into clips
first (``core.inputs``), one line per clip saying what each was read as. A dailies trainer is called with the
same keyword arguments (``clips``: the resolved clips, ``production``, ``profile``, ``out``, ``name``,
``input_space``, ``override_reason``, ``progress``, ``cancel``, ``library``) and returns an object with
``pack_path`` (the pack installed in the production's library), ``report_path``, ``notices`` and ``metrics``.
A trainer that learns from something else (``look``: graded pairs) names a ``command`` module bringing its own
arguments.
"""
from __future__ import annotations

import argparse
import importlib

NAME = "train"
HELP = "Train an effect's model pack from a production's own dailies (needs answerprint[train])."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """One sub-command per trainable effect of the registry (loads the effects, imports none of the trainers
    but the argument modules of those that bring their own)."""
    from answerprint.core.effects import trainers

    effects = parser.add_subparsers(dest="effect", required=True, metavar="EFFECT")
    for name, trainer in sorted(trainers().items()):
        sub = effects.add_parser(name, help=trainer.summary, description=trainer.summary)
        if trainer.command:
            command = importlib.import_module(trainer.command)  # argparse only; torch is imported when it runs
            command.add_arguments(sub)
            sub.set_defaults(_train=command.run)
        else:
            _add_dailies_arguments(sub)


def _add_dailies_arguments(parser: argparse.ArgumentParser) -> None:
    from answerprint.core.cli.terminal import add_progress_options
    from answerprint.core.inputs.options import add_dailies_arguments

    parser.add_argument("--production", required=True, help="the production the pack is for (its approved media "
                                                            "roots are enforced, its key signs the pack)")
    add_dailies_arguments(parser)
    parser.add_argument("--profile", choices=("quick", "full"), default="quick",
                        help="quick: CPU, about 15 minutes; full: GPU, hours (default quick)")
    parser.add_argument("--name", help="pack name within the production (default: the effect's name)")
    parser.add_argument("--out", metavar="PACK", help="also export a copy of the pack here (.onnx), its report "
                                                      "beside it; the pack is installed in the production's "
                                                      "library either way")
    parser.add_argument("--input-space", help="OCIO colour space of the dailies' code values, recorded in the pack")
    parser.add_argument("--allow-unapproved-media", metavar="REASON",
                        help="train on footage outside the production's approved media roots; the reason is "
                             "recorded in the pack")
    parser.add_argument("--library", help="model library folder (default: $ANSWERPRINT_SHARED_LIBRARY or the "
                                          "user's)")
    add_progress_options(parser)


def run(args: argparse.Namespace) -> int:
    if getattr(args, "_train", None):
        return args._train(args)
    from answerprint.core.cli import import_extra
    from answerprint.core.cli.terminal import console
    from answerprint.core.effects import trainers
    from answerprint.core.errors import UsageError
    from answerprint.core.inputs.options import dailies_from_arguments
    from answerprint.core.progress import ProgressEvent

    trainer = trainers()[args.effect]
    module, function = trainer.function.split(":")
    train = getattr(import_extra(module, "train"), function)
    distributed = import_extra("answerprint.models.distributed", "train")  # under torchrun: rank 0 reports
    if distributed.ranks_from_environment().world_size > 1 and not trainer.distributed:
        raise UsageError(f"train {args.effect} runs as one process; start it without torchrun", "torchrun")
    with distributed.training_terminal(f"train {args.effect}", args) as (callback, cancel):
        clips = dailies_from_arguments(args, lambda line: callback(ProgressEvent(0, 0, "dailies", line)))
        result = train(clips=clips, production=args.production, profile=args.profile, out=args.out,
                       name=args.name or args.effect, input_space=args.input_space,
                       override_reason=args.allow_unapproved_media, library=args.library, progress=callback,
                       cancel=cancel)
    if not distributed.is_main_process():
        return 0
    for notice in result.notices:
        console().print(f"[yellow]note:[/yellow] {notice}")
    for key, value in result.metrics.items():
        console().print(f"  {key}: {value:.4g}")
    console().print(f"pack: {result.pack_path}", markup=False)
    if args.out:
        console().print(f"copy: {args.out}", markup=False)
    console().print(f"report: {result.report_path}", markup=False)
    return 0
