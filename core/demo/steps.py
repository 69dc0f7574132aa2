"""Demo steps other parts add to ``answerprint demo`` (training needs torch, so it lives in ``models``).

A step is a module an effect names as its ``demo_step`` in the effect registry (``core.effects.demo_steps``)
exposing ``run_demo_step(context: DemoContext) -> None``; it adds sections to ``context.report``. Steps run in
``STEP_ORDER`` (then by name). A step whose module cannot be imported (torch not installed) is listed in the
report with the ``pip install`` that brings it, and the demo goes on.

The demo keeps its own production, signing key and model library under ``OUT/library``: it never writes into
the user's real library or keys folder.
"""
from __future__ import annotations

import contextlib
import importlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ..packs import Production
from ..packs.production import init_production
from ..packs.signing import add_public_key
from ..paths import SHARED_LIBRARY_ENV
from ..progress import CancelToken, ProgressCallback
from .report import Report

DEMO_PRODUCTION = "answerprint-demo"
STEP_ORDER = ("cleanup", "relight", "continuity")


@dataclass(frozen=True)
class DemoContext:
    """What a demo step works with.

    Attributes
    ----------
    dailies : list of Path
        The sample dailies: 10-bit ProRes 422 HQ in ``camera_space``.
    camera_space : str
        Their OCIO colour space.
    out : Path
        The demo folder; a step writes under ``out / <step name>`` and ``out / "renders"``.
    report : Report
        The demo report the step adds sections to.
    production : Production
        The demo production (approved root: the dailies folder), in the demo's own library.
    signing_key : Ed25519PrivateKey
        The demo production's private key (held in memory only) for signing packs.
    """

    dailies: Sequence[Path]
    camera_space: str
    out: Path
    report: Report
    production: Production
    signing_key: Ed25519PrivateKey
    progress: ProgressCallback
    cancel: CancelToken | None


@contextlib.contextmanager
def demo_library(out: Path, dailies_folder: Path) -> Iterator[tuple[Production, Ed25519PrivateKey]]:
    """Make the demo production in ``out/library`` and use that library while the block runs."""
    library = out / "library"
    production = init_production(DEMO_PRODUCTION, "answerprint demo", (str(dailies_folder),), library=library)
    key = Ed25519PrivateKey.generate()
    add_public_key(production, key.public_key())
    previous = os.environ.get(SHARED_LIBRARY_ENV)
    os.environ[SHARED_LIBRARY_ENV] = str(library)
    try:
        yield production, key
    finally:
        if previous is None:
            os.environ.pop(SHARED_LIBRARY_ENV, None)
        else:
            os.environ[SHARED_LIBRARY_ENV] = previous


def run_plugin_steps(context: DemoContext) -> None:
    """Run every registered demo step in order; a step that cannot be imported is reported, not fatal."""
    from ..effects import demo_steps

    advertised = demo_steps()
    ranked = sorted(advertised, key=lambda n: (STEP_ORDER.index(n) if n in STEP_ORDER else len(STEP_ORDER), n))
    for name in ranked:
        try:
            module = importlib.import_module(advertised[name])
        except ImportError as error:
            context.report.section(f"{name} (not run)", f"{error.name or name} is not installed; "
                                                       f"run: pip install 'answerprint[train]'")
            continue
        module.run_demo_step(context)
