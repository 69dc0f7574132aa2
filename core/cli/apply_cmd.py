"""``answerprint apply EFFECT IN OUT``: render a clip (or a frame range of it) through one effect."""
from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from .terminal import add_progress_options

if TYPE_CHECKING:
    from ..render import RenderJob

NAME = "apply"
HELP = "Apply an effect to a movie or image sequence and write a new one (the source is never modified)."


def add_render_options(parser: argparse.ArgumentParser) -> None:
    """Options shared by every command that renders."""
    from ..frames.media import WRITE_CODECS

    parser.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                        help="effect parameter (repeatable), e.g. --param stops=1")
    parser.add_argument("--pack", help="model pack: a .onnx path or a library reference effect/name[@version]")
    parser.add_argument("--production", help="the production this job belongs to (packs must be signed for it)")
    parser.add_argument("--frames", help="source frame range A-B (inclusive)")
    parser.add_argument("--handles", type=int, default=0, help="extra frames each side of --frames")
    parser.add_argument("--start-frame", type=int, metavar="N",
                        help="number the first output frame N (image sequences, e.g. 1001; default: the source's "
                             "own numbering, a movie's frames by their timecode)")
    parser.add_argument("--input-space", help="OCIO colour space of the source (e.g. arri_logc3_ei800)")
    parser.add_argument("--output-space", help="OCIO colour space of the output (default: the input's)")
    parser.add_argument("--ocio", help="OCIO config path/URI (default: $OCIO, else the pinned ACES config)")
    parser.add_argument("--codec", choices=WRITE_CODECS, help="output codec (default from extension and source)")
    parser.add_argument("--exr-compression", default="piz", choices=("piz", "zip", "dwaa"))
    parser.add_argument("--overwrite", action="store_true", help="replace an existing output")
    parser.add_argument("--resume", action="store_true", help="continue an interrupted sequence render")
    parser.add_argument("--fix-nonfinite", action="store_true", help="replace NaN/Inf source pixels by 0")
    parser.add_argument("--providers", help="onnxruntime providers, comma separated (default: best available)")
    add_progress_options(parser)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from ..effects import effect_names

    names = ", ".join(effect_names())
    parser.add_argument("effect", metavar="EFFECT", help=f"one of: {names}")
    parser.add_argument("input", metavar="IN", help="source movie or sequence")
    parser.add_argument("output", metavar="OUT", help="output movie (.mov) or sequence (out.%%04d.exr)")
    add_render_options(parser)


def job_from_args(args: argparse.Namespace, effect: str, source: str, output: str) -> "RenderJob":
    from ..params import parse_assignments
    from ..render.job import RenderJob, parse_frame_range

    return RenderJob(
        source=source, output=output, effect=effect, params=parse_assignments(args.param), pack=args.pack,
        frames=parse_frame_range(args.frames), handles=args.handles, input_space=args.input_space,
        output_space=args.output_space, codec=args.codec, exr_compression=args.exr_compression,
        overwrite=args.overwrite, resume=args.resume, fix_nonfinite=args.fix_nonfinite,
        production=args.production, ocio_config=args.ocio,
        providers=args.providers.split(",") if args.providers else None, start_frame=args.start_frame,
    )


def run_job(job: "RenderJob", args: argparse.Namespace) -> int:
    """Render ``job`` with the progress display ``args`` asks for; says the effect's notes and what was
    written."""
    from ..effects import get_effect
    from ..render import render
    from .terminal import console, progress_for

    get_effect(job.effect)
    with progress_for(args, f"{NAME} {job.effect}") as (callback, cancel):
        result = render(job, callback, cancel)
    for note in result.notes:
        console().print(f"note: {note}", markup=False)
    console().print(f"wrote {result.frames_rendered} frame(s) to {', '.join(result.outputs[:1])}"
                    f"{' ...' if len(result.outputs) > 1 else ''} in {result.seconds:.1f} s "
                    f"({result.frames_skipped} resumed); sidecar {result.sidecar}", markup=False)
    return 0


def run(args: argparse.Namespace) -> int:
    return run_job(job_from_args(args, args.effect, args.input, args.output), args)
