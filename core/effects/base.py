"""What an effect is: a parameter schema, a working space, and ``compile(...) -> Processor``.

Like an OpenTimelineIO adapter, an effect is a plain module (or package) under ``core/effects/`` exposing one
``EFFECT = Effect(...)``. Declaring it costs nothing: this module needs only the standard library, and an
effect whose processor needs numpy, OpenCV or onnxruntime names its compile, prepare and pack contract by
dotted path (``Deferred``), imported on first call — so listing every effect (``train --help``, the panel,
Resolve's menu installer, which runs with the standard library only) imports none of them. ``compile``
resolves everything once (pack session, colour, tiling plan); the render engine then calls the processor on
every frame window with no look-ups on the hot path.

An effect whose compile reads the media or opens a session may split it in two, as OpenColorIO's dynamic
properties do: ``prepare(pack, context)`` once (sessions, fits, decoded reference takes, caches shared by what
it binds) and ``bind(params) -> Processor`` cheaply for each parameter set. Its ``compile`` is then
``prepare(...).bind(params)``, so a render and the panel's preview, which keeps one ``Prepared`` per session and
binds every slider move to it (``Effect.prepare_for``), run the same code.
"""
from __future__ import annotations

import importlib
import os
from dataclasses import KW_ONLY, dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Protocol, Sequence, runtime_checkable

from ..errors import UsageError
from ..frames.media import MediaInfo
from ..params import ParamSchema

if TYPE_CHECKING:
    import numpy as np

    from ..color.lut import Lut3D


@dataclass(frozen=True)
class EffectContext:
    """What a processor may know about the job it serves. Everything after ``source_space`` is named.

    Attributes
    ----------
    source : MediaInfo
        The source being rendered.
    source_space : str
        The colour space the source is in (after the user's choice or the default).
    providers : list of str, optional
        onnxruntime execution providers requested by the user; None for the automatic choice.
    threads : int, optional
        CPU threads the processor may use; None for all cores.
    production : str, optional
        The production the job belongs to (pack verification refuses other productions' packs).
    analysis_size : int, optional
        Largest side, in pixels, of the frames an effect reads at compile time (a colour match's shot and
        reference frames), scaled down to fit; None reads them at full resolution, as renders do. The panel's
        preview passes 960 (``render.preview.ANALYSIS_SIZE``) so a new parameter set compiles sooner.
    stored_size : (int, int), optional
        The source's stored width and height when the frames handed to the processor are scaled (a preview's
        proxy; ``source`` then describes the proxy size); None when they are the source's own size.
    """

    source: MediaInfo
    source_space: str
    _: KW_ONLY
    providers: list[str] | None = None
    threads: int | None = None
    production: str | None = None
    analysis_size: int | None = None
    stored_size: tuple[int, int] | None = None


class PackContract(Protocol):
    """What an effect reads from its pack besides the graph, checked against this answerprint
    (e.g. ``cleanup.contract.CleanupContract``)."""

    def lines(self) -> list[str]:
        """The contract in words, for ``packs inspect``."""

    def unavailable_params(self, source: MediaInfo) -> dict[str, str]:
        """Parameters that would do nothing on ``source`` with this pack, each with the reason (the panel
        disables them)."""


class Prepared(Protocol):
    """What an effect prepared once for a pack and a job (``Effect.prepare_for``)."""

    def bind(self, params: dict[str, Any]) -> "Processor":
        """The processor for ``params`` (resolved by the effect's schema), made from what was prepared."""


