"""Render in place: an item's source range through an effect, back into Resolve as a new, selected take.

For each item: the core renders the source frames the item shows, plus handles, to
``<render folder>/<effect>/<source>.<effect>.v<NNN>.mov`` (never overwriting: each render is a new version);
the movie is imported into the media-pool bin ``answerprint/<effect>`` (imports land in the current folder,
so that bin is made current for the import, and the colorist's own bin, read before any bin is created, is
made current again whatever happens); the clip gets its record (see
``records``); and the clip is added to the item with ``AddTake`` and selected, so the original stays one
click away in the take selector.

``AddTake``'s frames are the rendered movie's own, from 0; the end frame is passed exclusive, the
convention ``AppendToTimeline`` documents for clip ranges.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from answerprint.core.progress import CancelToken, ProgressCallback, no_progress
from answerprint.core.render import RenderJob, render

from .connect import ResolveError, ResolveSession
from .records import TakeRecord, read_record, write_record
from .settings import DEFAULT_HANDLES
from .timeline import ItemSource, item_label

BIN_ROOT = "answerprint"
_SEQUENCE_FIELD = re.compile(r"[._]?(%0?\d*d|#+)$")


@dataclass(frozen=True)
class TakeRequest:
    """What to render on each item.

    Attributes
    ----------
    effect : str
        Effect name (``cleanup``, ``relight``, ``exposure``...).
    params : dict
        Parameter values (strings are fine; the effect's schema resolves them).
    pack : str, optional
        Model pack: a library reference or an ``.onnx`` path.
    production : str, optional
        The production the job belongs to.
    handles : int
        Extra source frames rendered each side of the item, where the source has them.
    input_space : str, optional
        OCIO colour space of the sources; default from each file's format and tags.
    """

    effect: str
    params: Mapping[str, Any] = field(default_factory=dict)
    pack: str | None = None
    production: str | None = None
    handles: int = DEFAULT_HANDLES
    input_space: str | None = None


@dataclass(frozen=True)
class TakeResult:
    """One take added: which item, the record stored with it, and its index in the take selector."""

    label: str
    record: TakeRecord
    take_index: int

    def message(self) -> str:
        return f"{self.label}: take {self.take_index} selected — {self.record.summary()} ({self.record.output})"


def source_stem(path: str) -> str:
    """``/shots/A001C003.mov`` → ``A001C003``; ``/pulls/A001.%04d.exr`` → ``A001``."""
    stem = os.path.splitext(os.path.basename(path))[0]
    return _SEQUENCE_FIELD.sub("", stem) or "frames"


def next_version(folder: Path, source: str, effect: str) -> int:
    """1 + the highest version of ``effect`` rendered from ``source`` into ``folder`` (1 when none)."""
    pattern = re.compile(rf"^{re.escape(source_stem(source))}\.{re.escape(effect)}\.v(\d{{3,}})\.mov$")
    names = os.listdir(folder) if folder.is_dir() else []
    return 1 + max((int(match.group(1)) for match in map(pattern.match, names) if match), default=0)


def effect_bin(media_pool: Any, effect: str) -> Any:
    """The media-pool folder ``answerprint/<effect>`` under the root, created where missing.

    Raises
    ------
    ResolveError
        When Resolve refuses to create it.
    """
    folder = media_pool.GetRootFolder()
    for name in (BIN_ROOT, effect):
        existing = [sub for sub in folder.GetSubFolderList() or [] if sub.GetName() == name]
        folder = existing[0] if existing else media_pool.AddSubFolder(folder, name)
        if not folder:
            raise ResolveError(f"Resolve refused to create the bin {BIN_ROOT}/{effect}")
    return folder


def import_into_bin(media_pool: Any, path: str, effect: str) -> Any:
    """Import ``path`` into ``answerprint/<effect>`` and return its media-pool item; the colorist's bin is kept.

    The current bin is read first, before the bins are looked up or created: some Resolve builds make a bin
    created by ``AddSubFolder`` the current one, and imports land in the current bin. Whatever happens (a
    refused bin, a refused file), the colorist is put back in the bin they were in, so the next "Train from
    bin" reads their clips and not answerprint's renders.

    Raises
    ------
    ResolveError
        When Resolve refuses the bin or the file.
    """
    colorists_bin = media_pool.GetCurrentFolder()
    try:
        target = effect_bin(media_pool, effect)
        if not media_pool.SetCurrentFolder(target):
            raise ResolveError(f"Resolve refused to open the bin {BIN_ROOT}/{effect}")
        clips = media_pool.ImportMedia([path]) or []
    finally:
        if colorists_bin:
            media_pool.SetCurrentFolder(colorists_bin)
    if not clips:
        raise ResolveError("Resolve refused to import the render", path)
    return clips[0]


def add_selected_take(item: Any, clip: Any, start: int, end_exclusive: int) -> int:
    """Add ``clip`` frames ``start``..``end_exclusive`` as a take of ``item``, select it, return its index.

    Raises
    ------
    ResolveError
        When Resolve refuses the take or its selection.
    """
    if not item.AddTake(clip, start, end_exclusive):
        raise ResolveError("Resolve refused to add the render as a take", item_label(item))
    index = item.GetTakesCount()
    if not item.SelectTakeByIndex(index):
        raise ResolveError(f"Resolve refused to select take {index}", item_label(item))
    return index


def render_take(session: ResolveSession, source: ItemSource, request: TakeRequest, render_folder: str | Path,
                progress: ProgressCallback = no_progress, cancel: CancelToken | None = None) -> TakeResult:
    """Render ``source`` through the request's effect and hand it back to Resolve as the item's selected take.

    Raises
    ------
    AnswerprintError
        Anything the render raises (media, parameters, pack, colour, output), or a ``ResolveError`` when
        Resolve refuses the import, the record or the take.
    """
    folder = Path(render_folder) / request.effect
    version = next_version(folder, source.path, request.effect)
    output = folder / f"{source_stem(source.path)}.{request.effect}.v{version:03d}.mov"
    folder.mkdir(parents=True, exist_ok=True)
    job = RenderJob(source=source.path, output=str(output), effect=request.effect, params=dict(request.params),
                    pack=request.pack, frames=(source.first, source.last), handles=request.handles,
                    input_space=request.input_space, production=request.production)
    result = render(job, progress, cancel)
    record = TakeRecord(effect=request.effect, params=result.record["params"], pack=request.pack,
                        pack_id=(result.record["pack"] or {}).get("id"), production=request.production,
                        source=source.path, first=source.first, last=source.last, handles=request.handles,
                        input_space=request.input_space, version=version, output=result.outputs[0])
    clip = import_into_bin(session.media_pool, result.outputs[0], request.effect)
    start = source.first - result.record["frames"]["first"]
    write_record(clip, record, start)
    take_index = add_selected_take(source.item, clip, start, start + source.last - source.first + 1)
    return TakeResult(source.label, record, take_index)


def selected_take_record(item: Any) -> TakeRecord:
    """The record of the item's selected take.

    Raises
    ------
    ResolveError
        When the selected take is not an answerprint render.
    """
    take = item.GetTakeByIndex(item.GetSelectedTakeIndex() or 0) if item.GetTakesCount() else None
    record = read_record((take or {}).get("mediaPoolItem"))
    if record is None:
        raise ResolveError("the selected take is not an answerprint render; select one to render it again",
                           item_label(item))
    return record


def rerender_take(session: ResolveSession, item: Any, overrides: Mapping[str, Any], render_folder: str | Path,
                  progress: ProgressCallback = no_progress, cancel: CancelToken | None = None) -> TakeResult:
    """Render the selected answerprint take again as a new version: its recorded parameters, pack and source.

    Parameters
    ----------
    overrides : mapping
        Parameter values to change from the recorded ones (empty to reproduce the take).

    Raises
    ------
    ResolveError, AnswerprintError
        As ``selected_take_record`` and ``render_take``.
    """
    record = selected_take_record(item)
    pack = record.pack if record.pack and os.path.isfile(record.pack) else (record.pack_id or record.pack)
    request = TakeRequest(effect=record.effect, params={**record.params, **overrides}, pack=pack,
                          production=record.production, handles=record.handles, input_space=record.input_space)
    source = ItemSource(item, item_label(item), record.source, record.first, record.last, record)
    return render_take(session, source, request, render_folder, progress, cancel)