@runtime_checkable
class Processor(Protocol):
    """A compiled effect, and the optional features it declares.

    ``temporal_radius`` frames before and after the current one are passed in ``window`` (length
    ``2 * temporal_radius + 1``, the current frame in the middle, repeated at clip edges). Frames are float32
    H×W×3 in the effect's working space. Returns the processed current frame, same shape, float32.

    A processor subclasses this protocol to take the defaults of the features it does not use (the render
    engine and the preview read each one directly; ``declared`` refuses a processor that lacks one):

    ``wants_frame_number``
        True when its result depends on which frame of the shot it is (a per-frame pass of the shot, such as a
        depth AOV): the render engine and the preview then call it as ``processor(window, frame_number)``,
        ``frame_number`` being the source's number of the current frame (sequence numbering, 0 for a movie's
        first frame). False (default): called as ``processor(window)``.
    ``lut``
        The ``colormatch.lut.Lut3D`` (working space to working space) the processor is, when it is nothing but
        one 3D LUT (colour match, a global look on the CPU): the preview folds it into its display LUT. None
        (default) for any other processor.
    ``notes``
        What its compile has to tell the colorist, one line each (a match held back, no defect map for the
        camera, a look learned from another colour space). Returned, never raised as warnings: the render
        engine puts them in ``RenderResult.notes`` and the sidecar, the CLI prints them, the preview and the
        panel show them. Default: none.
    """

    temporal_radius: int = 0
    wants_frame_number: bool = False
    lut: "Lut3D | None" = None
    notes: tuple[str, ...] = ()

    def __call__(self, window: Sequence[np.ndarray]) -> np.ndarray: ...


def declared(processor: Any, effect_name: str) -> Processor:
    """``processor`` once checked to declare every feature of ``Processor``.

    Raises
    ------
    UsageError
        When it lacks one (a plug-in's processor written before they were declared): subclassing
        ``Processor`` gives it the defaults.
    """
    if not isinstance(processor, Processor):
        missing = [name for name in ("temporal_radius", "wants_frame_number", "lut", "notes", "__call__")
                   if not hasattr(processor, name)]
        raise UsageError(f"the effect's processor does not declare {', '.join(missing)}; its class should "
                         "subclass answerprint.core.effects.base.Processor", effect_name)
    return processor


@dataclass(frozen=True)
class Deferred:
    """A callable named by ``"module:attribute"`` (the attribute may be dotted: ``Class.method``), imported on
    its first call: how an effect names its compile, prepare and pack contract without importing what they need.

    Raises
    ------
    UsageError
        On the first call, in one line naming the path, when the module cannot be imported or has no such
        attribute (a broken installation or plug-in): before any frame is read or written.
    """

    path: str

    def __post_init__(self) -> None:
        if self.path.count(":") != 1:
            raise ValueError(f"a Deferred names 'module:attribute', not {self.path!r}")

    def target(self) -> Callable[..., Any]:
        """The named callable (imported now, then kept by the import system)."""
        module, attribute = self.path.split(":")
        try:
            found: Any = importlib.import_module(module)
            for name in attribute.split("."):
                found = getattr(found, name)
        except (ImportError, AttributeError) as error:
            reason = f"{type(error).__name__}: {error}".replace("\n", " ")
            raise UsageError(f"cannot be loaded ({reason}); reinstall the effect", self.path) from error
        return found

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.target()(*args, **kwargs)


@dataclass(frozen=True)
class Trainer:
    """How a trainable effect is trained, named by dotted path: nothing is imported until
    ``answerprint train EFFECT`` runs (core imports no torch).

    Attributes
    ----------
    function : str
        ``"module:function"`` learning the pack from dailies, called with the keywords ``answerprint train``
        gives every such trainer (``answerprint.models.cli``) and returning an object with ``pack_path``,
        ``report_path``, ``notices`` and ``metrics``. Empty when ``command`` is given.
    summary : str
        One line for ``answerprint train --help``.
    distributed : bool
        True when the trainer runs as one job under ``torchrun`` (DistributedDataParallel); others refuse it,
        since every process would otherwise train its own copy and write the same pack.
    command : str
        A module with ``add_arguments(parser)`` and ``run(args) -> int`` for a trainer that learns from
        something other than dailies (``look``: graded pairs); empty for dailies trainers.
    """

    function: str = ""
    summary: str = ""
    distributed: bool = False
    command: str = ""

    def __post_init__(self) -> None:
        if bool(self.command) == (":" in self.function):
            raise ValueError(f"a Trainer names either a 'module:function' or a command module, not "
                             f"{self.function!r} and {self.command!r}")


@dataclass(frozen=True)
class Effect:
    """One effect, as the CLI, the panel, the pack manifest and the hosts see it.

    Attributes
    ----------
    name : str
        Command-line name (``cleanup``, ``colormatch``, ``exposure``).
    summary : str
        One sentence for ``--help`` and the panel.
    params : ParamSchema
        The parameters, defined once here.
    working_space : str or None
        OCIO space, alias or role the processor works in (``"scene_linear"``); None to work on the
        source's own code values untouched.
    compile : callable
        ``compile(params, pack, context) -> Processor`` with ``params`` already resolved by ``params``; a
        ``Deferred`` (like ``prepare`` and ``pack_contract``) when it needs more than the standard library.
    needs_pack : bool
        True when the effect cannot run without a model pack.
    pack_contract : callable, optional
        ``pack_contract(manifest, where) -> PackContract``: reads what the effect needs from a pack, refusing
        (``PackError``) a pack this answerprint cannot apply; ``packs verify`` and ``packs inspect`` call it,
        and compile reads the pack through it. None when the effect reads nothing but the graph.
    prepare : callable, optional
        ``prepare(pack, context) -> Prepared`` for an effect whose compile splits in two (module docstring);
        ``compile`` must then bind ``params`` to what the same code prepares (``compile_by_binding``; cleanup's
        render prepares without keeping the preview's results). None: ``compile`` does it all.
    tags : tuple of str
        What the panel and hosts treat specially: ``"detail"``, the panel's viewer opens at 1:1 on the busiest
        part of the frame (fine detail is what the effect changes).
    trainer : Trainer, optional
        How ``answerprint train NAME`` learns its pack (named lazily); None when it is not trained.
    demo_step : str, optional
        Module with ``run_demo_step(context)`` adding this effect to ``answerprint demo`` (``core.demo.steps``),
        imported only when the demo runs; None when the demo does not show it.
    host_form : str, optional
        ``"module:function"`` making the effect's single-frame form for other hosts (``packs export --for``):
        ``function(pack, params) -> HostModel`` (``answerprint.models.hosts.export``, torch); None: none.
    menu_title : str, optional
        Title of the hosts' menu item rendering the selected clips through this effect and bringing them back as
        new takes (Resolve's Workspace › Scripts › answerprint › ``menu_title``); None: no such item.
    """

    name: str
    summary: str
    params: ParamSchema
    working_space: str | None
    compile: Callable[[dict[str, Any], Any, EffectContext], Processor]
    needs_pack: bool = False
    tags: tuple[str, ...] = field(default_factory=tuple)
    pack_contract: Callable[[Any, str | None], PackContract] | None = None
    prepare: Callable[[Any, EffectContext], Prepared] | None = None
    trainer: Trainer | None = None
    demo_step: str | None = None
    host_form: str | None = None
    menu_title: str | None = None

    def prepare_for(self, pack: Any, context: EffectContext) -> Prepared:
        """What to bind parameter sets to for ``pack`` and ``context``: the effect's own ``prepare``, else its
        ``compile`` run whole for every bind."""
        if self.prepare is not None:
            return self.prepare(pack, context)
        return _CompiledEachTime(self.compile, pack, context)

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "summary": self.summary, "working_space": self.working_space,
                "needs_pack": self.needs_pack, "params": self.params.to_json()}


@dataclass(frozen=True)
class _CompiledEachTime:
    """``Prepared`` for an effect with nothing to prepare: every bind is a whole compile."""

    compile: Callable[[dict[str, Any], Any, EffectContext], Processor]
    pack: Any
    context: EffectContext

    def bind(self, params: dict[str, Any]) -> Processor:
        return self.compile(params, self.pack, self.context)


def file_state(path: str | None) -> tuple[int, int] | None:
    """(size, modification time in ns) of the file at ``path``, None when there is none: part of the key a
    prepared effect keeps what it read from a file under, so a file exported again under the same name is read
    again."""
    if not path or not os.path.isfile(path):
        return None
    stat = os.stat(path)
    return stat.st_size, stat.st_mtime_ns


def compile_by_binding(prepare: Callable[[Any, EffectContext], Prepared]
                       ) -> Callable[[dict[str, Any], Any, EffectContext], Processor]:
    """The ``compile`` of an effect that prepares: prepare for the job, then bind ``params`` once."""

    def compile(params: dict[str, Any], pack: Any, context: EffectContext) -> Processor:
        return prepare(pack, context).bind(params)

    return compile
